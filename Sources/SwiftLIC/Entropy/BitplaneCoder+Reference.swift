// The reference twin of PlaneState: the same passes and contexts, computed the obvious way from the flags of the
// 8 neighbours at every use. BitplaneTests check that both produce identical streams and decodes.

/// Significance / sign state over a zero border, the magnitudes (true ones when encoding, decoded bits when
/// decoding) and the lowest known plane of each coefficient.
struct ReferencePlaneState: BitplaneState {
    static let significant: UInt8 = 1, negative: UInt8 = 2, visited: UInt8 = 4, refined: UInt8 = 8
    static let negativeInput: UInt8 = 16  // encoder only: the true sign, before it is coded

    let height: Int, width: Int, stride: Int
    var flags: [UInt8]
    var mag: [UInt32]
    var plane: [UInt8]
    var contexts = BitplaneCoder.initialContexts
    /// Coefficient indices in the order they became significant (magnitude refinement's order).
    var order: [Int] = []
    /// `order.count` when the current plane began (magnitude refinement's coefficients, for a run resumed after
    /// significance propagation).
    var planeStart = 0

    static func forLoading(height: Int, width: Int, memory _: UnsafeMutableRawPointer?) -> ReferencePlaneState {
        ReferencePlaneState(height: height, width: width)
    }

    static func forDecoding(height: Int, width: Int, memory _: UnsafeMutableRawPointer?) -> ReferencePlaneState {
        ReferencePlaneState(height: height, width: width)
    }

    init(height: Int, width: Int) {
        self.height = height
        self.width = width
        stride = width + 2
        flags = [UInt8](repeating: 0, count: (height + 2) * (width + 2))
        mag = [UInt32](repeating: 0, count: height * width)
        plane = [UInt8](repeating: 0, count: height * width)
    }

    @inline(__always) func padded(_ i: Int) -> Int { (i / width + 1) * stride + i % width + 1 }

    mutating func load(_ values: UnsafeBufferPointer<Int32>) {
        for i in 0..<values.count {
            mag[i] = values[i].magnitude
            if values[i] < 0 { flags[padded(i)] |= ReferencePlaneState.negativeInput }
        }
    }

    func reconstruct(into out: UnsafeMutableBufferPointer<Int32>) {
        for i in 0..<out.count {
            let f = flags[padded(i)]
            if f & ReferencePlaneState.significant == 0 { out[i] = 0; continue }
            let r = Int32((16 * Int64(mag[i]) + 7 * (Int64(1) << plane[i]) + 8) / 16)  // 7/16 into the interval
            out[i] = f & ReferencePlaneState.negative != 0 ? -r : r
        }
    }

    /// JPEG 2000 LL-band significance context from (horizontal 0–2, vertical 0–2, diagonal 0–4) counts.
    static let significanceTable: [UInt8] = {
        var t = [UInt8](repeating: 0, count: 45)
        for h in 0...2 { for v in 0...2 { for d in 0...4 {
            let c: UInt8
            if h == 2 { c = 8 } else if h == 1 { c = v >= 1 ? 7 : (d >= 1 ? 6 : 5) }
            else if v == 2 { c = 4 } else if v == 1 { c = 3 } else { c = d >= 2 ? 2 : UInt8(d) }
            t[(h * 3 + v) * 5 + d] = c
        } } }
        return t
    }()

    /// Sign context (9…13) and flip bit indexed by (horizontal contribution + 1) · 3 + (vertical + 1).
    static let signTable: [(UInt8, Bool)] = [
        (13, true), (12, true), (11, true),   // h = −1; v = −1, 0, 1
        (10, true), (9, false), (10, false),  // h = 0
        (11, false), (12, false), (13, false), // h = 1
    ]

    mutating func run<C: PlaneBitCoder>(planes: Int, from position: Int, segments: Int, coder: inout C,
                                        afterSegment: (Double, (position: Int, low: UInt32)) -> Void) {
        let h = height, w = width, s = stride, stripes = (h + 3) / 4
        let sigT = ReferencePlaneState.significanceTable, signT = ReferencePlaneState.signTable
        var order = self.order, planeStart = self.planeStart
        flags.withUnsafeMutableBufferPointer { f in
        mag.withUnsafeMutableBufferPointer { m in
        plane.withUnsafeMutableBufferPointer { pl in
        contexts.withUnsafeMutableBufferPointer { cx in
            @inline(__always) func sigContext(_ q: Int) -> Int {
                let S = ReferencePlaneState.significant
                let hc = Int(f[q - 1] & S) + Int(f[q + 1] & S)
                let vc = Int(f[q - s] & S) + Int(f[q + s] & S)
                let dc = Int(f[q - s - 1] & S) + Int(f[q - s + 1] & S) + Int(f[q + s - 1] & S) + Int(f[q + s + 1] & S)
                return Int(sigT[(hc * 3 + vc) * 5 + dc])
            }
            @inline(__always) func contribution(_ a: UInt8, _ b: UInt8) -> Int {
                var c = 0
                if a & ReferencePlaneState.significant != 0 { c += a & ReferencePlaneState.negative != 0 ? -1 : 1 }
                if b & ReferencePlaneState.significant != 0 { c += b & ReferencePlaneState.negative != 0 ? -1 : 1 }
                return max(-1, min(1, c))
            }
            // Codes the sign of a newly significant coefficient and records what the decoder now knows.
            @inline(__always) func becomeSignificant(_ q: Int, _ i: Int, _ p: Int) -> Double {
                let hc = contribution(f[q - 1], f[q + 1]), vc = contribution(f[q - s], f[q + s])
                let (ctx, flip) = signT[(hc + 1) * 3 + vc + 1]
                let truth = f[q] & ReferencePlaneState.negativeInput != 0
                let negative = coder.code(truth != flip, &cx[Int(ctx)]) != flip
                f[q] |= ReferencePlaneState.significant | (negative ? ReferencePlaneState.negative : 0)
                pl[i] = UInt8(p)
                order.append(i)
                if C.isEncoder { return BitplaneCoder.significanceGain(m[i], plane: UInt32(p)) }
                m[i] |= 1 << p
                return 0
            }
            @inline(__always) func codeSignificance(_ q: Int, _ i: Int, _ p: Int, _ ctx: Int) -> Double {
                if coder.code((m[i] >> p) & 1 != 0, &cx[ctx]) { return becomeSignificant(q, i, p) }
                return 0
            }
            @inline(__always) func forEachInStripes(_ part: Range<Int>, _ body: (Int, Int, Int) -> Void) {
                for k in part {
                    let y0 = 4 * k, y1 = min(y0 + 4, h)
                    for x in 0..<w { for y in y0..<y1 { body(y * s + s + x + 1, y * w + x, y) } }
                }
            }

            for t in position..<(position + segments) {
                // Segment `part` of pass t: a quarter of its stripes, or of its refinement list.
                let (p, kind) = BitplaneCoder.pass(t / BitplaneCoder.segmentsPerPass, planes: planes)
                let part = t % BitplaneCoder.segmentsPerPass
                if part == 0 && (kind == 0 || p == planes - 1) { planeStart = order.count }
                var d = 0.0
                if kind == 0 {
                    // Significance propagation: insignificant coefficients with a significant neighbour.
                    forEachInStripes(BitplaneCoder.segment(part, of: stripes)) { q, i, _ in
                        if f[q] & ReferencePlaneState.significant != 0 { return }
                        let ctx = sigContext(q)
                        if ctx == 0 { return }
                        f[q] |= ReferencePlaneState.visited
                        d += codeSignificance(q, i, p, ctx)
                    }
                } else if kind == 1 {
                    // Magnitude refinement: coefficients significant before this plane, in the order they became so.
                    for i in order[BitplaneCoder.segment(part, of: planeStart)] {
                        let q = (i / w + 1) * s + i % w + 1
                        let fq = f[q]
                        let ctx = fq & ReferencePlaneState.refined != 0 ? 16 : (sigContext(q) == 0 ? 14 : 15)
                        let bit = coder.code((m[i] >> p) & 1 != 0, &cx[ctx])
                        f[q] = fq | ReferencePlaneState.refined
                        pl[i] = UInt8(p)
                        if C.isEncoder {
                            d += BitplaneCoder.refinementGain(m[i], plane: UInt32(p))
                        } else if bit {
                            m[i] |= 1 << p
                        }
                    }
                } else {
                    // Cleanup: everything not yet coded in this plane; a run of quiet columns (4 rows, nothing
                    // significant, visited or next to a significant coefficient) is coded as a whole.
                    for k in BitplaneCoder.segment(part, of: stripes) {
                        let y0 = 4 * k, y1 = min(y0 + 4, h)
                        @inline(__always) func quiet(_ x: Int) -> Bool {
                            if y1 - y0 < 4 { return false }
                            for y in y0..<y1 {
                                let q = y * s + s + x + 1
                                if f[q] & (ReferencePlaneState.significant | ReferencePlaneState.visited) != 0
                                    || sigContext(q) != 0 { return false }
                            }
                            return true
                        }
                        // The column of a quiet run [lo, hi) that holds the first 1 (known to lie in it), by halving.
                        func locate(_ lo: Int, _ hi: Int, _ first: Int) -> Int {
                            if hi - lo == 1 { return lo }
                            let mid = lo + (hi - lo) / 2
                            let left = coder.code(first < mid, &cx[BitplaneCoder.halvingContext])
                            return left ? locate(lo, mid, first) : locate(mid, hi, first)
                        }
                        var x = 0
                        while x < w {
                            var y = y0
                            if quiet(x) {
                                var end = x + 1
                                while end < w && quiet(end) { end += 1 }
                                var first = end  // encoder: the first column holding a 1 in plane p
                                if C.isEncoder {
                                    first = (x..<end).first { c in
                                        (y0..<y1).contains { (m[$0 * w + c] >> p) & 1 != 0 }
                                    } ?? end
                                }
                                let c: Int
                                if end - x == 1 {
                                    c = coder.code(first == x, &cx[BitplaneCoder.runContext]) ? x : end
                                } else {
                                    let ctx = end - x < BitplaneCoder.longQuietRun ? BitplaneCoder.shortQuietRunContext
                                        : BitplaneCoder.longQuietRunContext
                                    c = coder.code(first < end, &cx[ctx]) ? locate(x, end, first) : end
                                }
                                if c == end {
                                    x = end
                                    continue
                                }
                                x = c
                                var row = 4
                                if C.isEncoder {
                                    for r in 0..<4 where (m[(y0 + r) * w + x] >> p) & 1 != 0 { row = r; break }
                                }
                                let hi = coder.bypass(row & 2 != 0), lo = coder.bypass(row & 1 != 0)
                                let r = (hi ? 2 : 0) + (lo ? 1 : 0)
                                d += becomeSignificant(y0 * s + r * s + s + x + 1, (y0 + r) * w + x, p)
                                y = y0 + r + 1
                            }
                            while y < y1 {
                                let q = y * s + s + x + 1, i = y * w + x
                                if f[q] & (ReferencePlaneState.significant | ReferencePlaneState.visited) == 0 {
                                    d += codeSignificance(q, i, p, sigContext(q))
                                }
                                y += 1
                            }
                            x += 1
                        }
                    }
                    // After the plane's last segment, clear the visited marks for the next plane.
                    if part == BitplaneCoder.segmentsPerPass - 1 {
                        for q in 0..<f.count { f[q] &= ~ReferencePlaneState.visited }
                    }
                }
                afterSegment(d, coder.snapshot)
            }
        }
        }
        }
        }
        self.order = order
        self.planeStart = planeStart
    }
}
