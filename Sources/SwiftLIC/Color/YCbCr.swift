/// RGB ⇄ YCbCr, JPEG (JFIF) full-range BT.601.
///
///     Y  =     0.299    R + 0.587    G + 0.114    B
///     Cb = o − 0.168736 R − 0.331264 G + 0.5      B
///     Cr = o + 0.5      R − 0.418688 G − 0.081312 B
///
/// on values in [0, 1], with the chroma offset o = 128/255 so that 8-bit results are exactly JPEG's. Layouts: 8-bit images are interleaved H×W×3; float images
/// are planar 3×H×W (one plane per component, the layout the networks consume). 8-bit outputs are rounded to
/// nearest and clamped to [0, 255]; float outputs are not clamped.
public enum YCbCr {
    /// The chroma offset: 128 on the 8-bit scale.
    public static let offset: Float = 128.0 / 255.0

    @inline(__always) @usableFromInline
    static func forward(_ r: Float, _ g: Float, _ b: Float) -> (Float, Float, Float) {
        let y = 0.299 * r + 0.587 * g + 0.114 * b
        let cb = offset - 0.168736 * r - 0.331264 * g + 0.5 * b
        let cr = offset + 0.5 * r - 0.418688 * g - 0.081312 * b
        return (y, cb, cr)
    }

    @inline(__always) @usableFromInline
    static func inverse(_ y: Float, _ cb: Float, _ cr: Float) -> (Float, Float, Float) {
        let u = cb - offset, v = cr - offset
        return (y + 1.402 * v, y - 0.344136 * u - 0.714136 * v, y + 1.772 * u)
    }

    @inline(__always) @usableFromInline
    static func toByte(_ x: Float) -> UInt8 {
        let v = (x * 255).rounded(.toNearestOrEven)
        return v <= 0 ? 0 : (v >= 255 ? 255 : UInt8(v))
    }

    /// The direction of a conversion.
    public enum Direction: Sendable { case toYCbCr, toRGB }

    @inline(__always) @usableFromInline
    static func apply(_ d: Direction, _ a: Float, _ b: Float, _ c: Float) -> (Float, Float, Float) {
        d == .toYCbCr ? forward(a, b, c) : inverse(a, b, c)
    }

    /// Interleaved 8-bit H×W×3 → interleaved 8-bit H×W×3.
    /// - Precondition: `input` and `output` hold `pixels * 3` values.
    public static func convert(_ d: Direction, bytes input: UnsafeBufferPointer<UInt8>,
                               into output: UnsafeMutableBufferPointer<UInt8>, pixels: Int) {
        let s: Float = 1.0 / 255.0
        Parallel.forRanges(pixels, granularity: 4096) { r in
            for p in r {
                let (x, y, z) = apply(d, Float(input[3 * p]) * s, Float(input[3 * p + 1]) * s,
                                      Float(input[3 * p + 2]) * s)
                output[3 * p] = toByte(x); output[3 * p + 1] = toByte(y); output[3 * p + 2] = toByte(z)
            }
        }
    }

    /// Interleaved 8-bit H×W×3 → planar float 3×H×W in [0, 1] scale.
    public static func convert(_ d: Direction, bytes input: UnsafeBufferPointer<UInt8>,
                               intoPlanes output: UnsafeMutableBufferPointer<Float>, pixels: Int) {
        let s: Float = 1.0 / 255.0
        Parallel.forRanges(pixels, granularity: 4096) { r in
            for p in r {
                let (x, y, z) = apply(d, Float(input[3 * p]) * s, Float(input[3 * p + 1]) * s,
                                      Float(input[3 * p + 2]) * s)
                output[p] = x; output[pixels + p] = y; output[2 * pixels + p] = z
            }
        }
    }

    /// Planar float 3×H×W → interleaved 8-bit H×W×3 (rounded, clamped).
    public static func convert(_ d: Direction, planes input: UnsafeBufferPointer<Float>,
                               intoBytes output: UnsafeMutableBufferPointer<UInt8>, pixels: Int) {
        Parallel.forRanges(pixels, granularity: 4096) { r in
            for p in r {
                let (x, y, z) = apply(d, input[p], input[pixels + p], input[2 * pixels + p])
                output[3 * p] = toByte(x); output[3 * p + 1] = toByte(y); output[3 * p + 2] = toByte(z)
            }
        }
    }

    /// Planar float 3×H×W → planar float 3×H×W. `input` and `output` may be the same buffer.
    public static func convert(_ d: Direction, planes input: UnsafeBufferPointer<Float>,
                               intoPlanes output: UnsafeMutableBufferPointer<Float>, pixels: Int) {
        Parallel.forRanges(pixels, granularity: 4096) { r in
            for p in r {
                let (x, y, z) = apply(d, input[p], input[pixels + p], input[2 * pixels + p])
                output[p] = x; output[pixels + p] = y; output[2 * pixels + p] = z
            }
        }
    }
}
