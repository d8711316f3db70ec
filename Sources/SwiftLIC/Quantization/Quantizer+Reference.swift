// The reference twin of Quantizer.quantize(channel:): round half to even, saturate, one value at a time.

extension Quantizer {
    func quantizeReference(channel c: Int, _ z: [Float]) -> [Int32] {
        let s = scale(c), m = Float(Quantizer.maxMagnitude)
        return z.map { Int32(max(-m, min(m, ($0 * s).rounded(.toNearestOrEven)))) }
    }
}
