/// Mean losses over float32 arrays with their gradients: MSE = mean((p − t)²), L1 = mean|p − t|.
/// The loss is a fixed-order blocked sum in Double (bit-identical for any thread count); the gradient
/// ∂loss/∂p (2(p − t)/n, or sign(p − t)/n with sign(0) = 0 as in PyTorch) is written when a buffer is given.
public enum Loss {
    public enum Kind: Int32, Sendable { case mse = 0, l1 = 1 }

    public static func validate(_ kind: Kind, pred: Int, target: Int, grad: Int?) throws(SLICError) {
        let op = kind == .mse ? "mse_loss" : "l1_loss"
        try require(pred >= 1, "\(op): expected a non-empty prediction, got \(pred) values")
        try LayerShape.holds(op, "target", target, pred, "as many values as the prediction")
        if let grad { try LayerShape.holds(op, "grad", grad, pred, "as many values as the prediction") }
    }

    public static func evaluate(_ kind: Kind, pred: UnsafeBufferPointer<Float>, target: UnsafeBufferPointer<Float>,
                                grad: UnsafeMutableBufferPointer<Float>?) -> Double {
        let n = pred.count
        let p = pred.baseAddress!, t = target.baseAddress!
        let total = BlockedSum.sum(n) { r in
            var s = 0.0
            if kind == .mse {
                for i in r { let d = Double(p[i]) - Double(t[i]); s += d * d }
            } else {
                for i in r { s += abs(Double(p[i]) - Double(t[i])) }
            }
            return s
        }
        if let g = grad?.baseAddress {
            let scale = Float(1 / Double(n)), two = Float(2 / Double(n))
            Parallel.forRanges(n, granularity: 4096) { r in
                if kind == .mse {
                    for i in r { g[i] = two * (p[i] - t[i]) }
                } else {
                    for i in r { let d = p[i] - t[i]; g[i] = d > 0 ? scale : d < 0 ? -scale : 0 }
                }
            }
        }
        return total / Double(n)
    }
}
