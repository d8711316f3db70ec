/// Principal component analysis of a C × N latent (each of the N positions is a C-dimensional sample), the
/// decorrelating rotation of Cheng et al.: energy compacts into the first channels, which the bitplane coder then
/// codes as separate blocks.
///
/// A basis is C × C row-major; row k is the k-th principal direction. `rotate` computes z = U·(y − μ),
/// `unrotate` y = Uᵀ·z + μ (exact inverse when U is orthonormal, which `orthonormalized` guarantees).
public enum PCA {
    /// Per-channel means (accumulated in Float64, fixed order) of a C × N buffer.
    public static func means(_ y: UnsafeBufferPointer<Float>, channels: Int, count: Int) -> [Float] {
        (0..<channels).map { c in
            var s = 0.0
            for i in 0..<count { s += Double(y[c * count + i]) }
            return count > 0 ? Float(s / Double(count)) : 0
        }
    }

    /// C × C covariance (Float64) of the channels about `mean`.
    public static func covariance(_ y: UnsafeBufferPointer<Float>, channels c: Int, count n: Int,
                                  mean: [Float]) -> [Double] {
        // Centered data and its transpose, so the product runs over contiguous rows.
        var centered = [Float](repeating: 0, count: c * n), transposed = centered
        for k in 0..<c {
            for i in 0..<n {
                let v = y[k * n + i] - mean[k]
                centered[k * n + i] = v
                transposed[i * c + k] = v
            }
        }
        var cov = [Float](repeating: 0, count: c * c)
        centered.withUnsafeBufferPointer { a in
            transposed.withUnsafeBufferPointer { b in
                cov.withUnsafeMutableBufferPointer { out in
                    GEMM.sgemm(transA: false, transB: false, m: c, n: c, k: n, alpha: 1 / Float(max(n, 1)),
                               a: a.baseAddress!, lda: n, b: b.baseAddress!, ldb: c, beta: 0,
                               c: out.baseAddress!, ldc: c)
                }
            }
        }
        // Symmetrise: the two triangles may differ in the last bit.
        var out = [Double](repeating: 0, count: c * c)
        for i in 0..<c { for j in 0..<c { out[i * c + j] = (Double(cov[i * c + j]) + Double(cov[j * c + i])) / 2 } }
        return out
    }

    /// Eigen-decomposition of a symmetric n × n matrix by cyclic Jacobi rotations.
    /// - Returns: eigenvalues in decreasing order and the matching unit eigenvectors as rows, each with its
    ///   largest-magnitude component positive (ties: the lowest index), so the basis is unique up to rounding.
    public static func eigen(symmetric input: [Double], n: Int) -> (values: [Double], vectors: [Double]) {
        var a = input
        var v = [Double](repeating: 0, count: n * n)
        for i in 0..<n { v[i * n + i] = 1 }
        for _ in 0..<100 {
            var off = 0.0, total = 0.0
            for i in 0..<n { for j in 0..<n { total += a[i * n + j] * a[i * n + j]; if i != j { off += a[i * n + j] * a[i * n + j] } } }
            if off <= 1e-30 * max(total, 1e-300) { break }
            for p in 0..<n {
                for q in (p + 1)..<max(p + 1, n) {
                    let apq = a[p * n + q]
                    if apq == 0 { continue }
                    let theta = (a[q * n + q] - a[p * n + p]) / (2 * apq)
                    let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let cs = 1 / (t * t + 1).squareRoot(), sn = t * cs
                    for k in 0..<n {  // A ← A·J
                        let akp = a[k * n + p], akq = a[k * n + q]
                        a[k * n + p] = cs * akp - sn * akq
                        a[k * n + q] = sn * akp + cs * akq
                    }
                    for k in 0..<n {  // A ← Jᵀ·A
                        let apk = a[p * n + k], aqk = a[q * n + k]
                        a[p * n + k] = cs * apk - sn * aqk
                        a[q * n + k] = sn * apk + cs * aqk
                    }
                    for k in 0..<n {  // V ← V·J (columns are eigenvectors)
                        let vkp = v[k * n + p], vkq = v[k * n + q]
                        v[k * n + p] = cs * vkp - sn * vkq
                        v[k * n + q] = sn * vkp + cs * vkq
                    }
                }
            }
        }
        let order = (0..<n).sorted { (a[$0 * n + $0], $1) > (a[$1 * n + $1], $0) }
        var values = [Double](), rows = [Double](repeating: 0, count: n * n)
        for (r, j) in order.enumerated() {
            values.append(a[j * n + j])
            var big = 0
            for k in 0..<n where abs(v[k * n + j]) > abs(v[big * n + j]) { big = k }
            let sign = v[big * n + j] < 0 ? -1.0 : 1.0
            for k in 0..<n { rows[r * n + k] = sign * v[k * n + j] }
        }
        return (values, rows)
    }

    /// Modified Gram–Schmidt over the rows (twice, Float64, fixed order): encoder and decoder both apply it to the
    /// dequantized side information, so they share one exactly orthonormal basis.
    public static func orthonormalized(_ rows: [Double], n: Int) -> [Float] {
        var u = rows
        for _ in 0..<2 {
            for i in 0..<n {
                for j in 0..<i {
                    var dot = 0.0
                    for k in 0..<n { dot += u[i * n + k] * u[j * n + k] }
                    for k in 0..<n { u[i * n + k] -= dot * u[j * n + k] }
                }
                var norm = 0.0
                for k in 0..<n { norm += u[i * n + k] * u[i * n + k] }
                norm = norm.squareRoot()
                if norm < 1e-12 {  // degenerate side information: fall back to a unit vector
                    for k in 0..<n { u[i * n + k] = k == i ? 1 : 0 }
                    continue
                }
                for k in 0..<n { u[i * n + k] /= norm }
            }
        }
        return u.map { Float($0) }
    }

    /// z = U·(y − μ) for a C × N latent.
    public static func rotate(_ y: UnsafeBufferPointer<Float>, basis: [Float], mean: [Float], channels c: Int,
                              count n: Int, into z: UnsafeMutableBufferPointer<Float>) {
        var centered = [Float](repeating: 0, count: c * n)
        for k in 0..<c { for i in 0..<n { centered[k * n + i] = y[k * n + i] - mean[k] } }
        centered.withUnsafeBufferPointer { yc in
            basis.withUnsafeBufferPointer { u in
                GEMM.sgemm(transA: false, transB: false, m: c, n: n, k: c, alpha: 1, a: u.baseAddress!, lda: c,
                           b: yc.baseAddress!, ldb: n, beta: 0, c: z.baseAddress!, ldc: n)
            }
        }
    }

    /// y = Uᵀ·z + μ for a C × N latent.
    public static func unrotate(_ z: UnsafeBufferPointer<Float>, basis: [Float], mean: [Float], channels c: Int,
                                count n: Int, into y: UnsafeMutableBufferPointer<Float>) {
        basis.withUnsafeBufferPointer { u in
            GEMM.sgemm(transA: true, transB: false, m: c, n: n, k: c, alpha: 1, a: u.baseAddress!, lda: c,
                       b: z.baseAddress!, ldb: n, beta: 0, c: y.baseAddress!, ldc: n)
        }
        for k in 0..<c { for i in 0..<n { y[k * n + i] += mean[k] } }
    }
}
