// READ ME FIRST — multi-symbol range coder with static 16-bit CDF tables and an escape (for learned entropy
// models: a factorized prior gives one table per channel).
//
// - Engine: RangeCoderCore (32-bit range, carry propagation, big-endian, zeros read past the end).
// - A table over n symbols has cdf[0] = 0 < cdf[1] < … < cdf[n] = 2^16 (every symbol has frequency ≥ 1; the
//   range is ≥ 2^24, so r = range >> 16 ≥ 256 and no symbol's sub-interval is empty).
// - Values: a model maps value v to symbol v − offset when that lies in [0, n − 1); the last symbol is the escape,
//   after which v is sent as zigzag(v) in Exp-Golomb (k = 0) bypass bits, so any Int32 can be coded.
// - The decoder finds the symbol by binary search over the CDF; it checks nothing except that an Exp-Golomb
//   prefix is not longer than 32 bits (corrupt input gives wrong values, never a trap).

#if canImport(Glibc)
import Glibc
#endif

/// A static CDF table with 16-bit precision.
public struct FrequencyTable: Sendable {
    public static let precision: UInt32 = 16
    public let cdf: [UInt32]
    public var symbolCount: Int { cdf.count - 1 }

    /// Validates a CDF: starts at 0, strictly increasing, ends at 2^16, at least one symbol.
    public init(cdf: [UInt32]) throws(SLICError) {
        try require(cdf.count >= 2 && cdf.count <= (1 << 16) + 1,
                    "CDF: expected 2 to 65537 entries, got \(cdf.count)")
        try require(cdf.first == 0 && cdf.last == 1 << FrequencyTable.precision,
                    "CDF: expected to start at 0 and end at 65536")
        for i in 1..<cdf.count { try require(cdf[i] > cdf[i - 1], "CDF: entry \(i) does not increase") }
        self.cdf = cdf
    }

    /// A table proportional to `counts` (each symbol keeps frequency ≥ 1; rounding goes to the largest symbol).
    public init(counts: [Int]) throws(SLICError) {
        let n = counts.count
        try require(n >= 1 && n <= 1 << 16, "counts: expected 1 to 65536 symbols, got \(n)")
        try require(counts.allSatisfy { $0 >= 0 }, "counts: expected non-negative counts")
        let total = max(1, counts.reduce(0, +))
        let spare = (1 << 16) - n
        var freq = counts.map { 1 + Int(Double($0) / Double(total) * Double(spare)) }
        var excess = freq.reduce(0, +) - (1 << 16)
        while excess != 0 {  // fix rounding on the most frequent symbols, keeping every frequency ≥ 1
            let big = freq.indices.max { freq[$0] < freq[$1] }!
            let change = excess > 0 ? min(excess, freq[big] - 1) : excess
            freq[big] -= change
            excess -= change
        }
        var cdf: [UInt32] = [0]
        for f in freq { cdf.append(cdf[cdf.count - 1] + UInt32(f)) }
        self.cdf = cdf
    }

    /// Ideal cost of a symbol in bits.
    public func cost(_ symbol: Int) -> Double {
        -log2(Double(cdf[symbol + 1] - cdf[symbol]) / 65536)
    }
}

/// Values ↔ symbols of a table: v ↦ v − offset inside [0, n − 1), the last symbol escapes.
public struct SymbolModel: Sendable {
    public let table: FrequencyTable
    public let offset: Int32
    public init(table: FrequencyTable, offset: Int32) { self.table = table; self.offset = offset }
    var escape: Int { table.symbolCount - 1 }
}

public struct RangeEncoder {
    public var core = RangeEncoderCore()
    public init() {}

    public mutating func encode(_ value: Int32, _ model: SymbolModel) {
        let s = Int64(value) - Int64(model.offset)
        if s >= 0 && s < Int64(model.escape) {
            encodeSymbol(Int(s), model.table)
            return
        }
        encodeSymbol(model.escape, model.table)
        // zigzag, then Exp-Golomb: (len − 1) zeros, then the len bits of z + 1.
        let z = UInt64(UInt32(bitPattern: (value << 1) ^ (value >> 31))) + 1
        let len = 64 - z.leadingZeroBitCount
        for _ in 1..<len { core.encodeBypass(false) }
        for k in stride(from: len - 1, through: 0, by: -1) { core.encodeBypass((z >> UInt64(k)) & 1 != 0) }
    }

    @inline(__always) public mutating func encodeSymbol(_ s: Int, _ table: FrequencyTable) {
        core.encode(start: table.cdf[s], size: table.cdf[s + 1] - table.cdf[s], bits: FrequencyTable.precision)
    }

    public mutating func finish() -> [UInt8] {
        core.finishShortest()
    }
}

public struct RangeDecoder {
    public var core: RangeDecoderCore
    public init(_ data: UnsafeBufferPointer<UInt8>) { core = RangeDecoderCore(data) }

    public mutating func decode(_ model: SymbolModel) throws(SLICError) -> Int32 {
        let s = decodeSymbol(model.table)
        if s != model.escape { return Int32(truncatingIfNeeded: Int64(s) + Int64(model.offset)) }
        var zeros = 0
        while !core.decodeBypass() {
            zeros += 1
            if zeros > 32 { throw .corrupt("range coder: escape prefix longer than 32 bits") }
        }
        var z: UInt64 = 1
        for _ in 0..<zeros { z = z << 1 | (core.decodeBypass() ? 1 : 0) }
        let u = UInt32(truncatingIfNeeded: z - 1)
        return Int32(bitPattern: (u >> 1) ^ (0 &- (u & 1)))
    }

    @inline(__always) public mutating func decodeSymbol(_ table: FrequencyTable) -> Int {
        let (v, r) = core.peek(bits: FrequencyTable.precision)
        var lo = 0, hi = table.symbolCount  // find s with cdf[s] ≤ v < cdf[s + 1]
        table.cdf.withUnsafeBufferPointer { cdf in
            while hi - lo > 1 {
                let mid = (lo + hi) >> 1
                if cdf[mid] <= v { lo = mid } else { hi = mid }
            }
        }
        core.consume(start: table.cdf[lo], size: table.cdf[lo + 1] - table.cdf[lo], r: r)
        return lo
    }
}
