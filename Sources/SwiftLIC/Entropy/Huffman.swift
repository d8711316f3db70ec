// READ ME FIRST — canonical Huffman coder (the seeds' baseline entropy coder).
//
// - Code lengths from symbol counts by Huffman's algorithm (two-queue merge over counts sorted by (count,
//   symbol), so ties break the same way everywhere), limited to `maxLength` bits by halving the counts and
//   rebuilding. A single used symbol gets a 1-bit code.
// - Canonical codes: symbols sorted by (length, symbol) take consecutive codes; only the lengths need sending.
// - Bits are written MSB first into bytes; the last byte is zero padded. The decoder is told the symbol count
//   and throws `corruptStream` when the data runs out or a code does not exist (incomplete code spaces).

public struct HuffmanCode: Sendable {
    public let lengths: [UInt8]
    public let codes: [UInt32]
    let maxLength: Int
    // Canonical decoding tables: per length, first code, count and the index into `sorted`.
    let firstCode: [UInt32], countOfLength: [Int], firstIndex: [Int], sorted: [Int]

    /// Lengths for `counts` (symbols with count 0 get no code), at most `maxLength` (1…31) bits.
    public init(counts: [Int], maxLength: Int = 24) throws(SLICError) {
        try require(!counts.isEmpty && counts.allSatisfy { $0 >= 0 }, "Huffman: expected non-negative counts")
        try require(maxLength >= 1 && maxLength <= 31, "Huffman: max length must be 1…31, got \(maxLength)")
        let used = counts.filter { $0 > 0 }.count
        try require(used <= 1 << maxLength, "Huffman: \(used) symbols do not fit in \(maxLength)-bit codes")
        var c = counts
        var lengths: [UInt8]
        repeat {
            lengths = HuffmanCode.lengths(c)
            c = c.map { $0 == 0 ? 0 : max(1, $0 / 2) }
        } while Int(lengths.max() ?? 0) > maxLength
        try self.init(lengths: lengths)
    }

    /// Canonical code from lengths; the lengths must satisfy Kraft's inequality.
    public init(lengths: [UInt8]) throws(SLICError) {
        let maxLength = Int(lengths.max() ?? 0)
        try require(maxLength <= 31, "Huffman: code lengths above 31 bits")
        var kraft: UInt64 = 0
        for l in lengths where l > 0 { kraft += UInt64(1) << UInt64(31 - Int(l)) }
        try require(kraft <= UInt64(1) << 31, "Huffman: code lengths violate Kraft's inequality")
        let sorted = lengths.indices.filter { lengths[$0] > 0 }.sorted { (lengths[$0], $0) < (lengths[$1], $1) }
        var codes = [UInt32](repeating: 0, count: lengths.count)
        var firstCode = [UInt32](repeating: 0, count: maxLength + 2)
        var countOfLength = [Int](repeating: 0, count: maxLength + 2)
        var firstIndex = [Int](repeating: 0, count: maxLength + 2)
        var code: UInt32 = 0, previous = 0
        for (k, s) in sorted.enumerated() {
            let l = Int(lengths[s])
            if l != previous {
                code <<= UInt32(l - previous)
                firstCode[l] = code
                firstIndex[l] = k
                previous = l
            }
            codes[s] = code
            countOfLength[l] += 1
            code += 1
        }
        self.lengths = lengths
        self.codes = codes
        self.maxLength = maxLength
        self.firstCode = firstCode
        self.countOfLength = countOfLength
        self.firstIndex = firstIndex
        self.sorted = sorted
    }

    /// Unlimited Huffman code lengths by the two-queue method.
    static func lengths(_ counts: [Int]) -> [UInt8] {
        let leaves = counts.indices.filter { counts[$0] > 0 }.sorted { (counts[$0], $0) < (counts[$1], $1) }
        var lengths = [UInt8](repeating: 0, count: counts.count)
        if leaves.count == 1 { lengths[leaves[0]] = 1 }
        if leaves.count <= 1 { return lengths }
        // Nodes: leaves first, then internal nodes in creation order (their weights never decrease).
        var weight = leaves.map { counts[$0] }, parent = [Int](repeating: -1, count: 2 * leaves.count - 1)
        var nextLeaf = 0, nextInternal = leaves.count
        func takeSmallest() -> Int {
            if nextLeaf < leaves.count && (nextInternal >= weight.count || weight[nextLeaf] <= weight[nextInternal]) {
                nextLeaf += 1
                return nextLeaf - 1
            }
            nextInternal += 1
            return nextInternal - 1
        }
        for _ in 0..<(leaves.count - 1) {
            let a = takeSmallest(), b = takeSmallest()
            weight.append(weight[a] + weight[b])
            parent[a] = weight.count - 1
            parent[b] = weight.count - 1
        }
        var depth = [Int](repeating: 0, count: weight.count)
        for node in stride(from: weight.count - 2, through: 0, by: -1) { depth[node] = depth[parent[node]] + 1 }
        for (k, s) in leaves.enumerated() { lengths[s] = UInt8(min(depth[k], 255)) }
        return lengths
    }

    public func encode(_ symbols: [Int]) throws(SLICError) -> [UInt8] {
        var out: [UInt8] = []
        var acc: UInt64 = 0, n = 0
        for s in symbols {
            try require(s >= 0 && s < lengths.count && lengths[s] > 0, "Huffman: symbol \(s) has no code")
            acc = acc << UInt64(lengths[s]) | UInt64(codes[s])
            n += Int(lengths[s])
            while n >= 8 { n -= 8; out.append(UInt8(truncatingIfNeeded: acc >> UInt64(n))) }
        }
        if n > 0 { out.append(UInt8(truncatingIfNeeded: acc << UInt64(8 - n))) }
        return out
    }

    public func decode(_ data: [UInt8], count: Int) throws(SLICError) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(min(count, data.count * 8))
        var bit = 0
        for _ in 0..<count {
            var code: UInt32 = 0
            var l = 0
            while true {
                guard bit < data.count * 8 else { throw .corrupt("Huffman: data ends after \(out.count) symbols") }
                code = code << 1 | UInt32(data[bit >> 3] >> (7 - UInt8(bit & 7)) & 1)
                bit += 1
                l += 1
                guard l <= maxLength else { throw .corrupt("Huffman: no code matches at bit \(bit)") }
                if countOfLength[l] > 0 && code >= firstCode[l] && Int(code - firstCode[l]) < countOfLength[l] {
                    out.append(sorted[firstIndex[l] + Int(code - firstCode[l])])
                    break
                }
            }
        }
        return out
    }
}
