/// Obvious loops for the rotations (Float64 sums), the twin of the GEMM-based fast path in PCA.swift.
extension PCA {
    public static func rotateReference(_ y: [Float], basis: [Float], mean: [Float], channels c: Int,
                                       count n: Int) -> [Float] {
        var z = [Float](repeating: 0, count: c * n)
        for k in 0..<c { for i in 0..<n {
            var s = 0.0
            for j in 0..<c { s += Double(basis[k * c + j]) * Double(y[j * n + i] - mean[j]) }
            z[k * n + i] = Float(s)
        } }
        return z
    }

    public static func unrotateReference(_ z: [Float], basis: [Float], mean: [Float], channels c: Int,
                                         count n: Int) -> [Float] {
        var y = [Float](repeating: 0, count: c * n)
        for j in 0..<c { for i in 0..<n {
            var s = 0.0
            for k in 0..<c { s += Double(basis[k * c + j]) * Double(z[k * n + i]) }
            y[j * n + i] = Float(s) + mean[j]
        } }
        return y
    }
}
