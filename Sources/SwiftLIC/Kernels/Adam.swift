import Glibc

/// One fused Adam / AdamW step (Kingma & Ba 2015; Loshchilov & Hutter 2019), in place on the parameter and the
/// two moment buffers; the gradient is only read. Same arithmetic as `torch.optim.Adam(W)` (t ≥ 1 is the step
/// number after incrementing):
///
///     g ← g + λ·p                 (L2 weight decay, when λ ≠ 0 and not decoupled)
///     p ← p · (1 − lr·λ)          (decoupled weight decay, AdamW)
///     m ← β1·m + (1 − β1)·g       v ← β2·v + (1 − β2)·g²
///     p ← p − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + ε)
/// Elementwise, so bit-identical for any thread count.
public enum Adam {
    public struct Hyper: Sendable {
        public var lr: Float, beta1: Float, beta2: Float, eps: Float, weightDecay: Float, decoupled: Bool
        public var step: Int
        public init(lr: Float, beta1: Float, beta2: Float, eps: Float, weightDecay: Float, decoupled: Bool,
                    step: Int) {
            (self.lr, self.beta1, self.beta2, self.eps) = (lr, beta1, beta2, eps)
            (self.weightDecay, self.decoupled, self.step) = (weightDecay, decoupled, step)
        }
    }

    public static func validate(_ h: Hyper, param: Int, grad: Int, m: Int, v: Int) throws(SLICError) {
        try require(h.lr >= 0 && h.lr.isFinite, "adam: expected a finite learning rate ≥ 0, got \(h.lr)")
        try require(h.beta1 >= 0 && h.beta1 < 1 && h.beta2 >= 0 && h.beta2 < 1,
                    "adam: expected betas in [0, 1), got (\(h.beta1), \(h.beta2))")
        try require(h.eps > 0 && h.eps.isFinite, "adam: expected eps > 0, got \(h.eps)")
        try require(h.weightDecay >= 0 && h.weightDecay.isFinite,
                    "adam: expected weight_decay ≥ 0, got \(h.weightDecay)")
        try require(h.step >= 1, "adam: expected a step number ≥ 1, got \(h.step)")
        try LayerShape.holds("adam", "grad", grad, param, "as many values as the parameter")
        try LayerShape.holds("adam", "exp_avg", m, param, "as many values as the parameter")
        try LayerShape.holds("adam", "exp_avg_sq", v, param, "as many values as the parameter")
    }

    public static func step(_ h: Hyper, param: UnsafeMutableBufferPointer<Float>, grad: UnsafeBufferPointer<Float>,
                            m: UnsafeMutableBufferPointer<Float>, v: UnsafeMutableBufferPointer<Float>) {
        let t = Double(h.step)
        let bc1 = 1 - pow(Double(h.beta1), t), bc2 = 1 - pow(Double(h.beta2), t)
        let stepSize = Float(Double(h.lr) / bc1), bc2Root = Float(bc2.squareRoot())
        let b1 = h.beta1, b2 = h.beta2, eps = h.eps, a1 = 1 - h.beta1, a2 = 1 - h.beta2
        let l2 = h.decoupled ? 0 : h.weightDecay
        let shrink: Float = h.decoupled ? 1 - h.lr * h.weightDecay : 1
        Parallel.forRanges(param.count, granularity: 4096) { r in
            let p = param.baseAddress!, g = grad.baseAddress!, mp = m.baseAddress!, vp = v.baseAddress!
            for i in r {
                let gi = g[i] + l2 * p[i]
                let mi = b1 * mp[i] + a1 * gi, vi = b2 * vp[i] + a2 * gi * gi
                mp[i] = mi
                vp[i] = vi
                p[i] = p[i] * shrink - stepSize * (mi / (vi.squareRoot() / bc2Root + eps))
            }
        }
    }

    /// Σ x_i² in Double, as a fixed-order blocked sum (for global gradient-norm clipping over several arrays).
    public static func sumOfSquares(_ x: UnsafeBufferPointer<Float>) -> Double {
        BlockedSum.sum(x.count) { r in
            var s = 0.0
            for i in r { let d = Double(x[i]); s += d * d }
            return s
        }
    }
}
