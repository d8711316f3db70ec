/// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011), the counter-based
/// generator behind every random draw of the core (uniform noise, dropout masks, stochastic binarization).
///
/// READ ME FIRST
/// - Element `i` of a stream drawn at `offset` uses counter `n = offset + i`: block `n >> 2` (as the 128-bit
///   Philox counter (lo32, hi32, 0, 0)), lane `n & 3` of the four 32-bit outputs. Key = (lo32, hi32) of `seed`.
///   So each value depends only on (seed, n): the same on any machine and for any thread count or split.
/// - `uniform` maps a 32-bit output to u = (bits >> 8) · 2⁻²⁴ ∈ [0, 1), exact in Float (24 bits).
/// - The stream is part of the reproducibility contract (tests pin known-answer vectors): never change it.
public enum Philox {
    // Multipliers and Weyl key increments of Philox4x32 (Random123 constants).
    @usableFromInline static let m0: UInt64 = 0xD251_1F53
    @usableFromInline static let m1: UInt64 = 0xCD9E_8D57
    @usableFromInline static let w0: UInt32 = 0x9E37_79B9
    @usableFromInline static let w1: UInt32 = 0xBB67_AE85

    /// The 10-round Philox4x32 bijection of `counter` under `key`.
    @inlinable
    public static func block(_ counter: (UInt32, UInt32, UInt32, UInt32), key: (UInt32, UInt32))
        -> (UInt32, UInt32, UInt32, UInt32) {
        var (c0, c1, c2, c3) = counter
        var (k0, k1) = key
        for round in 0..<10 {
            if round > 0 { k0 &+= w0; k1 &+= w1 }
            let p0 = m0 &* UInt64(c0), p1 = m1 &* UInt64(c2)
            // (c0, c1, c2, c3) ← (hi(p1) ⊕ c1 ⊕ k0, lo(p1), hi(p0) ⊕ c3 ⊕ k1, lo(p0))
            (c0, c1, c2, c3) = (UInt32(truncatingIfNeeded: p1 >> 32) ^ c1 ^ k0, UInt32(truncatingIfNeeded: p1),
                                UInt32(truncatingIfNeeded: p0 >> 32) ^ c3 ^ k1, UInt32(truncatingIfNeeded: p0))
        }
        return (c0, c1, c2, c3)
    }

    @inlinable
    static func key(_ seed: UInt64) -> (UInt32, UInt32) {
        (UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32))
    }

    /// The 32-bit value number `n` of the stream of `seed`.
    @inlinable
    public static func bits(seed: UInt64, index n: UInt64) -> UInt32 {
        let b = n >> 2
        let r = block((UInt32(truncatingIfNeeded: b), UInt32(truncatingIfNeeded: b >> 32), 0, 0), key: key(seed))
        switch n & 3 {
        case 0: return r.0
        case 1: return r.1
        case 2: return r.2
        default: return r.3
        }
    }

    /// Maps 32 random bits to u ∈ [0, 1) with 24-bit resolution (exact in Float).
    @inlinable
    public static func unit(_ bits: UInt32) -> Float { Float(bits >> 8) * 0x1p-24 }

    /// Calls `body(i, u_i)` for `i` in `range` with u_i = unit(bits(seed, offset + i)), one Philox block per
    /// four values. Equivalent to calling `bits` per element, only faster.
    @inlinable
    public static func forEachUniform(seed: UInt64, offset: UInt64, range: Range<Int>,
                                      _ body: (Int, Float) -> Void) {
        let k = key(seed)
        var i = range.lowerBound
        while i < range.upperBound {
            let n = offset &+ UInt64(i)
            let b = n >> 2
            let r = block((UInt32(truncatingIfNeeded: b), UInt32(truncatingIfNeeded: b >> 32), 0, 0), key: k)
            var lane = Int(n & 3)
            while lane < 4 && i < range.upperBound {
                let v: UInt32 = lane == 0 ? r.0 : lane == 1 ? r.1 : lane == 2 ? r.2 : r.3
                body(i, unit(v))
                lane += 1
                i += 1
            }
        }
    }
}
