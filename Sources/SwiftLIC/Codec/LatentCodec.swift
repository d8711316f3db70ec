/// The codec back end: a C × h × w float latent ⇄ one self-describing byte stream (docs/FORMAT.md).
///
/// encode: optional PCA rotation → quantization → one bitplane code-block per channel (in parallel; each block is
/// independent, so the bytes do not depend on the thread count) → PCRD-opt into quality layers → container.
/// With a rate target the blocks are coded a pass per round with PCRD after each, and a block stops once the
/// allocation leaves its last coded pass out (`codeBlocks`): a low-rate encode codes a fraction of the passes.
/// decode mirrors it and accepts any prefix that ends at a layer boundary.
public enum LatentCodec {
    public struct EncodeOptions: Sendable {
        public var bits = 12
        public var step: Float = 1
        public var channelSteps: [Float]? = nil
        /// Total container size to stay within (nil: every pass, lossless with respect to the quantizer).
        public var targetBytes: Int? = nil
        /// Quality layers; the stream may be cut at any layer boundary. Layer k of n gets the budget
        /// target · 2^(−(n−1−k)/2).
        public var layers = 1
        public var pca = LatentHeader.PCAMode.none
        /// Precision of the per-image PCA basis side information. 6 bits measured best at equal size on Kodak
        /// 8×8-block latents (C = 192) from 0.25 to 1 bpp, within 0.15 dB of 8 bits at 2 bpp (benchmarks/entropy.py).
        public var basisBits = 6
        /// `.fixed` mode: C × C basis (row k = k-th direction) and C means known to encoder and decoder.
        public var fixedBasis: [Float]? = nil
        public var fixedMean: [Float]? = nil
        public var modelID = ""
        public var modelHash: UInt64 = 0
        public var imageHeight = 0, imageWidth = 0
        public var colorMode: UInt8 = 0
        /// One byte per layer for the decoder's post-filter (`LatentHeader.filterStrengths`), or nil.
        public var filterStrengths: [UInt8]? = nil
        /// With a target: code every pass before allocating (the obvious twin of the rate-targeted encoder,
        /// which stops coding blocks that the allocation no longer reaches; tests and benchmarks compare them).
        public var exhaustive = false
        public init() {}
    }

    public struct DecodeOptions: Sendable {
        public var maxPixels = 1 << 28
        public var expectedModelHash: UInt64? = nil
        public var fixedBasis: [Float]? = nil
        public var fixedMean: [Float]? = nil
        public init() {}
    }

    /// Where each layer of a stream ends, after full validation of the header and the layer structure (CRCs
    /// included), without decoding any block.
    public struct Layout: Sendable {
        public var header: LatentHeader
        public var headerBytes: Int
        /// End offset of each complete layer present.
        public var layerEnds: [Int]
        /// Per layer, per included block: (block, cumulative segments, data range).
        public var parts: [[(block: Int, segments: Int, range: Range<Int>)]]
        /// Bitplanes of each block, from the layer that first includes it (0: never included, decodes to zeros).
        public var planes: [Int]
    }

    /// Upper bound of the encoded size: 102 bytes a coefficient, plus per-layer and header overheads. A decision
    /// costs at most 10 bits (p ≥ 33/2^15 in the adaptive coder) and a coefficient makes at most 47: one per plane
    /// (≤ 30), a sign, and its share of cleanup's quiet-run decisions (one flag per run and plane, a run covering
    /// at least one 4-row column; the halving and row bits, ≤ 34, once per column, which is never quiet again).
    public static func encodeBound(channels: Int, height: Int, width: Int, layers: Int,
                                   modelIDBytes: Int) -> Int {
        let c = channels, n = height * width
        let header = 64 + modelIDBytes + 8 * c + 2 * c * c + c + max(layers, 1)
        return header + max(layers, 1) * (RateAllocation.layerOverhead(channels: c) + 10 * c) + c * (n * 102 + 8)
    }

    static func validateShape(channels c: Int, height: Int, width: Int, count: Int) throws(SLICError) {
        try require(c >= 1 && c <= LatentHeader.maxChannels,
                    "latent: expected 1 to \(LatentHeader.maxChannels) channels, got \(c)")
        try require(height >= 1 && width >= 1 && height <= Int(UInt32.max) && width <= Int(UInt32.max),
                    "latent: expected positive spatial size, got \(height)×\(width)")
        try require(count == c * height * width,
                    "latent: buffer holds \(count) values, expected \(c)×\(height)×\(width) = \(c * height * width)")
    }

    /// FNV-1a (64-bit) over the bit patterns of a fixed PCA's basis and mean: names the transform in the header.
    public static func fixedHash(basis: [Float], mean: [Float]) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for v in basis + mean {
            for k in 0..<4 { h = (h ^ UInt64((v.bitPattern >> (8 * UInt32(k))) & 0xFF)) &* 0x100_0000_01B3 }
        }
        return h
    }

    static func fixedTransform(basis: [Float]?, mean: [Float]?, channels c: Int) throws(SLICError)
        -> (basis: [Float], mean: [Float], hash: UInt64) {
        guard let basis, let mean else {
            throw .invalid("fixed PCA: expected a \(c)×\(c) basis and \(c) means, got none")
        }
        try require(basis.count == c * c, "fixed PCA: expected a \(c)×\(c) basis, got \(basis.count) values")
        try require(mean.count == c, "fixed PCA: expected \(c) means, got \(mean.count)")
        try require((basis + mean).allSatisfy { $0.isFinite }, "fixed PCA: basis and mean must be finite")
        return (PCA.orthonormalized(basis.map { Double($0) }, n: c), mean, fixedHash(basis: basis, mean: mean))
    }

    /// Encodes a C × h × w latent (row-major) into a complete stream.
    public static func encode(_ y: UnsafeBufferPointer<Float>, channels c: Int, height: Int, width: Int,
                              options o: EncodeOptions) throws(SLICError) -> [UInt8] {
        try validateShape(channels: c, height: height, width: width, count: y.count)
        try require(o.pca == .none || c <= LatentHeader.maxPCAChannels,
                    "pca: at most \(LatentHeader.maxPCAChannels) channels, got \(c)")
        try require(o.layers >= 1 && o.layers <= 255, "layers: expected 1 to 255, got \(o.layers)")
        try require(o.basisBits >= 2 && o.basisBits <= 16, "basis_bits: expected 2 to 16, got \(o.basisBits)")
        try require(o.targetBytes.map { $0 > 0 } ?? true, "target_bytes: expected > 0, got \(o.targetBytes ?? 0)")
        try require(Array(o.modelID.utf8).count <= LatentHeader.maxModelID,
                    "model_id: expected at most \(LatentHeader.maxModelID) UTF-8 bytes")
        try require(o.imageHeight >= 0 && o.imageWidth >= 0 && o.imageHeight <= Int(UInt32.max)
                    && o.imageWidth <= Int(UInt32.max), "image_size: expected non-negative 32-bit sizes")
        try require(o.colorMode <= 3, "color_mode: expected 0…3, got \(o.colorMode)")
        if let cs = o.channelSteps {
            try require(cs.count == c, "channel_steps: expected \(c) steps, got \(cs.count)")
        }
        if let fs = o.filterStrengths {
            try require(fs.count == o.layers, "filter_strengths: expected one per layer (\(o.layers)), got \(fs.count)")
        }
        let quantizer = try Quantizer(bits: o.bits, step: o.step, channelSteps: o.channelSteps)
        let n = height * width
        // The quantizer checks what it quantizes; a rotation must not see NaN or infinity first.
        if o.pca != .none && !Quantizer.allFinite(y), let v = y.first(where: { !$0.isFinite }) {
            throw .invalid("latent: expected finite values, found \(v)")
        }

        var header = LatentHeader()
        header.imageHeight = o.imageHeight; header.imageWidth = o.imageWidth
        header.colorMode = o.colorMode
        header.modelID = o.modelID; header.modelHash = o.modelHash
        header.channels = c; header.height = height; header.width = width
        header.bits = o.bits; header.step = o.step; header.channelSteps = o.channelSteps
        header.pca = o.pca
        header.layers = o.layers
        header.filterStrengths = o.filterStrengths

        // Rotation (when any) into z, then quantization.
        var z = [Float]()
        switch o.pca {
        case .none: break
        case .image:
            let mean = PCA.means(y, channels: c, count: n)
            let (_, rows) = PCA.eigen(symmetric: PCA.covariance(y, channels: c, count: n, mean: mean), n: c)
            header.mean = mean
            header.basisBits = o.basisBits
            header.basisCodes = Quantizer.quantizeBasis(rows, bits: o.basisBits)
            let basis = PCA.orthonormalized(Quantizer.dequantizeBasis(header.basisCodes, bits: o.basisBits), n: c)
            z = [Float](repeating: 0, count: c * n)
            z.withUnsafeMutableBufferPointer { PCA.rotate(y, basis: basis, mean: mean, channels: c, count: n, into: $0) }
        case .fixed:
            let t = try fixedTransform(basis: o.fixedBasis, mean: o.fixedMean, channels: c)
            header.fixedHash = t.hash
            z = [Float](repeating: 0, count: c * n)
            z.withUnsafeMutableBufferPointer { PCA.rotate(y, basis: t.basis, mean: t.mean, channels: c, count: n, into: $0) }
        }
        // One code-block per channel, quantized into a temporary buffer and from there into its encoder's state (a
        // fresh zeroed array, filled and read again, had been a fifth of a low-rate encode), weighted so distortions
        // add up in latent units². States come from the scratch pool (fresh memory per block, cleared by calloc, was
        // 2–4 % of a full-rate encode: memset), except above `pooledCoefficientLimit`, where each is its own.
        // - Without a rate target (or `exhaustive`) one task quantizes a block and codes all its passes, in a state
        //   the thread's next block reuses while it is still in cache. (Quantizing every block first and coding them
        //   after read the states back from L3: see `results/entropy_codec_s12.txt`.)
        // - A rate-targeted encode keeps every block's state from its quantization to its last pass, between rounds
        //   (`codeBlocks`), in one buffer for all.
        let pooled = c * n <= pooledCoefficientLimit
        let targeted = o.targetBytes != nil && !o.exhaustive && pooled
        // Without a target and with one layer every pass of every block is kept: nothing to allocate, so the passes
        // need not sum their distortion decreases (the hull of all-zero decreases is one step taking every pass).
        let measures = o.targetBytes != nil || o.layers > 1
        let stateBytes = PlaneState.Layout(height: height, width: width).bytes
        var writer = ByteWriter()
        writer.bytes = header.serialized()
        let headerBytes = writer.bytes.count
        typealias Encoder = BitplaneCoder.PlaneEncoder<PlaneState>
        func encoder(_ k: Int, _ source: UnsafeBufferPointer<Float>,
                     _ memory: UnsafeMutableRawPointer?) throws(SLICError) -> Encoder {
            let w = Double(quantizer.inverseScale(k))
            var e = try Encoder(height: height, width: width, weight: w * w, memory: memory) {
                channel throws(SLICError) in
                try quantizer.quantize(channel: k, UnsafeBufferPointer(rebasing: source[k * n..<(k + 1) * n]),
                                       into: channel)
            }
            e.measuresDistortion = measures
            return e
        }
        var failures = [SLICError?](repeating: nil, count: c)
        let blocks: [BitplaneCoder.EncodedBlock], plan: [[Int]]
        if targeted {
            (blocks, plan) = try ScratchPool.withBytes(c * stateBytes) { arena throws(SLICError) in
                var encoders = [Encoder?](repeating: nil, count: c)
                z.withUnsafeBufferPointer { zb in
                encoders.withUnsafeMutableBufferPointer { out in
                failures.withUnsafeMutableBufferPointer { fail in
                    let source = zb.isEmpty ? y : zb
                    Parallel.forEach(c) { k in
                        do throws(SLICError) {
                            out[k] = try encoder(k, source, arena + k * stateBytes)
                        } catch {
                            fail[k] = error
                        }
                    }
                }
                }
                }
                if let first = failures.compactMap({ $0 }).first { throw first }
                return codeBlocks(&encoders, headerBytes: headerBytes, options: o)
            }
        } else {
            var coded = [BitplaneCoder.EncodedBlock](repeating: .init(planes: 0, bytes: [], points: []), count: c)
            z.withUnsafeBufferPointer { zb in
            coded.withUnsafeMutableBufferPointer { out in
            failures.withUnsafeMutableBufferPointer { fail in
                let source = zb.isEmpty ? y : zb
                Parallel.forEach(c) { k in
                    func code(_ memory: UnsafeMutableRawPointer?) {
                        do throws(SLICError) {
                            var e = try encoder(k, source, memory)
                            e.code(segments: BitplaneCoder.segmentCount(planes: BitplaneCoder.maxPlanes))
                            out[k] = e.finished()
                        } catch {
                            fail[k] = error
                        }
                    }
                    if pooled { ScratchPool.withBytes(stateBytes) { code($0) } } else { code(nil) }
                }
            }
            }
            }
            if let first = failures.compactMap({ $0 }).first { throw first }
            let budgets = layerBudgets(coded, headerBytes: headerBytes, options: o)
            (blocks, plan) = (coded, RateAllocation.allocate(coded, budgets: budgets, headerBytes: headerBytes))
        }
        var previous = [Int](repeating: 0, count: c)
        for cumulative in plan {
            let start = writer.bytes.count
            var included = [UInt8](repeating: 0, count: (c + 7) / 8)
            var ranges: [Range<Int>] = []
            for b in 0..<c where cumulative[b] > previous[b] { included[b / 8] |= 1 << (b % 8) }
            writer.bytes += included
            for b in 0..<c where cumulative[b] > previous[b] {
                let from = previous[b] == 0 ? 0 : blocks[b].points[previous[b] - 1].length
                let to = blocks[b].points[cumulative[b] - 1].length
                if previous[b] == 0 { writer.u8(UInt8(blocks[b].planes)) }  // first inclusion: the block's planes
                writer.varint(cumulative[b] - previous[b])
                writer.varint(to - from)
                ranges.append(from..<to)
            }
            var r = 0
            for b in 0..<c where cumulative[b] > previous[b] {
                writer.bytes += blocks[b].bytes[ranges[r]]
                r += 1
            }
            writer.crc(from: start)
            previous = cumulative
        }
        return writer.bytes
    }

    /// Codes the blocks of a rate-targeted encode and allocates their segments to layers: the blocks and the
    /// cumulative segments per layer.
    ///
    /// Blocks are coded in rounds and rate allocation runs after each round on the segments coded so far; a block
    /// goes on only while the allocation takes every segment it has coded. Coding more only adds candidates, which
    /// can only raise the slope at which the budget is spent, so a stopped block would rarely have been given
    /// more: only where a hull segment reaches past the unused segment it stopped at, or where PCRD fills the
    /// budget's last bytes. (The rule needs the coder's shortest termination: a block cut right after its last
    /// segment must not look costlier than it will once coding goes on.) What a stopped block coded past its cut is
    /// waste, so a round codes a whole pass while the blocks' coded total is under half the budget (allocation
    /// cannot leave anything out yet) and half a pass after (`coarseRound`, `fineRound`).
    ///
    /// Measured on the 24 Kodak wavelet latents at 0.125–2 bpp (`results/entropy_codec_s14.txt`): it codes
    /// 1.17–1.45× the bytes it keeps (format 3, whole passes as rounds and truncation points: 1.30–1.85×); its
    /// squared error is ×0.996–0.999 of format 3's rate-targeted encode on average (×1.006 on the worst image) and
    /// ×1.0004–1.0012 of PCRD over every segment (×1.011). Quarter-pass rounds coded 1.12–1.29× but were ×1.018
    /// on the worst image; stopping a plane later (the first version) coded 2.1–2.4×; stopping earlier by a
    /// predicted slope was dropped (`results/entropy_codec_s12.txt`). The loop ends when the allocation leaves part
    /// of every unfinished block's hull out.
    static func codeBlocks(_ encoders: inout [BitplaneCoder.PlaneEncoder<PlaneState>?],
                           headerBytes: Int, options o: EncodeOptions) -> ([BitplaneCoder.EncodedBlock], [[Int]]) {
        let c = encoders.count
        // Between rounds, allocation needs each block's truncation points and hull, not its bytes: a round's tasks
        // compute those of their blocks, and the segments stay in allocation order across rounds (`merge`) from
        // the first round whose blocks could exceed the budget (nil before: allocation would take everything).
        var hulls = [[RateAllocation.Segment]](repeating: [], count: c)
        var ordered: [RateAllocation.Segment]? = nil
        var segments = coarseRound
        func run(_ todo: [Int]) {
            encoders.withUnsafeMutableBufferPointer { e in
            hulls.withUnsafeMutableBufferPointer { out in
                Parallel.forEach(todo.count) { j in
                    let k = todo[j]
                    e[k]!.code(segments: segments)
                    out[k] = e[k]!.hull(block: k)
                }
            }
            }
            guard let previous = ordered else { return }
            var replaced = [Bool](repeating: false, count: c)
            for k in todo { replaced[k] = true }
            ordered = RateAllocation.merge(previous, replacing: replaced,
                                           with: RateAllocation.merged(todo.map { hulls[$0] }))
        }
        func blocks() -> [BitplaneCoder.EncodedBlock] {
            var out = [BitplaneCoder.EncodedBlock](repeating: .init(planes: 0, bytes: [], points: []), count: c)
            encoders.withUnsafeBufferPointer { e in
            out.withUnsafeMutableBufferPointer { out in
                Parallel.forEach(c) { k in out[k] = e[k]!.finished() }
            }
            }
            return out
        }
        let budgets = layerBudgets([], headerBytes: headerBytes, options: o)  // (with a target: sizes unused)
        let target = o.targetBytes ?? Int.max
        // A block's next plane is worth about weight·4^plane per unit of error: planes are coded in that order,
        // a level (half a plane) at a time, so blocks of little worth are reached only once the budget is spent.
        func level(_ k: Int) -> Int {
            let e = encoders[k]!
            return 2 * e.nextPlane + (e.weight > 0 ? Int(e.weight.exponent) : 0)
        }
        func allocate() -> [[Int]] {
            if ordered == nil { ordered = RateAllocation.merged(hulls) }
            return RateAllocation.allocate(ordered: ordered!, blocks: c, budgets: budgets, headerBytes: headerBytes)
        }
        // The most a stream of every block's whole hull can take beyond its bytes: each layer's inclusion bits and
        // CRC, and per block and layer a planes byte and two varints.
        let overheadBound = headerBytes + o.layers * (RateAllocation.layerOverhead(channels: c) + c * 11)
        var open = (0..<c).filter { !encoders[$0]!.isComplete }
        while !open.isEmpty {
            let top = open.map(level).max()!
            run(open.filter { level($0) >= top - 1 })
            var coded = 0
            for k in 0..<c { coded += hulls[k].last?.length ?? 0 }
            if coded > target / 2 { segments = fineRound }
            if ordered == nil && coded + overheadBound <= target {
                // Everything fits: the allocation would take every block's whole hull, so every block goes on.
                open = (0..<c).filter { !encoders[$0]!.isComplete }
                continue
            }
            let plan = allocate()
            let chosen = plan[plan.count - 1]
            // Blocks not coded yet, and those whose every coded segment the allocation takes (segments that add
            // nothing end the hull as a zero-slope step, taken while a byte of the budget is left).
            open = (0..<c).filter { k in
                let e = encoders[k]!
                return !e.isComplete && chosen[k] == e.segmentsCoded
            }
            if open.isEmpty { return (blocks(), plan) }
        }
        return (blocks(), allocate())
    }

    /// Segments a round codes of each block it takes: a pass while the coded total is under half the budget, then
    /// half a pass (`codeBlocks`).
    static let coarseRound = BitplaneCoder.segmentsPerPass, fineRound = BitplaneCoder.segmentsPerPass / 2

    /// Above this many latent coefficients (~1.2 GB of coding state: a resumable block keeps it to the end) a
    /// targeted encode codes every pass, and the block states are not taken from the scratch pool (which would
    /// keep that much memory cached after the call).
    static let pooledCoefficientLimit = 1 << 26

    /// Layer k of n gets target · 2^(−(n−1−k)/2); without a target, the same fractions of the full size and no
    /// limit for the last layer.
    static func layerBudgets(_ blocks: [BitplaneCoder.EncodedBlock], headerBytes: Int,
                             options o: EncodeOptions) -> [Int?] {
        let full = fullSize(blocks, headerBytes: headerBytes, layers: o.layers)
        var budgets: [Int?] = []
        for k in 0..<o.layers {
            let fraction = pow2(-Double(o.layers - 1 - k) / 2)
            if let t = o.targetBytes {
                budgets.append(k == o.layers - 1 ? t : Int(Double(t) * fraction))
            } else {
                budgets.append(k == o.layers - 1 ? nil : Int(Double(full) * fraction))
            }
        }
        return budgets
    }

    static func pow2(_ e: Double) -> Double {
        // 2^e for the layer budgets, without Foundation: split into integer and fractional parts.
        var r = 1.0, i = e.rounded(.down)
        let f = e - i
        while i > 0 { r *= 2; i -= 1 }
        while i < 0 { r /= 2; i += 1 }
        return r * (1 + f * (0.6931471805599453 + f * (0.2402265069591007 + f * 0.0555041086648216)))
    }

    static func fullSize(_ blocks: [BitplaneCoder.EncodedBlock], headerBytes: Int, layers: Int) -> Int {
        var total = headerBytes + layers * RateAllocation.layerOverhead(channels: blocks.count)
        for b in blocks where !b.points.isEmpty {
            total += RateAllocation.cost(segments: b.points.count, bytes: b.points[b.points.count - 1].length,
                                         first: true)
        }
        return total
    }

    /// Validates header and layer structure (every CRC) and finds the layer boundaries.
    public static func layout(_ data: UnsafeBufferPointer<UInt8>, maxPixels: Int) throws(SLICError) -> Layout {
        var r = ByteReader(data)
        let header = try LatentHeader.parse(&r, maxPixels: maxPixels)
        let c = header.channels
        var layout = Layout(header: header, headerBytes: r.offset, layerEnds: [], parts: [],
                            planes: [Int](repeating: 0, count: c))
        var segments = [Int](repeating: 0, count: c)
        while r.remaining > 0 {
            let k = layout.layerEnds.count
            guard k < header.layers else {
                throw .corrupt("\(r.remaining) bytes after the last of \(header.layers) layers")
            }
            let start = r.offset
            let bitmap = try r.bytes((c + 7) / 8, "layer \(k) inclusion bits")
            var blocks: [Int] = []
            for b in 0..<(bitmap.count * 8) where bitmap[b / 8] & (1 << (b % 8)) != 0 {
                guard b < c else { throw .corrupt("layer \(k) includes block \(b) of \(c)") }
                blocks.append(b)
            }
            var lengths: [Int] = []
            var part: [(block: Int, segments: Int, range: Range<Int>)] = []
            for b in blocks {
                if segments[b] == 0 {
                    let p = Int(try r.u8("layer \(k) bitplanes of block \(b)"))
                    guard p >= 1 && p <= BitplaneCoder.maxPlanes else {
                        throw .corrupt("layer \(k) gives block \(b) \(p) bitplanes, expected 1…\(BitplaneCoder.maxPlanes)")
                    }
                    layout.planes[b] = p
                }
                let added = try r.varint("layer \(k) segment count")
                let bytes = try r.varint("layer \(k) byte count")
                let limit = BitplaneCoder.segmentCount(planes: layout.planes[b])
                guard added >= 1 && segments[b] + added <= limit else {
                    throw .corrupt("layer \(k) gives block \(b) \(added) more segments after \(segments[b]), "
                                   + "limit \(limit)")
                }
                guard bytes <= data.count else { throw .corrupt("layer \(k) block \(b) claims \(bytes) bytes") }
                segments[b] += added
                lengths.append(bytes)
            }
            for (j, b) in blocks.enumerated() {
                try r.need(lengths[j], "layer \(k) data of block \(b)")
                part.append((b, segments[b], r.offset..<r.offset + lengths[j]))
                r.offset += lengths[j]
            }
            try r.checkCRC(from: start, "layer \(k)")
            layout.layerEnds.append(r.offset)
            layout.parts.append(part)
        }
        return layout
    }

    /// Decodes a stream (or a prefix of one that ends at a layer boundary) into `out` (C × h × w floats).
    public static func decode(_ data: UnsafeBufferPointer<UInt8>, options o: DecodeOptions,
                              into out: UnsafeMutableBufferPointer<Float>) throws(SLICError) {
        let lay = try layout(data, maxPixels: o.maxPixels)
        let h = lay.header
        let c = h.channels, n = h.height * h.width
        try require(out.count == c * n, "out: expected \(c)×\(h.height)×\(h.width) = \(c * n) floats, got \(out.count)")
        if let expected = o.expectedModelHash, expected != h.modelHash {
            throw SLICError(.modelMismatch, "stream needs model '\(h.modelID)' with weights hash \(h.modelHash), "
                            + "the decoder has hash \(expected)")
        }
        var basis: [Float] = [], mean: [Float] = []
        switch h.pca {
        case .none: break
        case .image:
            basis = PCA.orthonormalized(Quantizer.dequantizeBasis(h.basisCodes, bits: h.basisBits), n: c)
            mean = h.mean
        case .fixed:
            let t = try fixedTransform(basis: o.fixedBasis, mean: o.fixedMean, channels: c)
            guard t.hash == h.fixedHash else {
                throw SLICError(.modelMismatch, "stream was coded with a fixed PCA of hash \(h.fixedHash), "
                                + "the decoder's has hash \(t.hash)")
            }
            basis = t.basis
            mean = t.mean
        }
        // Gather each block's bytes across layers (bounded by the stream size) and its segment count.
        var blockBytes = [[UInt8]](repeating: [], count: c)
        var blockSegments = [Int](repeating: 0, count: c)
        for part in lay.parts {
            for p in part {
                blockBytes[p.block] += data[p.range]
                blockSegments[p.block] = p.segments
            }
        }
        let quantizer = try Quantizer(bits: h.bits, step: h.step, channelSteps: h.channelSteps)
        // Each task decodes one block and dequantizes it (into `out` directly, or into z before the unrotation).
        // Its coding state and the quantized channel live in scratch memory from the pool, used again by the
        // next block a thread takes (fresh calloc'ed states, 18 bytes a coefficient, were zeroed or faulted in
        // for every block: a tenth of the decoder's instructions, and cold in cache).
        var z = [Float](repeating: 0, count: h.pca == .none ? 0 : c * n)
        var failures = [SLICError?](repeating: nil, count: c)
        let stateBytes = BitplaneCoder.stateBytes(height: h.height, width: h.width)
        z.withUnsafeMutableBufferPointer { zb in
        failures.withUnsafeMutableBufferPointer { fail in
            let target = zb.isEmpty ? out : zb
            Parallel.forEach(c) { k in
                ScratchPool.withBytes(stateBytes + 4 * n) { memory in
                let channel = UnsafeMutableBufferPointer(
                    start: (memory + stateBytes).bindMemory(to: Int32.self, capacity: n), count: n)
                blockBytes[k].withUnsafeBufferPointer { bytes in
                    do throws(SLICError) {
                        try BitplaneCoder.decode(bytes, planes: lay.planes[k], segments: blockSegments[k],
                                                 height: h.height, width: h.width, into: channel, memory: memory)
                        quantizer.dequantize(channel: k, UnsafeBufferPointer(channel),
                                             into: UnsafeMutableBufferPointer(rebasing: target[k * n..<(k + 1) * n]))
                    } catch {
                        fail[k] = error
                    }
                }
                }
            }
        }
        }
        if let first = failures.compactMap({ $0 }).first { throw first }
        if h.pca != .none {
            z.withUnsafeBufferPointer { PCA.unrotate($0, basis: basis, mean: mean, channels: c, count: n, into: out) }
        }
    }

    /// Length of the longest prefix of `data` that ends at a layer boundary and is at most `targetBytes` long.
    public static func truncatedLength(_ data: UnsafeBufferPointer<UInt8>, targetBytes: Int,
                                       maxPixels: Int) throws(SLICError) -> Int {
        let lay = try layout(data, maxPixels: maxPixels)
        try require(targetBytes >= lay.headerBytes,
                    "target_bytes: the header alone takes \(lay.headerBytes) bytes, asked for \(targetBytes)")
        return lay.layerEnds.last { $0 <= targetBytes } ?? lay.headerBytes
    }
}
