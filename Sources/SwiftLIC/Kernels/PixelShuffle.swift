/// Pixel shuffle (sub-pixel convolution, Shi et al. 2016) and its inverse over NCHW float32, PyTorch's layout:
///
///     shuffle:   x[n, c·r² + i·r + j, h, w] → y[n, c, h·r + i, w·r + j]      (n×C·r²×H×W → n×C×H·r×W·r)
///     unshuffle: the inverse permutation                                      (n×C×H·r×W·r → n×C·r²×H×W)
///
/// Both are permutations, so each one's backward is the other applied to the gradient.
public enum PixelShuffle {
    /// Checks a call on an input of n×c×h×w; returns the element count.
    public static func validate(unshuffle: Bool, r: Int, n: Int, c: Int, h: Int, w: Int, input: Int,
                                output: Int) throws(SLICError) -> Int {
        let op = unshuffle ? "pixel_unshuffle" : "pixel_shuffle"
        let count = try LayerShape.count(op, n: n, c: c, h: h, w: w)
        try require(r >= 1 && r <= 64, "\(op): expected a factor r in 1...64, got \(r)")
        if unshuffle {
            try require(h % r == 0 && w % r == 0, "\(op): expected H and W divisible by r=\(r), got \(h)×\(w)")
        } else {
            try require(c % (r * r) == 0, "\(op): expected channels divisible by r²=\(r * r), got \(c)")
        }
        try LayerShape.holds(op, "x", input, count, "shape \(n)×\(c)×\(h)×\(w)")
        try LayerShape.holds(op, "y", output, count, "the same number of values as x")
        return count
    }

    /// y ← shuffle(x) (or unshuffle when `unshuffle`), where x is n×c×h×w.
    public static func apply(unshuffle: Bool, r: Int, n: Int, c: Int, h: Int, w: Int,
                             x: UnsafeBufferPointer<Float>, y: UnsafeMutableBufferPointer<Float>) {
        // Work in terms of the small (n×C·r²×Hs×Ws) side; each task owns one small-side channel.
        let (hs, ws) = unshuffle ? (h / r, w / r) : (h, w)
        let channels = unshuffle ? c * r * r : c
        let wl = ws * r
        Parallel.forRanges(n * channels) { range in
            for sc in range {
                let b = sc / channels, cc = sc % channels
                let big = b * channels * hs * ws + (cc / (r * r)) * hs * ws * r * r
                let i = (cc % (r * r)) / r, j = cc % r
                let small = sc * hs * ws
                for hh in 0..<hs {
                    let row = big + (hh * r + i) * wl + j
                    if unshuffle {
                        for ww in 0..<ws { y[small + hh * ws + ww] = x[row + ww * r] }
                    } else {
                        for ww in 0..<ws { y[row + ww * r] = x[small + hh * ws + ww] }
                    }
                }
            }
        }
    }
}
