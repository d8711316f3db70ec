/// Post-compression rate–distortion optimisation (EBCOT's PCRD-opt) over code-blocks and quality layers.
///
/// Each block offers the convex hull of its truncation points; hull segments of all blocks are taken in order of
/// decreasing slope ΔD/ΔR (ties: lower block, then earlier segment) while the exact container size stays within
/// a layer's budget. A block whose next segment does not fit is closed for that layer, so smaller segments of
/// other blocks can still fill the budget. Budgets of successive layers grow, and every layer only adds passes,
/// so the stream is embedded at layer boundaries.
public enum RateAllocation {
    public struct Segment: Sendable {
        public var block: Int, index: Int, passes: Int, length: Int, slope: Double
    }

    /// Truncation points of one block on the upper convex hull of (rate, cumulative distortion decrease),
    /// as segments with strictly decreasing slopes (a rate step of 0 bytes has infinite slope).
    public static func hull(_ passes: [BitplaneCoder.Pass], block: Int) -> [Segment] {
        var points: [(passes: Int, length: Int, d: Double)] = [(0, 0, 0)]
        var d = 0.0
        func slope(_ a: (passes: Int, length: Int, d: Double), _ b: (passes: Int, length: Int, d: Double)) -> Double {
            b.length == a.length ? .infinity : (b.d - a.d) / Double(b.length - a.length)
        }
        for (k, p) in passes.enumerated() {
            d += p.distortionDecrease
            let point = (passes: k + 1, length: p.length, d: d)
            if d <= points[points.count - 1].d { continue }
            while points.count >= 2,
                  slope(points[points.count - 1], point) >= slope(points[points.count - 2], points[points.count - 1]) {
                points.removeLast()
            }
            points.append(point)
        }
        var segments = (1..<points.count).map { j in
            Segment(block: block, index: j - 1, passes: points[j].passes, length: points[j].length,
                    slope: slope(points[j - 1], points[j]))
        }
        // The last pass makes the block exact, so its distortion is the hull's maximum; when it only ties (it coded
        // nothing new), keep it anyway as a zero-slope step so that an unlimited budget is lossless.
        if let last = passes.last, points[points.count - 1].passes != passes.count {
            segments.append(Segment(block: block, index: segments.count, passes: passes.count, length: last.length,
                                    slope: 0))
        }
        return segments
    }

    /// Bytes a layer spends on one block that gains `passes` passes and `bytes` bytes in it (`first`: the block's
    /// first inclusion, which also carries its bitplane count).
    @inline(__always) static func cost(passes: Int, bytes: Int, first: Bool) -> Int {
        passes == 0 ? 0 : (first ? 1 : 0) + ByteWriter.varintSize(passes) + ByteWriter.varintSize(bytes) + bytes
    }

    /// Fixed bytes of one layer over `channels` blocks: inclusion bit vector and CRC.
    public static func layerOverhead(channels: Int) -> Int { (channels + 7) / 8 + 4 }

    /// Cumulative pass counts per block after each layer. `budgets` are total container sizes, `headerBytes` the
    /// header's size; `nil` budget means "everything".
    public static func allocate(_ blocks: [BitplaneCoder.EncodedBlock], budgets: [Int?],
                                headerBytes: Int) -> [[Int]] {
        var segments: [Segment] = []
        for (b, block) in blocks.enumerated() { segments += hull(block.passes, block: b) }
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
        var out: [Segment] = []
        out.reserveCapacity(ordered.count + fresh.count)
        var j = 0
        for s in ordered where !replaced[s.block] {
            while j < fresh.count && precedes(fresh[j], s) {
                out.append(fresh[j])
                j += 1
            }
            out.append(s)
        }
        out += fresh[j...]
        return out
    }

    /// `allocate` of the hull segments of `blocks` blocks, given in allocation order.
    static func allocate(ordered segments: [Segment], blocks c: Int, budgets: [Int?],
                         headerBytes: Int) -> [[Int]] {
        var next = [Int](repeating: 0, count: c)
        var passes = [Int](repeating: 0, count: c), length = [Int](repeating: 0, count: c)
        var total = headerBytes
        var result: [[Int]] = []
        for budget in budgets {
            total += layerOverhead(channels: c)
            let startPasses = passes, startLength = length
            var closed = [Bool](repeating: false, count: c)
            for s in segments where next[s.block] == s.index && !closed[s.block] {
                let b = s.block, first = startPasses[b] == 0
                let old = cost(passes: passes[b] - startPasses[b], bytes: length[b] - startLength[b], first: first)
                let new = cost(passes: s.passes - startPasses[b], bytes: s.length - startLength[b], first: first)
                if let budget, total - old + new > budget { closed[b] = true; continue }
                total += new - old
                passes[b] = s.passes
                length[b] = s.length
                next[b] += 1
            }
            result.append(passes)
        }
        return result
    }
}
