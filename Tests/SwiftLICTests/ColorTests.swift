import XCTest
@testable import SwiftLIC

final class ColorTests: XCTestCase {
    func testKnownValues() {
        // White, black and pure primaries against the JFIF formulas computed by hand.
        let rgb: [UInt8] = [255, 255, 255, 0, 0, 0, 255, 0, 0, 0, 0, 255]
        var out = [UInt8](repeating: 0, count: rgb.count)
        rgb.withUnsafeBufferPointer { i in out.withUnsafeMutableBufferPointer { o in
            YCbCr.convert(.toYCbCr, bytes: i, into: o, pixels: 4)
        } }
        XCTAssertEqual(Array(out[0..<3]), [255, 128, 128])
        XCTAssertEqual(Array(out[3..<6]), [0, 128, 128])
        XCTAssertEqual(Array(out[6..<9]), [76, 85, 255])   // 0.299·255, 128 − 0.168736·255, 128 + 127.5 → clamp
        XCTAssertEqual(Array(out[9..<12]), [29, 255, 107])
    }

    func testByteRoundTripErrorBound() {
        var rng = SplitMix64(seed: 1)
        let n = 10_000
        let rgb = (0..<(3 * n)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        var ycc = [UInt8](repeating: 0, count: rgb.count), back = ycc
        rgb.withUnsafeBufferPointer { i in ycc.withUnsafeMutableBufferPointer { o in
            YCbCr.convert(.toYCbCr, bytes: i, into: o, pixels: n) } }
        ycc.withUnsafeBufferPointer { i in back.withUnsafeMutableBufferPointer { o in
            YCbCr.convert(.toRGB, bytes: i, into: o, pixels: n) } }
        // 8-bit YCbCr rounding loses at most ~1.4 + 1.8 / 2 levels per channel on the way back.
        let worst = zip(rgb, back).map { abs(Int($0) - Int($1)) }.max()!
        XCTAssertLessThanOrEqual(worst, 3)
    }

    func testFloatRoundTripIsExactToFloatPrecision() {
        var rng = SplitMix64(seed: 2)
        let n = 5_000
        let rgb = (0..<(3 * n)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        var planes = [Float](repeating: 0, count: rgb.count)
        var back = [UInt8](repeating: 0, count: rgb.count)
        rgb.withUnsafeBufferPointer { i in planes.withUnsafeMutableBufferPointer { o in
            YCbCr.convert(.toYCbCr, bytes: i, intoPlanes: o, pixels: n) } }
        planes.withUnsafeBufferPointer { i in back.withUnsafeMutableBufferPointer { o in
            YCbCr.convert(.toRGB, planes: i, intoBytes: o, pixels: n) } }
        XCTAssertEqual(rgb, back)
        var inPlace = planes
        inPlace.withUnsafeMutableBufferPointer { o in
            YCbCr.convert(.toRGB, planes: UnsafeBufferPointer(o), intoPlanes: o, pixels: n) }
        for p in 0..<n {
            XCTAssertEqual(inPlace[p] * 255, Float(rgb[3 * p]), accuracy: 2e-3)
        }
    }
}
