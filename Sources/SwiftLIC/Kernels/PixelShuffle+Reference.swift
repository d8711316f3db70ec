/// The index formula of `PixelShuffle`, written out per output element.
extension PixelShuffle {
    public static func applyReference<T>(unshuffle: Bool, r: Int, n: Int, c: Int, h: Int, w: Int, x: [T]) -> [T] {
        var y = x
        // Output coordinates of shuffle: (b, oc, oh, ow) with input channel oc·r² + (oh % r)·r + ow % r.
        let (co, ho, wo) = unshuffle ? (c * r * r, h / r, w / r) : (c / (r * r), h * r, w * r)
        for b in 0..<n {
            for oc in 0..<co {
                for oh in 0..<ho {
                    for ow in 0..<wo {
                        let out = ((b * co + oc) * ho + oh) * wo + ow
                        let src: Int
                        if unshuffle {
                            let ic = oc / (r * r), ih = oh * r + (oc % (r * r)) / r, iw = ow * r + oc % r
                            src = ((b * c + ic) * h + ih) * w + iw
                        } else {
                            let ic = oc * r * r + (oh % r) * r + ow % r
                            src = ((b * c + ic) * h + oh / r) * w + ow / r
                        }
                        y[out] = x[src]
                    }
                }
            }
        }
        return y
    }
}
