/// 2× upsampling of NCHW float32 maps: nearest (each value copied to a 2×2 block) or bilinear with PyTorch's
/// `align_corners=False` convention.
///
/// Bilinear, per axis of input length L: output o reads source s = max(0, (o + ½)/2 − ½), i0 = ⌊s⌋,
/// i1 = min(i0 + 1, L − 1), weights (1 − λ, λ) with λ = s − i0 — so even outputs weigh (¼, ¾) of (i − 1, i),
/// odd outputs (¾, ¼) of (i, i + 1), clamped at the borders. y = λh0·(λw0·x00 + λw1·x01) + λh1·(λw0·x10 + λw1·x11).
/// Backward is the exact adjoint; each task owns whole planes, so the scatter is deterministic.
public enum Upsample2x {
    public enum Mode: Int32, Sendable { case nearest = 0, bilinear = 1 }

    public static func validate(n: Int, c: Int, h: Int, w: Int, input: Int, output: Int,
                                inputName: String = "x", outputName: String = "y") throws(SLICError) {
        let count = try LayerShape.count("upsample2x", n: n, c: c, h: h, w: w)
        try LayerShape.holds("upsample2x", inputName, input, count, "shape \(n)×\(c)×\(h)×\(w)")
        try LayerShape.holds("upsample2x", outputName, output, 4 * count, "shape \(n)×\(c)×\(2 * h)×\(2 * w)")
    }

    /// Source taps of output `o` along an axis of input length `length`.
    @inline(__always)
    static func taps(_ o: Int, _ length: Int) -> (i0: Int, i1: Int, l0: Float, l1: Float) {
        let s = max(0, (Float(o) + 0.5) * 0.5 - 0.5)
        let i0 = Int(s)
        let l1 = s - Float(i0)
        return (i0, i0 < length - 1 ? i0 + 1 : i0, 1 - l1, l1)
    }

    /// y ← upsample(x); x is n×c×h×w, y is n×c×2h×2w.
    public static func forward(_ mode: Mode, n: Int, c: Int, h: Int, w: Int, x: UnsafeBufferPointer<Float>,
                               y: UnsafeMutableBufferPointer<Float>) {
        let wo = 2 * w
        let cols = (0..<wo).map { taps($0, w) }
        Parallel.forRanges(n * c) { planes in
            for pl in planes {
                let xp = x.baseAddress! + pl * h * w, yp = y.baseAddress! + pl * 4 * h * w
                for oy in 0..<(2 * h) {
                    let yr = yp + oy * wo
                    if mode == .nearest {
                        let xr = xp + (oy >> 1) * w
                        for ox in 0..<wo { yr[ox] = xr[ox >> 1] }
                        continue
                    }
                    let t = taps(oy, h)
                    let r0 = xp + t.i0 * w, r1 = xp + t.i1 * w
                    for ox in 0..<wo {
                        let s = cols[ox]
                        yr[ox] = t.l0 * (s.l0 * r0[s.i0] + s.l1 * r0[s.i1]) + t.l1 * (s.l0 * r1[s.i0] + s.l1 * r1[s.i1])
                    }
                }
            }
        }
    }

    /// gx ← ∂L/∂x given gy = ∂L/∂y (n×c×2h×2w); gx is overwritten.
    public static func backward(_ mode: Mode, n: Int, c: Int, h: Int, w: Int, gy: UnsafeBufferPointer<Float>,
                                gx: UnsafeMutableBufferPointer<Float>) {
        let wo = 2 * w
        let cols = (0..<wo).map { taps($0, w) }
        Parallel.forRanges(n * c) { planes in
            for pl in planes {
                let gp = gy.baseAddress! + pl * 4 * h * w, gxp = gx.baseAddress! + pl * h * w
                if mode == .nearest {
                    for i in 0..<h {
                        let r0 = gp + 2 * i * wo, r1 = r0 + wo
                        for j in 0..<w { gxp[i * w + j] = r0[2 * j] + r0[2 * j + 1] + r1[2 * j] + r1[2 * j + 1] }
                    }
                    continue
                }
                gxp.update(repeating: 0, count: h * w)
                for oy in 0..<(2 * h) {
                    let t = taps(oy, h)
                    let r0 = gxp + t.i0 * w, r1 = gxp + t.i1 * w, gr = gp + oy * wo
                    for ox in 0..<wo {
                        let s = cols[ox], g = gr[ox]
                        r0[s.i0] += t.l0 * s.l0 * g
                        r0[s.i1] += t.l0 * s.l1 * g
                        r1[s.i0] += t.l1 * s.l0 * g
                        r1[s.i1] += t.l1 * s.l1 * g
                    }
                }
            }
        }
    }
}
