/// The CDF 9/7 discrete wavelet transform of JPEG 2000 (ISO/IEC 15444-1 Annex F, the irreversible one), in
/// lifting form, over planes of float32, multi-level in the Mallat layout, with every subband weighted so that
/// squared errors in the output are squared errors of the image.
///
/// READ ME FIRST
/// - One level of the 1D transform of x[0..<n] (n ≥ 2) works on the interleaved signal in place:
///       x[2i+1] += α(x[2i] + x[2i+2]);  x[2i] += β(x[2i−1] + x[2i+1]);
///       x[2i+1] += γ(x[2i] + x[2i+2]);  x[2i] += δ(x[2i−1] + x[2i+1]);
///       low[i] = x[2i] / K,  high[i] = K · x[2i+1]
///   with whole-sample symmetric extension (x[−k] = x[k], x[n−1+k] = x[n−1−k]); low gets ⌈n/2⌉ samples and is
///   stored first. This equals Annex F's filter bank (low-pass DC gain 1, high-pass Nyquist gain 2); the
///   reference twin computes exactly that filter bank, tap by tap.
/// - A 2D level transforms every row of the current region, then every column; the next level works on the
///   ⌈h/2⌉×⌈w/2⌉ low-low corner. Every region must be at least 2×2, so `levels` is limited by the image size.
/// - Weights: the 9/7 is biorthogonal, not orthonormal, so a unit error in a coefficient becomes an error of
///   energy ‖g‖² in the image, where g is the coefficient's synthesis basis function. Analysis multiplies each
///   subband by ‖g‖ of its (interior) basis function and synthesis divides by it, so a quantizer and a
///   rate–distortion optimiser can treat every output value alike (distortion in output units² ≈ image units²).
///   Boundary basis functions differ slightly from the interior ones; the weights are those of the interior.
/// - Four operations: analysis A, synthesis S = A⁻¹, and their adjoints Aᵀ and Sᵀ (the backward passes of A
///   and S, each the exact transpose of the float computation's linear map, step by step in reverse).
/// - Rows and column strips are independent tasks, so results are bit-identical for any thread count. Both run
///   the same 1D code over lanes that are contiguous in memory (vectorised): column strips of up to 64 columns
///   in place, rows 16 at a time transposed into a scratch strip (3×512×768, 5 levels: 18 ms per direction on
///   one core, 3.8× PyWavelets' analysis and 2× a vectorised NumPy lifting; `benchmarks/wavelet.py`).
public enum DWT97 {
    public enum Operation: Int32, Sendable {
        case analysis = 0, synthesis = 1, analysisAdjoint = 2, synthesisAdjoint = 3
    }

    // Annex F.4.8.2, Table F.4.
    static let alpha: Float = -1.586134342059924
    static let beta: Float = -0.052980118572961
    static let gamma: Float = 0.882911075530934
    static let delta: Float = 0.443506852043971
    static let kappa: Float = 1.230174104914001
    /// The lifting steps in analysis order: (parity of the samples updated, coefficient).
    static let steps: [(parity: Int, coefficient: Float)] = [(1, alpha), (0, beta), (1, gamma), (0, delta)]
    public static let maxLevels = 10

    /// Sizes (height, width) of the region each level transforms, level 0 (the whole plane) first.
    public static func regions(levels: Int, height: Int, width: Int) -> [(Int, Int)] {
        var out: [(Int, Int)] = [], h = height, w = width
        for _ in 0..<levels {
            out.append((h, w))
            h = (h + 1) / 2
            w = (w + 1) / 2
        }
        return out
    }

    /// Checks a call on `planes` planes of height×width; returns the element count.
    public static func validate(levels: Int, planes: Int, height: Int, width: Int, input: Int,
                                output: Int) throws(SLICError) -> Int {
        let count = try LayerShape.count("dwt97", n: 1, c: planes, h: height, w: width)
        try require(levels >= 0 && levels <= maxLevels, "dwt97: expected levels in 0...\(maxLevels), got \(levels)")
        if let last = regions(levels: levels, height: height, width: width).last {
            try require(last.0 >= 2 && last.1 >= 2,
                        "dwt97: \(levels) levels need a plane of at least \(1 << (levels - 1) + 1)×\(1 << (levels - 1) + 1), got \(height)×\(width)")
        }
        try LayerShape.holds("dwt97", "x", input, count, "shape \(planes)×\(height)×\(width)")
        try LayerShape.holds("dwt97", "y", output, count, "the same number of values as x")
        return count
    }

    /// y ← op(x) for each of `planes` planes of height×width.
    /// - Precondition: `validate` accepted the arguments; x and y do not overlap.
    public static func apply(_ op: Operation, levels: Int, planes: Int, height: Int, width: Int,
                             x: UnsafeBufferPointer<Float>, y: UnsafeMutableBufferPointer<Float>) {
        let plane = height * width
        _ = y.update(fromContentsOf: x)
        let base = y.baseAddress!
        let sizes = regions(levels: levels, height: height, width: width)
        let weights = Weights.table(levels: levels)
        let rowBands = bands(sizes.map { $0.0 }, count: height), columnBands = bands(sizes.map { $0.1 }, count: width)
        let weigh = { (divide: Bool) in
            if levels == 0 { return }
            Parallel.forRanges(planes * height, granularity: 8) { rows in
                for r in rows {
                    applyWeights(weights, row: rowBands[r % height], columns: columnBands, divide: divide,
                                 base + (r / height) * plane + (r % height) * width)
                }
            }
        }
        switch op {
        case .analysis:
            for l in 0..<levels {
                rows(op, planes: planes, plane: plane, width: width, size: sizes[l], base: base)
                columns(op, planes: planes, plane: plane, width: width, size: sizes[l], base: base)
            }
            weigh(false)
        case .synthesis:
            weigh(true)
            for l in (0..<levels).reversed() {
                columns(op, planes: planes, plane: plane, width: width, size: sizes[l], base: base)
                rows(op, planes: planes, plane: plane, width: width, size: sizes[l], base: base)
            }
        case .analysisAdjoint:
            weigh(false)
            for l in (0..<levels).reversed() {
                columns(op, planes: planes, plane: plane, width: width, size: sizes[l], base: base)
                rows(op, planes: planes, plane: plane, width: width, size: sizes[l], base: base)
            }
        case .synthesisAdjoint:
            for l in 0..<levels {
                rows(op, planes: planes, plane: plane, width: width, size: sizes[l], base: base)
                columns(op, planes: planes, plane: plane, width: width, size: sizes[l], base: base)
            }
            weigh(true)
        }
    }

    // MARK: - 1D along rows: groups of rows transposed into a scratch strip, so the lifting runs across rows as
    // lanes (contiguous, vectorised) exactly as along columns, then transposed back.

    static let rowGroup = 16

    static func rows(_ op: Operation, planes: Int, plane: Int, width: Int, size: (Int, Int),
                     base: UnsafeMutablePointer<Float>) {
        let (h, w) = size, g = rowGroup
        let groups = (planes * h + g - 1) / g
        Parallel.forRanges(groups, granularity: 1) { range in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * w * g) { tmp in
                let strip = tmp.baseAddress!, scratch = strip + w * g
                var rowPointers = [UnsafeMutablePointer<Float>](repeating: base, count: g)
                for group in range {
                    let r0 = group * g, lanes = min(g, planes * h - r0)
                    for l in 0..<lanes {
                        let r = r0 + l
                        rowPointers[l] = base + (r / h) * plane + (r % h) * width
                    }
                    for k in 0..<w {
                        let d = strip + k * lanes
                        for l in 0..<lanes { d[l] = rowPointers[l][k] }
                    }
                    line(op, n: w, stride: lanes, lanes: lanes, laneStride: 1, data: strip, scratch: scratch)
                    for k in 0..<w {
                        let s = strip + k * lanes
                        for l in 0..<lanes { rowPointers[l][k] = s[l] }
                    }
                }
            }
        }
    }

    // MARK: - 1D along columns: strips of up to 64 columns, each lifting step a loop over whole row segments.

    static let strip = 64

    static func columns(_ op: Operation, planes: Int, plane: Int, width: Int, size: (Int, Int),
                        base: UnsafeMutablePointer<Float>) {
        let (h, w) = size
        let strips = (w + strip - 1) / strip
        Parallel.forEach(planes * strips) { task in
            let p = task / strips, j0 = (task % strips) * strip
            let lanes = min(strip, w - j0)
            withUnsafeTemporaryAllocation(of: Float.self, capacity: h * lanes) { tmp in
                line(op, n: h, stride: width, lanes: lanes, laneStride: 1, data: base + p * plane + j0,
                     scratch: tmp.baseAddress!)
            }
        }
    }

    // MARK: - The 1D operations on `lanes` parallel signals of length n.

    /// Applies op along n samples spaced `stride` apart, for `lanes` signals `laneStride` apart. `scratch` holds
    /// n·lanes floats (the split/interleave permutation goes through it).
    @inline(__always)
    static func line(_ op: Operation, n: Int, stride: Int, lanes: Int, laneStride: Int,
                     data: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        if n < 2 { return }
        switch op {
        case .analysis:
            for s in steps { lift(n, stride, lanes, laneStride, data, s.parity, s.coefficient) }
            scale(n, stride, lanes, laneStride, data, 1 / kappa, kappa)
            permute(split: true, n, stride, lanes, laneStride, data, scratch)
        case .synthesis:
            permute(split: false, n, stride, lanes, laneStride, data, scratch)
            scale(n, stride, lanes, laneStride, data, kappa, 1 / kappa)
            for s in steps.reversed() { lift(n, stride, lanes, laneStride, data, s.parity, -s.coefficient) }
        case .analysisAdjoint:
            permute(split: false, n, stride, lanes, laneStride, data, scratch)
            scale(n, stride, lanes, laneStride, data, 1 / kappa, kappa)
            for s in steps.reversed() { lift(n, stride, lanes, laneStride, data, s.parity, s.coefficient, transposed: true) }
        case .synthesisAdjoint:
            for s in steps { lift(n, stride, lanes, laneStride, data, s.parity, -s.coefficient, transposed: true) }
            scale(n, stride, lanes, laneStride, data, kappa, 1 / kappa)
            permute(split: true, n, stride, lanes, laneStride, data, scratch)
        }
    }

    /// Whole-sample symmetric extension of an index in −1...n (n ≥ 2).
    @inline(__always)
    static func mirror(_ k: Int, _ n: Int) -> Int { k < 0 ? -k : (k > n - 1 ? 2 * (n - 1) - k : k) }

    /// x[k] += a·(x[k−1] + x[k+1]) for every k of the given parity (the other parity is read only); transposed,
    /// its adjoint: x[k−1] += a·x[k] and x[k+1] += a·x[k] (mirrored).
    @inline(__always)
    static func lift(_ n: Int, _ stride: Int, _ lanes: Int, _ ls: Int, _ x: UnsafeMutablePointer<Float>,
                     _ parity: Int, _ a: Float, transposed: Bool = false) {
        var k = parity
        while k < n {
            let t = x + k * stride, l = x + mirror(k - 1, n) * stride, r = x + mirror(k + 1, n) * stride
            if transposed {
                for j in 0..<lanes {
                    let v = a * t[j * ls]
                    l[j * ls] += v
                    r[j * ls] += v
                }
            } else {
                for j in 0..<lanes { t[j * ls] += a * (l[j * ls] + r[j * ls]) }
            }
            k += 2
        }
    }

    @inline(__always)
    static func scale(_ n: Int, _ stride: Int, _ lanes: Int, _ ls: Int, _ x: UnsafeMutablePointer<Float>,
                      _ even: Float, _ odd: Float) {
        for k in 0..<n {
            let t = x + k * stride, f = k & 1 == 0 ? even : odd
            for j in 0..<lanes { t[j * ls] *= f }
        }
    }

    /// split: interleaved → [even samples | odd samples]; otherwise the inverse.
    @inline(__always)
    static func permute(split: Bool, _ n: Int, _ stride: Int, _ lanes: Int, _ ls: Int,
                        _ x: UnsafeMutablePointer<Float>, _ tmp: UnsafeMutablePointer<Float>) {
        let lows = (n + 1) / 2
        for k in 0..<n {
            let to = split ? (k & 1 == 0 ? k / 2 : lows + k / 2) : k
            let from = split ? k : (k & 1 == 0 ? k / 2 : lows + k / 2)
            let s = x + from * stride, d = tmp + to * lanes
            for j in 0..<lanes { d[j] = s[j * ls] }
        }
        for k in 0..<n {
            let d = x + k * stride, s = tmp + k * lanes
            for j in 0..<lanes { d[j * ls] = s[j] }
        }
    }

    // MARK: - Subband weights

    /// Which 1D band each index of a Mallat-layout axis of `sizes` lies in: (level 1...L, high), the final
    /// low band being (L, false).
    static func bands(_ sizes: [Int], count: Int) -> [(level: Int, high: Bool)] {
        var out = [(level: Int, high: Bool)](repeating: (sizes.count, false), count: count)
        for (l, n) in sizes.enumerated().reversed() {
            for k in (n + 1) / 2..<n { out[k] = (l + 1, true) }
        }
        return out
    }

    /// Multiplies (or divides) one row of a Mallat-layout plane by its subbands' weights. An element's 2D band
    /// is at the finer of its row's and its column's levels; along the other axis it is in that level's low half.
    static func applyWeights(_ t: Weights, row: (level: Int, high: Bool), columns: [(level: Int, high: Bool)],
                             divide: Bool, _ x: UnsafeMutablePointer<Float>) {
        for j in 0..<columns.count {
            let c = columns[j], level = min(row.level, c.level)
            let g = t.gain(level, high: row.level == level && row.high) * t.gain(level, high: c.level == level && c.high)
            x[j] = divide ? x[j] / g : x[j] * g
        }
    }

    /// ‖g‖ of the 1D synthesis basis functions: low-pass after l levels, high-pass of level l (l = 1...levels).
    struct Weights: Sendable {
        var low: [Float], high: [Float]

        func gain(_ level: Int, high isHigh: Bool) -> Float { isHigh ? high[level - 1] : low[level - 1] }

        static func table(levels: Int) -> Weights {
            // Synthesize a unit impulse placed mid-band in a signal long enough that no extension reaches it.
            let n = 1 << (levels + 6)
            var low = [Float](), high = [Float]()
            for l in 1...max(1, levels) {
                for isHigh in [false, true] {
                    var v = [Float](repeating: 0, count: n), tmp = [Float](repeating: 0, count: n)
                    let band = n >> l                                   // length of level l's bands
                    v[(isHigh ? band : 0) + band / 2] = 1
                    v.withUnsafeMutableBufferPointer { vb in
                        tmp.withUnsafeMutableBufferPointer { tb in
                            for k in (0..<l).reversed() {
                                line(.synthesis, n: n >> k, stride: 1, lanes: 1, laneStride: 0,
                                     data: vb.baseAddress!, scratch: tb.baseAddress!)
                            }
                        }
                    }
                    var e = 0.0
                    for s in v { e += Double(s) * Double(s) }
                    let g = Float(e.squareRoot())
                    if isHigh { high.append(g) } else { low.append(g) }
                }
            }
            return Weights(low: low, high: high)
        }
    }
}
