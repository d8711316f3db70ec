import XCTest
@testable import SwiftLIC

final class GDNTests: XCTestCase {
    struct Case { var n, c, h, w: Int; var inverse: Bool }

    /// Random x, positive β and non-negative γ (as the reparametrisation guarantees).
    func inputs(_ t: Case, seed: UInt64) -> (x: [Float], beta: [Float], gamma: [Float], gy: [Float]) {
        var rng = SplitMix64(seed: seed)
        let count = t.n * t.c * t.h * t.w
        let x = rng.floats(count).map { 2 * $0 }
        let beta = (0..<t.c).map { _ in 0.5 + abs(rng.float()) }
        let gamma = (0..<(t.c * t.c)).map { _ in 0.3 * abs(rng.float()) }
        return (x, beta, gamma, rng.floats(count))
    }

    func fast(_ t: Case, _ x: [Float], _ beta: [Float], _ gamma: [Float], _ gy: [Float])
        -> (y: [Float], gx: [Float], gBeta: [Float], gGamma: [Float]) {
        let p = t.h * t.w
        let y = x.withUnsafeBufferPointer { xb in beta.withUnsafeBufferPointer { bb in gamma.withUnsafeBufferPointer { gb in
            produce(x.count) { GDN.forward(inverse: t.inverse, n: t.n, c: t.c, pixels: p, x: xb, beta: bb, gamma: gb, y: $0) }
        } } }
        var gx = [Float](repeating: .nan, count: x.count), gB = [Float](repeating: .nan, count: t.c)
        var gG = [Float](repeating: .nan, count: t.c * t.c)
        x.withUnsafeBufferPointer { xb in beta.withUnsafeBufferPointer { bb in gamma.withUnsafeBufferPointer { gb in
            gy.withUnsafeBufferPointer { gyb in gx.withUnsafeMutableBufferPointer { gxb in
                gB.withUnsafeMutableBufferPointer { gBb in gG.withUnsafeMutableBufferPointer { gGb in
                    GDN.backward(inverse: t.inverse, n: t.n, c: t.c, pixels: p, x: xb, beta: bb, gamma: gb, gy: gyb,
                                 gx: gxb, gBeta: gBb, gGamma: gGb)
                } }
            } }
        } } }
        return (y, gx, gB, gG)
    }

    let cases = [Case(n: 1, c: 1, h: 1, w: 1, inverse: false), Case(n: 1, c: 3, h: 5, w: 7, inverse: false),
                 Case(n: 2, c: 5, h: 3, w: 9, inverse: true), Case(n: 3, c: 4, h: 1, w: 13, inverse: false),
                 Case(n: 2, c: 7, h: 11, w: 5, inverse: true)]

    func testMatchesReference() {
        for (k, t) in cases.enumerated() {
            let (x, beta, gamma, gy) = inputs(t, seed: UInt64(100 + k))
            let got = fast(t, x, beta, gamma, gy)
            let p = t.h * t.w
            let (xd, bd, gd, gyd) = (LayerCheck.doubles(x), LayerCheck.doubles(beta), LayerCheck.doubles(gamma),
                                     LayerCheck.doubles(gy))
            let y = GDN.forwardReference(inverse: t.inverse, n: t.n, c: t.c, pixels: p, x: xd, beta: bd, gamma: gd)
            let r = GDN.backwardReference(inverse: t.inverse, n: t.n, c: t.c, pixels: p, x: xd, beta: bd, gamma: gd,
                                          gy: gyd)
            XCTAssertLessThan(LayerCheck.maxError(got.y, y), 1e-5, "y \(t)")
            XCTAssertLessThan(LayerCheck.maxError(got.gx, r.gx), 1e-5, "gx \(t)")
            XCTAssertLessThan(LayerCheck.maxError(got.gBeta, r.gBeta), 1e-5, "gβ \(t)")
            XCTAssertLessThan(LayerCheck.maxError(got.gGamma, r.gGamma), 1e-5, "gγ \(t)")
        }
    }

    /// The Double reference backward agrees with central differences of the reference forward, for x, β and γ.
    func testGradientsByFiniteDifferences() {
        for inverse in [false, true] {
            let t = Case(n: 2, c: 3, h: 2, w: 3, inverse: inverse)
            let (x, beta, gamma, gy) = inputs(t, seed: inverse ? 7 : 8)
            let (xd, bd, gd, gyd) = (LayerCheck.doubles(x), LayerCheck.doubles(beta), LayerCheck.doubles(gamma),
                                     LayerCheck.doubles(gy))
            let p = t.h * t.w
            func loss(_ x: [Double], _ b: [Double], _ g: [Double]) -> Double {
                LayerCheck.dot(gyd, GDN.forwardReference(inverse: inverse, n: t.n, c: t.c, pixels: p, x: x, beta: b,
                                                         gamma: g))
            }
            let r = GDN.backwardReference(inverse: inverse, n: t.n, c: t.c, pixels: p, x: xd, beta: bd, gamma: gd, gy: gyd)
            XCTAssertLessThan(LayerCheck.maxError(r.gx, LayerCheck.numericGradient(xd) { loss($0, bd, gd) }), 1e-6)
            XCTAssertLessThan(LayerCheck.maxError(r.gBeta, LayerCheck.numericGradient(bd) { loss(xd, $0, gd) }), 1e-6)
            XCTAssertLessThan(LayerCheck.maxError(r.gGamma, LayerCheck.numericGradient(gd) { loss(xd, bd, $0) }), 1e-6)
        }
    }

    func testIdentityWhenGammaIsZeroAndBetaOne() {
        let t = Case(n: 1, c: 2, h: 2, w: 2, inverse: false)
        let x: [Float] = [1, -2, 3, 0.5, -1, 4, 0, 2]
        let got = fast(t, x, [1, 1], [0, 0, 0, 0], [Float](repeating: 1, count: 8))
        XCTAssertEqual(got.y, x)
    }

    func testBitIdenticalForOneAndTwoThreads() {
        for inverse in [false, true] {
            let t = Case(n: 2, c: 9, h: 17, w: 13, inverse: inverse)
            let (x, beta, gamma, gy) = inputs(t, seed: 5)
            let one = LayerCheck.withThreads(1) { fast(t, x, beta, gamma, gy) }
            let two = LayerCheck.withThreads(2) { fast(t, x, beta, gamma, gy) }
            XCTAssertEqual(one.y, two.y)
            XCTAssertEqual(one.gx, two.gx)
            XCTAssertEqual(one.gBeta, two.gBeta)
            XCTAssertEqual(one.gGamma, two.gGamma)
        }
    }

    func testValidationNamesTheProblem() {
        XCTAssertThrowsError(try GDN.validate(n: 1, c: 3, h: 2, w: 2, x: 12, beta: 2, gamma: 9, outputs: [])) { e in
            XCTAssertTrue((e as! SLICError).message.contains("beta holds 2 values, expected 3"), "\(e)")
        }
        XCTAssertThrowsError(try GDN.validate(n: 0, c: 3, h: 2, w: 2, x: 0, beta: 3, gamma: 9, outputs: []))
        XCTAssertThrowsError(try GDN.validate(n: 1, c: 3, h: 2, w: 2, x: 12, beta: 3, gamma: 9,
                                              outputs: [("grad_gamma", 8)]))
        XCTAssertNoThrow(try GDN.validate(n: 1, c: 3, h: 2, w: 2, x: 12, beta: 3, gamma: 9,
                                          outputs: [("y", 12), ("grad_beta", 3), ("grad_gamma", 9)]))
    }
}
