import XCTest
@testable import SwiftLIC

final class AdamLossTests: XCTestCase {
    func run(_ h: Adam.Hyper, _ p: inout [Float], _ g: [Float], _ m: inout [Float], _ v: inout [Float]) {
        p.withUnsafeMutableBufferPointer { pb in m.withUnsafeMutableBufferPointer { mb in
            v.withUnsafeMutableBufferPointer { vb in withBuffers(g) { gb in Adam.step(h, param: pb, grad: gb, m: mb, v: vb) } }
        } }
    }

    func testAdamMatchesReferenceOverSeveralSteps() {
        for (wd, decoupled) in [(Float(0), false), (0.1, false), (0.05, true)] {
            var rng = SplitMix64(seed: 21)
            let n = 1031
            var p = rng.floats(n), m = [Float](repeating: 0, count: n), v = m
            var pr = LayerCheck.doubles(p), mr = [Double](repeating: 0, count: n), vr = mr
            for step in 1...8 {
                let g = rng.floats(n).map { $0 * Float(step) }
                let h = Adam.Hyper(lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: wd, decoupled: decoupled,
                                   step: step)
                run(h, &p, g, &m, &v)
                Adam.stepReference(h, param: &pr, grad: LayerCheck.doubles(g), m: &mr, v: &vr)
            }
            XCTAssertLessThan(LayerCheck.maxError(p, pr), 1e-5, "wd=\(wd) decoupled=\(decoupled)")
            XCTAssertLessThan(LayerCheck.maxError(m, mr), 1e-5)
            XCTAssertLessThan(LayerCheck.maxError(v, vr), 1e-5)
        }
    }

    func testAdamFirstStepMovesByLearningRate() {
        // With m = v = 0, step 1 gives m̂/√v̂ = sign(g): every parameter moves by lr against its gradient.
        var p: [Float] = [1, 1, 1], m: [Float] = [0, 0, 0], v: [Float] = [0, 0, 0]
        run(Adam.Hyper(lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-12, weightDecay: 0, decoupled: false, step: 1),
            &p, [3, -0.5, 0], &m, &v)
        XCTAssertEqual(p[0], 0.9, accuracy: 1e-6)
        XCTAssertEqual(p[1], 1.1, accuracy: 1e-6)
        XCTAssertEqual(p[2], 1)
    }

    func testAdamBitIdenticalForOneAndTwoThreads() {
        var rng = SplitMix64(seed: 22)
        let p0 = rng.floats(70001), g = rng.floats(70001)
        func once() -> [Float] {
            var p = p0, m = g, v = g.map { $0 * $0 }
            run(Adam.Hyper(lr: 0.001, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.01, decoupled: true, step: 3),
                &p, g, &m, &v)
            return p + m + v
        }
        XCTAssertEqual(LayerCheck.withThreads(1, once), LayerCheck.withThreads(2, once))
    }

    func testAdamValidation() {
        let ok = Adam.Hyper(lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false, step: 1)
        XCTAssertNoThrow(try Adam.validate(ok, param: 3, grad: 3, m: 3, v: 3))
        XCTAssertThrowsError(try Adam.validate(ok, param: 3, grad: 2, m: 3, v: 3))
        var bad = ok
        bad.step = 0
        XCTAssertThrowsError(try Adam.validate(bad, param: 3, grad: 3, m: 3, v: 3))
        bad = ok
        bad.beta2 = 1
        XCTAssertThrowsError(try Adam.validate(bad, param: 3, grad: 3, m: 3, v: 3))
    }

    func evaluate(_ kind: Loss.Kind, _ p: [Float], _ t: [Float]) -> (Double, [Float]) {
        var g = [Float](repeating: .nan, count: p.count)
        let l = withBuffers(p) { pb in withBuffers(t) { tb in
            g.withUnsafeMutableBufferPointer { Loss.evaluate(kind, pred: pb, target: tb, grad: $0) }
        } }
        return (l, g)
    }

    func testLossesMatchReferenceAndFiniteDifferences() {
        for kind in [Loss.Kind.mse, .l1] {
            var rng = SplitMix64(seed: 30)
            let p = rng.floats(9000), t = rng.floats(9000)
            let (l, g) = evaluate(kind, p, t)
            let r = Loss.evaluateReference(kind, pred: LayerCheck.doubles(p), target: LayerCheck.doubles(t))
            XCTAssertEqual(l, r.loss, accuracy: 1e-12 * max(1, r.loss))
            XCTAssertLessThan(LayerCheck.maxError(g, r.grad), 1e-7)
            // Gradient check on a small instance (L1 away from its kink).
            let ps = LayerCheck.doubles(Array(p[0..<7])), ts = LayerCheck.doubles(Array(t[0..<7]))
            let numeric = LayerCheck.numericGradient(ps) { Loss.evaluateReference(kind, pred: $0, target: ts).loss }
            XCTAssertLessThan(LayerCheck.maxError(Loss.evaluateReference(kind, pred: ps, target: ts).grad, numeric), 1e-7)
        }
    }

    func testReductionsBitIdenticalForOneAndTwoThreads() {
        var rng = SplitMix64(seed: 31)
        let p = rng.floats(100_003), t = rng.floats(100_003)
        func all() -> [Double] {
            [evaluate(.mse, p, t).0, evaluate(.l1, p, t).0, withBuffers(p) { Adam.sumOfSquares($0) }]
        }
        XCTAssertEqual(LayerCheck.withThreads(1, all), LayerCheck.withThreads(2, all))
        XCTAssertEqual(LayerCheck.withThreads(1, all), LayerCheck.withThreads(3, all))
        let exact = p.reduce(0.0) { $0 + Double($1) * Double($1) }
        XCTAssertEqual(withBuffers(p) { Adam.sumOfSquares($0) }, exact, accuracy: 1e-9 * exact)
    }

    func testLossValidation() {
        XCTAssertThrowsError(try Loss.validate(.mse, pred: 3, target: 4, grad: nil))
        XCTAssertThrowsError(try Loss.validate(.l1, pred: 0, target: 0, grad: nil))
        XCTAssertThrowsError(try Loss.validate(.l1, pred: 3, target: 3, grad: 2))
    }
}
