/// Post-compression rate–distortion optimisation (EBCOT's PCRD-opt) over code-blocks and quality layers.
///
/// Each block offers the convex hull of its truncation points; hull segments of all blocks are taken in order of
/// decreasing slope ΔD/ΔR (ties: lower block, then earlier segment) while the exact container size stays within
/// a layer's budget. A block whose next segment does not fit is closed for that layer, so smaller segments of
/// other blocks can still fill the budget. Budgets of successive layers grow, and every layer only adds passes,
/// so the stream is embedded at layer boundaries.
public enum RateAllocation {
    public struct Segment: Sendable, Equatable {
        /// `points`: the block's truncation points (segments) up to the segment's end.
        public var block: Int, index: Int, points: Int, length: Int, slope: Double
    }

    /// Truncation points of one block on the upper convex hull of (rate, cumulative distortion decrease),
    /// as segments with strictly decreasing slopes (a rate step of 0 bytes has infinite slope).
    public static func hull(_ truncation: [BitplaneCoder.TruncationPoint], block: Int) -> [Segment] {
        var builder = HullBuilder()
        for p in truncation { builder.add(p) }
        return builder.segments(block: block)
    }

    /// `hull` built a point at a time, so that an encoder whose first points are settled keeps their hull and
    /// adds only the rest (`PlaneEncoder.hull`).
    public struct HullBuilder: Sendable {
        typealias Point = (count: Int, length: Int, d: Double)
        /// The hull so far, from the origin.
        var points: [Point] = [(0, 0, 0)]
        /// Truncation points added, their cumulative distortion decrease and the last one's length.
        var count = 0, d = 0.0, lastLength = 0

        public init() {}

        static func slope(_ a: Point, _ b: Point) -> Double {
            b.length == a.length ? .infinity : (b.d - a.d) / Double(b.length - a.length)
        }

        public mutating func add(_ p: BitplaneCoder.TruncationPoint) {
            count += 1
            d += p.distortionDecrease
            lastLength = p.length
            let point = (count: count, length: p.length, d: d)
            if d <= points[points.count - 1].d { return }
            while points.count >= 2, HullBuilder.slope(points[points.count - 1], point)
                    >= HullBuilder.slope(points[points.count - 2], points[points.count - 1]) {
                points.removeLast()
            }
            points.append(point)
        }

        public func segments(block: Int) -> [Segment] {
            var segments = (1..<points.count).map { j in
                Segment(block: block, index: j - 1, points: points[j].count, length: points[j].length,
                        slope: HullBuilder.slope(points[j - 1], points[j]))
            }
            // The last truncation point stays a zero-slope step when it is not on the hull (it added nothing): for
            // a whole block, so that an unlimited budget is lossless (the last segment makes the block exact); for
            // a block still being coded, so that allocation can take all it coded (`LatentCodec.codeBlocks`).
            if count > 0 && points[points.count - 1].count != count {
                segments.append(Segment(block: block, index: segments.count, points: count, length: lastLength,
                                        slope: 0))
            }
            return segments
        }
    }

    /// Bytes a layer spends on one block that gains `segments` segments and `bytes` bytes in it (`first`: the
    /// block's first inclusion, which also carries its bitplane count).
    @inline(__always) static func cost(segments: Int, bytes: Int, first: Bool) -> Int {
        segments == 0 ? 0 : (first ? 1 : 0) + ByteWriter.varintSize(segments) + ByteWriter.varintSize(bytes) + bytes
    }

    /// Fixed bytes of one layer over `channels` blocks: inclusion bit vector and CRC.
    public static func layerOverhead(channels: Int) -> Int { (channels + 7) / 8 + 4 }

    /// Cumulative segment counts per block after each layer. `budgets` are total container sizes, `headerBytes` the
    /// header's size; `nil` budget means "everything".
    public static func allocate(_ blocks: [BitplaneCoder.EncodedBlock], budgets: [Int?],
                                headerBytes: Int) -> [[Int]] {
        var segments: [Segment] = []
        for (b, block) in blocks.enumerated() { segments += hull(block.points, block: b) }
        segments.sort(by: precedes)
        return allocate(ordered: segments, blocks: blocks.count, budgets: budgets, headerBytes: headerBytes)
    }

    /// The allocation order of segments: decreasing slope; ties: lower block, then earlier segment (a total
    /// order, so any way of sorting gives the same sequence).
    @inline(__always) static func precedes(_ a: Segment, _ b: Segment) -> Bool {
        (a.slope, -a.block, -a.index) > (b.slope, -b.block, -b.index)
    }

    /// `ordered` without the segments of the blocks marked in `replaced`, merged with `fresh` (in allocation
    /// order): the order `allocate` sorts, kept up to date by a rate-targeted encoder whose rounds code a few
    /// blocks at a time (sorting all segments after every round was most of its serial time between rounds).
    static func merge(_ ordered: [Segment], replacing replaced: [Bool], with fresh: [Segment]) -> [Segment] {
        interleave(ordered.lazy.filter { !replaced[$0.block] }, fresh, capacity: ordered.count + fresh.count)
    }

    /// Two sequences in allocation order as one (an element of `b` goes first only where it precedes).
    private static func interleave<A: Sequence<Segment>>(_ a: A, _ b: [Segment], capacity: Int) -> [Segment] {
        var out: [Segment] = []
        out.reserveCapacity(capacity)
        var j = 0
        for s in a {
            while j < b.count && precedes(b[j], s) {
                out.append(b[j])
                j += 1
            }
            out.append(s)
        }
        out += b[j...]
        return out
    }

    /// Lists in allocation order (each block's hull is one) merged into one, pairwise.
    static func merged(_ lists: [[Segment]]) -> [Segment] {
        if lists.isEmpty { return [] }
        var level = lists
        while level.count > 1 {
            var next: [[Segment]] = []
            next.reserveCapacity((level.count + 1) / 2)
            for j in Swift.stride(from: 0, to: level.count - 1, by: 2) {
                next.append(interleave(level[j], level[j + 1], capacity: level[j].count + level[j + 1].count))
            }
            if level.count % 2 == 1 { next.append(level[level.count - 1]) }
            level = next
        }
        return level[0]
    }

    /// `allocate` of the hull segments of `blocks` blocks, given in allocation order.
    static func allocate(ordered segments: [Segment], blocks c: Int, budgets: [Int?],
                         headerBytes: Int) -> [[Int]] {
        var next = [Int](repeating: 0, count: c)
        var counts = [Int](repeating: 0, count: c), length = [Int](repeating: 0, count: c)
        var total = headerBytes
        var result: [[Int]] = []
        for budget in budgets {
            total += layerOverhead(channels: c)
            let startCounts = counts, startLength = length
            var closed = [Bool](repeating: false, count: c)
            for s in segments where next[s.block] == s.index && !closed[s.block] {
                let b = s.block, first = startCounts[b] == 0
                let old = cost(segments: counts[b] - startCounts[b], bytes: length[b] - startLength[b], first: first)
                let new = cost(segments: s.points - startCounts[b], bytes: s.length - startLength[b], first: first)
                if let budget, total - old + new > budget { closed[b] = true; continue }
                total += new - old
                counts[b] = s.points
                length[b] = s.length
                next[b] += 1
            }
            result.append(counts)
        }
        return result
    }
}
