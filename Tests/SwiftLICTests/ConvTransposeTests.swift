import XCTest
@testable import SwiftLIC

/// ConvTranspose2D: fast passes (built from Conv2D) vs scatter reference, reference vs finite differences.
final class ConvTransposeTests: XCTestCase {
    typealias G = ConvTranspose2DGeometry

    static let cases: [G] = [
        G(batch: 1, inChannels: 2, height: 3, width: 4, outChannels: 3, kernel: 3, stride: 2, padding: 1,
          outputPadding: 1),
        G(batch: 2, inChannels: 3, height: 5, width: 3, outChannels: 2, kernel: 5, stride: 2, padding: 2,
          outputPadding: 1),
        G(batch: 2, inChannels: 2, height: 4, width: 5, outChannels: 2, kernel: 3, stride: 1, padding: 1),
        G(batch: 1, inChannels: 1, height: 3, width: 3, outChannels: 2, kernel: 4, stride: 2, padding: 1),
        G(batch: 3, inChannels: 2, height: 2, width: 3, outChannels: 3, kernel: 2, stride: 2),
        G(batch: 1, inChannels: 2, height: 4, width: 3, outChannels: 1, kernel: 3, stride: 3, padding: 0,
          outputPadding: 2),
        G(batch: 1, inChannels: 2, height: 3, width: 21, outChannels: 2, kernel: 3, stride: 2, padding: 1,
          outputPadding: 1),
    ]

    static func forward(_ g: G, _ x: [Float], _ w: [Float], _ b: [Float]?) -> [Float] {
        var y = [Float](repeating: .nan, count: g.outputCount)
        x.withBuf { x in w.withBuf { w in ConvTests.withOptional(b) { b in y.withUnsafeMutableBufferPointer { y in
            ConvTranspose2D.forward(g, input: x, weight: w, bias: b, output: y, bandBudget: NN.bandBudget)
        } } } }
        return y
    }

    static func backwardData(_ g: G, _ gy: [Float], _ w: [Float]) -> [Float] {
        var gx = [Float](repeating: .nan, count: g.inputCount)
        gy.withBuf { gy in w.withBuf { w in gx.withUnsafeMutableBufferPointer { gx in
            ConvTranspose2D.backwardData(g, gradOutput: gy, weight: w, gradInput: gx, bandBudget: NN.bandBudget)
        } } }
        return gx
    }

    static func backwardWeight(_ g: G, _ x: [Float], _ gy: [Float], _ gw: [Float], _ gb: [Float]) -> ([Float], [Float]) {
        var gw = gw, gb = gb
        x.withBuf { x in gy.withBuf { gy in gw.withUnsafeMutableBufferPointer { gw in
            gb.withUnsafeMutableBufferPointer { gb in
                ConvTranspose2D.backwardWeight(g, input: x, gradOutput: gy, gradWeight: gw, gradBias: gb,
                                               bandBudget: NN.bandBudget)
            }
        } } }
        return (gw, gb)
    }

    func testOutputSizeFollowsPyTorch() throws {
        let g = G(batch: 1, inChannels: 1, height: 16, width: 8, outChannels: 1, kernel: 3, stride: 2, padding: 1,
                  outputPadding: 1)
        XCTAssertEqual(g.outHeight, 32)
        XCTAssertEqual(g.outWidth, 16)
        for g in Self.cases { XCTAssertNoThrow(try g.validate(), "\(g)") }
        XCTAssertThrowsError(try G(batch: 1, inChannels: 1, height: 4, width: 4, outChannels: 1, kernel: 3, stride: 2,
                                   outputPadding: 2).validate())
    }

    func testForwardAndBackwardMatchReference() {
        var rng = SplitMix64(seed: 11)
        for g in Self.cases {
            let x = rng.floats(g.inputCount), w = rng.floats(g.weightCount), b = rng.floats(g.outChannels)
            let gy = rng.floats(g.outputCount), gw0 = rng.floats(g.weightCount), gb0 = rng.floats(g.outChannels)
            let (dx, dw, db) = (NN.double(x), NN.double(w), NN.double(gy))
            let ref = ConvTranspose2DReference.forward(g, input: dx, weight: dw, bias: NN.double(b))
            let refX = ConvTranspose2DReference.backwardData(g, gradOutput: db, weight: dw)
            let (refW, refB) = ConvTranspose2DReference.backwardWeight(g, input: dx, gradOutput: db)
            for budget in [1 << 19, 25] {
                NN.withSmallBands(budget) {
                    XCTAssertLessThan(NN.relErr(Self.forward(g, x, w, b), ref), 1e-5, "y \(g)")
                    XCTAssertLessThan(NN.relErr(Self.backwardData(g, gy, w), refX), 1e-5, "dx \(g)")
                    let (gw, gb) = Self.backwardWeight(g, x, gy, gw0, gb0)
                    XCTAssertLessThan(NN.relErr(gw, zip(refW, gw0).map { $0 + Double($1) }), 1e-5, "dw \(g)")
                    XCTAssertLessThan(NN.relErr(gb, zip(refB, gb0).map { $0 + Double($1) }), 1e-5, "db \(g)")
                }
            }
        }
    }

    func testFusedActivationMatchesSeparatePasses() {
        var rng = SplitMix64(seed: 14)
        for g in Self.cases {
            let x = rng.floats(g.inputCount), w = rng.floats(g.weightCount), b = rng.floats(g.outChannels)
            let slopes = rng.floats(g.outChannels)
            let z = ConvTranspose2DReference.forward(g, input: NN.double(x), weight: NN.double(w), bias: NN.double(b))
            let ohw = g.outHeight * g.outWidth
            let want = z.indices.map { i in
                ActivationReference.forward(.prelu, z[i], slope: Double(slopes[(i / ohw) % g.outChannels]))
            }
            for budget in [1 << 19, 25] {
                var y = [Float](repeating: .nan, count: g.outputCount)
                NN.withSmallBands(budget) {
                    x.withBuf { x in w.withBuf { w in b.withBuf { b in slopes.withBuf { s in
                        y.withUnsafeMutableBufferPointer { y in
                            ConvTranspose2D.forward(g, input: x, weight: w, bias: b, output: y, activation: .prelu,
                                                    slopes: s, bandBudget: NN.bandBudget)
                        }
                    } } } }
                }
                XCTAssertLessThan(NN.relErr(y, want), 1e-5, "\(g) \(budget)")
            }
        }
    }

    func testReferenceBackwardMatchesFiniteDifferences() {
        var rng = SplitMix64(seed: 12)
        for g in [Self.cases[0], Self.cases[1], Self.cases[5]] {
            let x = NN.double(rng.floats(g.inputCount)), w = NN.double(rng.floats(g.weightCount))
            let b = NN.double(rng.floats(g.outChannels)), r = NN.double(rng.floats(g.outputCount))
            let f = { (x: [Double], w: [Double], b: [Double]) in
                NN.dot(ConvTranspose2DReference.forward(g, input: x, weight: w, bias: b), r)
            }
            let gx = ConvTranspose2DReference.backwardData(g, gradOutput: r, weight: w)
            let (gw, gb) = ConvTranspose2DReference.backwardWeight(g, input: x, gradOutput: r)
            XCTAssertLessThan(NN.relErr(gx, NN.numericGradient(x) { f($0, w, b) }), 1e-6, "dx \(g)")
            XCTAssertLessThan(NN.relErr(gw, NN.numericGradient(w) { f(x, $0, b) }), 1e-6, "dw \(g)")
            XCTAssertLessThan(NN.relErr(gb, NN.numericGradient(b) { f(x, w, $0) }), 1e-6, "db \(g)")
        }
    }

    func testBitIdenticalForOneAndTwoThreads() {
        var rng = SplitMix64(seed: 13)
        let g = G(batch: 3, inChannels: 6, height: 7, width: 9, outChannels: 5, kernel: 3, stride: 2, padding: 1,
                  outputPadding: 1)
        let x = rng.floats(g.inputCount), w = rng.floats(g.weightCount), b = rng.floats(g.outChannels)
        let gy = rng.floats(g.outputCount), z = [Float](repeating: 0, count: g.weightCount)
        let zb = [Float](repeating: 0, count: g.outChannels)
        func all() -> [[Float]] {
            NN.withSmallBands(500) {
                let (gw, gb) = Self.backwardWeight(g, x, gy, z, zb)
                return [Self.forward(g, x, w, b), Self.backwardData(g, gy, w), gw, gb]
            }
        }
        let one = NN.withThreads(1, all)
        XCTAssertEqual(one, NN.withThreads(2, all))
        XCTAssertEqual(one, NN.withThreads(3, all))
    }
}
