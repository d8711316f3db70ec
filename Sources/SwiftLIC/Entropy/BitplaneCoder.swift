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
//   No context crosses blocks, so PCRD can truncate each block independently.
// - Reconstruction of a significant coefficient known down to plane p: the midpoint (m >> p << p) + 2^(p−1).
//   The encoder measures each pass's distortion decrease with exactly that rule.
// - Truncation points: after every pass the shortest stream prefix that decodes it (byte aligned, zero padded),
//   made non-decreasing. A decoder given a block truncated at such a length and told the pass count decodes the
//   same coefficients the encoder saw at that point.

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
        var maxMag: UInt32 = 0
        for v in values { maxMag = max(maxMag, v.magnitude) }
        let planes = maxMag == 0 ? 0 : 32 - maxMag.leadingZeroBitCount
        if planes == 0 { return EncodedBlock(planes: 0, bytes: [], passes: []) }
        var state = PlaneState(height: height, width: width)
        var coder = EncodingCoder(encoder: BinaryArithmeticEncoder(capacity: values.count / 2))
        var snapshots: [(position: Int, low: UInt32)] = []
        var decreases: [Double] = []
        for i in 0..<values.count {
            state.mag[i] = values[i].magnitude
            if values[i] < 0 { state.flags[state.padded(i)] |= PlaneState.negativeInput }
        }
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

    /// Decodes the first `passes` passes of a block into reconstructed integers (0 where nothing is known).
    /// Throws `corruptStream` when the arithmetic decoder ends in a state no valid stream reaches.
    public static func decode(_ data: UnsafeBufferPointer<UInt8>, planes: Int, passes: Int, height: Int,
                              width: Int, into out: UnsafeMutableBufferPointer<Int32>) throws(SLICError) {
        precondition(out.count == height * width && planes <= maxPlanes && passes <= passCount(planes: planes))
        if passes == 0 {
            for i in 0..<out.count { out[i] = 0 }
            return
        }
        var state = PlaneState(height: height, width: width)
        var coder = DecodingCoder(decoder: BinaryArithmeticDecoder(data))
        state.run(planes: planes, passes: passes, coder: &coder) { _, _ in }
        guard coder.decoder.isConsistent else {
            throw .corrupt("bitplane block: arithmetic decoder ended outside its interval")
        }
        for y in 0..<height {
            for x in 0..<width {
                let i = y * width + x
                let f = state.flags[(y + 1) * state.stride + x + 1]
                if f & PlaneState.significant == 0 { out[i] = 0; continue }
                let p = UInt32(state.plane[i])
                let r = Int32(state.mag[i] + ((1 << p) >> 1))
                out[i] = f & PlaneState.negative != 0 ? -r : r
            }
        }
    }
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

/// Significance / sign state over a zero border, the magnitudes (true ones when encoding, decoded bits when
/// decoding) and the lowest known plane of each coefficient.
struct PlaneState {
    static let significant: UInt8 = 1, negative: UInt8 = 2, visited: UInt8 = 4, refined: UInt8 = 8
    static let negativeInput: UInt8 = 16  // encoder only: the true sign, before it is coded
    static let runContext = 17

    let height: Int, width: Int, stride: Int
    var flags: [UInt8]
    var mag: [UInt32]
    var plane: [UInt8]
    var contexts = [BitContext](repeating: BitContext(), count: 18)

    init(height: Int, width: Int) {
        self.height = height
        self.width = width
        stride = width + 2
        flags = [UInt8](repeating: 0, count: (height + 2) * (width + 2))
        mag = [UInt32](repeating: 0, count: height * width)
        plane = [UInt8](repeating: 0, count: height * width)
    }

    @inline(__always) func padded(_ i: Int) -> Int { (i / width + 1) * stride + i % width + 1 }

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

    /// Runs the first `passes` passes from plane `planes − 1` down, calling `afterPass` with each pass's distortion
    /// decrease (encoder only) and the coder's snapshot.
    mutating func run<C: PlaneBitCoder>(planes: Int, passes: Int, coder: inout C,
                                        afterPass: (Double, (position: Int, low: UInt32)) -> Void) {
        var done = 0
        let h = height, w = width, s = stride
        let sigT = PlaneState.significanceTable, signT = PlaneState.signTable
        flags.withUnsafeMutableBufferPointer { f in
        mag.withUnsafeMutableBufferPointer { m in
        plane.withUnsafeMutableBufferPointer { pl in
        contexts.withUnsafeMutableBufferPointer { cx in
            @inline(__always) func sigContext(_ q: Int) -> Int {
                let S = PlaneState.significant
                let hc = Int(f[q - 1] & S) + Int(f[q + 1] & S)
                let vc = Int(f[q - s] & S) + Int(f[q + s] & S)
                let dc = Int(f[q - s - 1] & S) + Int(f[q - s + 1] & S) + Int(f[q + s - 1] & S) + Int(f[q + s + 1] & S)
                return Int(sigT[(hc * 3 + vc) * 5 + dc])
            }
            @inline(__always) func contribution(_ a: UInt8, _ b: UInt8) -> Int {
                var c = 0
                if a & PlaneState.significant != 0 { c += a & PlaneState.negative != 0 ? -1 : 1 }
                if b & PlaneState.significant != 0 { c += b & PlaneState.negative != 0 ? -1 : 1 }
                return max(-1, min(1, c))
            }
            // Codes the sign of a newly significant coefficient and records what the decoder now knows.
            @inline(__always) func becomeSignificant(_ q: Int, _ i: Int, _ p: Int) -> Double {
                let hc = contribution(f[q - 1], f[q + 1]), vc = contribution(f[q - s], f[q + s])
                let (ctx, flip) = signT[(hc + 1) * 3 + vc + 1]
                let truth = f[q] & PlaneState.negativeInput != 0
                let negative = coder.code(truth != flip, &cx[Int(ctx)]) != flip
                f[q] |= PlaneState.significant | (negative ? PlaneState.negative : 0)
                pl[i] = UInt8(p)
                if C.isEncoder {
                    let v = Double(m[i]), r = Double(((m[i] >> p) << p) + ((1 << p) >> 1))
                    return v * v - (v - r) * (v - r)
                }
                m[i] |= 1 << p
                return 0
            }
            @inline(__always) func codeSignificance(_ q: Int, _ i: Int, _ p: Int, _ ctx: Int) -> Double {
                if coder.code((m[i] >> p) & 1 != 0, &cx[ctx]) { return becomeSignificant(q, i, p) }
                return 0
            }
            @inline(__always) func forEachInStripes(_ body: (Int, Int, Int) -> Void) {
                var y0 = 0
                while y0 < h {
                    let y1 = min(y0 + 4, h)
                    for x in 0..<w { for y in y0..<y1 { body(y * s + s + x + 1, y * w + x, y) } }
                    y0 += 4
                }
            }

            for p in Swift.stride(from: planes - 1, through: 0, by: -1) {
                if p < planes - 1 {
                    // Significance propagation: insignificant coefficients with a significant neighbour.
                    var d = 0.0
                    forEachInStripes { q, i, _ in
                        if f[q] & PlaneState.significant != 0 { return }
                        let ctx = sigContext(q)
                        if ctx == 0 { return }
                        f[q] |= PlaneState.visited
                        d += codeSignificance(q, i, p, ctx)
                    }
                    afterPass(d, coder.snapshot); done += 1
                    if done == passes { return }
                    // Magnitude refinement: coefficients significant before this plane.
                    d = 0
                    forEachInStripes { q, i, _ in
                        let fq = f[q]
                        if fq & PlaneState.significant == 0 || fq & PlaneState.visited != 0 { return }
                        let ctx = fq & PlaneState.refined != 0 ? 16 : (sigContext(q) == 0 ? 14 : 15)
                        let bit = coder.code((m[i] >> p) & 1 != 0, &cx[ctx])
                        f[q] = fq | PlaneState.refined
                        pl[i] = UInt8(p)
                        if C.isEncoder {
                            let v = Double(m[i])
                            let before = Double(((m[i] >> (p + 1)) << (p + 1)) + (1 << p))
                            let after = Double(((m[i] >> p) << p) + ((1 << p) >> 1))
                            d += (v - before) * (v - before) - (v - after) * (v - after)
                        } else if bit {
                            m[i] |= 1 << p
                        }
                    }
                    afterPass(d, coder.snapshot); done += 1
                    if done == passes { return }
                }
                // Cleanup: everything not yet coded in this plane, with run mode over quiet 4-row columns.
                var d = 0.0
                var y0 = 0
                while y0 < h {
                    let y1 = min(y0 + 4, h)
                    for x in 0..<w {
                        var y = y0
                        let q0 = y0 * s + s + x + 1
                        if y1 - y0 == 4 {
                            var quiet = true
                            for r in 0..<4 where f[q0 + r * s] & (PlaneState.significant | PlaneState.visited) != 0
                                || sigContext(q0 + r * s) != 0 { quiet = false; break }
                            if quiet {
                                var first = 4
                                if C.isEncoder {
                                    for r in 0..<4 where (m[(y0 + r) * w + x] >> p) & 1 != 0 { first = r; break }
                                }
                                if !coder.code(first < 4, &cx[PlaneState.runContext]) { continue }
                                let hi = coder.bypass(first & 2 != 0), lo = coder.bypass(first & 1 != 0)
                                let r = (hi ? 2 : 0) + (lo ? 1 : 0)
                                d += becomeSignificant(q0 + r * s, (y0 + r) * w + x, p)
                                y = y0 + r + 1
                            }
                        }
                        while y < y1 {
                            let q = y * s + s + x + 1, i = y * w + x
                            if f[q] & (PlaneState.significant | PlaneState.visited) == 0 {
                                d += codeSignificance(q, i, p, sigContext(q))
                            }
                            y += 1
                        }
                    }
                    y0 += 4
                }
                afterPass(d, coder.snapshot); done += 1
                // Clear the visited marks for the next plane.
                for q in 0..<f.count { f[q] &= ~PlaneState.visited }
                if done == passes { return }
            }
        }
        }
        }
        }
    }
}
