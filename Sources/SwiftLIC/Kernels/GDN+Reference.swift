/// The obvious per-pixel loops for `GDN`, generic over the float type so tests can run them in Double (finite
/// differences) and compare them with the fast Float kernel.
extension GDN {
    /// Returns y for x of shape n×c×pixels (flattened), β of c values and γ of c×c.
    public static func forwardReference<T: BinaryFloatingPoint>(inverse: Bool, n: Int, c: Int, pixels: Int,
                                                                x: [T], beta: [T], gamma: [T]) -> [T] {
        var y = [T](repeating: 0, count: x.count)
        for b in 0..<n {
            for p in 0..<pixels {
                for i in 0..<c {
                    var s = beta[i]
                    for j in 0..<c {
                        let xj = x[(b * c + j) * pixels + p]
                        s += gamma[i * c + j] * xj * xj
                    }
                    let k = (b * c + i) * pixels + p
                    y[k] = inverse ? x[k] * s.squareRoot() : x[k] / s.squareRoot()
                }
            }
        }
        return y
    }

    /// Returns (∂L/∂x, ∂L/∂β, ∂L/∂γ) given gy = ∂L/∂y, straight from the chain rule.
    public static func backwardReference<T: BinaryFloatingPoint>(inverse: Bool, n: Int, c: Int, pixels: Int,
                                                                 x: [T], beta: [T], gamma: [T], gy: [T])
        -> (gx: [T], gBeta: [T], gGamma: [T]) {
        var gx = [T](repeating: 0, count: x.count)
        var gBeta = [T](repeating: 0, count: c), gGamma = [T](repeating: 0, count: c * c)
        for b in 0..<n {
            for p in 0..<pixels {
                func at(_ ch: Int) -> Int { (b * c + ch) * pixels + p }
                var norm = [T](repeating: 0, count: c), dn = [T](repeating: 0, count: c)
                for i in 0..<c {
                    var s = beta[i]
                    for j in 0..<c { s += gamma[i * c + j] * x[at(j)] * x[at(j)] }
                    norm[i] = s
                    // y_i = x_i n_i^(±½) → ∂y_i/∂n_i = ±½ x_i n_i^(±½ − 1)
                    let root = s.squareRoot()
                    dn[i] = gy[at(i)] * x[at(i)] * (inverse ? 1 / (2 * root) : -1 / (2 * s * root))
                    gx[at(i)] += gy[at(i)] * (inverse ? root : 1 / root)
                }
                for i in 0..<c {
                    gBeta[i] += dn[i]
                    for j in 0..<c {
                        gGamma[i * c + j] += dn[i] * x[at(j)] * x[at(j)]
                        gx[at(j)] += dn[i] * gamma[i * c + j] * 2 * x[at(j)]
                    }
                }
            }
        }
        return (gx, gBeta, gGamma)
    }
}
