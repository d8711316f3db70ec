/// The obvious loops for `Conv2D`, generic so gradient checks can run them in Double: the twin every fast path
/// is tested against. Arrays in, arrays out; same layouts as `Conv2D`.
public enum Conv2DReference {
    /// Input coordinate that padded coordinate `i` reads, or nil for a zero.
    static func source(_ i: Int, _ n: Int, _ mode: PaddingMode) -> Int? {
        if i >= 0 && i < n { return i }
        return mode == .zeros ? nil : Conv2D.reflect(i, n)
    }

    public static func forward<T: BinaryFloatingPoint>(_ g: Conv2DGeometry, input x: [T], weight w: [T],
                                                       bias: [T]?) -> [T] {
        var y = biasTensor(bias, count: g.outputCount, channels: g.outChannels, spatial: g.outHeight * g.outWidth)
        eachTap(g) { xi, wi, yi in y[yi] += w[wi] * x[xi] }
        return y
    }

    /// A tensor holding b[c] at every position of channel c (zeros without a bias).
    static func biasTensor<T: BinaryFloatingPoint>(_ bias: [T]?, count: Int, channels: Int, spatial: Int) -> [T] {
        guard let bias else { return [T](repeating: 0, count: count) }
        return (0..<count).map { bias[($0 / spatial) % channels] }
    }

    /// Σ over batch and positions of each channel: the bias gradient.
    static func channelSums<T: BinaryFloatingPoint>(_ t: [T], channels: Int, spatial: Int) -> [T] {
        var sums = [T](repeating: 0, count: channels)
        for (i, v) in t.enumerated() { sums[(i / spatial) % channels] += v }
        return sums
    }

    /// Visits every (input index, weight index, output index) triple that the forward multiplies together.
    static func eachTap(_ g: Conv2DGeometry, _ body: (Int, Int, Int) -> Void) {
        let (ho, wo, k) = (g.outHeight, g.outWidth, g.kernel)
        for n in 0..<g.batch {
            for co in 0..<g.outChannels {
                for oh in 0..<ho {
                    for ow in 0..<wo {
                        let yi = ((n * g.outChannels + co) * ho + oh) * wo + ow
                        for ci in 0..<g.inChannels {
                            for ki in 0..<k {
                                guard let ih = source(oh * g.stride - g.padding + ki, g.height, g.paddingMode)
                                else { continue }
                                for kj in 0..<k {
                                    guard let iw = source(ow * g.stride - g.padding + kj, g.width, g.paddingMode)
                                    else { continue }
                                    body(((n * g.inChannels + ci) * g.height + ih) * g.width + iw,
                                         ((co * g.inChannels + ci) * k + ki) * k + kj, yi)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    public static func backwardData<T: BinaryFloatingPoint>(_ g: Conv2DGeometry, gradOutput gy: [T],
                                                            weight w: [T]) -> [T] {
        var gx = [T](repeating: 0, count: g.inputCount)
        eachTap(g) { xi, wi, yi in gx[xi] += w[wi] * gy[yi] }
        return gx
    }

    /// (∂L/∂W, ∂L/∂b).
    public static func backwardWeight<T: BinaryFloatingPoint>(_ g: Conv2DGeometry, input x: [T],
                                                              gradOutput gy: [T]) -> ([T], [T]) {
        var gw = [T](repeating: 0, count: g.weightCount)
        eachTap(g) { xi, wi, yi in gw[wi] += x[xi] * gy[yi] }
        return (gw, channelSums(gy, channels: g.outChannels, spatial: g.outHeight * g.outWidth))
    }
}
