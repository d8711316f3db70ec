/// The product y = W·col for convolutions with very few output channels (an RGB or grey output layer).
///
/// A packed GEMM spends its 6-row micro-tile on 3 rows here and copies every edge tile; this kernel instead
/// streams each row of `col` through registers once for all Cout ≤ 3 rows of W: a tile of 3 rows × 32 columns
/// keeps 12 eight-wide accumulators while k runs. Each output's sum over k runs in order 0..<k whatever the
/// column split, so results are bit-identical for any thread count.
extension Conv2D {
    static let thinMaxRows = 3

    /// c[i, j] = Σ_p a[i, p]·b[p, j] for i < m ≤ 3 (row-major; β = 0, α = 1).
    static func thinProduct(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>,
                            ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int) {
        precondition(m >= 1 && m <= thinMaxRows)
        // Rows past m read row 0 of A and are never stored: the tile always does 3 rows of arithmetic.
        let a0 = a, a1 = m > 1 ? a + lda : a, a2 = m > 2 ? a + 2 * lda : a
        Parallel.forRanges(n, granularity: 32) { cols in
            var j = cols.lowerBound
            while j + 32 <= cols.upperBound {
                var c00 = SIMD8<Float>(), c01 = SIMD8<Float>(), c02 = SIMD8<Float>(), c03 = SIMD8<Float>()
                var c10 = SIMD8<Float>(), c11 = SIMD8<Float>(), c12 = SIMD8<Float>(), c13 = SIMD8<Float>()
                var c20 = SIMD8<Float>(), c21 = SIMD8<Float>(), c22 = SIMD8<Float>(), c23 = SIMD8<Float>()
                var bp = UnsafeRawPointer(b + j)
                for p in 0..<k {
                    let b0 = bp.loadUnaligned(as: SIMD8<Float>.self)
                    let b1 = bp.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
                    let b2 = bp.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self)
                    let b3 = bp.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self)
                    let w0 = SIMD8<Float>(repeating: a0[p]), w1 = SIMD8<Float>(repeating: a1[p])
                    let w2 = SIMD8<Float>(repeating: a2[p])
                    c00.addProduct(w0, b0); c01.addProduct(w0, b1); c02.addProduct(w0, b2); c03.addProduct(w0, b3)
                    c10.addProduct(w1, b0); c11.addProduct(w1, b1); c12.addProduct(w1, b2); c13.addProduct(w1, b3)
                    c20.addProduct(w2, b0); c21.addProduct(w2, b1); c22.addProduct(w2, b2); c23.addProduct(w2, b3)
                    bp += ldb * MemoryLayout<Float>.stride
                }
                store(c + j, c00, c01, c02, c03)
                if m > 1 { store(c + ldc + j, c10, c11, c12, c13) }
                if m > 2 { store(c + 2 * ldc + j, c20, c21, c22, c23) }
                j += 32
            }
            // Tail columns: the same k-order, one column at a time.
            while j < cols.upperBound {
                for i in 0..<m {
                    let ai = a + i * lda
                    var s: Float = 0
                    for p in 0..<k { s.addProduct(ai[p], b[p * ldb + j]) }
                    c[i * ldc + j] = s
                }
                j += 1
            }
        }
    }

    @inline(__always)
    private static func store(_ p: UnsafeMutablePointer<Float>, _ v0: SIMD8<Float>, _ v1: SIMD8<Float>,
                              _ v2: SIMD8<Float>, _ v3: SIMD8<Float>) {
        let out = UnsafeMutableRawPointer(p)
        out.storeBytes(of: v0, as: SIMD8<Float>.self)
        out.storeBytes(of: v1, toByteOffset: 32, as: SIMD8<Float>.self)
        out.storeBytes(of: v2, toByteOffset: 64, as: SIMD8<Float>.self)
        out.storeBytes(of: v3, toByteOffset: 96, as: SIMD8<Float>.self)
    }
}
