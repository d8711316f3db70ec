/// Dense layer y = x·Wᵀ + b over a batch of row vectors: x is N×in, W is out×in (PyTorch's), y is N×out.
public enum Linear {
    /// Throws `invalidArgument` unless the buffer counts fit N×in → N×out.
    public static func validate(batch: Int, inFeatures: Int, outFeatures: Int, input: Int, weight: Int,
                                output: Int, bias: Int?) throws(SLICError) {
        for (name, v) in [("batch", batch), ("in_features", inFeatures), ("out_features", outFeatures)] {
            try require(v >= 1 && v <= 1 << 31, "linear: expected \(name) ≥ 1, got \(v)")
        }
        let (xi, o1) = batch.multipliedReportingOverflow(by: inFeatures)
        let (xo, o2) = batch.multipliedReportingOverflow(by: outFeatures)
        let (wc, o3) = outFeatures.multipliedReportingOverflow(by: inFeatures)
        try require(!o1 && !o2 && !o3, "linear: \(batch)×\(inFeatures)→\(outFeatures) is too large")
        try require(input == xi, "linear: input holds \(input) values, expected \(batch)×\(inFeatures)")
        try require(weight == wc, "linear: weight holds \(weight) values, expected \(outFeatures)×\(inFeatures)")
        try require(output == xo, "linear: output holds \(output) values, expected \(batch)×\(outFeatures)")
        if let bias { try require(bias == outFeatures, "linear: bias holds \(bias) values, expected \(outFeatures)") }
    }

    /// y = x·Wᵀ (+ b).
    public static func forward(batch: Int, inFeatures: Int, outFeatures: Int, input: UnsafeBufferPointer<Float>,
                               weight: UnsafeBufferPointer<Float>, bias: UnsafeBufferPointer<Float>?,
                               output: UnsafeMutableBufferPointer<Float>) {
        let y = output.baseAddress!
        GEMM.sgemm(transA: false, transB: true, m: batch, n: outFeatures, k: inFeatures, alpha: 1,
                   a: input.baseAddress!, lda: inFeatures, b: weight.baseAddress!, ldb: inFeatures, beta: 0,
                   c: y, ldc: outFeatures)
        guard let b = bias?.baseAddress else { return }
        Parallel.forRanges(batch, granularity: max(1, Activation.grain / outFeatures)) { rows in
            for i in rows { let row = y + i * outFeatures; for j in 0..<outFeatures { row[j] += b[j] } }
        }
    }

    /// gx = gy·W (overwrites; skipped when `gradInput` is nil), gW += gyᵀ·x, gb += Σ_n gy (accumulate).
    public static func backward(batch: Int, inFeatures: Int, outFeatures: Int, input: UnsafeBufferPointer<Float>,
                                weight: UnsafeBufferPointer<Float>, gradOutput: UnsafeBufferPointer<Float>,
                                gradInput: UnsafeMutableBufferPointer<Float>?,
                                gradWeight: UnsafeMutableBufferPointer<Float>,
                                gradBias: UnsafeMutableBufferPointer<Float>?) {
        let gy = gradOutput.baseAddress!
        if let gx = gradInput?.baseAddress {
            GEMM.sgemm(transA: false, transB: false, m: batch, n: inFeatures, k: outFeatures, alpha: 1, a: gy,
                       lda: outFeatures, b: weight.baseAddress!, ldb: inFeatures, beta: 0, c: gx, ldc: inFeatures)
        }
        GEMM.sgemm(transA: true, transB: false, m: outFeatures, n: inFeatures, k: batch, alpha: 1, a: gy,
                   lda: outFeatures, b: input.baseAddress!, ldb: inFeatures, beta: 1, c: gradWeight.baseAddress!,
                   ldc: inFeatures)
        if let gb = gradBias?.baseAddress {
            // Columns split across threads; each sums its rows in order.
            Parallel.forRanges(outFeatures, granularity: 64) { cols in
                for j in cols {
                    var s: Float = 0
                    for i in 0..<batch { s += gy[i * outFeatures + j] }
                    gb[j] += s
                }
            }
        }
    }
}
