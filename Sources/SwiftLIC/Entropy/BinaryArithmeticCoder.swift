// READ ME FIRST — adaptive binary arithmetic coder (integer only, deterministic).
//
// - Engine: RangeCoderCore (32-bit range, carry propagation, big-endian bytes, zeros read past the end).
// - Probabilities: each context holds two 15-bit estimates of P(bit = 0), one fast (rate 1/4) and one slow
//   (rate 1/64); the coder uses their mean. The bitplane coder's statistics change from plane to plane and its
//   blocks are short, so fast rates won: measured on Kodak block-DCT latents against (1/16, 1/128) the stream is
//   0–6% smaller (most at low rates), (1/8, 1/64) lies between. The estimates stay in [3, 32765] and
//   [63, 32705], so p0 ∈ [33, 32735] ⊂ (0, 2^15): no clamp is needed and neither sub-interval can be empty.
// - Bypass bins halve the range (one bit each, no context).
// - Termination is byte aligned: `finish()` flushes, and `RangeEncoderCore.truncationLength` finds, for any
//   snapshot, the shortest prefix that still decodes everything coded up to it (used for truncation points).
// - Traps: encoder and decoder must create contexts with the same initial state and visit them in the same
//   order; the decoder never fails by itself (check `isConsistent` at the end of a block).

/// One adaptive context: P(0) as the mean of a fast and a slow 15-bit estimate.
public struct BitContext: Sendable {
    @usableFromInline var fast: UInt16 = 1 << 14
    @usableFromInline var slow: UInt16 = 1 << 14

    public init() {}

    /// A context that starts at P(0) = p0 / 2^15 (1 ≤ p0 < 2^15).
    public init(p0: UInt16) {
        fast = p0
        slow = p0
    }

    @inlinable @inline(__always) var p0: UInt32 { (UInt32(fast) + UInt32(slow)) >> 1 }

    @inlinable @inline(__always) mutating func update(_ bit: Bool) {
        // fast = bit ? f − ⌊f/4⌋ : f + ⌊(2^15 − f)/4⌋ (slow likewise with 1/64; `referenceUpdate`), as one move
        // toward a target t: f + ⌊(t − f)/4⌋ with t = 2^15 after a 0 and t = 3 after a 1, since
        // ⌊(3 − f)/4⌋ = −⌈(f − 3)/4⌉ = −⌊f/4⌋ (for 1/64, t = 63). An arithmetic shift, and the target picked by
        // a mask rather than a branch (the bit is unpredictable): half the instructions of two masked halves.
        let m = 0 &- Int32(bit ? 1 : 0), f = Int32(fast), s = Int32(slow)
        fast = UInt16(truncatingIfNeeded: f &+ ((32768 &- (32765 & m)) &- f) &>> 2)
        slow = UInt16(truncatingIfNeeded: s &+ ((32768 &- (32705 & m)) &- s) &>> 6)
    }

    /// The update the obvious way (tests compare it with `update`).
    mutating func referenceUpdate(_ bit: Bool) {
        fast = bit ? fast - fast / 4 : fast + (32768 - fast) / 4
        slow = bit ? slow - slow / 64 : slow + (32768 - slow) / 64
    }
}

public struct BinaryArithmeticEncoder {
    public var core: RangeEncoderCore

    public init(capacity: Int = 0) { core = RangeEncoderCore(capacity: capacity) }

    @inlinable @inline(__always)
    public mutating func encode(_ bit: Bool, _ context: inout BitContext) {
        core.encodeBit(bit, p0: context.p0)
        context.update(bit)
    }

    @inlinable @inline(__always)
    public mutating func encodeBypass(_ bit: Bool) { core.encodeBypass(bit) }

    public var snapshot: (position: Int, low: UInt32) { core.snapshot }

    /// The shortest stream that decodes every bit coded so far.
    public mutating func finish() -> [UInt8] {
        core.finishShortest()
    }
}

public struct BinaryArithmeticDecoder {
    public var core: RangeDecoderCore

    public init(_ data: UnsafeBufferPointer<UInt8>) { core = RangeDecoderCore(data) }

    @inlinable @inline(__always)
    public mutating func decode(_ context: inout BitContext) -> Bool {
        let bit = core.decodeBit(p0: context.p0)
        context.update(bit)
        return bit
    }

    @inlinable @inline(__always)
    public mutating func decodeBypass() -> Bool { core.decodeBypass() }

    public var isConsistent: Bool { core.isConsistent }
}
