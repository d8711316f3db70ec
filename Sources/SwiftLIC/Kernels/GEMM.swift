/// Single-precision general matrix multiply, row-major: C ← α·op(A)·op(B) + β·C.
///
/// op(A) is m×k (A is k×m when `transA`), op(B) is k×n (B is n×k when `transB`), C is m×n. Leading dimensions
/// are row strides in elements. When β = 0, C is not read (NaNs in C do not propagate), as in BLAS.
///
/// Results are bit-identical for any `Parallel.threadCount`: threads split C by blocks of rows and columns,
/// and each element's sum over k runs in the same order whatever the split.
public enum GEMM {
    /// - Precondition: m, n, k ≥ 0; lda ≥ (transA ? m : k); ldb ≥ (transB ? k : n); ldc ≥ n; buffers large
    ///   enough for those shapes. `validate` checks this for callers at the ABI.
    public static func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                             a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                             beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        if m == 0 || n == 0 { return }
        // Placeholder row-parallel kernel: correct, to be replaced by the packed micro-kernel.
        Parallel.forRanges(m) { rows in
            for i in rows {
                let ci = c + i * ldc
                if beta == 0 { for j in 0..<n { ci[j] = 0 } } else if beta != 1 { for j in 0..<n { ci[j] *= beta } }
                for p in 0..<k {
                    let x = alpha * (transA ? a[p * lda + i] : a[i * lda + p])
                    if transB {
                        for j in 0..<n { ci[j] += x * b[j * ldb + p] }
                    } else {
                        let bp = b + p * ldb
                        for j in 0..<n { ci[j] += x * bp[j] }
                    }
                }
            }
        }
    }

    /// Checks shapes, strides and buffer lengths (in elements) for `sgemm`; throws `invalidArgument` naming what
    /// is wrong.
    public static func validate(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                                aCount: Int, lda: Int, bCount: Int, ldb: Int, cCount: Int, ldc: Int) throws(SLICError) {
        try require(m >= 0 && n >= 0 && k >= 0, "gemm: expected m, n, k ≥ 0, got m=\(m) n=\(n) k=\(k)")
        let (aRows, aCols) = transA ? (k, m) : (m, k)
        let (bRows, bCols) = transB ? (n, k) : (k, n)
        try require(lda >= max(1, aCols), "gemm: lda=\(lda) is smaller than A's \(aCols) columns")
        try require(ldb >= max(1, bCols), "gemm: ldb=\(ldb) is smaller than B's \(bCols) columns")
        try require(ldc >= max(1, n), "gemm: ldc=\(ldc) is smaller than C's \(n) columns")
        func need(_ rows: Int, _ cols: Int, _ ld: Int) -> Int { rows == 0 || cols == 0 ? 0 : (rows - 1) * ld + cols }
        try require(aCount >= need(aRows, aCols, lda), "gemm: A holds \(aCount) values, needs \(need(aRows, aCols, lda))")
        try require(bCount >= need(bRows, bCols, ldb), "gemm: B holds \(bCount) values, needs \(need(bRows, bCols, ldb))")
        try require(cCount >= need(m, n, ldc), "gemm: C holds \(cCount) values, needs \(need(m, n, ldc))")
    }
}
