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

    func check(_ shapes: [(Int, Int, Int)], coefficients: [(Float, Float)], seed: UInt64) {
        var seed = seed
        for (m, n, k) in shapes {
            for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                for (alpha, beta) in coefficients {
                    seed += 1
                    let e = compare(m, n, k, transA: ta, transB: tb, alpha: alpha, beta: beta, seed: seed)
                    XCTAssertLessThan(e, 1e-5 * Float(max(k, 1)).squareRoot(),
                                      "m=\(m) n=\(n) k=\(k) ta=\(ta) tb=\(tb) α=\(alpha) β=\(beta)")
                }
            }
        }
    }

    func testMatchesReferenceOnOddShapes() {
        check([(1, 1, 1), (7, 13, 5), (6, 16, 1), (5, 17, 33), (13, 31, 64), (64, 48, 300), (1, 100, 9),
               (100, 1, 9), (33, 65, 129), (0, 4, 4), (4, 4, 0), (0, 0, 3)],
              coefficients: [(1, 0), (0.5, 1), (-2, 0.25), (0, 0.5), (0, 0)], seed: 10)
    }

    /// Shapes on either side of the micro-tile (6×16, with 4-row tail tiles), the k block (`Blocking.kc`), the row
    /// block (144: one sweep vs several), the B packing chunk (2048 columns) and the column block (4096).
    func testMatchesReferenceAcrossBlockBoundaries() {
        let kc = GEMM.Blocking.kc
        check([(5, 15, kc - 1), (6, 16, kc), (7, 17, kc + 1), (12, 32, 2 * kc + 1), (143, 9, 20), (144, 10, 7),
               (151, 23, kc + 16),
               (8, 40, 9), (14, 33, 50), (128, 70, 50), (133, 17, 30),  // blocks ending in 4 + 3 or 4 + 4 rows
               (3, 255, 17), (2, 256, 3), (4, 273, 40), (19, 530, 11), (150, 530, 3), (2, 4100, 3)],
              coefficients: [(1, 0), (-0.75, 1.5)], seed: 1000)
    }

    /// With one row block, B is packed 2048 columns at a time (Bᵀ: 64, the next chunk's rows prefetched) into one
    /// reused buffer: several chunks, a ragged last one, several k blocks, both orientations of B; and with several
    /// row blocks the packed block is kept.
    func testMatchesReferenceAcrossPackingChunks() {
        check([(1, 2100, 400), (5, 2065, 100), (150, 2060, 20), (128, 200, 777), (9, 64, 30), (9, 65, 30)],
              coefficients: [(1, 0), (0.5, -1)], seed: 3000)
    }

    /// Calls big enough to be split over 2 threads, by columns (op(A) packed once, by both threads, over two
    /// row blocks and two k blocks) and by rows.
    func testMatchesReferenceWhenSplitAcrossThreads() {
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        Parallel.threadCount = 2
        check([(151, 300, GEMM.Blocking.kc + 16), (40, 2100, 20), (500, 60, 40)], coefficients: [(-0.75, 1.5)],
              seed: 2000)
    }

    /// C ← β·C for k = 0 or α = 0, and β = 0 overwrites C (NaN included) on edge tiles and over several k blocks.
    func testDegenerateCoefficientsAndNaNInC() {
        for (m, n, k) in [(7, 19, 400), (13, 5, 0), (1, 33, 2)] {
            for (alpha, beta) in [(Float(1), Float(0)), (0, 0), (0, 2), (1.5, 2)] {
                var rng = SplitMix64(seed: UInt64(m * 1000 + n * 10 + k))
                let a = rng.floats(m * k), b = rng.floats(k * n)
                var c = [Float](repeating: beta == 0 ? .nan : 1, count: m * n)
                a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in c.withUnsafeMutableBufferPointer { c in
                    GEMM.sgemm(transA: false, transB: false, m: m, n: n, k: k, alpha: alpha, a: a.baseAddress!,
                               lda: max(k, 1), b: b.baseAddress!, ldb: n, beta: beta, c: c.baseAddress!, ldc: n)
                } } }
                for i in 0..<m {
                    for j in 0..<n {
                        var s = 0.0
                        for p in 0..<k { s += Double(a[i * k + p]) * Double(b[p * n + j]) }
                        let want = Double(alpha) * s + (beta == 0 ? 0 : Double(beta))
                        XCTAssertEqual(Double(c[i * n + j]), want, accuracy: 1e-4 * (1 + abs(want)),
                                       "m=\(m) n=\(n) k=\(k) α=\(alpha) β=\(beta) at (\(i), \(j))")
                    }
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

    /// Large enough to be split across threads: by columns (m ≤ n, op(A) packed once and shared, including
    /// several row blocks with a short last one, and several parts per thread for n ≥ 2048) and by rows (m > n),
    /// with transposes, β ≠ 0 and several k blocks.
    func testBitIdenticalForAnyThreadCount() {
        for (m, n, k, ta, tb) in [(97, 203, 150, false, false), (301, 45, 300, true, true), (40, 190, 520, false, true),
                                  (150, 160, 400, true, false), (50, 700, 200, false, false), (30, 2100, 40, true, true)] {
            var rng = SplitMix64(seed: UInt64(m + n + k))
            let a = rng.floats(m * k), b = rng.floats(k * n), c0 = rng.floats(m * n)
            func run(_ threads: Int) -> [Float] {
                let saved = Parallel.threadCount
                defer { Parallel.threadCount = saved }
                Parallel.threadCount = threads
                var c = c0
                a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in c.withUnsafeMutableBufferPointer { c in
                    GEMM.sgemm(transA: ta, transB: tb, m: m, n: n, k: k, alpha: 0.7, a: a.baseAddress!,
                               lda: ta ? m : k, b: b.baseAddress!, ldb: tb ? k : n, beta: -0.3,
                               c: c.baseAddress!, ldc: n)
                } } }
                return c
            }
            let one = run(1)
            XCTAssertTrue(one == run(2), "1 vs 2 threads differ for m=\(m) n=\(n) k=\(k)")
            XCTAssertTrue(one == run(3), "1 vs 3 threads differ for m=\(m) n=\(n) k=\(k)")
        }
    }

    /// A prepacked B (packed by `PackedB.pack`, the slow way) gives the bits of plain `sgemm` and matches the
    /// reference, for 1 and 2 threads: odd and tiny shapes, several k blocks, column splits and row splits.
    func testPrepackedBMatchesPlainGEMMBitForBit() {
        for (m, n, k) in [(1, 1, 1), (7, 13, 5), (13, 33, 27), (32, 1000, 288), (40, 97, 800), (300, 70, 130),
                          (64, 4100, 100)] {
            var rng = SplitMix64(seed: UInt64(7 * m + n + k))
            let a = rng.floats(m * k), b = rng.floats(k * n), c0 = rng.floats(m * n)
            let layout = GEMM.PackedB(k: k, n: n)
            // Garbage first, so a padding column the packer fails to zero would show.
            var packed = [Float](repeating: .nan, count: layout.count)
            b.withUnsafeBufferPointer { b in packed.withUnsafeMutableBufferPointer { p in
                layout.pack(b.baseAddress!, ldb: n, into: p.baseAddress!)
            } }
            XCTAssertFalse(packed.contains { $0.isNaN }, "PackedB.pack left a float unwritten for \(m)×\(n)×\(k)")
            for threads in [1, 2] {
                let saved = Parallel.threadCount
                Parallel.threadCount = threads
                defer { Parallel.threadCount = saved }
                var plain = c0, pre = c0, ref = c0
                a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in packed.withUnsafeBufferPointer { pb in
                    plain.withUnsafeMutableBufferPointer { c in
                        GEMM.sgemm(transA: false, transB: false, m: m, n: n, k: k, alpha: 0.7, a: a.baseAddress!,
                                   lda: k, b: b.baseAddress!, ldb: n, beta: -0.3, c: c.baseAddress!, ldc: n)
                    }
                    pre.withUnsafeMutableBufferPointer { c in
                        GEMM.sgemm(m: m, n: n, k: k, alpha: 0.7, a: a.baseAddress!, lda: k, packedB: pb.baseAddress!,
                                   beta: -0.3, c: c.baseAddress!, ldc: n)
                    }
                    ref.withUnsafeMutableBufferPointer { c in
                        GEMM.sgemmReference(transA: false, transB: false, m: m, n: n, k: k, alpha: 0.7,
                                            a: a.baseAddress!, lda: k, b: b.baseAddress!, ldb: n, beta: -0.3,
                                            c: c.baseAddress!, ldc: n)
                    }
                } } }
                XCTAssertTrue(plain == pre, "prepacked B differs from sgemm for \(m)×\(n)×\(k), \(threads) threads")
                let worst = zip(pre, ref).map { abs($0 - $1) / (1 + abs($1)) }.max() ?? 0
                XCTAssertLessThan(worst, 1e-4 * Float(k).squareRoot(), "\(m)×\(n)×\(k)")
            }
        }
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

    /// The probe runs the rounds it is asked for: its checksum follows the closed form 1 + (c − 1)·xⁿ summed over
    /// the chains (computed in Double, stepped in Float with the same FMA, so equal to rounding), and it counts
    /// 2 FLOPs per lane per FMA.
    func testFMAProbeRunsTheRoundsAskedFor() {
        let chains = GEMM.probeChains, width = GEMM.Blocking.nr / 2
        let x = 1 - 1 / 1024.0
        for n in [0, 1, 7, 1000, 5000] {
            let (flops, checksum) = GEMM.fmaProbe(iterations: n)
            XCTAssertEqual(flops, n * chains * width * 2)
            var stepped = [Float](repeating: 0, count: chains)
            for c in 0..<chains {
                stepped[c] = Float(c)
                for _ in 0..<n { stepped[c] = Float(1 / 1024.0).addingProduct(stepped[c], Float(x)) }
            }
            var expected = 0.0
            for c in 0..<chains { expected += 1 + Double(c - 1) * pow(x, Double(n)) }
            XCTAssertEqual(checksum, stepped.reduce(0, +), accuracy: 1e-3, "n=\(n)")
            XCTAssertEqual(Double(checksum), expected, accuracy: 1e-3 * expected, "n=\(n)")
        }
    }
}
