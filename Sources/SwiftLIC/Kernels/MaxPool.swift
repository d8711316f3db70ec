/// 2×2 max pooling with stride 2 over NCHW float32: y[h, w] = max of x[2h..2h+1, 2w..2w+1].
///
/// The output is ⌊H/2⌋×⌊W/2⌋ (an odd last row or column is dropped, as PyTorch's default). Tie rule: the first
/// maximum in the window's row-major order (top-left, top-right, bottom-left, bottom-right) wins — a later value
/// must be strictly greater — and a NaN wins over any number (NaN propagates, as in PyTorch). Backward sends each
/// gy to that same argmax (recomputed from x) and zero elsewhere.
public enum MaxPool2x2 {
    public static func validate(n: Int, c: Int, h: Int, w: Int, input: Int, output: Int,
                                inputName: String = "x", outputName: String = "y") throws(SLICError) -> Int {
        let count = try LayerShape.count("maxpool2x2", n: n, c: c, h: h, w: w)
        try require(h >= 2 && w >= 2, "maxpool2x2: expected H ≥ 2 and W ≥ 2, got \(h)×\(w)")
        try LayerShape.holds("maxpool2x2", inputName, input, count, "shape \(n)×\(c)×\(h)×\(w)")
        try LayerShape.holds("maxpool2x2", outputName, output, n * c * (h / 2) * (w / 2),
                             "shape \(n)×\(c)×\(h / 2)×\(w / 2)")
        return count
    }

    /// Index (0...3, row-major in the window) of the winner among a, b, c, d by the tie rule above.
    @inline(__always)
    static func argmax(_ v: (Float, Float, Float, Float)) -> Int {
        var best = v.0, k = 0
        if v.1 > best || (v.1.isNaN && !best.isNaN) { best = v.1; k = 1 }
        if v.2 > best || (v.2.isNaN && !best.isNaN) { best = v.2; k = 2 }
        if v.3 > best || (v.3.isNaN && !best.isNaN) { k = 3 }
        return k
    }

    /// y ← maxpool(x); x is n×c×h×w, y is n×c×⌊h/2⌋×⌊w/2⌋.
    public static func forward(n: Int, c: Int, h: Int, w: Int, x: UnsafeBufferPointer<Float>,
                               y: UnsafeMutableBufferPointer<Float>) {
        let ho = h / 2, wo = w / 2
        Parallel.forRanges(n * c) { planes in
            for pl in planes {
                let xp = x.baseAddress! + pl * h * w, yp = y.baseAddress! + pl * ho * wo
                for i in 0..<ho {
                    let r0 = xp + 2 * i * w, r1 = r0 + w
                    for j in 0..<wo {
                        let v = (r0[2 * j], r0[2 * j + 1], r1[2 * j], r1[2 * j + 1])
                        switch argmax(v) {
                        case 0: yp[i * wo + j] = v.0
                        case 1: yp[i * wo + j] = v.1
                        case 2: yp[i * wo + j] = v.2
                        default: yp[i * wo + j] = v.3
                        }
                    }
                }
            }
        }
    }

    /// gx ← ∂L/∂x given gy = ∂L/∂y (gx is overwritten; positions that won no window get 0).
    public static func backward(n: Int, c: Int, h: Int, w: Int, x: UnsafeBufferPointer<Float>,
                                gy: UnsafeBufferPointer<Float>, gx: UnsafeMutableBufferPointer<Float>) {
        let ho = h / 2, wo = w / 2
        Parallel.forRanges(n * c) { planes in
            for pl in planes {
                let xp = x.baseAddress! + pl * h * w, gp = gy.baseAddress! + pl * ho * wo
                let gxp = gx.baseAddress! + pl * h * w
                gxp.update(repeating: 0, count: h * w)
                for i in 0..<ho {
                    let r0 = 2 * i * w
                    for j in 0..<wo {
                        let v = (xp[r0 + 2 * j], xp[r0 + 2 * j + 1], xp[r0 + w + 2 * j], xp[r0 + w + 2 * j + 1])
                        let k = argmax(v)
                        gxp[r0 + (k >> 1) * w + 2 * j + (k & 1)] = gp[i * wo + j]
                    }
                }
            }
        }
    }
}
