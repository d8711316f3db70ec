import XCTest
@testable import SwiftLIC

final class GEMMTests: XCTestCase {
    /// Runs fast and reference GEMM on the same random inputs and returns the max relative error.
    func compare(_ m: Int, _ n: Int, _ k: Int, transA: Bool, transB: Bool, alpha: Float, beta: Float,
                 seed: UInt64) -> Float {
        var rng = SplitMix64(seed: seed)
        let lda = (transA ? m : k) + 3, ldb = (transB ? k : n) + 1, ldc = n + 2
        let a = rng.floats((transA ? k : m) * lda), b = rng.floats((transB ? n : k) * ldb)
        let c0 = rng.floats(m * ldc)
        var fast = c0, ref = c0
        a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in
            fast.withUnsafeMutableBufferPointer { c in
                GEMM.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a.baseAddress!,
                           lda: lda, b: b.baseAddress!, ldb: ldb, beta: beta, c: c.baseAddress!, ldc: ldc)
            }
            ref.withUnsafeMutableBufferPointer { c in
                GEMM.sgemmReference(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                                    a: a.baseAddress!, lda: lda, b: b.baseAddress!, ldb: ldb, beta: beta,
                                    c: c.baseAddress!, ldc: ldc)
            }
        } }
        var worst: Float = 0
        for i in 0..<m {
            for j in 0..<ldc {
                let f = fast[i * ldc + j], r = ref[i * ldc + j]
                if j >= n { XCTAssertEqual(f, c0[i * ldc + j], "padding column touched"); continue }
                worst = max(worst, abs(f - r) / (1 + abs(r)))
            }
        }
        return worst
    }

    func testMatchesReferenceOnOddShapes() {
        let shapes = [(1, 1, 1), (7, 13, 5), (6, 16, 1), (5, 17, 33), (13, 31, 64), (64, 48, 300), (1, 100, 9),
                      (100, 1, 9), (33, 65, 129), (0, 4, 4), (4, 4, 0)]
        var seed: UInt64 = 10
        for (m, n, k) in shapes {
            for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                for (alpha, beta) in [(Float(1), Float(0)), (0.5, 1), (-2, 0.25)] {
                    seed += 1
                    let e = compare(m, n, k, transA: ta, transB: tb, alpha: alpha, beta: beta, seed: seed)
                    XCTAssertLessThan(e, 1e-5 * Float(max(k, 1)).squareRoot(),
                                      "m=\(m) n=\(n) k=\(k) ta=\(ta) tb=\(tb) α=\(alpha) β=\(beta)")
                }
            }
        }
    }

    func testBetaZeroIgnoresNaN() {
        var c = [Float](repeating: .nan, count: 4)
        let a: [Float] = [1, 2, 3, 4], b: [Float] = [1, 0, 0, 1]
        a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in c.withUnsafeMutableBufferPointer { c in
            GEMM.sgemm(transA: false, transB: false, m: 2, n: 2, k: 2, alpha: 1, a: a.baseAddress!, lda: 2,
                       b: b.baseAddress!, ldb: 2, beta: 0, c: c.baseAddress!, ldc: 2)
        } } }
        XCTAssertEqual(c, [1, 2, 3, 4])
    }

    func testBitIdenticalForOneAndTwoThreads() {
        let (m, n, k) = (97, 203, 150)
        var rng = SplitMix64(seed: 99)
        let a = rng.floats(m * k), b = rng.floats(k * n)
        func run(_ threads: Int) -> [Float] {
            let saved = Parallel.threadCount
            defer { Parallel.threadCount = saved }
            Parallel.threadCount = threads
            var c = [Float](repeating: 0, count: m * n)
            a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in c.withUnsafeMutableBufferPointer { c in
                GEMM.sgemm(transA: false, transB: false, m: m, n: n, k: k, alpha: 1, a: a.baseAddress!, lda: k,
                           b: b.baseAddress!, ldb: n, beta: 0, c: c.baseAddress!, ldc: n)
            } } }
            return c
        }
        let one = run(1)
        XCTAssertEqual(one, run(2))
        XCTAssertEqual(one, run(3))
    }

    func testValidateRejectsBadShapes() {
        XCTAssertThrowsError(try GEMM.validate(transA: false, transB: false, m: 2, n: 2, k: 2, aCount: 3, lda: 2,
                                               bCount: 4, ldb: 2, cCount: 4, ldc: 2))
        XCTAssertThrowsError(try GEMM.validate(transA: false, transB: false, m: 2, n: 2, k: 2, aCount: 4, lda: 1,
                                               bCount: 4, ldb: 2, cCount: 4, ldc: 2))
        XCTAssertThrowsError(try GEMM.validate(transA: false, transB: false, m: -1, n: 2, k: 2, aCount: 4, lda: 2,
                                               bCount: 4, ldb: 2, cCount: 4, ldc: 2))
        XCTAssertNoThrow(try GEMM.validate(transA: true, transB: true, m: 3, n: 2, k: 4, aCount: 12, lda: 3,
                                           bCount: 8, ldb: 4, cCount: 6, ldc: 2))
    }
}
