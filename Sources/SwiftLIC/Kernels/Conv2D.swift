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
/// - Bit-identical for any thread count: GEMM splits by output, im2col/col2im split by channel rows, and every
///   sum over the batch or the bands runs in a fixed order on one accumulator.
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
    /// Scratch budget of one im2col band, in floats (large enough for GEMM to reach full speed, small enough to
    /// stay in the last-level cache of one core). Tests lower it to exercise many bands.
    nonisolated(unsafe) static var bandBudget = 1 << 19

    /// Output rows per im2col band.
    static func bandRows(_ g: Conv2DGeometry) -> Int {
        max(1, min(g.outHeight, bandBudget / max(1, g.patchSize * g.outWidth)))
    }

    /// y = W ⊛ x (+ bias, then `activation`), one image after the other.
    ///
    /// - Precondition: buffers match `g` (see `Conv2DGeometry.validateCounts`); `bias` has Cout values and
    ///   `slopes` Cout values when `activation` is `.prelu`.
    public static func forward(_ g: Conv2DGeometry, input: UnsafeBufferPointer<Float>,
                               weight: UnsafeBufferPointer<Float>, bias: UnsafeBufferPointer<Float>?,
                               output: UnsafeMutableBufferPointer<Float>,
                               activation: Activation = .identity, slopes: UnsafeBufferPointer<Float>? = nil) {
        let x = input.baseAddress!, w = weight.baseAddress!, y = output.baseAddress!
        let hw = g.height * g.width, ohw = g.outHeight * g.outWidth
        let epilogue = Epilogue(bias: bias, activation: activation, slopes: slopes)
        if g.isPointwise {
            for n in 0..<g.batch {
                let yn = y + n * g.outChannels * ohw
                product(g, w, x + n * g.inChannels * hw, columns: hw, into: yn, ldc: ohw)
                epilogue.apply(yn, channels: g.outChannels, stride: ohw, columns: 0..<ohw)
            }
            return
        }
        forEachBand(g) { n, rows, col in
            let xn = x + n * g.inChannels * hw, yn = y + n * g.outChannels * ohw
            let cols = rows.count * g.outWidth, p0 = rows.lowerBound * g.outWidth
            im2col(g, image: xn, rows: rows, into: col)
            product(g, w, col, columns: cols, into: yn + p0, ldc: ohw)
            epilogue.apply(yn, channels: g.outChannels, stride: ohw, columns: p0..<(p0 + cols))
        }
    }

    /// y = W·b for `columns` columns of b (C·k·k rows, dense): the thin kernel for ≤ 3 output channels, else GEMM.
    @inline(__always)
    static func product(_ g: Conv2DGeometry, _ w: UnsafePointer<Float>, _ b: UnsafePointer<Float>, columns: Int,
                        into y: UnsafeMutablePointer<Float>, ldc: Int) {
        if g.outChannels <= thinMaxRows {
            thinProduct(m: g.outChannels, n: columns, k: g.patchSize, a: w, lda: g.patchSize, b: b, ldb: columns,
                        c: y, ldc: ldc)
        } else {
            GEMM.sgemm(transA: false, transB: false, m: g.outChannels, n: columns, k: g.patchSize, alpha: 1, a: w,
                       lda: g.patchSize, b: b, ldb: columns, beta: 0, c: y, ldc: ldc)
        }
    }

    /// b (C·k·k × `columns`, dense) = Wᵀ·gy for `columns` columns of gy (row stride `ldb`).
    @inline(__always)
    static func transposedProduct(_ g: Conv2DGeometry, _ w: UnsafePointer<Float>, _ gy: UnsafePointer<Float>,
                                  ldb: Int, columns: Int, into b: UnsafeMutablePointer<Float>) {
        if g.outChannels <= thinMaxRows {
            thinTransposedProduct(m: g.outChannels, rows: g.patchSize, n: columns, a: w, lda: g.patchSize, b: gy,
                                  ldb: ldb, c: b, ldc: columns)
        } else {
            GEMM.sgemm(transA: true, transB: false, m: g.patchSize, n: columns, k: g.outChannels, alpha: 1, a: w,
                       lda: g.patchSize, b: gy, ldb: ldb, beta: 0, c: b, ldc: columns)
        }
    }

    /// gW += gy·bᵀ over `columns` columns (gy row stride `ldg`; b is C·k·k × `columns`, dense).
    @inline(__always)
    static func accumulateWeightGradient(_ g: Conv2DGeometry, _ gy: UnsafePointer<Float>, ldg: Int,
                                         _ b: UnsafePointer<Float>, columns: Int, into gw: UnsafeMutablePointer<Float>) {
        if g.outChannels <= thinMaxRows {
            thinGradWeight(m: g.outChannels, rows: g.patchSize, n: columns, g: gy, ldg: ldg, col: b, ldcol: columns,
                           gw: gw, ldw: g.patchSize)
        } else {
            GEMM.sgemm(transA: false, transB: true, m: g.outChannels, n: g.patchSize, k: columns, alpha: 1, a: gy,
                       lda: ldg, b: b, ldb: columns, beta: 1, c: gw, ldc: g.patchSize)
        }
    }

    /// Runs `body(image, output rows, col scratch)` over every band of every image, in order.
    static func forEachBand(_ g: Conv2DGeometry, _ body: (Int, Range<Int>, UnsafeMutablePointer<Float>) -> Void) {
        let rows = bandRows(g)
        let col = UnsafeMutablePointer<Float>.allocate(capacity: g.patchSize * rows * g.outWidth)
        defer { col.deallocate() }
        for n in 0..<g.batch {
            var r0 = 0
            while r0 < g.outHeight {
                let r1 = min(g.outHeight, r0 + rows)
                body(n, r0..<r1, col)
                r0 = r1
            }
        }
    }

    /// gx = ∂L/∂x given gy = ∂L/∂y (overwrites `gradInput`).
    public static func backwardData(_ g: Conv2DGeometry, gradOutput: UnsafeBufferPointer<Float>,
                                    weight: UnsafeBufferPointer<Float>,
                                    gradInput: UnsafeMutableBufferPointer<Float>) {
        backwardData(g, gradOutput: gradOutput, weight: weight, gradInput: gradInput,
                     epilogue: Epilogue(bias: nil, activation: .identity, slopes: nil))
    }

    /// backward-data followed by `epilogue` on gx (the transposed convolution's forward).
    ///
    /// With zero padding, band b's col2im touches input rows [r0·s − p, (r1 − 1)·s − p + k) only, so each band
    /// zeroes the rows it touches first and, after it, finishes (epilogue) the rows no later band touches, while
    /// they are in cache: no separate passes over gx. Reflect padding touches mirrored rows anywhere, so it
    /// zeroes everything first and finishes at the end.
    static func backwardData(_ g: Conv2DGeometry, gradOutput: UnsafeBufferPointer<Float>,
                             weight: UnsafeBufferPointer<Float>, gradInput: UnsafeMutableBufferPointer<Float>,
                             epilogue: Epilogue) {
        let gy = gradOutput.baseAddress!, w = weight.baseAddress!, gx = gradInput.baseAddress!
        let hw = g.height * g.width, ohw = g.outHeight * g.outWidth
        if g.isPointwise {
            for n in 0..<g.batch {
                let gxn = gx + n * g.inChannels * hw
                transposedProduct(g, w, gy + n * g.outChannels * ohw, ldb: ohw, columns: hw, into: gxn)
                epilogue.apply(gxn, channels: g.inChannels, stride: hw, columns: 0..<hw)
            }
            return
        }
        let lazy = g.paddingMode == .zeros
        if !lazy {
            Parallel.forRanges(g.inputCount, granularity: 4096) { r in
                (gx + r.lowerBound).update(repeating: 0, count: r.count)
            }
        }
        var zeroed = 0, finished = 0  // input rows of the current image already zeroed / finished
        forEachBand(g) { n, rows, col in
            let gxn = gx + n * g.inChannels * hw, gyn = gy + n * g.outChannels * ohw
            if rows.lowerBound == 0 { zeroed = 0; finished = 0 }
            let last = rows.upperBound == g.outHeight
            // Zeroing runs contiguously from row 0 and the last band clears to the end, so rows no band touches
            // (stride > kernel, output padding) are cleared too; a row is finished only once it is zeroed.
            let touchedEnd = last ? g.height : min(g.height, (rows.upperBound - 1) * g.stride - g.padding + g.kernel)
            let zero = lazy ? zeroed..<max(zeroed, touchedEnd) : 0..<0
            let nextStart = min(g.height, rows.upperBound * g.stride - g.padding, max(zeroed, zero.upperBound))
            let doneEnd = last ? g.height : max(finished, nextStart)
            let finish = lazy ? finished..<doneEnd : (last ? 0..<g.height : 0..<0)
            transposedProduct(g, w, gyn + rows.lowerBound * g.outWidth, ldb: ohw, columns: rows.count * g.outWidth,
                              into: col)
            col2im(g, col, rows: rows, into: gxn, zeroing: zero, finishing: finish, epilogue: epilogue)
            zeroed = max(zeroed, zero.upperBound)
            finished = max(finished, finish.upperBound)
        }
    }

    /// gW += gy ⋆ x and, when given, gb += Σ gy (accumulates, as Module.backward does).
    public static func backwardWeight(_ g: Conv2DGeometry, input: UnsafeBufferPointer<Float>,
                                      gradOutput: UnsafeBufferPointer<Float>,
                                      gradWeight: UnsafeMutableBufferPointer<Float>,
                                      gradBias: UnsafeMutableBufferPointer<Float>?) {
        let x = input.baseAddress!, gy = gradOutput.baseAddress!, gw = gradWeight.baseAddress!
        let hw = g.height * g.width, ohw = g.outHeight * g.outWidth
        if let gradBias { sumChannels(gy, batch: g.batch, channels: g.outChannels, spatial: ohw, into: gradBias) }
        if g.isPointwise {
            for n in 0..<g.batch {
                accumulateWeightGradient(g, gy + n * g.outChannels * ohw, ldg: ohw, x + n * g.inChannels * hw,
                                         columns: hw, into: gw)
            }
            return
        }
        forEachBand(g) { n, rows, col in
            let xn = x + n * g.inChannels * hw, gyn = gy + n * g.outChannels * ohw
            let cols = rows.count * g.outWidth, p0 = rows.lowerBound * g.outWidth
            im2col(g, image: xn, rows: rows, into: col)
            accumulateWeightGradient(g, gyn + p0, ldg: ohw, col, columns: cols, into: gw)
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
                    var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
                    var i = 0
                    while i + 4 <= spatial { s0 += p[i]; s1 += p[i + 1]; s2 += p[i + 2]; s3 += p[i + 3]; i += 4 }
                    while i < spatial { s0 += p[i]; i += 1 }
                    total += (s0 + s1) + (s2 + s3)
                }
                out[c] += total
            }
        }
    }
}
