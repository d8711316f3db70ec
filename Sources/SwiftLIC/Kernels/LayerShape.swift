/// Shape checks shared by the layer kernels (GDN, pooling, resampling, quantization proxies, Adam, losses), so
/// every export rejects bad input with the same kind of message: what was expected and what was found.
public enum LayerShape {
    /// Checks an NCHW shape (batch ≥ 1, channels ≥ 1, height ≥ 1, width ≥ 1) and returns its element count.
    public static func count(_ op: String, n: Int, c: Int, h: Int, w: Int) throws(SLICError) -> Int {
        try require(n >= 1 && c >= 1 && h >= 1 && w >= 1,
                    "\(op): expected an N×C×H×W shape with every dimension ≥ 1, got \(n)×\(c)×\(h)×\(w)")
        let (nc, o1) = n.multipliedReportingOverflow(by: c)
        let (hw, o2) = h.multipliedReportingOverflow(by: w)
        let (all, o3) = nc.multipliedReportingOverflow(by: hw)
        try require(!o1 && !o2 && !o3 && all <= Int(Int32.max) * 64, "\(op): shape \(n)×\(c)×\(h)×\(w) is too large")
        return all
    }

    /// Checks that buffer `name` holds exactly `expected` values.
    public static func holds(_ op: String, _ name: String, _ actual: Int, _ expected: Int,
                             _ what: @autoclosure () -> String) throws(SLICError) {
        try require(actual == expected, "\(op): \(name) holds \(actual) values, expected \(expected) (\(what()))")
    }
}

/// Deterministic sums: values are cut into fixed blocks of `blockSize` (independent of the thread count), each
/// block is summed in Double from left to right, and the block sums are added in order.
public enum BlockedSum {
    public static let blockSize = 4096

    /// Σ_i term(i) for i in 0..<count, where `blockTerm(range)` returns the Double sum of its range, left to right.
    public static func sum(_ count: Int, _ blockTerm: (Range<Int>) -> Double) -> Double {
        if count <= 0 { return 0 }
        let blocks = (count + blockSize - 1) / blockSize
        if blocks == 1 { return blockTerm(0..<count) }
        var partial = [Double](repeating: 0, count: blocks)
        partial.withUnsafeMutableBufferPointer { part in
            Parallel.forRanges(blocks) { rb in
                for b in rb { part[b] = blockTerm(b * blockSize..<min(count, (b + 1) * blockSize)) }
            }
        }
        var s = 0.0
        for v in partial { s += v }
        return s
    }
}

