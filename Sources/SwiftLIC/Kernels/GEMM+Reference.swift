/// The obvious triple loop for `GEMM.sgemm`, accumulated in Double: the twin every fast path is tested against.
extension GEMM {
    public static func sgemmReference(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                                      a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                                      beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for p in 0..<k {
                    let x = transA ? a[p * lda + i] : a[i * lda + p]
                    let y = transB ? b[j * ldb + p] : b[p * ldb + j]
                    s += Double(x) * Double(y)
                }
                let prior: Float = beta == 0 ? 0 : beta * c[i * ldc + j]
                c[i * ldc + j] = Float(Double(alpha) * s) + prior
            }
        }
    }
}
