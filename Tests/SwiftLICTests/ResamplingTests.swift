import XCTest
@testable import SwiftLIC

/// MaxPool2x2, Upsample2x and PixelShuffle: fast vs reference, finite-difference gradients, thread invariance.
final class ResamplingTests: XCTestCase {
    let shapes = [(1, 1, 2, 2), (1, 2, 5, 7), (2, 3, 4, 6), (3, 1, 9, 3), (2, 4, 7, 8)]

    func maxpool(_ s: (Int, Int, Int, Int), _ x: [Float], _ gy: [Float]) -> ([Float], [Float]) {
        let (n, c, h, w) = s
        let y = withBuffers(x) { xb in produce(n * c * (h / 2) * (w / 2)) { MaxPool2x2.forward(n: n, c: c, h: h, w: w, x: xb, y: $0) } }
        let gx = withBuffers(x) { xb in withBuffers(gy) { gb in
            produce(x.count) { MaxPool2x2.backward(n: n, c: c, h: h, w: w, x: xb, gy: gb, gx: $0) }
        } }
        return (y, gx)
    }

    func testMaxPoolMatchesReference() {
        for (k, s) in shapes.enumerated() {
            var rng = SplitMix64(seed: UInt64(k + 1))
            let (n, c, h, w) = s
            // Coarse values so ties happen often and the tie rule is exercised.
            let x = (0..<(n * c * h * w)).map { _ in Float(Int(rng.next() % 4)) }
            let gy = rng.floats(n * c * (h / 2) * (w / 2))
            let (y, gx) = maxpool(s, x, gy)
            XCTAssertEqual(y, MaxPool2x2.forwardReference(n: n, c: c, h: h, w: w, x: x))
            XCTAssertEqual(gx, MaxPool2x2.backwardReference(n: n, c: c, h: h, w: w, x: x, gy: gy))
        }
    }

    func testMaxPoolTieRuleAndNaN() {
        // Window [[1, 3], [3, 2]]: the top-right 3 comes first in row-major order and takes the gradient.
        let (_, gx) = maxpool((1, 1, 2, 2), [1, 3, 3, 2], [5])
        XCTAssertEqual(gx, [0, 5, 0, 0])
        let (y, gxn) = maxpool((1, 1, 2, 2), [1, 3, .nan, 9], [5])
        XCTAssertTrue(y[0].isNaN)
        XCTAssertEqual(gxn, [0, 0, 5, 0])
    }

    func testMaxPoolGradientByFiniteDifferences() {
        var rng = SplitMix64(seed: 3)
        let (n, c, h, w) = (2, 2, 5, 4)
        let x = LayerCheck.doubles(rng.floats(n * c * h * w)), gy = LayerCheck.doubles(rng.floats(n * c * 2 * 2))
        let analytic = MaxPool2x2.backwardReference(n: n, c: c, h: h, w: w, x: x, gy: gy)
        let numeric = LayerCheck.numericGradient(x) { LayerCheck.dot(gy, MaxPool2x2.forwardReference(n: n, c: c, h: h, w: w, x: $0)) }
        XCTAssertLessThan(LayerCheck.maxError(analytic, numeric), 1e-6)
    }

    func upsample(_ mode: Upsample2x.Mode, _ s: (Int, Int, Int, Int), _ x: [Float], _ gy: [Float]) -> ([Float], [Float]) {
        let (n, c, h, w) = s
        let y = withBuffers(x) { xb in produce(4 * x.count) { Upsample2x.forward(mode, n: n, c: c, h: h, w: w, x: xb, y: $0) } }
        let gx = withBuffers(gy) { gb in produce(x.count) { Upsample2x.backward(mode, n: n, c: c, h: h, w: w, gy: gb, gx: $0) } }
        return (y, gx)
    }

    func testUpsampleMatchesReference() {
        for mode in [Upsample2x.Mode.nearest, .bilinear] {
            for (k, s) in (shapes + [(1, 1, 1, 1), (2, 1, 1, 5)]).enumerated() {
                var rng = SplitMix64(seed: UInt64(k + 20))
                let (n, c, h, w) = s
                let x = rng.floats(n * c * h * w), gy = rng.floats(4 * n * c * h * w)
                let (y, gx) = upsample(mode, s, x, gy)
                let yr = Upsample2x.forwardReference(mode, n: n, c: c, h: h, w: w, x: LayerCheck.doubles(x))
                let gr = Upsample2x.backwardReference(mode, n: n, c: c, h: h, w: w, gy: LayerCheck.doubles(gy))
                XCTAssertLessThan(LayerCheck.maxError(y, yr), 1e-6, "\(mode) \(s)")
                XCTAssertLessThan(LayerCheck.maxError(gx, gr), 1e-6, "\(mode) \(s)")
            }
        }
    }

    func testBilinearKnownValues() {
        // 1×2 row [0, 4] → [0, 1, 3, 4] (align_corners=False: weights ¾/¼, clamped at the borders).
        let (y, _) = upsample(.bilinear, (1, 1, 1, 2), [0, 4], [Float](repeating: 0, count: 8))
        XCTAssertEqual(Array(y[0..<4]), [0, 1, 3, 4])
        XCTAssertEqual(Array(y[4..<8]), [0, 1, 3, 4])
    }

    func testUpsampleGradientByFiniteDifferences() {
        for mode in [Upsample2x.Mode.nearest, .bilinear] {
            var rng = SplitMix64(seed: 4)
            let (n, c, h, w) = (2, 1, 3, 4)
            let x = LayerCheck.doubles(rng.floats(n * c * h * w)), gy = LayerCheck.doubles(rng.floats(4 * n * c * h * w))
            let analytic = Upsample2x.backwardReference(mode, n: n, c: c, h: h, w: w, gy: gy)
            let numeric = LayerCheck.numericGradient(x) {
                LayerCheck.dot(gy, Upsample2x.forwardReference(mode, n: n, c: c, h: h, w: w, x: $0))
            }
            XCTAssertLessThan(LayerCheck.maxError(analytic, numeric), 1e-6, "\(mode)")
        }
    }

    func shuffle(_ unshuffle: Bool, _ r: Int, _ s: (Int, Int, Int, Int), _ x: [Float]) -> [Float] {
        let (n, c, h, w) = s
        return withBuffers(x) { xb in
            produce(x.count) { PixelShuffle.apply(unshuffle: unshuffle, r: r, n: n, c: c, h: h, w: w, x: xb, y: $0) }
        }
    }

    func testPixelShuffleMatchesReferenceAndInverts() {
        for (k, (r, s)) in [(2, (1, 4, 3, 5)), (3, (2, 18, 2, 3)), (1, (2, 3, 4, 5)), (2, (3, 8, 1, 1))].enumerated() {
            var rng = SplitMix64(seed: UInt64(k + 40))
            let (n, c, h, w) = s
            let x = rng.floats(n * c * h * w)
            let y = shuffle(false, r, s, x)
            XCTAssertEqual(y, PixelShuffle.applyReference(unshuffle: false, r: r, n: n, c: c, h: h, w: w, x: x))
            let big = (n, c / (r * r), h * r, w * r)
            XCTAssertEqual(shuffle(true, r, big, y), x, "unshuffle ∘ shuffle = id")
            XCTAssertEqual(PixelShuffle.applyReference(unshuffle: true, r: r, n: big.0, c: big.1, h: big.2, w: big.3, x: y), x)
        }
    }

    /// A permutation's backward is its inverse: ⟨gy, shuffle(x)⟩ = ⟨unshuffle(gy), x⟩.
    func testPixelShuffleAdjoint() {
        var rng = SplitMix64(seed: 9)
        let (r, s) = (2, (2, 8, 3, 2))
        let x = rng.floats(2 * 8 * 3 * 2), gy = rng.floats(x.count)
        let lhs = LayerCheck.dot(LayerCheck.doubles(gy), LayerCheck.doubles(shuffle(false, r, s, x)))
        let rhs = LayerCheck.dot(LayerCheck.doubles(shuffle(true, r, (2, 2, 6, 4), gy)), LayerCheck.doubles(x))
        XCTAssertEqual(lhs, rhs, accuracy: 1e-9)
    }

    func testBitIdenticalForOneAndTwoThreads() {
        var rng = SplitMix64(seed: 11)
        let s = (3, 5, 9, 7)
        let x = rng.floats(3 * 5 * 9 * 7), gyp = rng.floats(3 * 5 * 4 * 3), gyu = rng.floats(4 * x.count)
        func all() -> [[Float]] {
            let (a, b) = maxpool(s, x, gyp)
            let (c, d) = upsample(.bilinear, s, x, gyu)
            let (e, f) = upsample(.nearest, s, x, gyu)
            return [a, b, c, d, e, f, shuffle(true, 1, s, x)]
        }
        XCTAssertEqual(LayerCheck.withThreads(1, all), LayerCheck.withThreads(2, all))
    }

    func testValidation() {
        XCTAssertThrowsError(try MaxPool2x2.validate(n: 1, c: 1, h: 1, w: 4, input: 4, output: 0))
        XCTAssertThrowsError(try MaxPool2x2.validate(n: 1, c: 1, h: 4, w: 4, input: 16, output: 5)) { e in
            XCTAssertTrue((e as! SLICError).message.contains("expected 4"), "\(e)")
        }
        XCTAssertThrowsError(try Upsample2x.validate(n: 1, c: 1, h: 2, w: 2, input: 4, output: 8))
        XCTAssertThrowsError(try PixelShuffle.validate(unshuffle: false, r: 2, n: 1, c: 6, h: 2, w: 2, input: 24, output: 24)) { e in
            XCTAssertTrue((e as! SLICError).message.contains("divisible by r²=4"), "\(e)")
        }
        XCTAssertThrowsError(try PixelShuffle.validate(unshuffle: true, r: 2, n: 1, c: 1, h: 3, w: 2, input: 6, output: 6))
    }
}
