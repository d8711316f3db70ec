/// Element-by-element twins of `Quantize` and `Dropout`: one Philox call per value, no blocking or threads.
extension Quantize {
    public static func addUniformNoiseReference(seed: UInt64, offset: UInt64, x: [Float]) -> [Float] {
        x.indices.map { x[$0] + noise(Philox.unit(Philox.bits(seed: seed, index: offset &+ UInt64($0)))) }
    }

    public static func binarizeReference(seed: UInt64, offset: UInt64, x: [Float]) -> [Float] {
        x.indices.map { i in
            let p = (1 + x[i]) / 2
            return Philox.unit(Philox.bits(seed: seed, index: offset &+ UInt64(i))) < p ? 1 : -1
        }
    }
}

extension Dropout {
    public static func applyReference(p: Float, seed: UInt64, offset: UInt64, x: [Float]) -> [Float] {
        x.indices.map { i in
            Philox.unit(Philox.bits(seed: seed, index: offset &+ UInt64(i))) >= p ? x[i] / (1 - p) : 0
        }
    }
}
