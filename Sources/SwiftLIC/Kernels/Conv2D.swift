/// 2-D convolution (cross-correlation, as in PyTorch) over NCHW float32 tensors, groups = 1, built on `GEMM`.
///
/// READ ME FIRST
/// - Layouts: input N×C×H×W, weight Cout×C×k×k (PyTorch's), output N×Cout×Ho×Wo, all row-major and dense.
/// - Per image, the output is one GEMM: y[n] (Cout × Ho·Wo) = W (Cout × C·k·k) · col (C·k·k × Ho·Wo), where
///   `col` is the im2col unrolling of x[n]. The unrolling is done in bands of whole output rows so the scratch
///   stays small (a 768×512 image would need ~1 GB of col at 64 channels); a 1×1, stride-1, unpadded convolution
///   multiplies x[n] directly.
/// - Backward-data is Wᵀ·gy[n] per band followed by col2im (scatter-add, reflect padding adds into the mirrored
///   pixel); backward-weight accumulates gy[n]·colᵀ into gW with β = 1, image after image, band after band.
/// - Threads take whole (image, band) items with their own scratch and single-threaded GEMMs (`ConvBands`);
///   backward-weight splits gW by columns instead. Bit-identical for any thread count: band sizes depend on the
///   geometry only, items write disjoint outputs (backward-data: even bands, then odd ones), and every sum over
///   the batch or the bands runs in a fixed order on one accumulator.
public enum Conv2D {}

/// How a convolution pads its input: with zeros, or by mirroring without repeating the edge (PyTorch's
/// `padding_mode="reflect"`: index −1 reads 1, index H reads H−2).
public enum PaddingMode: Int32, Sendable {
    case zeros = 0
    case reflect = 1
}

/// The shape of one convolution; everything a kernel needs besides the buffers.
public struct Conv2DGeometry: Sendable, Equatable {
    public var batch: Int
    public var inChannels: Int
    public var height: Int
    public var width: Int
    public var outChannels: Int
    public var kernel: Int
    public var stride: Int
    public var padding: Int
    public var paddingMode: PaddingMode

    public init(batch: Int, inChannels: Int, height: Int, width: Int, outChannels: Int, kernel: Int,
                stride: Int = 1, padding: Int = 0, paddingMode: PaddingMode = .zeros) {
        self.batch = batch
        self.inChannels = inChannels
        self.height = height
        self.width = width
        self.outChannels = outChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.paddingMode = paddingMode
    }

    /// Ho = ⌊(H + 2p − k) / s⌋ + 1.
    public var outHeight: Int { (height + 2 * padding - kernel) / stride + 1 }
    public var outWidth: Int { (width + 2 * padding - kernel) / stride + 1 }
    /// Rows of the im2col matrix: C·k·k.
    public var patchSize: Int { inChannels * kernel * kernel }
    public var inputCount: Int { batch * inChannels * height * width }
    public var outputCount: Int { batch * outChannels * outHeight * outWidth }
    public var weightCount: Int { outChannels * patchSize }

    /// True when the convolution is a plain matrix product per image (no unrolling needed).
    var isPointwise: Bool { kernel == 1 && stride == 1 && padding == 0 }

    /// Throws `invalidArgument` naming the offending value unless this is a convolution the kernels support.
    public func validate(_ op: String = "conv2d") throws(SLICError) {
        try ConvShapeCheck.dimensions(op, [("batch", batch), ("in_channels", inChannels), ("height", height),
                                           ("width", width), ("out_channels", outChannels), ("kernel", kernel),
                                           ("stride", stride)], padding: padding)
        try require(height + 2 * padding >= kernel && width + 2 * padding >= kernel,
                    "\(op): kernel \(kernel)×\(kernel) is larger than the padded input "
                        + "\(height + 2 * padding)×\(width + 2 * padding)")
        if paddingMode == .reflect {
            try require(padding < height && padding < width,
                        "\(op): reflect padding \(padding) needs an input larger than the padding, got "
                            + "\(height)×\(width)")
        }
        var total = 1
        for v in [batch, max(inChannels, outChannels), max(height * width, outHeight * outWidth)] {
            let (p, o) = total.multipliedReportingOverflow(by: v)
            try require(!o && p <= 1 << 40, "\(op): tensor of \(batch)×\(inChannels)×\(height)×\(width) is too large")
            total = p
        }
        let (w, o) = outChannels.multipliedReportingOverflow(by: patchSize)
        try require(!o && w <= 1 << 40, "\(op): weight of \(outChannels)×\(patchSize) is too large")
    }

    /// Checks the element counts of caller buffers against this geometry.
    public func validateCounts(_ op: String, input: Int, weight: Int, output: Int, bias: Int?) throws(SLICError) {
        try validate(op)
        try ConvShapeCheck.counts(op, [
            ("input", input, inputCount, "\(batch)×\(inChannels)×\(height)×\(width)"),
            ("weight", weight, weightCount, "\(outChannels)×\(inChannels)×\(kernel)×\(kernel)"),
            ("output", output, outputCount, "\(batch)×\(outChannels)×\(outHeight)×\(outWidth)"),
            ("bias", bias, outChannels, "\(outChannels)"),
        ])
    }
}

/// Checks shared by the convolution geometries.
enum ConvShapeCheck {
    /// Every dimension in 1…2²⁸, padding in 0…2²⁸.
    static func dimensions(_ op: String, _ dims: [(String, Int)], padding: Int) throws(SLICError) {
        let limit = 1 << 28
        for (name, v) in dims { try require(v >= 1 && v <= limit, "\(op): expected \(name) ≥ 1, got \(v)") }
        try require(padding >= 0 && padding <= limit, "\(op): expected padding ≥ 0, got \(padding)")
    }

    /// Each caller buffer holds exactly its shape's element count (nil: buffer absent, not checked).
    static func counts(_ op: String, _ buffers: [(name: String, found: Int?, expected: Int, shape: String)])
        throws(SLICError) {
        for b in buffers {
            guard let found = b.found else { continue }
            try require(found == b.expected, "\(op): \(b.name) holds \(found) values, expected \(b.shape)")
        }
    }
}


extension Conv2D {
    /// y = W ⊛ x (+ bias, then `activation`); items (image, band) run in parallel, each writing its own columns.
    ///
    /// - Precondition: buffers match `g` (see `Conv2DGeometry.validateCounts`); `bias` has Cout values and
    ///   `slopes` Cout values when `activation` is `.prelu`.
    /// - Parameter bandBudget: im2col floats per band (tests shrink it to exercise many bands).
    /// - Parameter algorithm: `.auto` takes Winograd F(2×2, 3×3) where `winogradApplies` (3×3, stride 1,
    ///   padding 1), the unrolled GEMM elsewhere; `.winograd` requires a convolution it applies to.
    public static func forward(_ g: Conv2DGeometry, input: UnsafeBufferPointer<Float>,
                               weight: UnsafeBufferPointer<Float>, bias: UnsafeBufferPointer<Float>?,
                               output: UnsafeMutableBufferPointer<Float>,
                               activation: Activation = .identity, slopes: UnsafeBufferPointer<Float>? = nil,
                               bandBudget: Int = Conv2D.defaultBandBudget, algorithm: Algorithm = .auto) {
        let x = input.baseAddress!, w = weight.baseAddress!, y = output.baseAddress!
        let hw = g.height * g.width, ohw = g.outHeight * g.outWidth
        let epilogue = Epilogue(bias: bias, activation: activation, slopes: slopes)
        precondition(algorithm != .winograd || winogradApplies(g), "Winograd forward: not a 3×3/1/1 convolution")
        if algorithm == .winograd || algorithm == .auto && winogradApplies(g) {
            winogradForward(g, input: x, weight: w, output: y, epilogue: epilogue)
            return
        }
        let bands = ConvBands(g, budget: bandBudget)
        ConvBands.run(bands.count) { item, serial in
            let n = item / bands.perImage, rows = bands.rows(ofBand: item % bands.perImage)
            let xn = x + n * g.inChannels * hw, yn = y + n * g.outChannels * ohw
            let cols = rows.count * g.outWidth, p0 = rows.lowerBound * g.outWidth
            if g.isPointwise {
                product(g, w, xn + p0, ldb: hw, columns: cols, into: yn + p0, ldc: ohw, serial: serial)
            } else if thinDirect(g) {
                thinDirectForward(g, weight: w, image: xn, rows: rows, into: yn)
            } else if g.outChannels <= thinMaxRows {
                thinChunks(g, columns: cols, budget: bands.budget) { _, patchRows, col in
                    im2col(g, image: xn, rows: rows, patchRows: patchRows, into: col, serial: serial)
                    thinProduct(m: g.outChannels, n: cols, k: patchRows.count, a: w + patchRows.lowerBound,
                                lda: g.patchSize, b: col, ldb: cols, c: yn + p0, ldc: ohw,
                                accumulate: patchRows.lowerBound > 0, serial: serial)
                }
            } else {
                // im2col writes GEMM's packed B itself: one copy of the patches, not two.
                ScratchPool.withFloats(GEMM.PackedB(k: g.patchSize, n: cols).count) { packed in
                    im2colPacked(g, image: xn, rows: rows, into: packed, serial: serial)
                    GEMM.sgemm(m: g.outChannels, n: cols, k: g.patchSize, alpha: 1, a: w, lda: g.patchSize,
                               packedB: packed, beta: 0, c: yn + p0, ldc: ohw, maxThreads: serial ? 1 : nil)
                }
            }
            epilogue.apply(yn, channels: g.outChannels, stride: ohw, columns: p0..<(p0 + cols), serial: serial)
        }
    }

    /// y = W·b for `columns` columns of b (C·k·k rows, row stride `ldb`): the thin kernel for ≤ 3 output
    /// channels, else GEMM.
    @inline(__always)
    static func product(_ g: Conv2DGeometry, _ w: UnsafePointer<Float>, _ b: UnsafePointer<Float>, ldb: Int,
                        columns: Int, into y: UnsafeMutablePointer<Float>, ldc: Int, serial: Bool) {
        if g.outChannels <= thinMaxRows {
            thinProduct(m: g.outChannels, n: columns, k: g.patchSize, a: w, lda: g.patchSize, b: b, ldb: ldb,
                        c: y, ldc: ldc, serial: serial)
        } else {
            GEMM.sgemm(transA: false, transB: false, m: g.outChannels, n: columns, k: g.patchSize, alpha: 1, a: w,
                       lda: g.patchSize, b: b, ldb: ldb, beta: 0, c: y, ldc: ldc, maxThreads: serial ? 1 : nil)
        }
    }

    /// b (`patchRows.count` × `columns`, row stride `ldc`) = rows `patchRows` of Wᵀ·gy for `columns` columns of
    /// gy (row stride `ldb`).
    @inline(__always)
    static func transposedProduct(_ g: Conv2DGeometry, _ w: UnsafePointer<Float>, _ gy: UnsafePointer<Float>,
                                  ldb: Int, columns: Int, patchRows: Range<Int>, into b: UnsafeMutablePointer<Float>,
                                  ldc: Int, serial: Bool) {
        let wp = w + patchRows.lowerBound
        if g.outChannels <= thinMaxRows {
            thinTransposedProduct(m: g.outChannels, rows: patchRows.count, n: columns, a: wp, lda: g.patchSize,
                                  b: gy, ldb: ldb, c: b, ldc: ldc, serial: serial)
        } else {
            GEMM.sgemm(transA: true, transB: false, m: patchRows.count, n: columns, k: g.outChannels, alpha: 1,
                       a: wp, lda: g.patchSize, b: gy, ldb: ldb, beta: 0, c: b, ldc: ldc,
                       maxThreads: serial ? 1 : nil)
        }
    }

    /// Runs `body(input channels, their col rows, col scratch)` over consecutive chunks of input channels sized
    /// for the thin kernels (`thinChunkChannels`).
    static func thinChunks(_ g: Conv2DGeometry, columns: Int, budget: Int,
                           _ body: (Range<Int>, Range<Int>, UnsafeMutablePointer<Float>) -> Void) {
        let chunk = thinChunkChannels(g, columns: columns, budget: budget), kk = g.kernel * g.kernel
        ScratchPool.withFloats(min(g.inChannels, chunk) * kk * columns) { col in
            var c0 = 0
            while c0 < g.inChannels {
                let c1 = min(g.inChannels, c0 + chunk)
                body(c0..<c1, (c0 * kk)..<(c1 * kk), col)
                c0 = c1
            }
        }
    }

    /// gW[:, patchRows] += gy·bᵀ over `columns` columns (gy row stride `ldg`; b holds the `patchRows` rows of the
    /// unrolled input, row stride `ldb`).
    @inline(__always)
    static func accumulateWeightGradient(_ g: Conv2DGeometry, _ gy: UnsafePointer<Float>, ldg: Int,
                                         _ b: UnsafePointer<Float>, ldb: Int, columns: Int, patchRows: Range<Int>,
                                         into gw: UnsafeMutablePointer<Float>, serial: Bool) {
        if g.outChannels <= thinMaxRows {
            thinGradWeight(m: g.outChannels, rows: patchRows.count, n: columns, g: gy, ldg: ldg, col: b, ldcol: ldb,
                           gw: gw + patchRows.lowerBound, ldw: g.patchSize, serial: serial)
        } else {
            GEMM.sgemm(transA: false, transB: true, m: g.outChannels, n: patchRows.count, k: columns, alpha: 1,
                       a: gy, lda: ldg, b: b, ldb: ldb, beta: 1, c: gw + patchRows.lowerBound, ldc: g.patchSize,
                       maxThreads: serial ? 1 : nil)
        }
    }

    /// gx = ∂L/∂x given gy = ∂L/∂y (overwrites `gradInput`).
    public static func backwardData(_ g: Conv2DGeometry, gradOutput: UnsafeBufferPointer<Float>,
                                    weight: UnsafeBufferPointer<Float>,
                                    gradInput: UnsafeMutableBufferPointer<Float>,
                                    bandBudget: Int = Conv2D.defaultBandBudget, algorithm: Algorithm = .auto) {
        backwardData(g, gradOutput: gradOutput, weight: weight, gradInput: gradInput,
                     epilogue: Epilogue(bias: nil, activation: .identity, slopes: nil), bandBudget: bandBudget,
                     algorithm: algorithm)
    }

    /// backward-data followed by `epilogue` on gx (the transposed convolution's forward).
    ///
    /// Each band computes its col = Wᵀ·gy and scatters it into gx (col2im). Neighbouring bands touch a few common
    /// input rows (k > s), so with zero padding the even bands of every image run in parallel first, then the odd
    /// ones: bands b and b + 2 never share a row (`ConvBands`), and each pixel receives its contributions in the
    /// same order for any thread count. Band b "owns" input rows [start(b), start(b + 1)), start(b) = b·rows·s − p;
    /// it touches rows [start(b), end(b)), end(b) ≤ start(b + 2). Each row is zeroed right before its first
    /// contribution and finished (epilogue) right after its last, while it is in cache:
    /// - even b zeroes [start(b), max(start(b+1), end(b))) and finishes [max(start(b), end(b−1)), start(b+1));
    /// - odd b zeroes [max(start(b), end(b−1)), start(b+1)) and finishes [start(b), max(start(b+1), end(b))).
    /// The last band's end is H, so rows no band touches (s > k, output padding) are zeroed and finished too.
    /// Reflect padding touches mirrored rows anywhere, so it zeroes everything first, runs images in parallel
    /// (bands in order) and finishes at the end.
    ///
    /// A zero-padded 3×3, stride-1, padding-1 convolution's backward-data is itself such a convolution of gy, with
    /// the filters flipped and the channel roles swapped (`winogradBackwardGeometry`): under `.auto` it runs as
    /// Winograd's forward where that applies.
    static func backwardData(_ g: Conv2DGeometry, gradOutput: UnsafeBufferPointer<Float>,
                             weight: UnsafeBufferPointer<Float>, gradInput: UnsafeMutableBufferPointer<Float>,
                             epilogue: Epilogue, bandBudget: Int = Conv2D.defaultBandBudget,
                             algorithm: Algorithm = .auto) {
        let gy = gradOutput.baseAddress!, w = weight.baseAddress!, gx = gradInput.baseAddress!
        if let t = winogradBackwardGeometry(g), algorithm == .winograd || algorithm == .auto {
            ScratchPool.withFloats(g.weightCount) { flipped in
                // W̃[c][o][ky][kx] = W[o][c][2 − ky][2 − kx]
                for o in 0..<g.outChannels {
                    for c in 0..<g.inChannels {
                        let src = w + (o * g.inChannels + c) * 9, dst = flipped + (c * g.outChannels + o) * 9
                        for k in 0..<9 { dst[8 - k] = src[k] }
                    }
                }
                winogradForward(t, input: gy, weight: flipped, output: gx, epilogue: epilogue)
            }
            return
        }
        precondition(algorithm != .winograd, "Winograd backward-data: not a zero-padded 3×3/1/1 convolution")
        let hw = g.height * g.width, ohw = g.outHeight * g.outWidth
        let bands = ConvBands(g, budget: bandBudget)
        // Band b's col, scattered into image n: zeroing and finishing the given input rows.
        func band(_ n: Int, _ b: Int, zeroing: Range<Int>, finishing: Range<Int>, serial: Bool) {
            let rows = bands.rows(ofBand: b), cols = rows.count * g.outWidth
            let gxn = gx + n * g.inChannels * hw, gyb = gy + n * g.outChannels * ohw + rows.lowerBound * g.outWidth
            // Each channel is zeroed, summed and finished within one chunk, so chunking changes no bits.
            func scatter(_ channels: Range<Int>, _ patchRows: Range<Int>, _ col: UnsafeMutablePointer<Float>) {
                transposedProduct(g, w, gyb, ldb: ohw, columns: cols, patchRows: patchRows, into: col, ldc: cols,
                                  serial: serial)
                col2im(g, col, rows: rows, channels: channels, into: gxn, zeroing: zeroing, finishing: finishing,
                       epilogue: epilogue, serial: serial)
            }
            if g.outChannels <= thinMaxRows {
                thinChunks(g, columns: cols, budget: bands.budget, scatter)
            } else {
                ScratchPool.withFloats(g.patchSize * cols) { col in scatter(0..<g.inChannels, 0..<g.patchSize, col) }
            }
        }
        if g.isPointwise {
            ConvBands.run(bands.count) { item, serial in
                let n = item / bands.perImage, rows = bands.rows(ofBand: item % bands.perImage)
                let gxn = gx + n * g.inChannels * hw, p0 = rows.lowerBound * g.width, cols = rows.count * g.width
                transposedProduct(g, w, gy + n * g.outChannels * ohw + p0, ldb: ohw, columns: cols,
                                  patchRows: 0..<g.patchSize, into: gxn + p0, ldc: hw, serial: serial)
                epilogue.apply(gxn, channels: g.inChannels, stride: hw, columns: p0..<(p0 + cols), serial: serial)
            }
            return
        }
        if thinDirect(g) {
            // Gathered per band of input rows: bands write disjoint rows, so no phases.
            let perImage = (g.height + bands.rows - 1) / bands.rows
            ConvBands.run(g.batch * perImage) { item, _ in
                let n = item / perImage, i0 = (item % perImage) * bands.rows
                thinDirectBackwardData(g, weight: w, gradOutput: gy + n * g.outChannels * ohw,
                                       inputRows: i0..<min(g.height, i0 + bands.rows),
                                       into: gx + n * g.inChannels * hw, epilogue: epilogue)
            }
            return
        }
        if g.paddingMode == .reflect {
            Parallel.forRanges(g.inputCount, granularity: 4096) { r in
                (gx + r.lowerBound).update(repeating: 0, count: r.count)
            }
            ConvBands.run(g.batch) { n, serial in
                for b in 0..<bands.perImage { band(n, b, zeroing: 0..<0, finishing: 0..<0, serial: serial) }
                if !epilogue.isNoOp {
                    epilogue.apply(gx + n * g.inChannels * hw, channels: g.inChannels, stride: hw, columns: 0..<hw,
                                   serial: serial)
                }
            }
            return
        }
        let last = bands.perImage - 1
        func start(_ b: Int) -> Int {
            b <= 0 ? 0 : (b > last ? g.height : min(g.height, max(0, b * bands.rows * g.stride - g.padding)))
        }
        func end(_ b: Int) -> Int {
            if b < 0 { return 0 }
            if b == last { return g.height }
            return min(g.height, max(0, (bands.rows(ofBand: b).upperBound - 1) * g.stride - g.padding + g.kernel))
        }
        func span(_ lo: Int, _ hi: Int) -> Range<Int> { min(lo, hi)..<hi }
        for phase in 0..<2 {
            let perImage = (bands.perImage + 1 - phase) / 2
            ConvBands.run(g.batch * perImage) { item, serial in
                let n = item / perImage, b = 2 * (item % perImage) + phase
                if phase == 0 {
                    band(n, b, zeroing: span(start(b), max(start(b + 1), end(b))),
                         finishing: span(max(start(b), end(b - 1)), start(b + 1)), serial: serial)
                } else {
                    band(n, b, zeroing: span(max(start(b), end(b - 1)), start(b + 1)),
                         finishing: span(start(b), max(start(b + 1), end(b))), serial: serial)
                }
            }
        }
    }

    /// gW += gy ⋆ x and, when given, gb += Σ gy (accumulates, as Module.backward does).
    ///
    /// Threads split gW by columns (rows of the unrolled input, C·k·k): each unrolls only its rows of every band
    /// and adds the bands' products into its columns image after image, band after band, so every element's sum
    /// runs in one fixed order. Under `.auto`, convolutions `winogradApplies` to take Winograd's weight gradient
    /// (`winogradBackwardWeight`).
    public static func backwardWeight(_ g: Conv2DGeometry, input: UnsafeBufferPointer<Float>,
                                      gradOutput: UnsafeBufferPointer<Float>,
                                      gradWeight: UnsafeMutableBufferPointer<Float>,
                                      gradBias: UnsafeMutableBufferPointer<Float>?,
                                      bandBudget: Int = Conv2D.defaultBandBudget, algorithm: Algorithm = .auto) {
        let x = input.baseAddress!, gy = gradOutput.baseAddress!, gw = gradWeight.baseAddress!
        let hw = g.height * g.width, ohw = g.outHeight * g.outWidth
        if let gradBias { sumChannels(gy, batch: g.batch, channels: g.outChannels, spatial: ohw, into: gradBias) }
        precondition(algorithm != .winograd || winogradApplies(g), "Winograd weight gradient: not a 3×3/1/1 convolution")
        if algorithm == .winograd || algorithm == .auto && winogradApplies(g) {
            winogradBackwardWeight(g, input: x, gradOutput: gy, gradWeight: gw)
            return
        }
        let bands = ConvBands(g, budget: bandBudget)
        let granularity = 16
        let parts = min(Parallel.threadCount, (g.patchSize + granularity - 1) / granularity)
        let serial = parts > 1
        Parallel.forRanges(g.patchSize, granularity: granularity, parts: parts) { patchRows in
            for item in 0..<bands.count {
                let n = item / bands.perImage, rows = bands.rows(ofBand: item % bands.perImage)
                let xn = x + n * g.inChannels * hw, gyn = gy + n * g.outChannels * ohw
                let cols = rows.count * g.outWidth, p0 = rows.lowerBound * g.outWidth
                if g.isPointwise {
                    accumulateWeightGradient(g, gyn + p0, ldg: ohw, xn + patchRows.lowerBound * hw + p0, ldb: hw,
                                             columns: cols, patchRows: patchRows, into: gw, serial: serial)
                } else {
                    // The thin kernel unrolls a few channels' worth of rows at a time (each gW element is still
                    // one dot product per band); GEMM takes the whole range.
                    let thin = g.outChannels <= thinMaxRows
                    if !thin {
                        // im2col writes the transposed patches in GEMM's packed layout: no col matrix to repack.
                        ScratchPool.withFloats(GEMM.PackedB(k: cols, n: patchRows.count).count) { packed in
                            im2colPackedTransposed(g, image: xn, rows: rows, patchRows: patchRows, into: packed)
                            GEMM.sgemm(m: g.outChannels, n: patchRows.count, k: cols, alpha: 1, a: gyn + p0, lda: ohw,
                                       packedB: packed, beta: 1, c: gw + patchRows.lowerBound, ldc: g.patchSize,
                                       maxThreads: serial ? 1 : nil)
                        }
                        continue
                    }
                    let step = thinChunkChannels(g, columns: cols, budget: bands.budget) * g.kernel * g.kernel
                    ScratchPool.withFloats(min(step, patchRows.count) * cols) { col in
                        var r0 = patchRows.lowerBound
                        while r0 < patchRows.upperBound {
                            let chunk = r0..<min(patchRows.upperBound, r0 + step)
                            im2col(g, image: xn, rows: rows, patchRows: chunk, into: col, serial: serial)
                            accumulateWeightGradient(g, gyn + p0, ldg: ohw, col, ldb: cols, columns: cols,
                                                     patchRows: chunk, into: gw, serial: serial)
                            r0 = chunk.upperBound
                        }
                    }
                }
            }
        }
    }

    /// into[c] += Σ_n Σ_p t[n, c, p], each channel summed in a fixed order (the bias gradient).
    static func sumChannels(_ t: UnsafePointer<Float>, batch: Int, channels: Int, spatial: Int,
                            into: UnsafeMutableBufferPointer<Float>) {
        let out = into.baseAddress!
        Parallel.forRanges(channels, granularity: max(1, 16384 / max(1, spatial))) { cs in
            for c in cs {
                var total: Float = 0
                for n in 0..<batch {
                    let p = t + (n * channels + c) * spatial
                    // Sixteen partial sums in two vectors; one scalar chain would be bound by the add latency.
                    var s0 = SIMD8<Float>(), s1 = SIMD8<Float>()
                    var i = 0
                    while i + 16 <= spatial {
                        s0 += UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
                        s1 += UnsafeRawPointer(p + i + 8).loadUnaligned(as: SIMD8<Float>.self)
                        i += 16
                    }
                    var s = (s0 + s1).sum()
                    while i < spatial { s += p[i]; i += 1 }
                    total += s
                }
                out[c] += total
            }
        }
    }
}
