/// The losses as plain sums in the reference float type (Double in tests).
extension Loss {
    public static func evaluateReference<T: BinaryFloatingPoint>(_ kind: Kind, pred: [T], target: [T])
        -> (loss: T, grad: [T]) {
        var s: T = 0
        var g = [T](repeating: 0, count: pred.count)
        let n = T(pred.count)
        for i in pred.indices {
            let d = pred[i] - target[i]
            if kind == .mse {
                s += d * d
                g[i] = 2 * d / n
            } else {
                s += abs(d)
                g[i] = d > 0 ? 1 / n : d < 0 ? -1 / n : 0
            }
        }
        return (s / n, g)
    }
}
