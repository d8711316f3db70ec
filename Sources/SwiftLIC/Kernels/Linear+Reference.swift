/// The obvious loops for `Linear`, generic for Double gradient checks.
public enum LinearReference {
    public static func forward<T: BinaryFloatingPoint>(batch: Int, inFeatures: Int, outFeatures: Int,
                                                       input x: [T], weight w: [T], bias: [T]?) -> [T] {
        var y = [T](repeating: 0, count: batch * outFeatures)
        for i in 0..<batch {
            for j in 0..<outFeatures {
                var s: T = bias?[j] ?? 0
                for p in 0..<inFeatures { s += x[i * inFeatures + p] * w[j * inFeatures + p] }
                y[i * outFeatures + j] = s
            }
        }
        return y
    }

    /// (∂L/∂x, ∂L/∂W, ∂L/∂b).
    public static func backward<T: BinaryFloatingPoint>(batch: Int, inFeatures: Int, outFeatures: Int,
                                                        input x: [T], weight w: [T], gradOutput gy: [T])
        -> ([T], [T], [T]) {
        var gx = [T](repeating: 0, count: batch * inFeatures)
        var gw = [T](repeating: 0, count: outFeatures * inFeatures)
        var gb = [T](repeating: 0, count: outFeatures)
        for i in 0..<batch {
            for j in 0..<outFeatures {
                let g = gy[i * outFeatures + j]
                gb[j] += g
                for p in 0..<inFeatures {
                    gx[i * inFeatures + p] += g * w[j * inFeatures + p]
                    gw[j * inFeatures + p] += g * x[i * inFeatures + p]
                }
            }
        }
        return (gx, gw, gb)
    }
}
