/// Generalized divisive normalization (Ballé, Laparra & Simoncelli 2016/2017) over NCHW float32 tensors.
///
///     n_i = β_i + Σ_j γ_ij · x_j²          (per pixel, over channels; γ is C×C, row i = output channel)
///     GDN:  y_i = x_i / √n_i               IGDN (inverse): y_i = x_i · √n_i
///
/// For each image the channel sum is one GEMM, N = γ · X² with X² laid out C×(H·W). β and γ are taken as given
/// (effective values): the non-negative reparametrisation lives in Python (swiftlic.nn.layers_extra.GDN).
///
/// Backward, with f(n) = n^∓½ and g_i = ∂L/∂n_i = gy_i · x_i · f′(n_i):
///     ∂L/∂x_k = gy_k · f(n_k) + 2 x_k Σ_i γ_ik g_i      ∂L/∂β_i = Σ_pixels g_i      ∂L/∂γ_ij = Σ_pixels g_i x_j²
/// Results are bit-identical for any thread count (GEMM is; ∂β is a left-to-right Double sum per channel).
public enum GDN {
    /// Checks shapes and buffer sizes of a GDN call; returns the element count of x.
    public static func validate(n: Int, c: Int, h: Int, w: Int, x: Int, beta: Int, gamma: Int,
                                outputs: [(String, Int)]) throws(SLICError) -> Int {
        let count = try LayerShape.count("gdn", n: n, c: c, h: h, w: w)
        let shape = "\(n)×\(c)×\(h)×\(w)"
        try LayerShape.holds("gdn", "x", x, count, "shape \(shape)")
        try LayerShape.holds("gdn", "beta", beta, c, "one per channel")
        try LayerShape.holds("gdn", "gamma", gamma, c * c, "a \(c)×\(c) matrix")
        for (name, size) in outputs {
            let expected = name.hasSuffix("beta") ? c : name.hasSuffix("gamma") ? c * c : count
            try LayerShape.holds("gdn", name, size, expected, name.hasSuffix("gamma") ? "\(c)×\(c)" : "shape \(shape)")
        }
        return count
    }

    /// y ← GDN(x) (or IGDN when `inverse`). Buffers: x, y of n·c·pixels values, beta of c, gamma of c·c.
    /// - Precondition: shapes as `validate` checks; β_i + Σ_j γ_ij x_j² > 0 for GDN (else y is inf/NaN).
    public static func forward(inverse: Bool, n: Int, c: Int, pixels: Int, x: UnsafeBufferPointer<Float>,
                               beta: UnsafeBufferPointer<Float>, gamma: UnsafeBufferPointer<Float>,
                               y: UnsafeMutableBufferPointer<Float>) {
        let plane = c * pixels
        let x2 = UnsafeMutableBufferPointer<Float>.allocate(capacity: plane)
        let norm = UnsafeMutableBufferPointer<Float>.allocate(capacity: plane)
        defer { x2.deallocate(); norm.deallocate() }
        for b in 0..<n {
            let xb = x.baseAddress! + b * plane, yb = y.baseAddress! + b * plane
            normalizer(c: c, pixels: pixels, x: xb, gamma: gamma.baseAddress!,
                       x2: x2.baseAddress!, norm: norm.baseAddress!)
            // y = x · (β + γ·x²)^(∓½), one channel row per step so β_ch is a constant.
            Parallel.forRanges(c) { rc in
                for ch in rc {
                    let nv = norm.baseAddress! + ch * pixels, xr = xb + ch * pixels, yr = yb + ch * pixels
                    let bc = beta[ch]
                    if inverse {
                        for p in 0..<pixels { yr[p] = xr[p] * (nv[p] + bc).squareRoot() }
                    } else {
                        for p in 0..<pixels { yr[p] = xr[p] / (nv[p] + bc).squareRoot() }
                    }
                }
            }
        }
    }

    /// Gradients of GDN (or IGDN) at x given gy = ∂L/∂y: gx ← ∂L/∂x, gBeta ← ∂L/∂β, gGamma ← ∂L/∂γ (all
    /// overwritten, summed over the batch).
    public static func backward(inverse: Bool, n: Int, c: Int, pixels: Int, x: UnsafeBufferPointer<Float>,
                                beta: UnsafeBufferPointer<Float>, gamma: UnsafeBufferPointer<Float>,
                                gy: UnsafeBufferPointer<Float>, gx: UnsafeMutableBufferPointer<Float>,
                                gBeta: UnsafeMutableBufferPointer<Float>, gGamma: UnsafeMutableBufferPointer<Float>) {
        let plane = c * pixels
        let x2 = UnsafeMutableBufferPointer<Float>.allocate(capacity: plane)
        let norm = UnsafeMutableBufferPointer<Float>.allocate(capacity: plane)
        let g = UnsafeMutableBufferPointer<Float>.allocate(capacity: plane)
        let x2t = UnsafeMutableBufferPointer<Float>.allocate(capacity: plane)
        var betaSum = [Double](repeating: 0, count: c)
        defer { x2.deallocate(); norm.deallocate(); g.deallocate(); x2t.deallocate() }
        for b in 0..<n {
            let xb = x.baseAddress! + b * plane, gyb = gy.baseAddress! + b * plane, gxb = gx.baseAddress! + b * plane
            normalizer(c: c, pixels: pixels, x: xb, gamma: gamma.baseAddress!,
                       x2: x2.baseAddress!, norm: norm.baseAddress!)
            // norm ← f(n), g ← gy · x · f′(n), with f′ = −½ f³ (GDN) or ½ / f (IGDN); ∂β_ch += Σ_p g (in Double,
            // left to right, so the same for any thread count).
            betaSum.withUnsafeMutableBufferPointer { bs in
                Parallel.forRanges(c) { rc in
                    for ch in rc {
                        let o = ch * pixels, bc = beta[ch]
                        let nv = norm.baseAddress! + o, gv = g.baseAddress! + o, xr = xb + o, gyr = gyb + o
                        var s = 0.0
                        if inverse {
                            for p in 0..<pixels {
                                let f = (nv[p] + bc).squareRoot()
                                nv[p] = f
                                gv[p] = gyr[p] * xr[p] * (0.5 / f)
                                s += Double(gv[p])
                            }
                        } else {
                            for p in 0..<pixels {
                                let f = 1 / (nv[p] + bc).squareRoot()
                                nv[p] = f
                                gv[p] = gyr[p] * xr[p] * (-0.5 * f * f * f)
                                s += Double(gv[p])
                            }
                        }
                        bs[ch] += s
                    }
                }
            }
            // ∂γ (+)= G · (X²)ᵀ, summed over pixels. X² is transposed to pixels×C first so the GEMM streams rows
            // (a transposed B operand is the slow case of a row-major GEMM).
            transpose(rows: c, cols: pixels, x2.baseAddress!, into: x2t.baseAddress!)
            GEMM.sgemm(transA: false, transB: false, m: c, n: c, k: pixels, alpha: 1, a: UnsafePointer(g.baseAddress!),
                       lda: pixels, b: UnsafePointer(x2t.baseAddress!), ldb: c, beta: b == 0 ? 0 : 1,
                       c: gGamma.baseAddress!, ldc: c)
            // T = γᵀ · G (reusing the X² buffer), then ∂x = gy · f + 2 x · T.
            let t = x2.baseAddress!
            GEMM.sgemm(transA: true, transB: false, m: c, n: pixels, k: c, alpha: 1, a: gamma.baseAddress!, lda: c,
                       b: UnsafePointer(g.baseAddress!), ldb: pixels, beta: 0, c: t, ldc: pixels)
            Parallel.forRanges(plane, granularity: 256) { r in
                let f = norm.baseAddress!
                for i in r { gxb[i] = gyb[i] * f[i] + 2 * xb[i] * t[i] }
            }
        }
        for ch in 0..<c { gBeta[ch] = Float(betaSum[ch]) }
    }

    /// dst (cols×rows) ← srcᵀ (rows×cols), in 32×32 tiles; tasks own disjoint column blocks of src.
    static func transpose(rows: Int, cols: Int, _ src: UnsafeMutablePointer<Float>,
                          into dst: UnsafeMutablePointer<Float>) {
        let tile = 32
        Parallel.forRanges((cols + tile - 1) / tile) { blocks in
            for jb in blocks {
                let j0 = jb * tile, j1 = min(cols, j0 + tile)
                var i0 = 0
                while i0 < rows {
                    let i1 = min(rows, i0 + tile)
                    for j in j0..<j1 {
                        for i in i0..<i1 { dst[j * rows + i] = src[i * cols + j] }
                    }
                    i0 = i1
                }
            }
        }
    }

    /// x2 ← x², norm ← γ · x² for one image (C×pixels); callers add β_ch in their per-channel pass.
    static func normalizer(c: Int, pixels: Int, x: UnsafePointer<Float>, gamma: UnsafePointer<Float>, x2: UnsafeMutablePointer<Float>,
                           norm: UnsafeMutablePointer<Float>) {
        Parallel.forRanges(c * pixels, granularity: 256) { r in
            for i in r { x2[i] = x[i] * x[i] }
        }
        GEMM.sgemm(transA: false, transB: false, m: c, n: pixels, k: c, alpha: 1, a: gamma, lda: c,
                   b: UnsafePointer(x2), ldb: pixels, beta: 0, c: norm, ldc: pixels)
    }
}
