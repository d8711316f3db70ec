#if canImport(Glibc)
import Glibc
#endif

/// The textbook formulas for `Activation` and `PReLU`, generic (evaluated through Double) for gradient checks.
public enum ActivationReference {
    public static func forward<T: BinaryFloatingPoint>(_ kind: Activation, _ x: T, slope: T = 0) -> T {
        let d = Double(x)
        switch kind {
        case .identity: return x
        case .relu: return x > 0 ? x : 0
        case .prelu: return x > 0 ? x : slope * x
        case .sigmoid: return T(1 / (1 + exp(-d)))
        case .tanh: return T(tanh(d))
        }
    }

    /// f′(x), from the input (the fast kernels use the output; agreeing checks both).
    public static func derivative<T: BinaryFloatingPoint>(_ kind: Activation, _ x: T, slope: T = 0) -> T {
        let d = Double(x)
        switch kind {
        case .identity: return 1
        case .relu: return x > 0 ? 1 : 0
        case .prelu: return x > 0 ? 1 : slope
        case .sigmoid: let s = 1 / (1 + exp(-d)); return T(s * (1 - s))
        case .tanh: let t = tanh(d); return T(1 - t * t)
        }
    }

    /// PReLU over N×C×S: (y) and backward (gx, ga).
    public static func prelu<T: BinaryFloatingPoint>(_ x: [T], slopes: [T], channels: Int, spatial: Int) -> [T] {
        x.indices.map { i in forward(.prelu, x[i], slope: slopes[(i / spatial) % channels]) }
    }

    public static func preluBackward<T: BinaryFloatingPoint>(_ x: [T], slopes: [T], gradOutput gy: [T],
                                                             channels: Int, spatial: Int) -> ([T], [T]) {
        var gx = [T](repeating: 0, count: x.count), ga = [T](repeating: 0, count: channels)
        for i in x.indices {
            let c = (i / spatial) % channels
            gx[i] = gy[i] * derivative(.prelu, x[i], slope: slopes[c])
            if !(x[i] > 0) { ga[c] += gy[i] * x[i] }
        }
        return (gx, ga)
    }
}
