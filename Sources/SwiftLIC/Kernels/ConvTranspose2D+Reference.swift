/// The obvious scatter loops for `ConvTranspose2D` (written from PyTorch's definition, not from `Conv2D`, so
/// they check the reuse of the convolution passes), generic for Double gradient checks.
public enum ConvTranspose2DReference {
    /// Visits every (input index, weight index, output index) triple: x[n,ci,ih,iw]·W[ci,co,ki,kj] lands on
    /// y[n, co, ih·s − p + ki, iw·s − p + kj] when that lies inside the output.
    static func eachTap(_ g: ConvTranspose2DGeometry, _ body: (Int, Int, Int) -> Void) {
        let (ho, wo, k) = (g.outHeight, g.outWidth, g.kernel)
        for n in 0..<g.batch {
            for ci in 0..<g.inChannels {
                for ih in 0..<g.height {
                    for iw in 0..<g.width {
                        let xi = ((n * g.inChannels + ci) * g.height + ih) * g.width + iw
                        for co in 0..<g.outChannels {
                            for ki in 0..<k {
                                let oh = ih * g.stride - g.padding + ki
                                if oh < 0 || oh >= ho { continue }
                                for kj in 0..<k {
                                    let ow = iw * g.stride - g.padding + kj
                                    if ow < 0 || ow >= wo { continue }
                                    body(xi, ((ci * g.outChannels + co) * k + ki) * k + kj,
                                         ((n * g.outChannels + co) * ho + oh) * wo + ow)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    public static func forward<T: BinaryFloatingPoint>(_ g: ConvTranspose2DGeometry, input x: [T], weight w: [T],
                                                       bias: [T]?) -> [T] {
        var y = Conv2DReference.biasTensor(bias, count: g.outputCount, channels: g.outChannels,
                                           spatial: g.outHeight * g.outWidth)
        eachTap(g) { xi, wi, yi in y[yi] += x[xi] * w[wi] }
        return y
    }

    public static func backwardData<T: BinaryFloatingPoint>(_ g: ConvTranspose2DGeometry, gradOutput gy: [T],
                                                            weight w: [T]) -> [T] {
        var gx = [T](repeating: 0, count: g.inputCount)
        eachTap(g) { xi, wi, yi in gx[xi] += w[wi] * gy[yi] }
        return gx
    }

    public static func backwardWeight<T: BinaryFloatingPoint>(_ g: ConvTranspose2DGeometry, input x: [T],
                                                              gradOutput gy: [T]) -> ([T], [T]) {
        var gw = [T](repeating: 0, count: g.weightCount)
        eachTap(g) { xi, wi, yi in gw[wi] += x[xi] * gy[yi] }
        return (gw, Conv2DReference.channelSums(gy, channels: g.outChannels, spatial: g.outHeight * g.outWidth))
    }
}
