import XCTest
@testable import SwiftLIC

/// DWT97: lifting vs Annex F's filter bank, perfect reconstruction, adjoints (dot products and finite
/// differences), the subband weights' meaning, thread invariance, argument checks.
final class DWT97Tests: XCTestCase {
    // (planes, height, width, levels): odd and even sizes, the smallest legal ones, strips wider than 64.
    let shapes = [(1, 2, 2, 1), (1, 3, 2, 1), (2, 5, 7, 2), (1, 13, 9, 3), (3, 16, 16, 4), (1, 9, 130, 2),
                  (1, 4, 3, 2), (2, 6, 11, 0)]

    func run(_ op: DWT97.Operation, _ s: (Int, Int, Int, Int), _ x: [Float]) -> [Float] {
        let (p, h, w, l) = s
        return withBuffers(x) { xb in
            produce(x.count) { DWT97.apply(op, levels: l, planes: p, height: h, width: w, x: xb, y: $0) }
        }
    }

    func testEveryOperationMatchesTheFilterBankReference() {
        for (k, s) in shapes.enumerated() {
            var rng = SplitMix64(seed: UInt64(10 + k))
            let (p, h, w, l) = s
            let x = rng.floats(p * h * w)
            // The adjoint references build the matrix column by column: small planes only.
            let ops: [DWT97.Operation] = h * w <= 256 ? [.analysis, .synthesis, .analysisAdjoint, .synthesisAdjoint]
                                                      : [.analysis, .synthesis]
            for op in ops {
                let reference = DWT97.applyReference(op, levels: l, planes: p, height: h, width: w,
                                                     x: LayerCheck.doubles(x))
                XCTAssertLessThan(LayerCheck.maxError(run(op, s, x), reference), 2e-5, "\(op) \(s)")
            }
        }
    }

    func testSynthesisInvertsAnalysis() {
        var rng = SplitMix64(seed: 1)
        for s in [(3, 64, 96, 5), (1, 33, 17, 5), (2, 512 / 8, 768 / 8, 3)] {
            let x = rng.floats(s.0 * s.1 * s.2)
            let back = run(.synthesis, s, run(.analysis, s, x))
            XCTAssertLessThan(LayerCheck.maxError(back, LayerCheck.doubles(x)), 2e-6, "\(s)")
            let back2 = run(.analysis, s, run(.synthesis, s, x))
            XCTAssertLessThan(LayerCheck.maxError(back2, LayerCheck.doubles(x)), 2e-6, "\(s)")
        }
    }

    func testAdjointsByDotProductsAndFiniteDifferences() {
        var rng = SplitMix64(seed: 2)
        let s = (2, 21, 38, 3)
        let n = s.0 * s.1 * s.2
        let x = rng.floats(n), g = rng.floats(n)
        for (op, adjoint) in [(DWT97.Operation.analysis, DWT97.Operation.analysisAdjoint), (.synthesis, .synthesisAdjoint)] {
            // ⟨M x, g⟩ = ⟨x, Mᵀ g⟩ for the float kernels.
            let lhs = LayerCheck.dot(LayerCheck.doubles(run(op, s, x)), LayerCheck.doubles(g))
            let rhs = LayerCheck.dot(LayerCheck.doubles(x), LayerCheck.doubles(run(adjoint, s, g)))
            XCTAssertEqual(lhs, rhs, accuracy: 1e-4 * (1 + abs(lhs)), "\(op)")
        }
        // The backward pass is the gradient of ⟨g, M x⟩ (finite differences of the Double reference).
        let small = (1, 7, 6, 2)
        let xs = LayerCheck.doubles(rng.floats(42)), gs = rng.floats(42)
        for (op, adjoint) in [(DWT97.Operation.analysis, DWT97.Operation.analysisAdjoint), (.synthesis, .synthesisAdjoint)] {
            let numeric = LayerCheck.numericGradient(xs) {
                LayerCheck.dot(LayerCheck.doubles(gs), DWT97.applyReference(op, levels: 2, planes: 1, height: 7, width: 6, x: $0))
            }
            XCTAssertLessThan(LayerCheck.maxError(run(adjoint, small, gs), numeric), 1e-5, "\(op)")
        }
    }

    func testWeightedCoefficientsCarryImageEnergy() {
        // A unit change of a coefficient mid-band (its basis function clear of the edges) changes the image by (nearly) unit energy, in every subband.
        let s = (1, 128, 128, 4)
        let zero = [Float](repeating: 0, count: 128 * 128)
        for (i, j) in [(4, 4), (4, 12), (12, 4), (12, 12), (8, 24), (24, 8), (24, 24), (16, 48), (48, 16), (48, 48),
                       (32, 96), (96, 32), (96, 96)] {
            var e = zero
            e[i * 128 + j] = 1
            let image = run(.synthesis, s, e)
            let energy = image.reduce(0.0) { $0 + Double($1) * Double($1) }
            XCTAssertEqual(energy, 1, accuracy: 1e-3, "coefficient (\(i), \(j))")
        }
        // Unweighted, the 9/7 bands differ in gain: the weights are not all 1.
        let w = DWT97.Weights.table(levels: 4)
        XCTAssertGreaterThan(Set(w.low + w.high).count, 4)
    }

    func testThreadCountDoesNotChangeResults() {
        var rng = SplitMix64(seed: 3)
        let s = (3, 70, 150, 4)
        let x = rng.floats(s.0 * s.1 * s.2)
        for op in [DWT97.Operation.analysis, .synthesis, .analysisAdjoint, .synthesisAdjoint] {
            let one = LayerCheck.withThreads(1) { run(op, s, x) }
            for t in [2, 3] { XCTAssertEqual(LayerCheck.withThreads(t) { run(op, s, x) }, one, "\(op) \(t) threads") }
        }
    }

    func testValidationNamesWhatIsWrong() {
        XCTAssertThrowsError(try DWT97.validate(levels: 3, planes: 1, height: 4, width: 64, input: 256, output: 256)) {
            XCTAssertTrue("\($0)".contains("3 levels need a plane of at least 5×5"), "\($0)")
        }
        XCTAssertThrowsError(try DWT97.validate(levels: 11, planes: 1, height: 4096, width: 4096, input: 1 << 24,
                                                output: 1 << 24))
        XCTAssertThrowsError(try DWT97.validate(levels: 1, planes: 2, height: 4, width: 4, input: 32, output: 31))
        XCTAssertThrowsError(try DWT97.validate(levels: 1, planes: 0, height: 4, width: 4, input: 0, output: 0))
        XCTAssertNoThrow(try DWT97.validate(levels: 3, planes: 1, height: 5, width: 5, input: 25, output: 25))
    }
}
