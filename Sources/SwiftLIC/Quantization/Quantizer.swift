/// Uniform scalar quantizer of Cheng et al.: ŷ = round(y · 2^(B−1) / s), y' = ŷ · s / 2^(B−1), with a global step
/// `step` (rate control by step size) times an optional per-channel step. Rounding is half-to-even in Float32, so
/// NumPy's `np.rint(np.float32(y) * scale)` gives the same integers.
public struct Quantizer: Sendable {
    /// Magnitudes are saturated below 2^30 (the bitplane coder's limit).
    public static let maxMagnitude: Int32 = (1 << 30) - 1

    public var bits: Int
    public var step: Float
    public var channelSteps: [Float]?

    public init(bits: Int, step: Float = 1, channelSteps: [Float]? = nil) throws(SLICError) {
        try require(bits >= 1 && bits <= 24, "quantizer: expected 1 to 24 bits, got \(bits)")
        try require(step.isFinite && step > 0, "quantizer: expected a finite step > 0, got \(step)")
        if let cs = channelSteps {
            for (c, s) in cs.enumerated() {
                try require(s.isFinite && s > 0, "quantizer: expected finite channel steps > 0, channel \(c) has \(s)")
            }
        }
        self.bits = bits
        self.step = step
        self.channelSteps = channelSteps
    }

    /// The step of channel c in latent units: step · channelStep[c].
    public func channelStep(_ c: Int) -> Float { step * (channelSteps?[c] ?? 1) }
    /// Multiplier from latent units to quantizer units: 2^(B−1) / s_c.
    public func scale(_ c: Int) -> Float { Float(1 << (bits - 1)) / channelStep(c) }
    /// Multiplier back: s_c / 2^(B−1).
    public func inverseScale(_ c: Int) -> Float { channelStep(c) / Float(1 << (bits - 1)) }

    /// Quantizes a C × N buffer. Throws on NaN or infinity.
    public func quantize(_ z: UnsafeBufferPointer<Float>, channels: Int, count n: Int,
                         into q: UnsafeMutableBufferPointer<Int32>) throws(SLICError) {
        precondition(z.count >= channels * n && q.count >= channels * n)
        for c in 0..<channels {
            try quantize(channel: c, UnsafeBufferPointer(rebasing: z[c * n..<(c + 1) * n]),
                         into: UnsafeMutableBufferPointer(rebasing: q[c * n..<(c + 1) * n]))
        }
    }

    /// Quantizes the values of channel c alone (callers may run channels in parallel). Throws on NaN or infinity.
    public func quantize(channel c: Int, _ z: UnsafeBufferPointer<Float>,
                         into q: UnsafeMutableBufferPointer<Int32>) throws(SLICError) {
        precondition(q.count == z.count)
        guard let src = z.baseAddress, let dst = q.baseAddress else { return }
        let s = scale(c), n = z.count
        // Fast path, branch-free so it vectorizes: for |x| < 2^22, x + 1.5·2^23 rounds x half-to-even into the low
        // mantissa bits (the same rounding as `rounded(.toNearestOrEven)`; no FMA contraction in Swift).
        let magic: Float = 12_582_912, magicBits = Int32(bitPattern: magic.bitPattern)
        var bad: UInt32 = 0, big: UInt32 = 0
        for i in 0..<n {
            let v = src[i], x = v * s
            bad |= (v.bitPattern & 0x7F80_0000) == 0x7F80_0000 ? 1 : 0
            big |= x.magnitude >= 4_194_304 ? 1 : 0
            dst[i] = Int32(bitPattern: (x + magic).bitPattern) &- magicBits
        }
        if bad != 0 {
            let i = z.firstIndex { !$0.isFinite }!
            throw .invalid("latent: expected finite values, found \(z[i]) at channel \(c), index \(i)")
        }
        if big != 0 {  // large values: round, then saturate at the coder's limit
            let m = Float(Quantizer.maxMagnitude)
            for i in 0..<n { dst[i] = Int32(max(-m, min(m, (src[i] * s).rounded(.toNearestOrEven)))) }
        }
    }

    /// True when no value is NaN or infinite; a branch-free reduction over the exponent bits (vectorizes).
    public static func allFinite(_ z: UnsafeBufferPointer<Float>) -> Bool {
        guard let p = z.baseAddress else { return true }
        var bad: UInt32 = 0
        for i in 0..<z.count { bad |= (p[i].bitPattern & 0x7F80_0000) == 0x7F80_0000 ? 1 : 0 }
        return bad == 0
    }

    public func dequantize(_ q: UnsafeBufferPointer<Int32>, channels: Int, count n: Int,
                           into z: UnsafeMutableBufferPointer<Float>) {
        precondition(z.count >= channels * n && q.count >= channels * n)
        for c in 0..<channels {
            dequantize(channel: c, UnsafeBufferPointer(rebasing: q[c * n..<(c + 1) * n]),
                       into: UnsafeMutableBufferPointer(rebasing: z[c * n..<(c + 1) * n]))
        }
    }

    /// Dequantizes the values of channel c alone.
    public func dequantize(channel c: Int, _ q: UnsafeBufferPointer<Int32>, into z: UnsafeMutableBufferPointer<Float>) {
        precondition(z.count == q.count)
        guard let src = q.baseAddress, let dst = z.baseAddress else { return }
        let s = inverseScale(c)
        for i in 0..<q.count { dst[i] = Float(src[i]) * s }
    }

    /// Side information: the entries of a unit-row basis as signed integers of `bits` bits.
    public static func quantizeBasis(_ rows: [Double], bits: Int) -> [Int32] {
        let m = Double((1 << (bits - 1)) - 1)
        return rows.map { Int32(max(-m, min(m, ($0 * m).rounded(.toNearestOrEven)))) }
    }

    public static func dequantizeBasis(_ codes: [Int32], bits: Int) -> [Double] {
        let m = Double((1 << (bits - 1)) - 1)
        return codes.map { Double($0) / m }
    }
}
