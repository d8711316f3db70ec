import Glibc

/// Adam written straight from the paper's update, in Double, one element at a time.
extension Adam {
    public static func stepReference(_ h: Hyper, param: inout [Double], grad: [Double], m: inout [Double],
                                     v: inout [Double]) {
        let lr = Double(h.lr), b1 = Double(h.beta1), b2 = Double(h.beta2), eps = Double(h.eps)
        let wd = Double(h.weightDecay), t = Double(h.step)
        for i in param.indices {
            var g = grad[i]
            if h.decoupled { param[i] -= lr * wd * param[i] } else { g += wd * param[i] }
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            let mHat = m[i] / (1 - pow(b1, t)), vHat = v[i] / (1 - pow(b2, t))
            // torch puts ε outside the bias-corrected root: m̂ / (√v̂ + ε).
            param[i] -= lr * mHat / (vHat.squareRoot() + eps)
        }
    }
}
