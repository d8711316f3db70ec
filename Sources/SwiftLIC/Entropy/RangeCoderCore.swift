// READ ME FIRST — the carry-propagating 32-bit range-coder engine shared by BinaryArithmeticCoder and RangeCoder.
//
// - Interval arithmetic on integers only: `low` is 64-bit (bit 32 holds a pending carry), `range` is 32-bit and
//   kept in [2^24, 2^32) by emitting one byte whenever it drops below 2^24 (LZMA's scheme: a byte is held in
//   `cache` with `cacheSize - 1` pending 0xFF bytes until we know whether a carry reaches it).
// - Byte order: the code value is a big-endian fraction; byte 0 of `bytes` is its most significant byte. LZMA's
//   always-zero leading byte is not written.
// - Termination: `finish()` writes the value of the final interval with the most trailing zero bits; callers cut
//   the stream shorter with `truncationLength(...)` because the decoder reads zeros past the end of its data
//   (that is the embedding).
// - The decoder checks nothing by itself: corrupt input only produces wrong symbols. `isConsistent` (code < range)
//   holds for every valid stream and every legal truncation, so callers use it as a structural check.

/// The encoder half of the engine. `position` is the index of the first byte of the 32-bit `low` window.
public struct RangeEncoderCore {
    @usableFromInline var low: UInt64 = 0
    @usableFromInline var range: UInt32 = 0xFFFF_FFFF
    /// Everything but `low` and `range`, which only renormalisation touches: it runs out of line on the sink
    /// alone, so a coding loop keeps `low` and `range` in registers (inlined, the byte array's growth path put
    /// calls in every loop that codes, and the registers live across them were spilled on the hot path).
    @usableFromInline var sink = ByteSink()

    public var bytes: [UInt8] { sink.bytes }

    public init(capacity: Int = 0) {
        if capacity > 0 { sink.bytes.reserveCapacity(capacity) }  // an empty array allocates nothing
    }

    /// Where the 32-bit window of `low` starts in the final stream (a snapshot for `truncationLength`).
    public var snapshot: (position: Int, low: UInt32) {
        // Bytes written + the cache + pending 0xFFs, minus LZMA's dropped leading byte while it is still cached.
        (sink.bytes.count + sink.cacheSize - (sink.dropped ? 0 : 1), UInt32(truncatingIfNeeded: low))
    }

    /// The bytes written so far, the byte held back for a carry and the pending 0xFF bytes behind it.
    @usableFromInline struct ByteSink {
        var cache: UInt8 = 0
        var cacheSize: Int = 1
        var dropped = false
        var bytes: [UInt8] = []

        @usableFromInline init() {}

        /// Shifts the top byte of the 32-bit window out of `low`, which it returns shifted.
        mutating func shiftLow(_ low: UInt64) -> UInt64 {
            if UInt32(truncatingIfNeeded: low) < 0xFF00_0000 || (low >> 32) != 0 {
                let carry = UInt8(truncatingIfNeeded: low >> 32)
                var c = cache
                repeat {
                    if dropped { bytes.append(c &+ carry) } else { dropped = true }  // LZMA's leading zero byte
                    c = 0xFF
                    cacheSize -= 1
                } while cacheSize != 0
                cache = UInt8(truncatingIfNeeded: low >> 24)
            }
            cacheSize += 1
            return (low & 0x00FF_FFFF) << 8
        }

        /// Renormalises (range < 2^24): shifts bytes out until range ≥ 2^24.
        @usableFromInline @inline(never)
        mutating func normalize(_ low: UInt64, _ range: UInt32) -> (low: UInt64, range: UInt32) {
            var low = low, range = range
            while range < (1 << 24) {
                range <<= 8
                low = shiftLow(low)
            }
            return (low, range)
        }
    }

    mutating func shiftLow() { low = sink.shiftLow(low) }

    @inlinable @inline(__always) mutating func normalize() {
        if range < (1 << 24) { (low, range) = sink.normalize(low, range) }
    }

    /// Narrows the interval to [low + r·start, low + r·(start + size)) with r = range >> bits.
    @inlinable @inline(__always)
    public mutating func encode(start: UInt32, size: UInt32, bits: UInt32) {
        let r = range >> bits
        low &+= UInt64(r &* start)
        range = r &* size
        normalize()
    }

    /// Binary decision with P(0) = p0 / 2^15.
    @inlinable @inline(__always)
    public mutating func encodeBit(_ bit: Bool, p0: UInt32) {
        // Branch-free selects: the bit is unpredictable, a mispredicted branch costs more than both arms.
        let bound = (range >> 15) &* p0
        low &+= UInt64(bound & (0 &- UInt32(bit ? 1 : 0)))
        range = bit ? range &- bound : bound
        normalize()
    }

    /// Equiprobable bit (bypass bin).
    @inlinable @inline(__always)
    public mutating func encodeBypass(_ bit: Bool) {
        range >>= 1
        if bit { low &+= UInt64(range) }
        normalize()
    }

    /// Flushes the value of the final interval [low, low + range) with the most trailing zero bits. The result
    /// decodes every symbol; `truncationLength` then drops those zero bytes. (Flushing `low` itself left up to 3
    /// bytes more: a block cut right after its last coded pass looked that much costlier than the same pass cut in
    /// a stream that goes on, which misled rate allocation in rate-targeted encoding.)
    public mutating func finish() -> [UInt8] {
        // low + range ≤ 2^33 (low < 2^32 after each shift, and coding only narrows the interval), so a carry
        // into bit 32 is at most 1, which `shiftLow` propagates.
        let top = low &+ UInt64(range) &- 1
        var k: UInt64 = 32
        while k > 0 {
            let v = top & ~((1 &<< k) &- 1)
            if v >= low {
                low = v
                break
            }
            k -= 1
        }
        for _ in 0..<5 { shiftLow() }
        return sink.bytes
    }

    /// The shortest stream that decodes every symbol coded so far.
    public mutating func finishShortest() -> [UInt8] {
        let end = snapshot
        let full = finish()
        return Array(full[0..<RangeEncoderCore.truncationLength(full, at: end)])
    }

    /// The bytes `finish()` would append to `bytes`, which it leaves as they are: bytes already written never
    /// change (a carry reaches only the cached byte and the pending 0xFFs), so the finished stream is `bytes`
    /// followed by this tail. An encoder that measures its truncation points after every pass and goes on coding
    /// reads them from `bytes` and the tail instead of copying the whole stream each time.
    public func finishedTail() -> [UInt8] {
        var copy = self
        copy.sink.bytes = []  // (drops the copy's reference: the shared array is not copied)
        return copy.finish()
    }

    /// The shortest prefix length of `stream` (a finished stream) that, zero-padded, still decodes every symbol
    /// coded before `snapshot` was taken. The window value minus `low` is the slack D; removing trailing bytes
    /// lowers the code value by their value T, which is harmless while T ≤ D.
    public static func truncationLength(_ stream: [UInt8], at snapshot: (position: Int, low: UInt32)) -> Int {
        truncationLength(stream, tail: [], at: snapshot)
    }

    /// `truncationLength` of the finished stream `head` + `tail` (`bytes` and `finishedTail()`).
    public static func truncationLength(_ head: [UInt8], tail: [UInt8],
                                        at snapshot: (position: Int, low: UInt32)) -> Int {
        let split = head.count, count = head.count + tail.count
        func byte(_ i: Int) -> UInt8 { i < split ? head[i] : tail[i - split] }
        let p = snapshot.position
        var window: UInt32 = 0
        for i in 0..<4 { window = window << 8 | UInt32(p + i < count ? byte(p + i) : 0) }
        let slack = UInt64(window &- snapshot.low)  // D = F − low_p (mod 2^32, and D < range < 2^32)
        var length = min(p + 4, count)
        var t: UInt64 = 0
        var shift: UInt64 = UInt64(p + 4 - length) * 8
        while length > 0 {
            let b = UInt64(byte(length - 1))
            if shift >= 40 {
                if b != 0 { break }
            } else {
                let t2 = t + (b << shift)
                if t2 > slack { break }
                t = t2
            }
            shift += 8
            length -= 1
        }
        return length
    }
}

/// The decoder half. Reads zeros past the end of `data`.
public struct RangeDecoderCore {
    @usableFromInline let data: UnsafeBufferPointer<UInt8>
    @usableFromInline var position: Int = 0
    @usableFromInline var range: UInt32 = 0xFFFF_FFFF
    @usableFromInline var code: UInt32 = 0

    public init(_ data: UnsafeBufferPointer<UInt8>) {
        self.data = data
        for _ in 0..<4 { code = code << 8 | UInt32(nextByte()) }
    }

    @inlinable @inline(__always) mutating func nextByte() -> UInt8 {
        let p = position
        position += 1
        return p < data.count ? data[p] : 0
    }

    @inlinable @inline(__always) mutating func normalize() {
        while range < (1 << 24) {
            range <<= 8
            code = code << 8 | UInt32(nextByte())
        }
    }

    /// True for every valid stream and every legal truncation; false shows corruption.
    public var isConsistent: Bool { code < range }

    /// The slot value in [0, 2^bits) of the next symbol; follow with `consume`.
    @inlinable @inline(__always)
    public mutating func peek(bits: UInt32) -> (value: UInt32, r: UInt32) {
        let r = range >> bits
        let v = code / r
        return (min(v, (1 << bits) - 1), r)
    }

    @inlinable @inline(__always)
    public mutating func consume(start: UInt32, size: UInt32, r: UInt32) {
        code &-= r &* start
        range = r &* size
        normalize()
    }

    @inlinable @inline(__always)
    public mutating func decodeBit(p0: UInt32) -> Bool {
        let bound = (range >> 15) &* p0
        let bit = code >= bound
        code &-= bound & (0 &- UInt32(bit ? 1 : 0))
        range = bit ? range &- bound : bound
        if range < 1 << 24 { normalize() }
        return bit
    }

    @inlinable @inline(__always)
    public mutating func decodeBypass() -> Bool {
        range >>= 1
        let bit = code >= range
        if bit { code &-= range }
        normalize()
        return bit
    }
}
