import XCTest
@testable import SwiftLIC

/// Conv2D: fast kernels vs the reference twin, reference vs finite differences, thread-count invariance.
final class ConvTests: XCTestCase {
    typealias G = Conv2DGeometry

    static let cases: [G] = [
        G(batch: 1, inChannels: 1, height: 5, width: 5, outChannels: 1, kernel: 3, stride: 1, padding: 1),
        G(batch: 2, inChannels: 3, height: 7, width: 5, outChannels: 4, kernel: 3, stride: 1, padding: 1,
          paddingMode: .reflect),
        G(batch: 2, inChannels: 2, height: 9, width: 7, outChannels: 3, kernel: 3, stride: 2, padding: 1),
        G(batch: 1, inChannels: 3, height: 8, width: 9, outChannels: 2, kernel: 5, stride: 2, padding: 2,
          paddingMode: .reflect),
        G(batch: 3, inChannels: 2, height: 6, width: 5, outChannels: 3, kernel: 1),
        G(batch: 2, inChannels: 3, height: 7, width: 6, outChannels: 2, kernel: 1, stride: 2),
        G(batch: 1, inChannels: 2, height: 5, width: 7, outChannels: 3, kernel: 4, stride: 3, padding: 2),
        G(batch: 2, inChannels: 1, height: 6, width: 6, outChannels: 2, kernel: 3, stride: 2, paddingMode: .reflect),
        G(batch: 1, inChannels: 2, height: 3, width: 4, outChannels: 2, kernel: 3, stride: 1, padding: 2,
          paddingMode: .reflect),
        // Rows wide enough for the eight-wide stride-2 gather/scatter paths, with their scalar tails.
        G(batch: 1, inChannels: 2, height: 5, width: 41, outChannels: 2, kernel: 3, stride: 2, padding: 1),
        G(batch: 2, inChannels: 1, height: 4, width: 38, outChannels: 2, kernel: 5, stride: 2, padding: 2,
          paddingMode: .reflect),
        // Few output channels take the thin product; these have full 32-column tiles and tails.
        G(batch: 2, inChannels: 3, height: 9, width: 11, outChannels: 3, kernel: 3, stride: 1, padding: 1),
        G(batch: 1, inChannels: 4, height: 8, width: 8, outChannels: 1, kernel: 3, stride: 1, padding: 1,
          paddingMode: .reflect),
        G(batch: 2, inChannels: 5, height: 6, width: 7, outChannels: 2, kernel: 1),
        // Batches of zero-padded images cut into many bands (backward-data's even/odd phases); k = 5 needs bands
        // of ≥ 4 rows.
        G(batch: 3, inChannels: 4, height: 20, width: 16, outChannels: 7, kernel: 3, stride: 1, padding: 1),
        G(batch: 2, inChannels: 3, height: 14, width: 10, outChannels: 5, kernel: 5, stride: 1, padding: 2),
        // C·k·k = 432 > GEMM's KC: im2col writes a packed B of two k blocks; 37 columns end in a ragged panel.
        G(batch: 1, inChannels: 48, height: 6, width: 37, outChannels: 5, kernel: 3, stride: 1, padding: 1,
          paddingMode: .reflect),
    ]

    static func withOptional<R>(_ a: [Float]?, _ body: (UnsafeBufferPointer<Float>?) -> R) -> R {
        if let a { return a.withUnsafeBufferPointer { body($0) } }
        return body(nil)
    }

    /// The forward pass; `.unrolled` by default, so the cases keep testing the kernels they were chosen for
    /// (the Winograd tests below pass `.winograd` and `.auto`).
    static func forward(_ g: G, _ x: [Float], _ w: [Float], _ b: [Float]?, _ act: Activation = .identity,
                        _ slopes: [Float]? = nil, algorithm: Conv2D.Algorithm = .unrolled) -> [Float] {
        var y = [Float](repeating: .nan, count: g.outputCount)
        x.withBuf { x in w.withBuf { w in withOptional(b) { b in withOptional(slopes) { s in
            y.withUnsafeMutableBufferPointer { y in
                Conv2D.forward(g, input: x, weight: w, bias: b, output: y, activation: act, slopes: s,
                               bandBudget: NN.bandBudget, algorithm: algorithm)
            }
        } } } }
        return y
    }

    static func backwardData(_ g: G, _ gy: [Float], _ w: [Float], algorithm: Conv2D.Algorithm = .unrolled) -> [Float] {
        var gx = [Float](repeating: .nan, count: g.inputCount)
        gy.withBuf { gy in w.withBuf { w in gx.withUnsafeMutableBufferPointer { gx in
            Conv2D.backwardData(g, gradOutput: gy, weight: w, gradInput: gx, bandBudget: NN.bandBudget,
                                algorithm: algorithm)
        } } }
        return gx
    }

    /// Accumulates onto `gw`, `gb`.
    static func backwardWeight(_ g: G, _ x: [Float], _ gy: [Float], _ gw: [Float], _ gb: [Float],
                               algorithm: Conv2D.Algorithm = .unrolled) -> ([Float], [Float]) {
        var gw = gw, gb = gb
        x.withBuf { x in gy.withBuf { gy in gw.withUnsafeMutableBufferPointer { gw in
            gb.withUnsafeMutableBufferPointer { gb in
                Conv2D.backwardWeight(g, input: x, gradOutput: gy, gradWeight: gw, gradBias: gb,
                                      bandBudget: NN.bandBudget, algorithm: algorithm)
            }
        } } }
        return (gw, gb)
    }

    func testGeometriesAreValid() throws {
        for g in Self.cases { XCTAssertNoThrow(try g.validate(), "\(g)") }
    }

    func testForwardMatchesReference() {
        var rng = SplitMix64(seed: 1)
        for g in Self.cases {
            let x = rng.floats(g.inputCount), w = rng.floats(g.weightCount), b = rng.floats(g.outChannels)
            let ref = Conv2DReference.forward(g, input: NN.double(x), weight: NN.double(w), bias: NN.double(b))
            XCTAssertLessThan(NN.relErr(Self.forward(g, x, w, b), ref), 1e-5, "\(g)")
            XCTAssertLessThan(NN.relErr(NN.withSmallBands(40) { Self.forward(g, x, w, b) }, ref), 1e-5, "bands \(g)")
            let noBias = Conv2DReference.forward(g, input: NN.double(x), weight: NN.double(w), bias: nil)
            XCTAssertLessThan(NN.relErr(Self.forward(g, x, w, nil), noBias), 1e-5, "no bias \(g)")
        }
    }

    static let winogradCases: [G] = [
        G(batch: 1, inChannels: 8, height: 2, width: 2, outChannels: 4, kernel: 3, stride: 1, padding: 1),
        G(batch: 2, inChannels: 9, height: 7, width: 5, outChannels: 6, kernel: 3, stride: 1, padding: 1,
          paddingMode: .reflect),
        G(batch: 1, inChannels: 16, height: 10, width: 37, outChannels: 19, kernel: 3, stride: 1, padding: 1),
        G(batch: 1, inChannels: 48, height: 6, width: 37, outChannels: 5, kernel: 3, stride: 1, padding: 1,
          paddingMode: .reflect),
        G(batch: 2, inChannels: 12, height: 3, width: 2, outChannels: 7, kernel: 3, stride: 1, padding: 1,
          paddingMode: .reflect),
        // Several chunks of tiles per tile row (48 + 40 channels: 3 chunks of 72 tiles; the middle one reads its
        // rows in place), odd width.
        G(batch: 1, inChannels: 48, height: 3, width: 401, outChannels: 40, kernel: 3, stride: 1, padding: 1),
        // C > GEMM's KC: each V_ξ is a packed B of two k blocks.
        G(batch: 1, inChannels: 400, height: 4, width: 6, outChannels: 4, kernel: 3, stride: 1, padding: 1),
    ]

    func testWinogradForwardMatchesReference() {
        // The transforms scale values by up to 4 (input) and 9/4 (filter) before the products, so the rounding
        // error is a few times the unrolled product's (C = 400: 1.04e-5 against the float64 reference).
        let tolerance = 3e-5
        var rng = SplitMix64(seed: 8)
        for g in Self.winogradCases {
            XCTAssertTrue(Conv2D.winogradApplies(g), "\(g)")
            let x = rng.floats(g.inputCount), w = rng.floats(g.weightCount), b = rng.floats(g.outChannels)
            let slopes = rng.floats(g.outChannels)
            let z = Conv2DReference.forward(g, input: NN.double(x), weight: NN.double(w), bias: NN.double(b))
            XCTAssertLessThan(NN.relErr(Self.forward(g, x, w, b, algorithm: .winograd), z), tolerance, "\(g)")
            let ohw = g.outHeight * g.outWidth
            let want = z.indices.map { i in
                ActivationReference.forward(.prelu, z[i], slope: Double(slopes[(i / ohw) % g.outChannels]))
            }
            let got = Self.forward(g, x, w, b, .prelu, slopes, algorithm: .winograd)
            XCTAssertLessThan(NN.relErr(got, want), tolerance, "prelu \(g)")
            XCTAssertEqual(got, Self.forward(g, x, w, b, .prelu, slopes, algorithm: .auto), "auto \(g)")
            let noBias = Conv2DReference.forward(g, input: NN.double(x), weight: NN.double(w), bias: nil)
            XCTAssertLessThan(NN.relErr(Self.forward(g, x, w, nil, algorithm: .winograd), noBias), tolerance, "\(g)")
        }
        // Geometries it does not take keep the unrolled kernels under `.auto`.
        for g in Self.cases where !Conv2D.winogradApplies(g) {
            let x = rng.floats(g.inputCount), w = rng.floats(g.weightCount)
            XCTAssertEqual(Self.forward(g, x, w, nil, algorithm: .auto), Self.forward(g, x, w, nil), "\(g)")
        }
        XCTAssertFalse(Conv2D.winogradApplies(G(batch: 1, inChannels: 4, height: 8, width: 8, outChannels: 8,
                                                kernel: 3, stride: 1, padding: 1)))  // too few input channels
        XCTAssertFalse(Conv2D.winogradApplies(G(batch: 1, inChannels: 16, height: 8, width: 8, outChannels: 8,
                                                kernel: 3, stride: 2, padding: 1)))
    }

    func testWinogradBackwardDataMatchesReference() {
        // Zero-padded 3×3/1/1 convolutions whose backward-data (flipped filters, channels swapped: ≥ 8 output
        // channels, ≥ 4 input channels) Winograd takes; reflect padding and narrow ones keep the unrolled kernel.
        var rng = SplitMix64(seed: 10)
        let cases = [G(batch: 2, inChannels: 4, height: 7, width: 5, outChannels: 9, kernel: 3, stride: 1, padding: 1),
                     G(batch: 1, inChannels: 19, height: 10, width: 37, outChannels: 16, kernel: 3, stride: 1,
                       padding: 1),
                     G(batch: 1, inChannels: 40, height: 3, width: 201, outChannels: 48, kernel: 3, stride: 1,
                       padding: 1)]
        for g in cases {
            XCTAssertNotNil(Conv2D.winogradBackwardGeometry(g), "\(g)")
            let gy = rng.floats(g.outputCount), w = rng.floats(g.weightCount)
            let ref = Conv2DReference.backwardData(g, gradOutput: NN.double(gy), weight: NN.double(w))
            let got = Self.backwardData(g, gy, w, algorithm: .winograd)
            XCTAssertLessThan(NN.relErr(got, ref), 3e-5, "\(g)")
            XCTAssertEqual(got, Self.backwardData(g, gy, w, algorithm: .auto), "auto \(g)")
            XCTAssertEqual(got, NN.withThreads(1) { Self.backwardData(g, gy, w, algorithm: .winograd) }, "\(g)")
        }
        for g in Self.winogradCases where g.paddingMode == .reflect || g.outChannels < 8 {
            XCTAssertNil(Conv2D.winogradBackwardGeometry(g), "\(g)")
            let gy = rng.floats(g.outputCount), w = rng.floats(g.weightCount)
            XCTAssertEqual(Self.backwardData(g, gy, w, algorithm: .auto), Self.backwardData(g, gy, w), "\(g)")
        }
    }

    func testWinogradWeightGradientMatchesReference() {
        // Accumulates onto gW and gb like the unrolled kernel; zero and reflect padding (the padded input tiles are
        // the forward's), chunks, C > KC; 1, 2 and 3 threads split the 16 positions differently, same bits.
        var rng = SplitMix64(seed: 11)
        for g in Self.winogradCases {
            let x = rng.floats(g.inputCount), gy = rng.floats(g.outputCount)
            let gw0 = rng.floats(g.weightCount), gb0 = rng.floats(g.outChannels)
            let (refW, refB) = Conv2DReference.backwardWeight(g, input: NN.double(x), gradOutput: NN.double(gy))
            let (gw, gb) = Self.backwardWeight(g, x, gy, gw0, gb0, algorithm: .winograd)
            XCTAssertLessThan(NN.relErr(gw, zip(refW, gw0).map { $0 + Double($1) }), 3e-5, "dw \(g)")
            XCTAssertLessThan(NN.relErr(gb, zip(refB, gb0).map { $0 + Double($1) }), 1e-5, "db \(g)")
            XCTAssertEqual(gw, Self.backwardWeight(g, x, gy, gw0, gb0, algorithm: .auto).0, "auto \(g)")
            for threads in [1, 3] {
                XCTAssertEqual(gw, NN.withThreads(threads) {
                    Self.backwardWeight(g, x, gy, gw0, gb0, algorithm: .winograd).0
                }, "\(threads) threads \(g)")
            }
        }
    }

    func testWinogradIsBitIdenticalForAnyThreadCount() {
        var rng = SplitMix64(seed: 9)
        for g in [Self.winogradCases[1], Self.winogradCases[2], Self.winogradCases[5],
                  G(batch: 3, inChannels: 8, height: 9, width: 24, outChannels: 8, kernel: 3, stride: 1, padding: 1)] {
            let x = rng.floats(g.inputCount), w = rng.floats(g.weightCount), b = rng.floats(g.outChannels)
            let slopes = rng.floats(g.outChannels)
            let one = NN.withThreads(1) { Self.forward(g, x, w, b, .prelu, slopes, algorithm: .winograd) }
            XCTAssertEqual(one, NN.withThreads(2) { Self.forward(g, x, w, b, .prelu, slopes, algorithm: .winograd) })
            XCTAssertEqual(one, NN.withThreads(3) { Self.forward(g, x, w, b, .prelu, slopes, algorithm: .winograd) })
        }
    }

    func testThinForwardIsTheSameForAnyChunking() {
        // The thin kernel continues each output's FMA chain across channel chunks, so the bits do not depend on
        // the band budget.
        var rng = SplitMix64(seed: 6)
        for g in Self.cases where g.outChannels <= Conv2D.thinMaxRows && !g.isPointwise {
            let x = rng.floats(g.inputCount), w = rng.floats(g.weightCount), b = rng.floats(g.outChannels)
            XCTAssertEqual(Self.forward(g, x, w, b), NN.withSmallBands(30) { Self.forward(g, x, w, b) }, "\(g)")
        }
    }

    func testThinDirectForwardMatchesUnrolledProductBits() {
        // Stride-1 zero-padded thin convolutions read a padded band instead of im2col; same FMA chains, same bits.
        var rng = SplitMix64(seed: 7)
        for g in [G(batch: 2, inChannels: 3, height: 9, width: 11, outChannels: 3, kernel: 3, stride: 1, padding: 1),
                  G(batch: 1, inChannels: 2, height: 6, width: 37, outChannels: 2, kernel: 5, stride: 1, padding: 2),
                  G(batch: 1, inChannels: 2, height: 7, width: 70, outChannels: 1, kernel: 4, stride: 1, padding: 3),
                  G(batch: 1, inChannels: 3, height: 5, width: 64, outChannels: 3, kernel: 3, stride: 1)] {
            XCTAssertTrue(Conv2D.thinDirect(g))
            let x = rng.floats(g.inputCount), w = rng.floats(g.weightCount)
            let ohw = g.outHeight * g.outWidth, hw = g.height * g.width
            var want = [Float](repeating: .nan, count: g.outputCount)
            var col = [Float](repeating: .nan, count: g.patchSize * ohw)
            x.withBuf { x in w.withBuf { w in col.withUnsafeMutableBufferPointer { col in
                want.withUnsafeMutableBufferPointer { y in
                    for n in 0..<g.batch {
                        Conv2D.im2col(g, image: x.baseAddress! + n * g.inChannels * hw, rows: 0..<g.outHeight,
                                      patchRows: 0..<g.patchSize, into: col.baseAddress!, serial: true)
                        Conv2D.thinProduct(m: g.outChannels, n: ohw, k: g.patchSize, a: w.baseAddress!,
                                           lda: g.patchSize, b: col.baseAddress!, ldb: ohw,
                                           c: y.baseAddress! + n * g.outChannels * ohw, ldc: ohw, serial: true)
                    }
                }
            } } }
            XCTAssertEqual(Self.forward(g, x, w, nil), want, "\(g)")
            XCTAssertEqual(NN.withSmallBands(30) { Self.forward(g, x, w, nil) }, want, "bands \(g)")
        }
    }

    func testFusedEpilogueMatchesSeparatePasses() {
        var rng = SplitMix64(seed: 2)
        let g = Self.cases[2]
        let x = rng.floats(g.inputCount), w = rng.floats(g.weightCount), b = rng.floats(g.outChannels)
        let slopes = rng.floats(g.outChannels)
        let z = Conv2DReference.forward(g, input: NN.double(x), weight: NN.double(w), bias: NN.double(b))
        let ohw = g.outHeight * g.outWidth
        for act in [Activation.relu, .prelu, .sigmoid, .tanh] {
            let want = z.indices.map { i in
                ActivationReference.forward(act, z[i], slope: Double(slopes[(i / ohw) % g.outChannels]))
            }
            let got = Self.forward(g, x, w, b, act, act == .prelu ? slopes : nil)
            XCTAssertLessThan(NN.relErr(got, want), 1e-5, "\(act)")
        }
    }

    func testReferenceBackwardMatchesFiniteDifferences() {
        var rng = SplitMix64(seed: 3)
        for g in [Self.cases[1], Self.cases[3], Self.cases[6], Self.cases[8]] {
            let x = NN.double(rng.floats(g.inputCount)), w = NN.double(rng.floats(g.weightCount))
            let b = NN.double(rng.floats(g.outChannels)), r = NN.double(rng.floats(g.outputCount))
            let gx = Conv2DReference.backwardData(g, gradOutput: r, weight: w)
            let (gw, gb) = Conv2DReference.backwardWeight(g, input: x, gradOutput: r)
            let nx = NN.numericGradient(x) { NN.dot(Conv2DReference.forward(g, input: $0, weight: w, bias: b), r) }
            let nw = NN.numericGradient(w) { NN.dot(Conv2DReference.forward(g, input: x, weight: $0, bias: b), r) }
            let nb = NN.numericGradient(b) { NN.dot(Conv2DReference.forward(g, input: x, weight: w, bias: $0), r) }
            XCTAssertLessThan(NN.relErr(gx, nx), 1e-6, "dx \(g)")
            XCTAssertLessThan(NN.relErr(gw, nw), 1e-6, "dw \(g)")
            XCTAssertLessThan(NN.relErr(gb, nb), 1e-6, "db \(g)")
        }
    }

    func testBackwardMatchesReference() {
        var rng = SplitMix64(seed: 4)
        for g in Self.cases {
            let x = rng.floats(g.inputCount), w = rng.floats(g.weightCount), gy = rng.floats(g.outputCount)
            let gw0 = rng.floats(g.weightCount), gb0 = rng.floats(g.outChannels)
            let refX = Conv2DReference.backwardData(g, gradOutput: NN.double(gy), weight: NN.double(w))
            let (refW, refB) = Conv2DReference.backwardWeight(g, input: NN.double(x), gradOutput: NN.double(gy))
            for budget in [1 << 19, 30] {
                NN.withSmallBands(budget) {
                    XCTAssertLessThan(NN.relErr(Self.backwardData(g, gy, w), refX), 1e-5, "dx \(g) \(budget)")
                    let (gw, gb) = Self.backwardWeight(g, x, gy, gw0, gb0)
                    XCTAssertLessThan(NN.relErr(gw, zip(refW, gw0).map { $0 + Double($1) }), 1e-5, "dw \(g)")
                    XCTAssertLessThan(NN.relErr(gb, zip(refB, gb0).map { $0 + Double($1) }), 1e-5, "db \(g)")
                }
            }
        }
    }

    func testBitIdenticalForOneAndTwoThreads() {
        var rng = SplitMix64(seed: 5)
        for g in [G(batch: 3, inChannels: 5, height: 17, width: 13, outChannels: 8, kernel: 3, stride: 1, padding: 1,
                    paddingMode: .reflect),
                  G(batch: 2, inChannels: 4, height: 15, width: 11, outChannels: 6, kernel: 3, stride: 2, padding: 1),
                  G(batch: 2, inChannels: 6, height: 9, width: 9, outChannels: 5, kernel: 1),
                  G(batch: 2, inChannels: 4, height: 23, width: 19, outChannels: 3, kernel: 3, stride: 1, padding: 1),
                  G(batch: 3, inChannels: 4, height: 20, width: 16, outChannels: 7, kernel: 3, stride: 1, padding: 1),
                  G(batch: 2, inChannels: 3, height: 14, width: 10, outChannels: 5, kernel: 5, stride: 1, padding: 2),
                  G(batch: 1, inChannels: 3, height: 31, width: 12, outChannels: 6, kernel: 3, stride: 2, padding: 1)] {
            let x = rng.floats(g.inputCount), w = rng.floats(g.weightCount), b = rng.floats(g.outChannels)
            let gy = rng.floats(g.outputCount), slopes = rng.floats(g.outChannels)
            let gw0 = [Float](repeating: 0, count: g.weightCount), gb0 = [Float](repeating: 0, count: g.outChannels)
            func all() -> [[Float]] {
                [600, 1 << 19].flatMap { budget in
                    NN.withSmallBands(budget) {
                        let (gw, gb) = Self.backwardWeight(g, x, gy, gw0, gb0)
                        return [Self.forward(g, x, w, b, .prelu, slopes), Self.backwardData(g, gy, w), gw, gb]
                    }
                }
            }
            let one = NN.withThreads(1, all)
            XCTAssertEqual(one, NN.withThreads(2, all), "\(g)")
            XCTAssertEqual(one, NN.withThreads(3, all), "\(g)")
        }
    }

    func testValidationNamesTheProblem() {
        func message(_ g: G) -> String {
            do { try g.validate(); return "" } catch { return error.message }
        }
        XCTAssertTrue(message(G(batch: 0, inChannels: 1, height: 4, width: 4, outChannels: 1, kernel: 3))
            .contains("batch"))
        XCTAssertTrue(message(G(batch: 1, inChannels: 1, height: 2, width: 4, outChannels: 1, kernel: 3))
            .contains("larger than the padded input"))
        XCTAssertTrue(message(G(batch: 1, inChannels: 1, height: 2, width: 4, outChannels: 1, kernel: 3,
                                padding: 2, paddingMode: .reflect)).contains("reflect"))
        XCTAssertTrue(message(G(batch: 1, inChannels: 1, height: 4, width: 4, outChannels: 1, kernel: 3, stride: 0))
            .contains("stride"))
        let g = Self.cases[0]
        XCTAssertThrowsError(try g.validateCounts("conv2d", input: g.inputCount - 1, weight: g.weightCount,
                                                  output: g.outputCount, bias: nil))
        XCTAssertThrowsError(try g.validateCounts("conv2d", input: g.inputCount, weight: g.weightCount,
                                                  output: g.outputCount, bias: 7))
    }
}
