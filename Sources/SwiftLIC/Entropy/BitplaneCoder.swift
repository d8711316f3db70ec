// READ ME FIRST — EBCOT-style bitplane coder for one code-block (one latent channel, h × w signed integers).
//
// - Sign–magnitude; `planes` = bit length of the largest magnitude (sent in the container, ≤ maxPlanes).
//   Passes: the top plane has only a cleanup pass; every lower plane has significance propagation (SPP),
//   magnitude refinement (MRP) and cleanup (CP): 3·planes − 2 passes in all.
// - Scan: stripes of 4 rows, column by column inside a stripe, top to bottom (JPEG 2000 order), for SPP and CP.
//   MRP visits the coefficients significant before the plane in the order they became significant (which
//   encoder and decoder both know): no scan, and 0.8% smaller than scan order on Kodak block-DCT latents.
// - Cleanup run mode (format 2): a "quiet" column (4 rows, none significant or next to a significant one) is not
//   coded on its own. At a quiet column the coder takes the whole run of n consecutive quiet columns from it and
//   codes whether any of them holds a 1 in this plane (context by n: the run context for n = 1, else one for
//   n < 16 and one for n ≥ 16); if so, it finds the first such column by halving (the first ⌊len/2⌋ columns of
//   the remaining interval or the rest; one context), then that column's first 1 row as 2 bypass bits (JPEG
//   2000's run mode), and goes on normally from there. A quiet stripe costs one decision per plane instead of one
//   per column; the rate is within ±0.2% of per-column run decisions.
// - Contexts (21, adaptive, see BinaryArithmeticCoder): 9 significance contexts from the counts of significant
//   horizontal / vertical / diagonal neighbours (JPEG 2000's LL table), 5 sign contexts with a flip bit from the
//   signs of the significant horizontal and vertical neighbours, 3 refinement contexts (first refinement without /
//   with significant neighbours, later refinements), 1 run context (single quiet column), 2 quiet-run contexts,
//   1 halving context. Significance-without-neighbours and the run context start at P(0) ≈ 0.98, the quiet-run
//   contexts at 0.92, the other significance contexts at 0.73 (measured, see `initialContexts`). No context
//   crosses blocks — not even the same position in the previous channel: the decoder's knowledge of another
//   block depends on where PCRD cut it, which the encoder does not know while coding — so each block can be
//   truncated independently.
// - Reconstruction of a significant coefficient known down to plane p: (m >> p << p) + ⌊(7·2^p + 8) / 16⌋, i.e.
//   7/16 of the way into its interval rather than the midpoint: latents are peaked at zero, so within an interval
//   the smaller magnitudes are likelier (format 3; on Kodak with the 9/7 wavelet +0.01 / +0.03 / +0.08 dB at
//   0.125 / 0.5 / 2 bpp over the midpoint, δ = 0.40…0.46 all within 0.005 dB of each other).
//   The encoder measures each pass's distortion decrease with exactly that rule, after the pass, summing in the
//   order the coefficients were coded.
// - Truncation points (format 4): every pass is cut into `segmentsPerPass` = 4 segments (a quarter of its stripes,
//   or of its refinement list); after every segment, the shortest stream prefix that decodes it (byte aligned, zero
//   padded), made non-decreasing. A decoder given a block truncated at such a length and told the segment count
//   decodes the same coefficients the encoder saw at that point. Segments change no bits, only where a block can
//   be cut: finer cuts waste less of a rate-targeted encode's coding and let PCRD fit a budget more closely.
// - `PlaneEncoder` codes segments on demand and can be finished after any of them (on a copy of the coder), so a
//   rate-targeted encoder stops coding a block where allocation stops using it. The fast state keeps its
//   arrays in one memory block (`PlaneState.Layout`), its own or lent from a reused scratch buffer.
// - Two implementations of the passes must give identical bits: `PlaneState` (fast: per-coefficient words that
//   carry the neighbours' significance and signs, per-stripe bitmaps of the columns next to anything significant
//   so SPP visits only those and CP finds quiet runs with a bit scan, the candidates of 8 columns of a stripe
//   found at once as a 32-bit mask by SIMD and visited in scan order by bit scans, the passes on raw pointers
//   with the coder in a local copy; the encoder's magnitudes, when below 2^15, packed into the top bits of the
//   same words: a rate-targeted encode, whose block states outgrow the caches between rounds, misses a third
//   less) and `ReferencePlaneState`
//   (BitplaneCoder+Reference.swift: contexts and quietness recomputed from the 8 neighbours at every use).
//   Tests compare them.
// - Speed (kodim23 8×8-DCT latent, 64 × 64 × 96, 1.19 bits/coefficient): 0.63 M decisions per direction, 0.06 M
//   of them for quiet runs (format 1 spent 0.35 M on one run decision per quiet column); one thread encodes in
//   ~9.4 ms and decodes in ~9.1 ms (format 1: 14.3 / 12.5), see results/entropy_bench_quiet.txt. What is left is
//   the decisions themselves (context load, multiply, update: a dependent chain per decision) and the candidate
//   loops' mispredicted branches, about evenly. Session 11 cut the mispredictions by ~27 % (cachegrind's branch
//   simulation, results/entropy_codec_s11.txt): one candidate loop per 8 columns instead of one per column (its
//   exit is the mispredicted branch), and the stripe-edge marks selected by arithmetic; most that remain are
//   the significance outcome itself and the coder's renormalisation (about one per byte). Branch-free forms of
//   those (sign coding and neighbour updates masked; renormalising by a computed byte count) add ~8–50
//   instructions to every decision, estimated to cost about the cycles they save: not tried.
//   Tried and dropped: bypass bits for later refinements (JPEG 2000's
//   lazy mode: +3.5% size) or for signs (+5%); recording the decisions and coding them in a second loop (the
//   coding loop alone took 40% of the time: the one-pass coder overlaps it with the scans).

#if canImport(Glibc)
import Glibc
#endif

public enum BitplaneCoder {
    /// Largest number of bitplanes (magnitudes below 2^30).
    public static let maxPlanes = 30

    /// One truncation point: the end of a segment (a quarter of a coding pass, `segmentsPerPass`).
    public struct TruncationPoint: Sendable, Equatable {
        /// Bytes of the block's stream needed to decode up to and including this segment.
        public var length: Int
        /// Decrease of the squared error (in quantizer units², times the block's weight) from this segment.
        public var distortionDecrease: Double
    }

    public struct EncodedBlock: Sendable {
        public var planes: Int
        public var bytes: [UInt8]
        /// One per segment coded (`segmentCount(planes:)` for a whole block).
        public var points: [TruncationPoint]
    }

    public static func passCount(planes: Int) -> Int { planes == 0 ? 0 : 3 * planes - 2 }

    /// Truncation points per pass (format 4; format 3 had one): segment k of 4 covers stripes
    /// ⌊K·k/4⌋ ..< ⌊K·(k+1)/4⌋ of a pass over the K stripes (significance propagation, cleanup), or those entries
    /// of magnitude refinement's list. The bits are the same as without segments; only the points where a block
    /// can be cut are finer. A rate-targeted encode codes a block until allocation leaves out part of what it
    /// coded: with whole passes as the unit, that part averaged a whole pass, a third of all coding at 2 bpp.
    public static let segmentsPerPass = 4

    public static func segmentCount(planes: Int) -> Int { segmentsPerPass * passCount(planes: planes) }

    /// Pass t of a block with `planes` planes: its plane and kind (0 significance propagation, 1 magnitude
    /// refinement, 2 cleanup; the top plane has only a cleanup pass).
    @inline(__always) static func pass(_ t: Int, planes: Int) -> (plane: Int, kind: Int) {
        t == 0 ? (planes &- 1, 2) : (planes &- 2 &- (t &- 1) / 3, (t &- 1) % 3)
    }

    /// The items (stripes or refinement entries) of n that segment k of a pass covers.
    @inline(__always) static func segment(_ k: Int, of n: Int) -> Range<Int> {
        (n &* k / segmentsPerPass)..<(n &* (k &+ 1) / segmentsPerPass)
    }

    /// Codes `values` (row-major h × w, |v| < 2^30) and records every segment's truncation point.
    public static func encode(_ values: UnsafeBufferPointer<Int32>, height: Int, width: Int,
                              weight: Double = 1) -> EncodedBlock {
        encode(values, height: height, width: width, weight: weight, state: PlaneState.self)
    }

    /// Decodes the first `segments` segments of a block into reconstructed integers (0 where nothing is known).
    /// Throws `corruptStream` when the arithmetic decoder ends in a state no valid stream reaches.
    /// `memory`: `stateBytes(height:width:)` bytes (64-byte aligned, any contents) for the decoder's state, which
    /// a caller decoding many blocks reuses (nil: the state allocates its own).
    public static func decode(_ data: UnsafeBufferPointer<UInt8>, planes: Int, segments: Int, height: Int,
                              width: Int, into out: UnsafeMutableBufferPointer<Int32>,
                              memory: UnsafeMutableRawPointer? = nil) throws(SLICError) {
        try decode(data, planes: planes, segments: segments, height: height, width: width, into: out,
                   state: PlaneState.self, memory: memory)
    }

    /// Bytes of state memory a block of h × w needs (`decode(..., memory:)`, `PlaneEncoder(..., memory:)`).
    public static func stateBytes(height: Int, width: Int) -> Int {
        PlaneState.Layout(height: height, width: width).bytes
    }

    static func encode<S: BitplaneState>(_ values: UnsafeBufferPointer<Int32>, height: Int, width: Int,
                                         weight: Double, state _: S.Type) -> EncodedBlock {
        var encoder = PlaneEncoder<S>(values, height: height, width: width, weight: weight)
        encoder.code(planes: encoder.planes)
        return encoder.finished()
    }

    /// A block's encoder that codes segments on demand, so that an encoder with a rate target can stop coding a
    /// block once rate allocation no longer takes all it coded (LatentCodec). Coding every segment and then
    /// calling `finished()` is `encode`; `finished()` after fewer gives the block as if it had only those
    /// (its bytes are a valid stream for them; they need not be a prefix of the full block's bytes, since carries
    /// from later decisions can change earlier bytes).
    struct PlaneEncoder<S: BitplaneState> {
        let planes: Int, weight: Double
        var state: S
        var coder: EncodingCoder
        var snapshots: [(position: Int, low: UInt32)] = []
        var decreases: [Double] = []
        /// Whether segments record their distortion decrease (false: every decrease is 0, for an encode that keeps
        /// every segment of every block and so allocates nothing).
        var measuresDistortion = true
        /// The first truncation points, whose lengths are final (`hull`), and their hull.
        private var settled: [TruncationPoint] = []
        private var settledHull = RateAllocation.HullBuilder()

        /// `memory`: `PlaneState.Layout(height:width:).bytes` bytes for the state, which must outlive the encoder
        /// (nil: the state allocates its own).
        init(_ values: UnsafeBufferPointer<Int32>, height: Int, width: Int, weight: Double,
             memory: UnsafeMutableRawPointer? = nil) {
            var maxMag: UInt32 = 0
            for v in values { maxMag = max(maxMag, v.magnitude) }
            planes = maxMag == 0 ? 0 : 32 - maxMag.leadingZeroBitCount
            self.weight = weight
            state = planes == 0 ? S(height: 0, width: 0) : S.forLoading(height: height, width: width, memory: memory)
            coder = EncodingCoder(encoder: BinaryArithmeticEncoder(capacity: planes == 0 ? 0 : values.count / 2))
            if planes > 0 { state.load(values) }
        }

        /// The same encoder with the values written by `fill` (row-major h × w, |v| < 2^30) straight into the
        /// state's own buffer: a rate-targeted encode quantizes each channel there, with no scratch copy.
        init(height: Int, width: Int, weight: Double, memory: UnsafeMutableRawPointer? = nil,
             fill: (UnsafeMutableBufferPointer<Int32>) throws(SLICError) -> Void) throws(SLICError) {
            var state = S.forLoading(height: height, width: width, memory: memory)
            let bits = try state.load(filling: fill)
            planes = bits == 0 ? 0 : 32 - bits.leadingZeroBitCount
            self.weight = weight
            self.state = state
            coder = EncodingCoder(encoder: BinaryArithmeticEncoder(capacity: planes == 0 ? 0 : height * width / 2))
        }

        var segmentsCoded: Int { snapshots.count }
        var isComplete: Bool { segmentsCoded == BitplaneCoder.segmentCount(planes: planes) }
        /// The plane of the next segment (−1: every plane is coded).
        var nextPlane: Int {
            isComplete ? -1 : BitplaneCoder.pass(segmentsCoded / BitplaneCoder.segmentsPerPass, planes: planes).plane
        }

        /// Codes the next `n` planes (fewer when fewer are left), the rest of the current one counting as one.
        mutating func code(planes n: Int) {
            if n <= 0 || isComplete { return }
            let last = nextPlane - n + 1  // the lowest plane to finish
            code(segments: last <= 0 ? BitplaneCoder.segmentCount(planes: planes) - segmentsCoded
                 : BitplaneCoder.segmentsPerPass * BitplaneCoder.passCount(planes: planes - last) - segmentsCoded)
        }

        /// Codes the next `n` passes (fewer when fewer are left), the rest of the current one counting as one.
        mutating func code(passes n: Int) {
            if n <= 0 { return }
            let end = (segmentsCoded / BitplaneCoder.segmentsPerPass + n) * BitplaneCoder.segmentsPerPass
            code(segments: end - segmentsCoded)
        }

        /// Codes the next `n` segments (fewer when fewer are left).
        mutating func code(segments n: Int) {
            let count = min(n, BitplaneCoder.segmentCount(planes: planes) - segmentsCoded)
            if count <= 0 { return }
            let w = weight, from = segmentsCoded
            var snaps = snapshots, decs = decreases
            snapshots = []; decreases = []  // (moved out and back: the closure must not capture self)
            if measuresDistortion {
                state.run(planes: planes, from: from, segments: count, coder: &coder) { d, snapshot in
                    snaps.append(snapshot)
                    decs.append(d * w)
                }
            } else {
                // The same coder moved into a type whose passes skip the distortion sums (a swap, not a copy, so
                // its byte array stays uniquely referenced).
                var plain = UnmeasuredEncodingCoder.placeholder
                swap(&plain.inner, &coder)
                state.run(planes: planes, from: from, segments: count, coder: &plain) { _, snapshot in
                    snaps.append(snapshot)
                    decs.append(0)
                }
                swap(&plain.inner, &coder)
            }
            snapshots = snaps; decreases = decs
        }

        /// The block with the segments coded so far (the coder itself is not finished: coding may go on).
        func finished() -> EncodedBlock {
            let tail = coder.encoder.core.finishedTail()
            let points = truncationPoints(tail: tail)
            guard let length = points.last?.length else { return EncodedBlock(planes: planes, bytes: [], points: []) }
            let head = coder.encoder.core.bytes
            let bytes = length <= head.count ? Array(head[0..<length]) : head + tail[0..<(length - head.count)]
            return EncodedBlock(planes: planes, bytes: bytes, points: points)
        }

        /// `finished().points`, without building the bytes.
        func truncationPoints() -> [TruncationPoint] {
            truncationPoints(tail: coder.encoder.core.finishedTail())
        }

        /// Each segment's truncation length in the stream finished now (`bytes` + `tail`), made non-decreasing.
        private func truncationPoints(tail: [UInt8]) -> [TruncationPoint] {
            if planes == 0 || snapshots.isEmpty { return [] }
            let head = coder.encoder.core.bytes
            var points = settled
            points.reserveCapacity(snapshots.count)
            var length = settled.last?.length ?? 0
            for k in settled.count..<snapshots.count {
                length = max(length, RangeEncoderCore.truncationLength(head, tail: tail, at: snapshots[k]))
                points.append(TruncationPoint(length: length, distortionDecrease: decreases[k]))
            }
            return points
        }

        /// The hull of `truncationPoints()` (`RateAllocation.hull`), which rate allocation needs between rounds.
        /// The points whose lengths can no longer change are kept with their hull, so a call computes only the
        /// lengths and hull steps of the points after them: a length reads the 4 bytes from its snapshot's
        /// position and those before, final once written.
        mutating func hull(block: Int) -> [RateAllocation.Segment] {
            if planes == 0 || snapshots.isEmpty { return [] }
            let head = coder.encoder.core.bytes, tail = coder.encoder.core.finishedTail()
            var builder = settledHull
            var length = settled.last?.length ?? 0
            for k in settled.count..<snapshots.count {
                let snapshot = snapshots[k]
                length = max(length, RangeEncoderCore.truncationLength(head, tail: tail, at: snapshot))
                let point = TruncationPoint(length: length, distortionDecrease: decreases[k])
                if k == settled.count && snapshot.position + 4 <= head.count {  // settled: positions never decrease
                    settled.append(point)
                    settledHull.add(point)
                }
                builder.add(point)
            }
            return builder.segments(block: block)
        }
    }

    static func decode<S: BitplaneState>(_ data: UnsafeBufferPointer<UInt8>, planes: Int, segments: Int,
                                         height: Int, width: Int, into out: UnsafeMutableBufferPointer<Int32>,
                                         state _: S.Type, memory: UnsafeMutableRawPointer? = nil) throws(SLICError) {
        precondition(out.count == height * width && planes <= maxPlanes && segments <= segmentCount(planes: planes))
        if segments == 0 {
            for i in 0..<out.count { out[i] = 0 }
            return
        }
        var state = S.forDecoding(height: height, width: width, memory: memory)
        var coder = DecodingCoder(decoder: BinaryArithmeticDecoder(data))
        state.run(planes: planes, from: 0, segments: segments, coder: &coder) { _, _ in }
        guard coder.decoder.isConsistent else {
            throw .corrupt("bitplane block: arithmetic decoder ended outside its interval")
        }
        state.reconstruct(into: out)
    }
}

/// A block's coding state; `PlaneState` (fast) and `ReferencePlaneState` (obvious) must give identical bits.
protocol BitplaneState {
    init(height: Int, width: Int)
    /// A state for an encoder, which calls `load` next: in `memory` (`PlaneState.Layout` bytes) where the state
    /// can use caller memory, else (nil, or a state that cannot) its own.
    static func forLoading(height: Int, width: Int, memory: UnsafeMutableRawPointer?) -> Self
    /// A fresh state for a decoder: in `memory` (`PlaneState.Layout` bytes, any contents) where the state can use
    /// caller memory, else its own.
    static func forDecoding(height: Int, width: Int, memory: UnsafeMutableRawPointer?) -> Self
    var height: Int { get }
    var width: Int { get }
    /// Encoder: the true magnitudes and signs.
    mutating func load(_ values: UnsafeBufferPointer<Int32>)
    /// Encoder: `load` of the values `fill` writes (all h × w of them) into a buffer the state lends; returns the
    /// OR of the magnitudes (its bit length is the block's plane count).
    mutating func load(filling fill: (UnsafeMutableBufferPointer<Int32>) throws(SLICError) -> Void)
        throws(SLICError) -> UInt32
    /// Runs `segments` segments from segment `position` on (0 for a fresh state; a state resumes after the last
    /// segment it ran; position + segments ≤ `segmentCount(planes:)`), calling `afterSegment` with each
    /// segment's distortion decrease (encoder only) and the coder's snapshot.
    mutating func run<C: PlaneBitCoder>(planes: Int, from position: Int, segments: Int, coder: inout C,
                                        afterSegment: (Double, (position: Int, low: UInt32)) -> Void)
    /// Decoder: reconstruction (7/16 into the known interval) of what is known.
    func reconstruct(into out: UnsafeMutableBufferPointer<Int32>)
}

extension BitplaneState {
    mutating func load(filling fill: (UnsafeMutableBufferPointer<Int32>) throws(SLICError) -> Void)
        throws(SLICError) -> UInt32 {
        var values = [Int32](repeating: 0, count: height * width)
        try values.withUnsafeMutableBufferPointer { b throws(SLICError) in try fill(b) }
        values.withUnsafeBufferPointer { load($0) }
        return values.reduce(0) { $0 | $1.magnitude }
    }
}

// MARK: - The passes, shared by encoder and decoder through `PlaneBitCoder`.

protocol PlaneBitCoder {
    static var isEncoder: Bool { get }
    /// Encoder: the passes sum each pass's distortion decrease.
    static var measuresDistortion: Bool { get }
    /// Encoder: codes `bit` and returns it. Decoder: ignores `bit`, returns the decoded one.
    mutating func code(_ bit: Bool, _ context: inout BitContext) -> Bool
    mutating func bypass(_ bit: Bool) -> Bool
    /// Encoder state for truncation lengths (the decoder's is unused).
    var snapshot: (position: Int, low: UInt32) { get }
    /// An empty coder to swap in while a pass works on its own local copy (kept in registers).
    static var placeholder: Self { get }
}

struct EncodingCoder: PlaneBitCoder {
    var encoder: BinaryArithmeticEncoder
    static var isEncoder: Bool { true }
    static var measuresDistortion: Bool { true }
    static var placeholder: EncodingCoder { EncodingCoder(encoder: BinaryArithmeticEncoder()) }
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

/// `EncodingCoder` for passes that need no distortion decrease (a full-rate encode allocates nothing).
struct UnmeasuredEncodingCoder: PlaneBitCoder {
    var inner: EncodingCoder
    static var isEncoder: Bool { true }
    static var measuresDistortion: Bool { false }
    static var placeholder: UnmeasuredEncodingCoder { UnmeasuredEncodingCoder(inner: .placeholder) }
    var snapshot: (position: Int, low: UInt32) { inner.snapshot }
    @inline(__always) mutating func code(_ bit: Bool, _ context: inout BitContext) -> Bool { inner.code(bit, &context) }
    @inline(__always) mutating func bypass(_ bit: Bool) -> Bool { inner.bypass(bit) }
}

struct DecodingCoder: PlaneBitCoder {
    var decoder: BinaryArithmeticDecoder
    static var isEncoder: Bool { false }
    static var measuresDistortion: Bool { false }
    static var placeholder: DecodingCoder {
        DecodingCoder(decoder: BinaryArithmeticDecoder(UnsafeBufferPointer(start: nil, count: 0)))
    }
    var snapshot: (position: Int, low: UInt32) { (0, 0) }
    @inline(__always) mutating func code(_ bit: Bool, _ context: inout BitContext) -> Bool { decoder.decode(&context) }
    @inline(__always) mutating func bypass(_ bit: Bool) -> Bool { decoder.decodeBypass() }
}

extension BitplaneCoder {
    /// Context indices past the 9 significance (0…8), 5 sign (9…13) and 3 refinement (14…16) contexts.
    static let runContext = 17, shortQuietRunContext = 18, longQuietRunContext = 19, halvingContext = 20
    /// Quiet runs of at least this many columns use `longQuietRunContext`.
    static let longQuietRun = 16

    /// Starting probabilities of the 21 contexts (P(0) in 1/32768): significance without significant neighbours
    /// and the run context are nearly always 0, the other significance contexts mostly 0, so they start skewed and
    /// a block pays less to learn them. Measured on Kodak block-DCT latents (64 and 192 channels, 0.1–1.4 bpp):
    /// 3–6% smaller than starting every context at ½ (P(0) = 32000 / 24000 chosen from a small grid). The
    /// quiet-run contexts start at 30000 (26000–32000 differ by < 0.05%), the halving context at ½.
    static let initialContexts: [BitContext] = (0...halvingContext).map { k in
        switch k {
        case 0, runContext: return BitContext(p0: 32000)
        case 1...8: return BitContext(p0: 24000)
        case shortQuietRunContext, longQuietRunContext: return BitContext(p0: 30000)
        default: return BitContext()
        }
    }

    /// Reconstruction of a magnitude whose bits are known down to plane p (the bits below are zero): 7/16 of the
    /// way into the interval [known, known + 2^p), rounded half up (p ≤ 2: the midpoint).
    @inline(__always) static func reconstruction(_ known: UInt32, plane p: UInt32) -> UInt32 {
        known &+ UInt32(truncatingIfNeeded: ((7 as UInt64) &<< UInt64(p) &+ 8) &>> 4)
    }

    /// Squared-error decrease when coefficient m becomes significant at plane p: v² − (v − r)² = r·(2v − r),
    /// exact in 64-bit integers (r, 2v − r < 2^31), then rounded once.
    @inline(__always) static func significanceGain(_ m: UInt32, plane p: UInt32) -> Double {
        let v = Int64(m), r = Int64(reconstruction((m &>> p) &<< p, plane: p))
        return Double(r &* (2 &* v &- r))
    }

    /// Squared-error decrease when coefficient m is refined from plane p + 1 (reconstruction b) to plane p (a):
    /// (v − b)² − (v − a)² = (a − b)·(2v − a − b), exact in 64-bit integers, then rounded once.
    @inline(__always) static func refinementGain(_ m: UInt32, plane p: UInt32) -> Double {
        let v = Int64(m)
        let b = Int64(reconstruction((m &>> (p &+ 1)) &<< (p &+ 1), plane: p &+ 1))
        let a = Int64(reconstruction((m &>> p) &<< p, plane: p))
        return Double((a &- b) &* (2 &* v &- a &- b))
    }
}

/// Column bitmaps, one row of `UInt64` words per stripe: bit x + 1 stands for column x (bit 0 and bit w + 1 are
/// padding, so marking columns x − 1…x + 1 needs no bounds tests; the padding bits are never read as columns).
enum ColumnBits {
    /// Words per stripe for width w: the padded bits 0…w + 1, plus a spare word that `markNeighbourhood` may
    /// touch (with a zero) when column x + 1 lies in the last word.
    @inline(__always) static func words(width w: Int) -> Int { (w &+ 2) &>> 6 &+ 2 }

    @inline(__always) static func test(_ b: UnsafeMutablePointer<UInt64>, _ x: Int) -> Bool {
        let p = x &+ 1
        return b[p &>> 6] &>> UInt64(p & 63) & 1 != 0
    }

    /// Sets columns x − 1, x and x + 1 (padded bits x … x + 2).
    @inline(__always) static func markNeighbourhood(_ b: UnsafeMutablePointer<UInt64>, _ x: Int) {
        let k = x &>> 6, sh = UInt64(x & 63)
        b[k] |= 7 &<< sh
        b[k &+ 1] |= (7 &>> (63 &- sh)) &>> 1  // the bits past word k (none unless sh ≥ 62)
    }

    /// Bits of columns x0 … x0 + 7 (padded bits x0 + 1 … x0 + 8), x0 a multiple of 8 below w: the two bytes
    /// from byte x0 / 8, read little-endian, shifted by one. Bits of columns ≥ w are padding (possibly set).
    @inline(__always) static func chunk(_ b: UnsafeMutablePointer<UInt64>, _ x0: Int) -> UInt32 {
        let two = UInt16(littleEndian: UnsafeRawPointer(b).loadUnaligned(fromByteOffset: x0 &>> 3, as: UInt16.self))
        return UInt32(two &>> 1) & 0xFF
    }

    /// The first clear column ≥ x, or w when there is none.
    @inline(__always) static func nextClear(_ b: UnsafeMutablePointer<UInt64>, from x: Int, width w: Int) -> Int {
        var p = x &+ 1
        var k = p &>> 6
        var word = ~b[k] &>> UInt64(p & 63)
        let last = (w &+ 1) &>> 6
        while word == 0 {
            k &+= 1
            if k > last { return w }
            word = ~b[k]
            p = k &<< 6
        }
        return min(w, p &+ word.trailingZeroBitCount &- 1)
    }

    /// The first set column ≥ x, or w when there is none.
    @inline(__always) static func next(_ b: UnsafeMutablePointer<UInt64>, from x: Int, width w: Int) -> Int {
        var p = x &+ 1
        var k = p &>> 6
        var word = b[k] &>> UInt64(p & 63)
        let last = (w &+ 1) &>> 6
        while word == 0 {
            k &+= 1
            if k > last { return w }
            word = b[k]
            p = k &<< 6
        }
        return min(w, p &+ word.trailingZeroBitCount &- 1)
    }
}

/// The fast state: one 32-bit word per coefficient (over a zero border) that carries, besides its own flags, the
/// significance of its 8 neighbours and the signs of its 4 direct ones. Whoever becomes significant updates its
/// neighbours' words, the `busy` bitmap and the `order` list, so every context is one table lookup, SPP visits
/// only busy columns, CP finds quiet runs by a bit scan and MRP walks a list.
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
    /// Sign context | flip bit << 7, indexed by (significance of N, S, W, E) | (their negatives) << 4.
    static let signTable: [UInt8] = (0..<256).map { m in
        func contribution(_ k: Int) -> Int { m >> k & 1 == 0 ? 0 : (m >> (k + 4) & 1 != 0 ? -1 : 1) }
        let hc = max(-1, min(1, contribution(2) + contribution(3)))
        let vc = max(-1, min(1, contribution(0) + contribution(1)))
        let (ctx, flip) = ReferencePlaneState.signTable[(hc + 1) * 3 + vc + 1]
        return ctx | (flip ? 0x80 : 0)
    }

    let height: Int, width: Int, stride: Int, stripeWords: Int
    // The arrays and the contexts live in one block of memory (`Layout`), owned by `owner` or lent by the caller
    // (an encoder that keeps every block's state alive between rounds takes them from one reused scratch buffer:
    // fresh pages for ~18 bytes a coefficient were a third of a low-rate encode). So copies of a state share its
    // arrays and contexts (but not `count`): a state is used in place, never copied to branch.
    let owner: PlaneMemory?
    /// Per coefficient over a zero border ((h + 2)·(w + 2)): own flags, neighbours' significance and signs.
    let f: UnsafeMutablePointer<UInt32>
    /// Magnitudes, indexed like `f` (encoder: the true ones, unless they are packed into `f`, see
    /// `magnitudeShift`; decoder: the bits known so far, written when the coefficient becomes significant: in lent
    /// memory, garbage until then). The passes index everything by the word index alone: a second (unpadded) index
    /// cost a multiply and a register per decision.
    let m: UnsafeMutablePointer<UInt32>
    /// Decoder: the lowest plane each significant coefficient is known to, indexed like `f` (the encoder, which
    /// reconstructs nothing, leaves it alone).
    let pl: UnsafeMutablePointer<UInt8>
    /// The adaptive contexts, written at every decision, on cache lines of their own: as a small heap array each
    /// block's contexts could share a cache line with another block's, coded at the same time on another thread.
    let cx: UnsafeMutablePointer<BitContext>
    /// Per stripe (`stripeWords` each), the columns holding a significant coefficient or a neighbour of one:
    /// the only columns where SPP has candidates, and the complement of the quiet columns of CP's run mode.
    /// Stripe −1 and the stripe past the last are spares that are written but never read.
    let busy: UnsafeMutablePointer<UInt64>
    /// The significant coefficients in the order they became significant, by word index; the first `count`
    /// (uninitialised beyond).
    let order: UnsafeMutablePointer<UInt32>
    var count = 0
    /// Where the encoder's passes read magnitudes: 0, from `m`; `packedShift`, from bits 17… of the words `f`
    /// (`convert`, for blocks below 2^15), so a decision touches one cache line instead of two: a rate-targeted
    /// encode, whose block states outgrow the caches between its rounds, misses the cache a third less (2 bpp,
    /// kodim23: 0.86 M → 0.54 M misses of a 1 MiB cache, cachegrind).
    var magnitudeShift: UInt32 = 0
    static let packedShift: UInt32 = 17
    /// `count` when the current plane began (magnitude refinement's coefficients, for a run resumed after
    /// significance propagation).
    var planeStart = 0
    /// `count` when the previous plane began: the first this many of `order` were refined in it (none below the
    /// top plane, which has no refinement pass), so their next refinement is context 16 without a look.
    var refinedStart = 0
    /// Encoder: per stripe column, the low 16 bits of the OR of its magnitudes (a quiet column, all insignificant
    /// above plane p < 16, has a 1 in plane p exactly when bit p of this is set; cleanup tests 4 columns with one
    /// 64-bit load, and half the bytes of 32-bit ORs leave the cache between a rate-targeted encode's rounds).
    /// Filled by `convert`.
    let cb: UnsafeMutablePointer<UInt16>

    /// Byte offsets of the arrays in a state's memory block (each 64-byte aligned).
    struct Layout {
        let contexts: Int, order: Int, words: Int, mag: Int, busy: Int, columnBits: Int, plane: Int, bytes: Int
        init(height h: Int, width w: Int) {
            func up(_ n: Int) -> Int { (n + 63) & ~63 }
            contexts = 0
            order = up(BitplaneCoder.initialContexts.count * MemoryLayout<BitContext>.stride)
            words = order + up(h * w * 4)
            mag = words + up((h + 2) * (w + 2) * 4 + 32)  // slack: `chunkMask` reads 8 words of a row's end
            busy = mag + up((h + 2) * (w + 2) * 4)
            // A spare stripe above and below: a coefficient in row 0 or 3 marks the stripe beyond without testing
            // that there is one.
            columnBits = busy + up(((h + 3) / 4 + 2) * ColumnBits.words(width: w) * 8)
            plane = columnBits + up(max(1, (h + 3) / 4 * w) * 2)
            bytes = plane + up((h + 2) * (w + 2))
        }
    }

    static func forLoading(height: Int, width: Int, memory: UnsafeMutableRawPointer?) -> PlaneState {
        guard let memory else { return PlaneState(height: height, width: width) }
        return PlaneState(height: height, width: width, memory: memory, willLoad: true)
    }

    static func forDecoding(height: Int, width: Int, memory: UnsafeMutableRawPointer?) -> PlaneState {
        guard let memory else { return PlaneState(height: height, width: width) }
        return PlaneState(height: height, width: width, memory: memory)
    }

    init(height: Int, width: Int) {
        let memory = PlaneMemory(bytes: Layout(height: height, width: width).bytes)
        self.init(height: height, width: width, memory: memory.base, owner: memory)
    }

    /// A state in `memory` (at least `Layout(height:width:).bytes` bytes, 8-byte aligned, any contents; 64-byte
    /// aligned keeps the contexts on cache lines of their own), which must outlive it. `willLoad`: the caller
    /// calls `load` next, which writes every magnitude and interior word, so only the rest is cleared.
    init(height: Int, width: Int, memory: UnsafeMutableRawPointer, willLoad: Bool = false, owner: PlaneMemory? = nil) {
        self.height = height
        self.width = width
        self.owner = owner
        stride = width + 2
        stripeWords = ColumnBits.words(width: width)
        let l = Layout(height: height, width: width)
        let contexts = (memory + l.contexts).bindMemory(to: BitContext.self,
                                                        capacity: BitplaneCoder.initialContexts.count)
        for (k, c) in BitplaneCoder.initialContexts.enumerated() { (contexts + k).initialize(to: c) }
        cx = contexts
        order = (memory + l.order).bindMemory(to: UInt32.self, capacity: height * width)
        f = (memory + l.words).bindMemory(to: UInt32.self, capacity: (height + 2) * (width + 2))
        m = (memory + l.mag).bindMemory(to: UInt32.self, capacity: (height + 2) * (width + 2))
        busy = (memory + l.busy).bindMemory(to: UInt64.self, capacity: ((height + 3) / 4 + 2) * stripeWords)
            + stripeWords
        cb = (memory + l.columnBits).bindMemory(to: UInt16.self, capacity: max(1, (height + 3) / 4 * width))
        pl = (memory + l.plane).bindMemory(to: UInt8.self, capacity: (height + 2) * (width + 2))
        // Everything but `order` and the contexts (set above) starts at zero (calloc's memory already is), except
        // what the decoder writes before reading.
        if owner != nil { return }
        if willLoad {
            f.initialize(repeating: 0, count: stride + 1)  // top border row and the left border of row 1
            for y in Swift.stride(from: 1, through: height, by: 1) {  // the right border and the next row's left
                (f + (y * stride + width + 1)).initialize(repeating: 0, count: 2)
            }
            (f + (height + 1) * stride).initialize(repeating: 0, count: stride)
            // The busy bitmaps and the column ORs; not the planes, which only the decoder reads.
            (memory + l.busy).initializeMemory(as: UInt8.self, repeating: 0, count: l.plane - l.busy)
        } else {
            // The decoder writes a magnitude and a plane when a coefficient becomes significant and reads them only
            // after (`reconstruct` selects 0 for the others), and it has no column ORs: only the words and the
            // busy bitmaps need clearing (under a third of the block).
            (memory + l.words).initializeMemory(as: UInt8.self, repeating: 0, count: l.mag - l.words)
            (memory + l.busy).initializeMemory(as: UInt8.self, repeating: 0, count: l.columnBits - l.busy)
        }
    }

    mutating func load(_ values: UnsafeBufferPointer<Int32>) {
        guard let v = values.baseAddress else { return }
        convert(v)
    }

    /// Turns the h × w signed values at `v` into the words (with the magnitudes packed in when all are below
    /// 2^15, else into `m`), sign flags and column ORs; returns the OR of the magnitudes.
    @discardableResult
    mutating func convert(_ v: UnsafePointer<Int32>) -> UInt32 {
        let w = width, s = stride, f = f, m = m, cb = cb, n = height * width
        var bits: UInt32 = 0
        for i in 0..<n { bits |= v[i].magnitude }
        let packed = bits < 1 << (32 - Self.packedShift)
        magnitudeShift = packed ? Self.packedShift : 0
        for y in 0..<height {
            let vy = v + y &* w, my = m + ((y &+ 1) &* s &+ 1), fy = f + ((y &+ 1) &* s &+ 1), cy = cb + (y &>> 2) &* w
            if packed {
                for x in 0..<w {
                    let value = vy[x], magnitude = value.magnitude
                    let sign = UInt32(truncatingIfNeeded: value >> 31) & Self.negativeInput
                    fy[x] = sign | magnitude &<< Self.packedShift
                    cy[x] |= UInt16(truncatingIfNeeded: magnitude)
                }
            } else {
                for x in 0..<w {
                    let value = vy[x], magnitude = value.magnitude
                    my[x] = magnitude
                    fy[x] = UInt32(truncatingIfNeeded: value >> 31) & Self.negativeInput
                    cy[x] |= UInt16(truncatingIfNeeded: magnitude)
                }
            }
        }
        return bits
    }

    /// `fill` writes the signed values (row-major) into a temporary buffer, which `convert` then turns into
    /// magnitudes, sign flags and column ORs. (The buffer, not zeroed, is normally the same heap block for every
    /// block a thread loads, so it stays in cache. Lending the state's own `order` memory, as sessions 12–14 did,
    /// made a rate-targeted encode, whose 72 block states outgrow the caches, miss on all of it: 0.54 M → 0.47 M
    /// misses of a 1 MiB cache at 2 bpp on kodim23.)
    mutating func load(filling fill: (UnsafeMutableBufferPointer<Int32>) throws(SLICError) -> Void)
        throws(SLICError) -> UInt32 {
        try withUnsafeTemporaryAllocation(of: Int32.self, capacity: height * width) { v throws(SLICError) in
            try fill(v)
            return convert(UnsafePointer(v.baseAddress!))
        }
    }

    func reconstruct(into out: UnsafeMutableBufferPointer<Int32>) {
        precondition(out.count == height * width)
        let w = width, s = stride, f = f, m = m, pl = pl
        guard let o = out.baseAddress else { return }
        for y in 0..<height {
            let row = (y &+ 1) &* s &+ 1, i0 = y &* w
            for x in 0..<w {
                let q = row &+ x, word = f[q]
                // Magnitudes stay below 2^30, so the reconstruction fits an Int32; branch-free selects.
                let r = Int32(truncatingIfNeeded: BitplaneCoder.reconstruction(m[q], plane: UInt32(pl[q])))
                let v = word & Self.negative != 0 ? 0 &- r : r
                o[i0 &+ x] = word & Self.significant != 0 ? v : 0
            }
        }
    }

    mutating func run<C: PlaneBitCoder>(planes: Int, from position: Int, segments: Int, coder: inout C,
                                        afterSegment: (Double, (position: Int, low: UInt32)) -> Void) {
        let h = height, w = width, s = stride, sw = stripeWords, stripes = (h &+ 3) &>> 2
        let (f, m, pl, busy, order, cb, cx) = (f, m, pl, busy, order, cb, cx)
        var planeStart = self.planeStart, refinedStart = self.refinedStart
        defer { (self.planeStart, self.refinedStart) = (planeStart, refinedStart) }
        withUnsafeMutablePointer(to: &count) { count in
        Self.significanceTable.withUnsafeBufferPointer { sigT in
        Self.signTable.withUnsafeBufferPointer { signT in
        withUnsafeTemporaryAllocation(of: Int.self, capacity: 32) { offsets in
            for t in 0..<32 { offsets[t] = (t & 3) &* s &+ t &>> 2 }
            let k = PlanePasses<C>(f: f, m: magnitudeShift == 0 ? m : f, shift: magnitudeShift, pl: pl, cx: cx,
                                   busy: busy, order: order, count: count, cb: cb,
                                   sigT: sigT.baseAddress!, signT: signT.baseAddress!,
                                   offsets: UnsafePointer(offsets.baseAddress!), h: h, w: w, s: s, sw: sw)
            for t in position..<(position &+ segments) {
                let (p, kind) = BitplaneCoder.pass(t / BitplaneCoder.segmentsPerPass, planes: planes)
                let part = t % BitplaneCoder.segmentsPerPass
                // A plane begins with its first pass's first segment (cleanup for the top plane).
                if part == 0 && (kind == 0 || p == planes &- 1) {
                    refinedStart = p == planes &- 2 ? 0 : planeStart
                    planeStart = count.pointee
                }
                let d: Double
                switch kind {
                case 0:
                    d = k.significancePropagation(plane: p, stripes: BitplaneCoder.segment(part, of: stripes),
                                                  coder: &coder)
                case 1:
                    d = k.magnitudeRefinement(plane: p, entries: BitplaneCoder.segment(part, of: planeStart),
                                              refined: refinedStart, coder: &coder)
                default:
                    d = k.cleanup(plane: p, stripes: BitplaneCoder.segment(part, of: stripes), coder: &coder)
                }
                afterSegment(d, coder.snapshot)
            }
        }
        }
        }
        }
    }
}

/// Owns the memory block of a `PlaneState` that was not given one (zeroed pages from calloc). `base` is 64-byte
/// aligned with 64 spare bytes after the block, so no cache line of the state is shared with other allocations
/// (another thread's block, say).
final class PlaneMemory {
    let base: UnsafeMutableRawPointer
    private let allocation: UnsafeMutableRawPointer
    init(bytes: Int) {
        guard let p = calloc(1, max(bytes, 64) + 128) else {
            fatalError("PlaneMemory: out of memory (\(bytes) bytes)")
        }
        allocation = p
        base = p + (-Int(bitPattern: p) & 63)
    }
    deinit { free(allocation) }
}

/// The passes over raw pointers into a `PlaneState`, fixed for one `run`: the loops see plain loads and stores
/// (no closure captures, bounds checks or reference counting), so the compiler keeps the coder in registers.
/// Word index q = (y + 1)·s + x + 1 (padded), coefficient index i = y·w + x; stripe k's bitmap starts at k·sw.
struct PlanePasses<C: PlaneBitCoder> {
    /// `m`: the magnitudes, or (encoder, `PlaneState.magnitudeShift`) the words `f` with them at bits
    /// `shift`…: a pass tests `m[q] & bitP << shift` and takes `m[q] >> shift` as the magnitude.
    let f: UnsafeMutablePointer<UInt32>, m: UnsafeMutablePointer<UInt32>, shift: UInt32
    let pl: UnsafeMutablePointer<UInt8>
    let cx: UnsafeMutablePointer<BitContext>, busy: UnsafeMutablePointer<UInt64>
    let order: UnsafeMutablePointer<UInt32>, count: UnsafeMutablePointer<Int>, cb: UnsafeMutablePointer<UInt16>
    let sigT: UnsafePointer<UInt8>, signT: UnsafePointer<UInt8>
    /// Word offset of bit t (row t & 3 of column t >> 2) of a chunk's candidate mask from the chunk's first word:
    /// a load instead of a shift, a mask, a multiply and an add per decision.
    let offsets: UnsafePointer<Int>
    let h: Int, w: Int, s: Int, sw: Int

    typealias S = PlaneState

    /// Codes the sign of coefficient q at column x of image row `row`, which has just become significant at
    /// plane p, and records it in the neighbours' words, the busy bitmap and `order`.
    @inline(__always)
    func becomeSignificant(_ q: Int, x: Int, row: Int, plane p: Int, gain: inout Double, coder: inout C) {
        // The stripe's bitmap, and the one above (row 0) or below (row 3; a spare one past the block's edges),
        // else this one again: selected, not branched on (the row is unpredictable).
        let k = row &>> 2
        ColumnBits.markNeighbourhood(busy + k &* sw, x)
        let r = row & 3, d = (r &+ 1) &>> 2 &+ (r &- 1) &>> 63  // −1, 0, 0, 1 for r = 0…3, by arithmetic
        ColumnBits.markNeighbourhood(busy + (k &+ d) &* sw, x)
        let n = count.pointee
        order[n] = UInt32(truncatingIfNeeded: q)
        count.pointee = n &+ 1
        let wq = f[q]
        let entry = signT[Int((wq & 0xF) | (wq >> 4 & 0xF0))]
        let flip = entry & 0x80 != 0
        let truth = wq & S.negativeInput != 0
        let negative: UInt32 = coder.code(truth != flip, &cx[Int(entry & 0x7F)]) != flip ? 1 : 0
        f[q] = wq | S.significant | negative << 13
        f[q &- s] |= 1 << 1 | negative << 9       // we are its S neighbour
        f[q &+ s] |= 1 << 0 | negative << 8       // its N
        f[q &- 1] |= 1 << 3 | negative << 11      // its E
        f[q &+ 1] |= 1 << 2 | negative << 10      // its W
        f[q &- s &- 1] |= 1 << 7
        f[q &- s &+ 1] |= 1 << 6
        f[q &+ s &- 1] |= 1 << 5
        f[q &+ s &+ 1] |= 1 << 4
        if !C.isEncoder {  // (only `reconstruct` reads the planes)
            pl[q] = UInt8(truncatingIfNeeded: p)
            m[q] = 1 &<< UInt32(truncatingIfNeeded: p)  // (not cleared before: see `PlaneState.m`)
        }
        if C.measuresDistortion {
            gain += BitplaneCoder.significanceGain(m[q] &>> shift, plane: UInt32(truncatingIfNeeded: p))
        }
    }

    // Candidate masks: bit r of a column's mask says row r of the stripe is coded by the pass. They are computed
    // branch-free from the 4 words, then the set bits are visited in row order; this replaces 4 unpredictable
    // per-coefficient branches by one loop over the candidates.

    /// Bit 0: significant neighbour and not significant (significance propagation).
    @inline(__always) static func sppCandidate(_ w: UInt32) -> UInt32 { (((w & 0xFF) &+ 0xFF) >> 8) & ~(w >> 12) & 1 }
    /// Bit 0: neither significant nor visited (cleanup).
    @inline(__always) static func cleanupCandidate(_ w: UInt32) -> UInt32 { ~((w >> 12) | (w >> 14)) & 1 }

    /// Mask of `candidate` over the column of stripe rows starting at word q0 (rows ≥ `rows` excluded).
    @inline(__always)
    func columnMask(_ q0: Int, rows: Int, _ candidate: (UInt32) -> UInt32) -> UInt32 {
        if rows == 4 {
            return candidate(f[q0]) | candidate(f[q0 &+ s]) &<< 1 | candidate(f[q0 &+ 2 &* s]) &<< 2
                | candidate(f[q0 &+ 3 &* s]) &<< 3
        }
        var mask: UInt32 = 0
        for r in 0..<rows { mask |= candidate(f[q0 &+ r &* s]) &<< UInt32(r) }
        return mask
    }

    /// Candidates of up to 8 columns of a full stripe at once (columns x0 … x0 + n − 1 from word q0 = row 0 of
    /// column x0), bit 4j + r for row r of column x0 + j: SIMD over 8 words of each row; SPP's candidates, or
    /// cleanup's (`spp` false), which also clears those words' visited marks. Reads up to 7 words past column
    /// w − 1 of each row, which the layout's slack keeps inside the state; their bits are dropped.
    @inline(__always)
    func chunkMask(_ q0: Int, columns n: Int, spp: Bool) -> UInt32 {
        let p = UnsafeMutableRawPointer(f + q0), rowBytes = 4 &* s
        let v0 = p.loadUnaligned(as: SIMD8<UInt32>.self)
        let v1 = (p + rowBytes).loadUnaligned(as: SIMD8<UInt32>.self)
        let v2 = (p + 2 &* rowBytes).loadUnaligned(as: SIMD8<UInt32>.self)
        let v3 = (p + 3 &* rowBytes).loadUnaligned(as: SIMD8<UInt32>.self)
        @inline(__always) func candidate(_ v: SIMD8<UInt32>) -> SIMD8<UInt32> {
            spp ? (((v & 0xFF) &+ 0xFF) &>> 8) & ~(v &>> 12) & 1 : ~((v &>> 12) | (v &>> 14)) & 1
        }
        if !spp {
            // Cleanup clears the visited marks of the chunk's own words only: past column w − 1 lie the next
            // row's words (for row 3, the next stripe's, whose marks its cleanup still needs).
            // All ones in lanes j < n: (j − n) >> 31 is 1 there (wrapping), 0 elsewhere.
            let lanes = SIMD8<UInt32>(0, 1, 2, 3, 4, 5, 6, 7)
            let inside = SIMD8<UInt32>(repeating: 0) &- ((lanes &- UInt32(truncatingIfNeeded: n)) &>> 31)
            let keep = ~(inside & S.visited)
            p.storeBytes(of: v0 & keep, as: SIMD8<UInt32>.self)
            (p + rowBytes).storeBytes(of: v1 & keep, as: SIMD8<UInt32>.self)
            (p + 2 &* rowBytes).storeBytes(of: v2 & keep, as: SIMD8<UInt32>.self)
            (p + 3 &* rowBytes).storeBytes(of: v3 & keep, as: SIMD8<UInt32>.self)
        }
        // Each lane's 4 rows as a nibble, narrowed to bytes (one per column) and the bytes' nibbles packed: lane
        // shifts and reductions were compiled lane by lane, this stays in a few vector and scalar instructions.
        let nibbles = candidate(v0) | candidate(v1) &<< 1 | candidate(v2) &<< 2 | candidate(v3) &<< 3
        var x = unsafeBitCast(SIMD8<UInt8>(truncatingIfNeeded: nibbles), to: UInt64.self).littleEndian
        x = (x | x &>> 4) & 0x00FF_00FF_00FF_00FF
        x = (x | x &>> 8) & 0x0000_FFFF_0000_FFFF
        let mask = UInt32(truncatingIfNeeded: x | x &>> 16)
        return n >= 8 ? mask : mask & (UInt32(1) &<< UInt32(truncatingIfNeeded: 4 &* n) &- 1)
    }

    /// Significance propagation: insignificant coefficients with a significant neighbour, in stripe order over
    /// the busy columns. A full stripe goes 8 columns at a time: the chunk's candidates as one bit mask
    /// (`chunkMask`), visited in stripe order, with the ones that coding adds (the row below and the next column's
    /// neighbours of a coefficient that becomes significant) set in it as they appear. One loop per chunk rather
    /// than one per column: the loop's exit is a mispredicted branch.
    /// `stripes`: the segment's stripes (the last one may be partial).
    @inline(__always)
    func significancePropagation(plane p: Int, stripes: Range<Int>, coder shared: inout C) -> Double {
        var coder = C.placeholder, gain = 0.0
        swap(&coder, &shared)
        defer { swap(&coder, &shared) }
        let bitP = UInt32(1) &<< UInt32(truncatingIfNeeded: p), bitM = bitP &<< shift
        var y0 = stripes.lowerBound &* 4, b = busy + stripes.lowerBound &* sw
        let yEnd = min(h, stripes.upperBound &* 4)
        while y0 &+ 4 <= yEnd {
            var x0 = 0
            while x0 < w {
                // Busy columns x0 … x0 + 7 are bits x0 + 1 … x0 + 8 of the bitmap: a chunk without any has no
                // candidates (a significant coefficient marks the columns around it in its stripe and, from row 0
                // or 3, in the next stripe), and coding here can only mark the next chunk's first column.
                if ColumnBits.chunk(b, x0) != 0 {
                    let q0 = (y0 &+ 1) &* s &+ x0 &+ 1, n = min(8, w &- x0)
                    let columns = n >= 8 ? ~UInt32(0) : UInt32(1) &<< UInt32(truncatingIfNeeded: 4 &* n) &- 1
                    var mask = chunkMask(q0, columns: n, spp: true)
                    while mask != 0 {
                        let t = mask.trailingZeroBitCount
                        mask &= mask &- 1
                        let q = q0 &+ offsets[t]
                        let wq = f[q]  // fresh: a neighbour may just have become significant
                        f[q] = wq | S.visited
                        if coder.code(m[q] & bitM != 0, &cx[Int(sigT[Int(wq & 0xFF)])]) {
                            let j = t &>> 2, r = t & 3
                            becomeSignificant(q, x: x0 &+ j, row: y0 &+ r, plane: p, gain: &gain, coder: &coder)
                            // New candidates unless significant: the row below (rows 1…3 of this column) and rows
                            // r − 1 … r + 1 of the next column (dropped past the chunk or the block).
                            let below = (~f[q &+ s] &>> 12 & 1) &<< UInt32(t &+ 1) & (UInt32(0xE) &<< UInt32(j &* 4))
                            let right = (~f[q &- s &+ 1] &>> 12 & 1) | (~f[q &+ 1] &>> 12 & 1) &<< 1
                                | (~f[q &+ s &+ 1] &>> 12 & 1) &<< 2
                            let next = UInt64((right &<< UInt32(r)) &>> 1 & 0xF) &<< UInt64(4 &* (j &+ 1))
                            mask |= (below | UInt32(truncatingIfNeeded: next)) & columns
                        }
                    }
                }
                x0 &+= 8
            }
            y0 &+= 4
            b += sw
        }
        if y0 < yEnd {
            swap(&coder, &shared)  // (the local coder's address must not escape: it could not stay in registers)
            gain += partialStripe(y0, b, plane: p, spp: true, coder: &shared)
            swap(&coder, &shared)
        }
        return gain
    }

    /// A last stripe of fewer than 4 rows, column by column: significance propagation over the busy columns (the
    /// bitmap read afresh after every column, as coding may mark the next one), or cleanup (no run mode).
    @inline(never)
    func partialStripe(_ y0: Int, _ b: UnsafeMutablePointer<UInt64>, plane p: Int, spp: Bool,
                       coder: inout C) -> Double {
        var gain = 0.0
        let bitP = UInt32(1) &<< UInt32(truncatingIfNeeded: p), bitM = bitP &<< shift
        let rows = h &- y0, rowMask = UInt32(1) &<< UInt32(rows) &- 1
        var x = spp ? ColumnBits.next(b, from: 0, width: w) : 0
        while x < w {
            let q0 = (y0 &+ 1) &* s &+ x &+ 1
            var mask = columnMask(q0, rows: rows, spp ? Self.sppCandidate : Self.cleanupCandidate)
            if !spp { for r in 0..<rows { f[q0 &+ r &* s] &= ~S.visited } }
            while mask != 0 {
                let r = mask.trailingZeroBitCount
                mask &= mask &- 1
                let q = q0 &+ r &* s
                let wq = f[q]
                if spp { f[q] = wq | S.visited }
                if coder.code(m[q] & bitM != 0, &cx[Int(sigT[Int(wq & 0xFF)])]) {
                    becomeSignificant(q, x: x, row: y0 &+ r, plane: p, gain: &gain, coder: &coder)
                    if spp { mask |= (~f[q &+ s] &>> 12 & 1) &<< UInt32(r &+ 1) & rowMask }
                }
            }
            x = spp ? ColumnBits.next(b, from: x &+ 1, width: w) : x &+ 1
        }
        return gain
    }

    /// Magnitude refinement: the segment's `entries` of `order`, whose first `planeStart` coefficients are those
    /// significant before this plane and the first `refined` of those were refined before (context 16, kept in a
    /// register over their run: a decision no longer waits for the last one's context update to come back from
    /// memory).
    @inline(__always)
    func magnitudeRefinement(plane p: Int, entries: Range<Int>, refined: Int, coder shared: inout C) -> Double {
        var coder = C.placeholder, gain = 0.0
        swap(&coder, &shared)
        defer { swap(&coder, &shared) }
        let bitP = UInt32(1) &<< UInt32(truncatingIfNeeded: p), bitM = bitP &<< shift
        let plane = UInt8(truncatingIfNeeded: p)
        let split = max(entries.lowerBound, min(entries.upperBound, refined))
        var later = cx[16]
        for e in entries.lowerBound..<split {
            let q = Int(truncatingIfNeeded: order[e])
            let bit = coder.code(m[q] & bitM != 0, &later)
            if C.measuresDistortion {
                gain += BitplaneCoder.refinementGain(m[q] &>> shift, plane: UInt32(truncatingIfNeeded: p))
            }
            if !C.isEncoder {
                pl[q] = plane
                m[q] |= bit ? bitP : 0
            }
        }
        cx[16] = later
        for e in split..<entries.upperBound {
            let q = Int(truncatingIfNeeded: order[e])
            let wq = f[q]
            // 16: later refinements; 15 / 14: the first one, with / without a significant neighbour.
            let ctx = wq & S.refined != 0 ? 16 : (wq & S.neighbours != 0 ? 15 : 14)
            let bit = coder.code(m[q] & bitM != 0, &cx[ctx])
            f[q] = wq | S.refined
            if C.measuresDistortion {
                gain += BitplaneCoder.refinementGain(m[q] &>> shift, plane: UInt32(truncatingIfNeeded: p))
            }
            if !C.isEncoder {
                pl[q] = plane
                m[q] |= bit ? bitP : 0
            }
        }
        return gain
    }

    /// Cleanup: everything not yet coded in this plane, quiet columns in run mode; clears the visited marks
    /// (contexts never read them, so a chunk's are cleared when its candidates are first taken). A full stripe
    /// alternates between a run of quiet columns and a run of busy ones; the busy run's candidates are taken
    /// 8 columns at a time (`chunkMask`; coding cannot change which coefficients of later columns are candidates,
    /// only make the column after the run busy, which the next step reads afresh).
    /// `stripes`: the segment's stripes (the last one may be partial).
    @inline(__always)
    func cleanup(plane p: Int, stripes: Range<Int>, coder shared: inout C) -> Double {
        var coder = C.placeholder, gain = 0.0
        swap(&coder, &shared)
        defer { swap(&coder, &shared) }
        let bitP = UInt32(1) &<< UInt32(truncatingIfNeeded: p), bitM = bitP &<< shift
        var y0 = stripes.lowerBound &* 4, b = busy + stripes.lowerBound &* sw, ors = cb + stripes.lowerBound &* w
        let yEnd = min(h, stripes.upperBound &* 4)
        while y0 &+ 4 <= yEnd {
            let row0 = (y0 &+ 1) &* s &+ 1
            var x = 0, chunkAt = -1, chunk: UInt32 = 0
            while x < w {
                if !ColumnBits.test(b, x) {
                    let end = ColumnBits.next(b, from: x &+ 1, width: w)
                    var c = end
                    if C.isEncoder {
                        c = x
                        if p < 16 {
                            // Four columns per test (one load) while no 1 is among them, then one at a time.
                            let four = UInt64(bitP) &* 0x0001_0001_0001_0001
                            while c &+ 4 <= end
                                    && UnsafeRawPointer(ors + c).loadUnaligned(as: UInt64.self) & four == 0 {
                                c &+= 4
                            }
                            while c < end && UInt32(ors[c]) & bitP == 0 { c &+= 1 }
                        } else {  // (planes above 16: the magnitudes have their own array, see `magnitudeShift`)
                            while c < end {
                                let q = row0 &+ c
                                if (m[q] | m[q &+ s] | m[q &+ 2 &* s] | m[q &+ 3 &* s]) & bitM != 0 { break }
                                c &+= 1
                            }
                        }
                    }
                    // Where the first column holding a 1 in this plane lies among the n quiet columns (n when
                    // none: `run` is the encoder's argument, the decoder's result), see the READ ME FIRST block.
                    // Written out here: as a call (which LLVM did not inline) it took the coder's address, which
                    // kept the coder of the whole pass in memory rather than registers.
                    let n = end &- x
                    var run = c &- x
                    if n == 1 {
                        run = coder.code(run == 0, &cx[BitplaneCoder.runContext]) ? 0 : 1
                    } else if !coder.code(run < n, &cx[n < BitplaneCoder.longQuietRun
                                                        ? BitplaneCoder.shortQuietRunContext
                                                        : BitplaneCoder.longQuietRunContext]) {
                        run = n
                    } else {
                        var lo = 0, len = n
                        while len > 1 {
                            let left = len &>> 1
                            if coder.code(run < lo &+ left, &cx[BitplaneCoder.halvingContext]) { len = left } else {
                                lo &+= left
                                len &-= left
                            }
                        }
                        run = lo
                    }
                    c = x &+ run
                    if c == end {
                        x = end
                        continue
                    }
                    let q0 = row0 &+ c
                    var first = 0
                    if C.isEncoder {
                        // 64-bit: the plane bit of row 3 lands at bit p + 3, past 31 for p = 29.
                        let bits = UInt64(m[q0] & bitM) | UInt64(m[q0 &+ s] & bitM) &<< 1
                            | UInt64(m[q0 &+ 2 &* s] & bitM) &<< 2 | UInt64(m[q0 &+ 3 &* s] & bitM) &<< 3
                        first = bits.trailingZeroBitCount &- p &- Int(shift)
                    }
                    let hi = coder.bypass(first & 2 != 0), lo = coder.bypass(first & 1 != 0)
                    let r = (hi ? 2 : 0) + (lo ? 1 : 0)
                    becomeSignificant(q0 &+ r &* s, x: c, row: y0 &+ r, plane: p, gain: &gain, coder: &coder)
                    var mask = (UInt32(0xE) &<< UInt32(r)) & 0xF
                    while mask != 0 {
                        let r = mask.trailingZeroBitCount
                        mask &= mask &- 1
                        let q = q0 &+ r &* s
                        if coder.code(m[q] & bitM != 0, &cx[Int(sigT[Int(f[q] & 0xFF)])]) {
                            becomeSignificant(q, x: c, row: y0 &+ r, plane: p, gain: &gain, coder: &coder)
                        }
                    }
                    x = c &+ 1
                    continue
                }
                let end = ColumnBits.nextClear(b, from: x &+ 1, width: w)
                var c0 = x & ~7
                while c0 < end {
                    if c0 != chunkAt {
                        chunk = chunkMask(row0 &+ c0, columns: min(8, w &- c0), spp: false)
                        chunkAt = c0
                    }
                    // Columns max(x, c0) ..< min(end, c0 + 8) of the chunk.
                    let lo = UInt32(truncatingIfNeeded: max(x, c0) &- c0), hi = UInt64(min(end, c0 &+ 8) &- c0)
                    var mask = chunk & UInt32(truncatingIfNeeded: (1 &<< (4 &* hi)) &- 1) & ~((1 &<< (4 &* lo)) &- 1)
                    let q0 = row0 &+ c0
                    while mask != 0 {
                        let t = mask.trailingZeroBitCount
                        mask &= mask &- 1
                        let q = q0 &+ offsets[t]
                        if coder.code(m[q] & bitM != 0, &cx[Int(sigT[Int(f[q] & 0xFF)])]) {
                            becomeSignificant(q, x: c0 &+ t &>> 2, row: y0 &+ t & 3, plane: p, gain: &gain,
                                              coder: &coder)
                        }
                    }
                    c0 &+= 8
                }
                x = end
            }
            y0 &+= 4
            b += sw
            ors += w
        }
        if y0 < yEnd {
            swap(&coder, &shared)  // (the local coder's address must not escape: it could not stay in registers)
            gain += partialStripe(y0, b, plane: p, spp: false, coder: &shared)
            swap(&coder, &shared)
        }
        return gain
    }
}
