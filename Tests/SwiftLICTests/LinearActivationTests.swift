import XCTest
@testable import SwiftLIC

/// Linear, element-wise activations and PReLU: fast vs reference, reference vs finite differences, threads.
final class LinearActivationTests: XCTestCase {
    static func linear(_ n: Int, _ fin: Int, _ fout: Int, _ x: [Float], _ w: [Float], _ b: [Float]?) -> [Float] {
        var y = [Float](repeating: .nan, count: n * fout)
        x.withBuf { x in w.withBuf { w in ConvTests.withOptional(b) { b in y.withUnsafeMutableBufferPointer { y in
            Linear.forward(batch: n, inFeatures: fin, outFeatures: fout, input: x, weight: w, bias: b, output: y)
        } } } }
        return y
    }

    static func linearBackward(_ n: Int, _ fin: Int, _ fout: Int, _ x: [Float], _ w: [Float], _ gy: [Float],
                               _ gw: [Float], _ gb: [Float]) -> ([Float], [Float], [Float]) {
        var gx = [Float](repeating: .nan, count: n * fin), gw = gw, gb = gb
        x.withBuf { x in w.withBuf { w in gy.withBuf { gy in gx.withUnsafeMutableBufferPointer { gx in
            gw.withUnsafeMutableBufferPointer { gw in gb.withUnsafeMutableBufferPointer { gb in
                Linear.backward(batch: n, inFeatures: fin, outFeatures: fout, input: x, weight: w, gradOutput: gy,
                                gradInput: gx, gradWeight: gw, gradBias: gb)
            } }
        } } } }
        return (gx, gw, gb)
    }

    func testLinearMatchesReference() {
        var rng = SplitMix64(seed: 21)
        for (n, fin, fout) in [(1, 1, 1), (3, 7, 5), (5, 13, 2), (2, 3, 17)] {
            let x = rng.floats(n * fin), w = rng.floats(fout * fin), b = rng.floats(fout), gy = rng.floats(n * fout)
            let gw0 = rng.floats(fout * fin), gb0 = rng.floats(fout)
            let ref = LinearReference.forward(batch: n, inFeatures: fin, outFeatures: fout, input: NN.double(x),
                                              weight: NN.double(w), bias: NN.double(b))
            XCTAssertLessThan(NN.relErr(Self.linear(n, fin, fout, x, w, b), ref), 1e-5)
            let (rx, rw, rb) = LinearReference.backward(batch: n, inFeatures: fin, outFeatures: fout,
                                                        input: NN.double(x), weight: NN.double(w),
                                                        gradOutput: NN.double(gy))
            let (gx, gw, gb) = Self.linearBackward(n, fin, fout, x, w, gy, gw0, gb0)
            XCTAssertLessThan(NN.relErr(gx, rx), 1e-5)
            XCTAssertLessThan(NN.relErr(gw, zip(rw, gw0).map { $0 + Double($1) }), 1e-5)
            XCTAssertLessThan(NN.relErr(gb, zip(rb, gb0).map { $0 + Double($1) }), 1e-5)
        }
    }

    func testLinearReferenceMatchesFiniteDifferences() {
        var rng = SplitMix64(seed: 22)
        let (n, fin, fout) = (3, 4, 5)
        let x = NN.double(rng.floats(n * fin)), w = NN.double(rng.floats(fout * fin)), b = NN.double(rng.floats(fout))
        let r = NN.double(rng.floats(n * fout))
        let f = { (x: [Double], w: [Double], b: [Double]) in
            NN.dot(LinearReference.forward(batch: n, inFeatures: fin, outFeatures: fout, input: x, weight: w,
                                           bias: b), r)
        }
        let (gx, gw, gb) = LinearReference.backward(batch: n, inFeatures: fin, outFeatures: fout, input: x,
                                                    weight: w, gradOutput: r)
        XCTAssertLessThan(NN.relErr(gx, NN.numericGradient(x) { f($0, w, b) }), 1e-6)
        XCTAssertLessThan(NN.relErr(gw, NN.numericGradient(w) { f(x, $0, b) }), 1e-6)
        XCTAssertLessThan(NN.relErr(gb, NN.numericGradient(b) { f(x, w, $0) }), 1e-6)
    }

    func testActivationsMatchReferenceAndFiniteDifferences() {
        var rng = SplitMix64(seed: 23)
        let x = rng.floats(1001).map { $0 * 4 }, gy = rng.floats(1001)
        for act in [Activation.identity, .relu, .sigmoid, .tanh] {
            var y = [Float](repeating: .nan, count: x.count), gx = y
            x.withBuf { xb in y.withUnsafeMutableBufferPointer { act.forward(xb, $0) } }
            y.withBuf { yb in gy.withBuf { g in gx.withUnsafeMutableBufferPointer {
                act.backward(output: yb, gradOutput: g, gradInput: $0)
            } } }
            let ref = x.map { ActivationReference.forward(act, Double($0)) }
            let refG = x.indices.map { Double(gy[$0]) * ActivationReference.derivative(act, Double(x[$0])) }
            XCTAssertLessThan(NN.relErr(y, ref), 1e-6, "\(act)")
            XCTAssertLessThan(NN.relErr(gx, refG), 1e-6, "\(act)")
            // The reference derivative against central differences (away from the ReLU kink).
            for v in [-2.5, -0.3, 0.7, 1.9] {
                let h = 1e-6
                let num = (ActivationReference.forward(act, v + h) - ActivationReference.forward(act, v - h)) / (2 * h)
                XCTAssertEqual(ActivationReference.derivative(act, v), num, accuracy: 1e-7, "\(act) at \(v)")
            }
            // In place.
            var inPlace = x
            inPlace.withUnsafeMutableBufferPointer { p in act.forward(UnsafeBufferPointer(p), p) }
            XCTAssertEqual(inPlace, y)
        }
    }

    static func prelu(_ x: [Float], _ a: [Float], _ n: Int, _ c: Int, _ s: Int) -> [Float] {
        var y = [Float](repeating: .nan, count: x.count)
        x.withBuf { x in a.withBuf { a in y.withUnsafeMutableBufferPointer { y in
            PReLU.forward(x, slopes: a, output: y, batch: n, channels: c, spatial: s)
        } } }
        return y
    }

    static func preluBackward(_ x: [Float], _ a: [Float], _ gy: [Float], _ ga: [Float], _ n: Int, _ c: Int,
                              _ s: Int) -> ([Float], [Float]) {
        var gx = [Float](repeating: .nan, count: x.count), ga = ga
        x.withBuf { x in a.withBuf { a in gy.withBuf { gy in gx.withUnsafeMutableBufferPointer { gx in
            ga.withUnsafeMutableBufferPointer { ga in
                PReLU.backward(x, slopes: a, gradOutput: gy, gradInput: gx, gradSlopes: ga, batch: n, channels: c,
                               spatial: s)
            }
        } } } }
        return (gx, ga)
    }

    func testPReLUMatchesReferenceAndFiniteDifferences() {
        var rng = SplitMix64(seed: 24)
        for (n, c, s) in [(1, 1, 1), (2, 3, 7), (3, 5, 1), (2, 4, 33)] {
            let x = rng.floats(n * c * s), a = rng.floats(c), gy = rng.floats(n * c * s), ga0 = rng.floats(c)
            let ref = ActivationReference.prelu(NN.double(x), slopes: NN.double(a), channels: c, spatial: s)
            XCTAssertLessThan(NN.relErr(Self.prelu(x, a, n, c, s), ref), 1e-6)
            let (rx, ra) = ActivationReference.preluBackward(NN.double(x), slopes: NN.double(a),
                                                             gradOutput: NN.double(gy), channels: c, spatial: s)
            let (gx, ga) = Self.preluBackward(x, a, gy, ga0, n, c, s)
            XCTAssertLessThan(NN.relErr(gx, rx), 1e-6)
            XCTAssertLessThan(NN.relErr(ga, zip(ra, ga0).map { $0 + Double($1) }), 1e-5)
            // Reference gradient vs finite differences of the reference forward.
            let dx = NN.double(x), da = NN.double(a), r = NN.double(gy)
            let nx = NN.numericGradient(dx) { NN.dot(ActivationReference.prelu($0, slopes: da, channels: c, spatial: s), r) }
            let na = NN.numericGradient(da) { NN.dot(ActivationReference.prelu(dx, slopes: $0, channels: c, spatial: s), r) }
            XCTAssertLessThan(NN.relErr(rx, nx), 1e-6)
            XCTAssertLessThan(NN.relErr(ra, na), 1e-6)
        }
    }

    func testBitIdenticalForOneAndTwoThreads() {
        var rng = SplitMix64(seed: 25)
        let (n, fin, fout) = (37, 29, 23)
        let x = rng.floats(n * fin), w = rng.floats(fout * fin), b = rng.floats(fout), gy = rng.floats(n * fout)
        let (pn, pc, ps) = (3, 7, 2001)
        let px = rng.floats(pn * pc * ps), pa = rng.floats(pc), pgy = rng.floats(pn * pc * ps)
        func all() -> [[Float]] {
            let (gx, gw, gb) = Self.linearBackward(n, fin, fout, x, w, gy, [Float](repeating: 0, count: fout * fin),
                                                   [Float](repeating: 0, count: fout))
            let (pgx, pga) = Self.preluBackward(px, pa, pgy, [Float](repeating: 0, count: pc), pn, pc, ps)
            return [Self.linear(n, fin, fout, x, w, b), gx, gw, gb, Self.prelu(px, pa, pn, pc, ps), pgx, pga]
        }
        let one = NN.withThreads(1, all)
        XCTAssertEqual(one, NN.withThreads(2, all))
    }
}
