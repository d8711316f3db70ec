/// Quantization proxies for training through a quantizer (Ballé et al. 2017; Theis et al. 2017; Toderici et al.
/// 2016). Every random draw comes from `Philox` with element i using counter `offset + i`, so a result depends only
/// on (seed, offset, x): the same on any machine and thread count. Gradients of all three are the identity
/// (straight-through), applied by the caller; only the forward passes live here.
public enum Quantize {
    /// Checks that x and y hold the same number of values.
    public static func validate(_ op: String, input: Int, output: Int) throws(SLICError) {
        try require(input >= 0, "\(op): negative length \(input)")
        try LayerShape.holds(op, "y", output, input, "the same number of values as x")
    }

    /// Noise value number i of a stream: ½ − u ∈ (−½, ½], exact in Float, u = Philox.unit(bits(seed, offset+i)).
    @inline(__always)
    public static func noise(_ u: Float) -> Float { 0.5 - u }

    /// y_i ← x_i + noise_i with noise_i ~ U(−½, ½] (the additive-noise proxy of rounding). y may alias x.
    public static func addUniformNoise(seed: UInt64, offset: UInt64, x: UnsafeBufferPointer<Float>,
                                       y: UnsafeMutableBufferPointer<Float>) {
        Parallel.forRanges(x.count, granularity: 1024) { r in
            Philox.forEachUniform(seed: seed, offset: offset, range: r) { i, u in y[i] = x[i] + noise(u) }
        }
    }

    /// y_i ← round(x_i), ties to even (IEEE 754 default: 0.5 → 0, 1.5 → 2, −2.5 → −2). y may alias x.
    public static func round(x: UnsafeBufferPointer<Float>, y: UnsafeMutableBufferPointer<Float>) {
        Parallel.forRanges(x.count, granularity: 4096) { r in
            for i in r { y[i] = x[i].rounded(.toNearestOrEven) }
        }
    }

    /// Stochastic binarization (Toderici et al.): y_i ← +1 with probability (1 + x_i)/2, else −1 (+1 iff
    /// u_i < (1 + x_i)/2). Inputs outside [−1, 1] act as clipped (always −1 below, always +1 above); NaN gives −1.
    public static func binarize(seed: UInt64, offset: UInt64, x: UnsafeBufferPointer<Float>,
                                y: UnsafeMutableBufferPointer<Float>) {
        Parallel.forRanges(x.count, granularity: 1024) { r in
            Philox.forEachUniform(seed: seed, offset: offset, range: r) { i, u in
                y[i] = u < (1 + x[i]) * 0.5 ? 1 : -1
            }
        }
    }

    /// out_i ← u_i ∈ [0, 1), the raw uniform stream (for tests and for callers that need their own draws).
    public static func uniform(seed: UInt64, offset: UInt64, out: UnsafeMutableBufferPointer<Float>) {
        Parallel.forRanges(out.count, granularity: 1024) { r in
            Philox.forEachUniform(seed: seed, offset: offset, range: r) { i, u in out[i] = u }
        }
    }
}

/// Inverted dropout: y_i ← x_i · m_i / (1 − p) with keep mask m_i = [u_i ≥ p], u_i from `Philox` at offset + i.
/// The backward pass is the same map applied to the gradient with the same (seed, offset); p = 1 gives zeros.
public enum Dropout {
    public static func validate(p: Float, input: Int, output: Int) throws(SLICError) {
        try require(p >= 0 && p <= 1, "dropout: expected a drop probability p in [0, 1], got \(p)")
        try Quantize.validate("dropout", input: input, output: output)
    }

    /// The factor kept values are multiplied by: 1/(1 − p), or 0 when p = 1.
    public static func scale(_ p: Float) -> Float { p < 1 ? 1 / (1 - p) : 0 }

    public static func apply(p: Float, seed: UInt64, offset: UInt64, x: UnsafeBufferPointer<Float>,
                             y: UnsafeMutableBufferPointer<Float>) {
        let s = scale(p)
        Parallel.forRanges(x.count, granularity: 1024) { r in
            Philox.forEachUniform(seed: seed, offset: offset, range: r) { i, u in y[i] = u >= p ? x[i] * s : 0 }
        }
    }
}
