#if canImport(Glibc)
import Glibc
#endif

/// Element-wise activations and the per-channel PReLU, forward and backward.
///
/// Every backward here needs only the forward's *output* y, except PReLU (whose slope may be negative or zero, so
/// the sign of y does not tell the sign of x): ReLU′ = [y > 0], σ′ = y(1 − y), tanh′ = 1 − y².
public enum Activation: Int32, Sendable {
    case identity = 0
    case relu = 1
    case prelu = 2
    case sigmoid = 3
    case tanh = 4

    /// Elements per parallel task of the element-wise loops.
    static let grain = 1 << 14

    @inline(__always)
    static func sigmoid(_ x: Float) -> Float { 1 / (1 + expf(-x)) }

    /// y = f(x) for `.identity`, `.relu`, `.sigmoid`, `.tanh` (`.prelu` needs slopes: see `PReLU`).
    /// `input` and `output` may be the same memory.
    /// - Precondition: equal counts; `self != .prelu`.
    public func forward(_ input: UnsafeBufferPointer<Float>, _ output: UnsafeMutableBufferPointer<Float>) {
        let x = input.baseAddress!, y = output.baseAddress!
        let kind = self
        Parallel.forRanges(input.count, granularity: Activation.grain) { r in
            switch kind {
            case .identity: if x != UnsafePointer(y) { (y + r.lowerBound).update(from: x + r.lowerBound, count: r.count) }
            case .relu: for i in r { y[i] = max(x[i], 0) }
            case .sigmoid: for i in r { y[i] = Activation.sigmoid(x[i]) }
            case .tanh: for i in r { y[i] = tanhf(x[i]) }
            case .prelu: preconditionFailure("prelu needs slopes")
            }
        }
    }

    /// gx = gy · f′, with f′ computed from the forward's output y. `gradOutput` and `gradInput` may alias.
    /// - Precondition: equal counts; `self != .prelu`.
    public func backward(output: UnsafeBufferPointer<Float>, gradOutput: UnsafeBufferPointer<Float>,
                         gradInput: UnsafeMutableBufferPointer<Float>) {
        let y = output.baseAddress!, gy = gradOutput.baseAddress!, gx = gradInput.baseAddress!
        let kind = self
        Parallel.forRanges(output.count, granularity: Activation.grain) { r in
            switch kind {
            case .identity: if gy != UnsafePointer(gx) { (gx + r.lowerBound).update(from: gy + r.lowerBound, count: r.count) }
            case .relu: for i in r { gx[i] = y[i] > 0 ? gy[i] : 0 }
            case .sigmoid: for i in r { gx[i] = gy[i] * (y[i] * (1 - y[i])) }
            case .tanh: for i in r { gx[i] = gy[i] * (1 - y[i] * y[i]) }
            case .prelu: preconditionFailure("prelu needs slopes")
            }
        }
    }
}

/// PReLU with one learned slope per channel: y = x if x > 0 else a[c]·x, over N×C×S tensors (S = spatial size,
/// 1 for N×C inputs).
public enum PReLU {
    /// y = prelu(x). `input` and `output` may alias.
    public static func forward(_ input: UnsafeBufferPointer<Float>, slopes: UnsafeBufferPointer<Float>,
                               output: UnsafeMutableBufferPointer<Float>, batch: Int, channels: Int, spatial: Int) {
        let x = input.baseAddress!, a = slopes.baseAddress!, y = output.baseAddress!
        Parallel.forRanges(batch * channels, granularity: max(1, Activation.grain / max(1, spatial))) { planes in
            for plane in planes {
                let slope = a[plane % channels], base = plane * spatial
                for i in base..<(base + spatial) { let v = x[i]; y[i] = v > 0 ? v : slope * v }
            }
        }
    }

    /// gx = gy · (x > 0 ? 1 : a[c]); ga[c] += Σ_{n, x ≤ 0} gy·x (accumulates). `gradOutput` and `gradInput` may
    /// alias. The slope gradient of each channel is summed over images in order, so threads cannot change it.
    public static func backward(_ input: UnsafeBufferPointer<Float>, slopes: UnsafeBufferPointer<Float>,
                                gradOutput: UnsafeBufferPointer<Float>, gradInput: UnsafeMutableBufferPointer<Float>,
                                gradSlopes: UnsafeMutableBufferPointer<Float>, batch: Int, channels: Int,
                                spatial: Int) {
        let x = input.baseAddress!, a = slopes.baseAddress!, gy = gradOutput.baseAddress!
        let gx = gradInput.baseAddress!, ga = gradSlopes.baseAddress!
        Parallel.forRanges(channels, granularity: max(1, Activation.grain / max(1, spatial * batch))) { cs in
            for c in cs {
                let slope = a[c]
                var total: Float = 0
                let slopes = SIMD8<Float>(repeating: slope)
                for n in 0..<batch {
                    let base = (n * channels + c) * spatial, end = base + spatial
                    // Eight partial sums: one scalar chain would be bound by the add latency.
                    var lanes = SIMD8<Float>()
                    var i = base
                    while i + 8 <= end {
                        let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
                        let g = UnsafeRawPointer(gy + i).loadUnaligned(as: SIMD8<Float>.self)
                        let positive = v .> 0
                        UnsafeMutableRawPointer(gx + i).storeBytes(of: (slopes * g).replacing(with: g, where: positive),
                                                                   as: SIMD8<Float>.self)
                        lanes += (g * v).replacing(with: 0, where: positive)
                        i += 8
                    }
                    var s = lanes.sum()
                    while i < end {
                        let v = x[i], g = gy[i]
                        if v > 0 { gx[i] = g } else { gx[i] = slope * g; s += g * v }
                        i += 1
                    }
                    total += s
                }
                ga[c] += total
            }
        }
    }
}

/// The fused tail of a convolution: y ← f(y + b[c]) over channel rows, in one pass while the band is in cache.
struct Epilogue {
    var bias: UnsafePointer<Float>?
    var activation: Activation
    var slopes: UnsafePointer<Float>?

    init(bias: UnsafeBufferPointer<Float>?, activation: Activation, slopes: UnsafeBufferPointer<Float>?) {
        self.bias = bias?.baseAddress
        self.activation = activation
        self.slopes = slopes?.baseAddress
    }

    var isNoOp: Bool { bias == nil && activation == .identity }

    /// Applies to `columns` of rows `0..<channels` of the matrix at `y` (row stride `stride`); `serial`: on the
    /// calling thread only.
    func apply(_ y: UnsafeMutablePointer<Float>, channels: Int, stride: Int, columns: Range<Int>,
               serial: Bool = false) {
        if isNoOp || columns.isEmpty { return }
        let this = self
        Parallel.forRanges(channels, granularity: max(1, Activation.grain / columns.count),
                           parts: serial ? 1 : nil) { cs in
            for c in cs { this.apply(channel: c, y + c * stride, columns) }
        }
    }

    /// Applies channel `c`'s bias and activation to `row[columns]`.
    @inline(__always)
    func apply(channel c: Int, _ row: UnsafeMutablePointer<Float>, _ columns: Range<Int>) {
        let b = bias?[c] ?? 0
        switch activation {
        case .identity: if bias != nil { for i in columns { row[i] += b } }
        case .relu: for i in columns { row[i] = max(row[i] + b, 0) }
        case .prelu:
            let a = slopes![c]
            for i in columns { let v = row[i] + b; row[i] = v > 0 ? v : a * v }
        case .sigmoid: for i in columns { row[i] = Activation.sigmoid(row[i] + b) }
        case .tanh: for i in columns { row[i] = tanhf(row[i] + b) }
        }
    }
}
