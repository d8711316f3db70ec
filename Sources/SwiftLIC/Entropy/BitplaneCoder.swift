// READ ME FIRST — EBCOT-style bitplane coder for one code-block (one latent channel, h × w signed integers).
//
// - Sign–magnitude; `planes` = bit length of the largest magnitude (sent in the container, ≤ maxPlanes).
//   Passes: the top plane has only a cleanup pass; every lower plane has significance propagation (SPP),
//   magnitude refinement (MRP) and cleanup (CP): 3·planes − 2 passes in all.
// - Scan: stripes of 4 rows, column by column inside a stripe, top to bottom (JPEG 2000 order).
// - Contexts (18, adaptive, see BinaryArithmeticCoder): 9 significance contexts from the counts of significant
//   horizontal / vertical / diagonal neighbours (JPEG 2000's LL table), 5 sign contexts with a flip bit from the
//   signs of the significant horizontal and vertical neighbours, 3 refinement contexts (first refinement without /
//   with significant neighbours, later refinements), 1 run-length context; run positions are 2 bypass bits.
//   Significance-without-neighbours and run contexts start at P(0) ≈ 0.98, the other significance contexts at
//   0.73 (measured, see `initialContexts`). No context crosses blocks — not even the same position in the previous
//   channel: the decoder's knowledge of another block depends on where PCRD cut it, which the encoder does not
//   know while coding — so each block can be truncated independently.
// - Reconstruction of a significant coefficient known down to plane p: the midpoint (m >> p << p) + 2^(p−1).
//   The encoder measures each pass's distortion decrease with exactly that rule.
// - Truncation points: after every pass the shortest stream prefix that decodes it (byte aligned, zero padded),
//   made non-decreasing. A decoder given a block truncated at such a length and told the pass count decodes the
//   same coefficients the encoder saw at that point.
// - Two implementations of the passes must give identical bits: `PlaneState` (fast: per-coefficient words that
//   carry the neighbours' significance and signs, inactive stripes skipped) and `ReferencePlaneState`
//   (BitplaneCoder+Reference.swift: contexts recomputed from the 8 neighbours at every use). Tests compare them.

public enum BitplaneCoder {
    /// Largest number of bitplanes (magnitudes below 2^30).
    public static let maxPlanes = 30

    public struct Pass: Sendable, Equatable {
        /// Bytes of the block's stream needed to decode up to and including this pass.
        public var length: Int
        /// Decrease of the squared error (in quantizer units², times the block's weight) from this pass.
        public var distortionDecrease: Double
    }

    public struct EncodedBlock: Sendable {
        public var planes: Int
        public var bytes: [UInt8]
        public var passes: [Pass]
    }

    public static func passCount(planes: Int) -> Int { planes == 0 ? 0 : 3 * planes - 2 }

    /// Codes `values` (row-major h × w, |v| < 2^30) and records every pass's truncation point.
    public static func encode(_ values: UnsafeBufferPointer<Int32>, height: Int, width: Int,
                              weight: Double = 1) -> EncodedBlock {
        encode(values, height: height, width: width, weight: weight, state: PlaneState.self)
    }

    /// Decodes the first `passes` passes of a block into reconstructed integers (0 where nothing is known).
    /// Throws `corruptStream` when the arithmetic decoder ends in a state no valid stream reaches.
    public static func decode(_ data: UnsafeBufferPointer<UInt8>, planes: Int, passes: Int, height: Int,
                              width: Int, into out: UnsafeMutableBufferPointer<Int32>) throws(SLICError) {
        try decode(data, planes: planes, passes: passes, height: height, width: width, into: out,
                   state: PlaneState.self)
    }

    static func encode<S: BitplaneState>(_ values: UnsafeBufferPointer<Int32>, height: Int, width: Int,
                                         weight: Double, state _: S.Type) -> EncodedBlock {
        var maxMag: UInt32 = 0
        for v in values { maxMag = max(maxMag, v.magnitude) }
        let planes = maxMag == 0 ? 0 : 32 - maxMag.leadingZeroBitCount
        if planes == 0 { return EncodedBlock(planes: 0, bytes: [], passes: []) }
        var state = S(height: height, width: width)
        state.load(values)
        var coder = EncodingCoder(encoder: BinaryArithmeticEncoder(capacity: values.count / 2))
        var snapshots: [(position: Int, low: UInt32)] = []
        var decreases: [Double] = []
        state.run(planes: planes, passes: passCount(planes: planes), coder: &coder) { d, snapshot in
            snapshots.append(snapshot)
            decreases.append(d * weight)
        }
        let full = coder.encoder.core.finish()
        var passes: [Pass] = []
        var length = 0
        for (k, s) in snapshots.enumerated() {
            length = max(length, RangeEncoderCore.truncationLength(full, at: s))
            passes.append(Pass(length: length, distortionDecrease: decreases[k]))
        }
        return EncodedBlock(planes: planes, bytes: Array(full[0..<length]), passes: passes)
    }

    static func decode<S: BitplaneState>(_ data: UnsafeBufferPointer<UInt8>, planes: Int, passes: Int, height: Int,
                                         width: Int, into out: UnsafeMutableBufferPointer<Int32>,
                                         state _: S.Type) throws(SLICError) {
        precondition(out.count == height * width && planes <= maxPlanes && passes <= passCount(planes: planes))
        if passes == 0 {
            for i in 0..<out.count { out[i] = 0 }
            return
        }
        var state = S(height: height, width: width)
        var coder = DecodingCoder(decoder: BinaryArithmeticDecoder(data))
        state.run(planes: planes, passes: passes, coder: &coder) { _, _ in }
        guard coder.decoder.isConsistent else {
            throw .corrupt("bitplane block: arithmetic decoder ended outside its interval")
        }
        state.reconstruct(into: out)
    }
}

/// A block's coding state; `PlaneState` (fast) and `ReferencePlaneState` (obvious) must give identical bits.
protocol BitplaneState {
    init(height: Int, width: Int)
    /// Encoder: the true magnitudes and signs.
    mutating func load(_ values: UnsafeBufferPointer<Int32>)
    /// Runs the first `passes` passes from plane `planes − 1` down, calling `afterPass` with each pass's
    /// distortion decrease (encoder only) and the coder's snapshot.
    mutating func run<C: PlaneBitCoder>(planes: Int, passes: Int, coder: inout C,
                                        afterPass: (Double, (position: Int, low: UInt32)) -> Void)
    /// Decoder: midpoint reconstruction of what is known.
    func reconstruct(into out: UnsafeMutableBufferPointer<Int32>)
}

// MARK: - The passes, shared by encoder and decoder through `PlaneBitCoder`.

protocol PlaneBitCoder {
    static var isEncoder: Bool { get }
    /// Encoder: codes `bit` and returns it. Decoder: ignores `bit`, returns the decoded one.
    mutating func code(_ bit: Bool, _ context: inout BitContext) -> Bool
    mutating func bypass(_ bit: Bool) -> Bool
    /// Encoder state for truncation lengths (the decoder's is unused).
    var snapshot: (position: Int, low: UInt32) { get }
}

struct EncodingCoder: PlaneBitCoder {
    var encoder: BinaryArithmeticEncoder
    static var isEncoder: Bool { true }
    var snapshot: (position: Int, low: UInt32) { encoder.snapshot }
    @inline(__always) mutating func code(_ bit: Bool, _ context: inout BitContext) -> Bool {
        encoder.encode(bit, &context)
        return bit
    }
    @inline(__always) mutating func bypass(_ bit: Bool) -> Bool {
        encoder.encodeBypass(bit)
        return bit
    }
}

struct DecodingCoder: PlaneBitCoder {
    var decoder: BinaryArithmeticDecoder
    static var isEncoder: Bool { false }
    var snapshot: (position: Int, low: UInt32) { (0, 0) }
    @inline(__always) mutating func code(_ bit: Bool, _ context: inout BitContext) -> Bool { decoder.decode(&context) }
    @inline(__always) mutating func bypass(_ bit: Bool) -> Bool { decoder.decodeBypass() }
}

extension BitplaneCoder {
    /// Starting probabilities of the 18 contexts (P(0) in 1/32768): significance without significant neighbours
    /// and the run context are nearly always 0, the other significance contexts mostly 0, so they start skewed and
    /// a block pays less to learn them. Measured on Kodak block-DCT latents (64 and 192 channels, 0.1–1.4 bpp):
    /// 3–6% smaller than starting every context at ½ (P(0) = 32000 / 24000 chosen from a small grid).
    static let initialContexts: [BitContext] = (0..<18).map { k in
        switch k {
        case 0, 17: return BitContext(p0: 32000)
        case 1...8: return BitContext(p0: 24000)
        default: return BitContext()
        }
    }

    /// Midpoint reconstruction of a magnitude whose bits are known down to plane p (the bits below are zero).
    @inline(__always) static func reconstruction(_ known: UInt32, plane p: UInt32) -> UInt32 { known + ((1 << p) >> 1) }

    /// Squared-error decrease when coefficient m becomes significant at plane p.
    @inline(__always) static func significanceGain(_ m: UInt32, plane p: UInt32) -> Double {
        let v = Double(m), r = Double(reconstruction((m >> p) << p, plane: p))
        return v * v - (v - r) * (v - r)
    }

    /// Squared-error decrease when coefficient m is refined from plane p + 1 to plane p.
    @inline(__always) static func refinementGain(_ m: UInt32, plane p: UInt32) -> Double {
        let v = Double(m)
        let before = Double(reconstruction((m >> (p + 1)) << (p + 1), plane: p + 1))
        let after = Double(reconstruction((m >> p) << p, plane: p))
        return (v - before) * (v - before) - (v - after) * (v - after)
    }
}

/// The fast state: one 32-bit word per coefficient (over a zero border) that carries, besides its own flags, the
/// significance of its 8 neighbours and the signs of its 4 direct ones. Whoever becomes significant updates its
/// neighbours' words, so every context is one table lookup and quiet regions are skipped by one test.
struct PlaneState: BitplaneState {
    // Neighbour significance: N, S, W, E, NW, NE, SW, SE (bits 0…7); neighbour negative: N, S, W, E (bits 8…11).
    static let neighbours: UInt32 = 0xFF
    static let significant: UInt32 = 1 << 12, negative: UInt32 = 1 << 13, visited: UInt32 = 1 << 14
    static let refined: UInt32 = 1 << 15, negativeInput: UInt32 = 1 << 16

    /// Context of a neighbour mask, from the reference's (horizontal, vertical, diagonal) rule.
    static let significanceTable: [UInt8] = (0..<256).map { m in
        let h = (m >> 2 & 1) + (m >> 3 & 1), v = (m & 1) + (m >> 1 & 1)
        let d = (m >> 4 & 1) + (m >> 5 & 1) + (m >> 6 & 1) + (m >> 7 & 1)
        return ReferencePlaneState.significanceTable[(h * 3 + v) * 5 + d]
    }
    /// Sign context and flip bit indexed by (significance of N, S, W, E) | (their negatives) << 4.
    static let signTable: [(UInt8, Bool)] = (0..<256).map { m in
        func contribution(_ k: Int) -> Int { m >> k & 1 == 0 ? 0 : (m >> (k + 4) & 1 != 0 ? -1 : 1) }
        let hc = max(-1, min(1, contribution(2) + contribution(3)))
        let vc = max(-1, min(1, contribution(0) + contribution(1)))
        return ReferencePlaneState.signTable[(hc + 1) * 3 + vc + 1]
    }

    let height: Int, width: Int, stride: Int
    var words: [UInt32]
    var mag: [UInt32]
    var plane: [UInt8]
    var contexts = BitplaneCoder.initialContexts
    /// Stripes holding a significant coefficient or a neighbour of one: the only ones SPP and MRP must scan.
    var activeStripes: [Bool]

    init(height: Int, width: Int) {
        self.height = height
        self.width = width
        stride = width + 2
        activeStripes = [Bool](repeating: false, count: (height + 3) / 4)
        words = [UInt32](repeating: 0, count: (height + 2) * (width + 2))
        mag = [UInt32](repeating: 0, count: height * width)
        plane = [UInt8](repeating: 0, count: height * width)
    }

    mutating func load(_ values: UnsafeBufferPointer<Int32>) {
        for y in 0..<height {
            for x in 0..<width where values[y * width + x] < 0 { words[(y + 1) * stride + x + 1] |= Self.negativeInput }
        }
        for i in 0..<values.count { mag[i] = values[i].magnitude }
    }

    func reconstruct(into out: UnsafeMutableBufferPointer<Int32>) {
        for y in 0..<height {
            for x in 0..<width {
                let i = y * width + x, f = words[(y + 1) * stride + x + 1]
                if f & Self.significant == 0 { out[i] = 0; continue }
                let r = Int32(BitplaneCoder.reconstruction(mag[i], plane: UInt32(plane[i])))
                out[i] = f & Self.negative != 0 ? -r : r
            }
        }
    }

    mutating func run<C: PlaneBitCoder>(planes: Int, passes: Int, coder: inout C,
                                        afterPass: (Double, (position: Int, low: UInt32)) -> Void) {
        let h = height, w = width, s = stride
        let sigT = Self.significanceTable, signT = Self.signTable
        var done = 0
        words.withUnsafeMutableBufferPointer { f in
        mag.withUnsafeMutableBufferPointer { m in
        plane.withUnsafeMutableBufferPointer { pl in
        contexts.withUnsafeMutableBufferPointer { cx in
        sigT.withUnsafeBufferPointer { sigT in
        signT.withUnsafeBufferPointer { signT in
        activeStripes.withUnsafeMutableBufferPointer { active in
            @inline(__always) func becomeSignificant(_ q: Int, _ i: Int, _ p: Int) -> Double {
                let row = i / w
                active[row >> 2] = true
                if row & 3 == 0 && row > 0 { active[(row >> 2) - 1] = true }
                if row & 3 == 3 && row + 1 < h { active[(row >> 2) + 1] = true }
                let wq = f[q]
                let (ctx, flip) = signT[Int((wq & 0xF) | (wq >> 4 & 0xF0))]
                let truth = wq & Self.negativeInput != 0
                let negative = coder.code(truth != flip, &cx[Int(ctx)]) != flip
                let n: UInt32 = negative ? 1 : 0
                f[q] = wq | Self.significant | (negative ? Self.negative : 0)
                f[q - s] |= 1 << 1 | n << 9       // we are its S neighbour
                f[q + s] |= 1 << 0 | n << 8       // its N
                f[q - 1] |= 1 << 3 | n << 11      // its E
                f[q + 1] |= 1 << 2 | n << 10      // its W
                f[q - s - 1] |= 1 << 7
                f[q - s + 1] |= 1 << 6
                f[q + s - 1] |= 1 << 5
                f[q + s + 1] |= 1 << 4
                pl[i] = UInt8(p)
                if C.isEncoder { return BitplaneCoder.significanceGain(m[i], plane: UInt32(p)) }
                m[i] |= 1 << p
                return 0
            }

            // Stripe scan over the stripes that can hold work for SPP and MRP: body(padded index, index).
            @inline(__always) func scanActiveStripes(_ body: (Int, Int) -> Void) {
                var y0 = 0
                while y0 < h {
                    let y1 = min(y0 + 4, h)
                    if active[y0 >> 2] {
                        for x in 0..<w {
                            var q = y0 * s + s + x + 1, i = y0 * w + x
                            for _ in y0..<y1 {
                                body(q, i)
                                q += s; i += w
                            }
                        }
                    }
                    y0 += 4
                }
            }

            for p in Swift.stride(from: planes - 1, through: 0, by: -1) {
                let bitP = UInt32(1) << p
                if p < planes - 1 {
                    // Significance propagation: insignificant coefficients with a significant neighbour.
                    var d = 0.0
                    scanActiveStripes { q, i in
                        let wq = f[q]
                        if wq & Self.significant == 0 && wq & Self.neighbours != 0 {
                            f[q] = wq | Self.visited
                            if coder.code(m[i] & bitP != 0, &cx[Int(sigT[Int(wq & 0xFF)])]) {
                                d += becomeSignificant(q, i, p)
                            }
                        }
                    }
                    afterPass(d, coder.snapshot); done += 1
                    if done == passes { return }
                    // Magnitude refinement: coefficients significant before this plane.
                    d = 0
                    scanActiveStripes { q, i in
                        let wq = f[q]
                        if wq & (Self.significant | Self.visited) == Self.significant {
                            let ctx = wq & Self.refined != 0 ? 16 : (wq & Self.neighbours == 0 ? 14 : 15)
                            let bit = coder.code(m[i] & bitP != 0, &cx[ctx])
                            f[q] = wq | Self.refined
                            pl[i] = UInt8(p)
                            if C.isEncoder { d += BitplaneCoder.refinementGain(m[i], plane: UInt32(p)) }
                            else if bit { m[i] |= bitP }
                        }
                    }
                    afterPass(d, coder.snapshot); done += 1
                    if done == passes { return }
                }
                // Cleanup: everything not yet coded in this plane, with run mode over quiet 4-row columns; clears
                // the visited marks on the way.
                var d = 0.0
                var y0 = 0
                let busy = Self.neighbours | Self.significant | Self.visited
                while y0 < h {
                    let y1 = min(y0 + 4, h)
                    for x in 0..<w {
                        var y = y0
                        let q0 = y0 * s + s + x + 1
                        if y1 - y0 == 4 && (f[q0] | f[q0 + s] | f[q0 + 2 * s] | f[q0 + 3 * s]) & busy == 0 {
                            var first = 4
                            if C.isEncoder {
                                for r in 0..<4 where m[(y0 + r) * w + x] & bitP != 0 { first = r; break }
                            }
                            if !coder.code(first < 4, &cx[ReferencePlaneState.runContext]) { continue }
                            let hi = coder.bypass(first & 2 != 0), lo = coder.bypass(first & 1 != 0)
                            let r = (hi ? 2 : 0) + (lo ? 1 : 0)
                            d += becomeSignificant(q0 + r * s, (y0 + r) * w + x, p)
                            y = y0 + r + 1
                        }
                        var q = y * s + s + x + 1, i = y * w + x
                        while y < y1 {
                            let wq = f[q]
                            if wq & (Self.significant | Self.visited) == 0 {
                                if coder.code(m[i] & bitP != 0, &cx[Int(sigT[Int(wq & 0xFF)])]) {
                                    d += becomeSignificant(q, i, p)
                                }
                            } else if wq & Self.visited != 0 {
                                f[q] = wq & ~Self.visited
                            }
                            y += 1; q += s; i += w
                        }
                    }
                    y0 += 4
                }
                afterPass(d, coder.snapshot); done += 1
                if done == passes { return }
            }
        }
        }
        }
        }
        }
        }
        }
    }
}

