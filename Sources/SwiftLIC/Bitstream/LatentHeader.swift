/// The container header of a latent stream (docs/FORMAT.md): everything needed to size and decode the payload.
/// `parse` validates every field, and checks the size guards, before anything is allocated.
public struct LatentHeader: Sendable, Equatable {
    public static let magic: [UInt8] = [0x53, 0x4C, 0x49, 0x43]  // "SLIC"
    public static let version: UInt8 = 4
    public static let maxChannels = 4096
    /// PCA costs O(C³) (Jacobi at encode, Gram–Schmidt at decode): a bound keeps crafted streams from stalling.
    public static let maxPCAChannels = 512
    public static let maxModelID = 255

    public enum PCAMode: UInt8, Sendable { case none = 0, image = 1, fixed = 2 }
    static let flagChannelSteps: UInt8 = 1
    static let flagFilterStrengths: UInt8 = 2

    public var imageHeight = 0, imageWidth = 0
    /// 0 unspecified, 1 YCbCr, 2 RGB, 3 grey.
    public var colorMode: UInt8 = 0
    public var modelID = ""
    public var modelHash: UInt64 = 0
    public var channels = 0, height = 0, width = 0
    public var bits = 12
    public var step: Float = 1
    public var channelSteps: [Float]? = nil
    public var pca = PCAMode.none
    /// `.image`: per-channel means and the basis as `basisBits`-bit signed integers (row-major C × C).
    public var mean: [Float] = []
    public var basisBits = 0
    public var basisCodes: [Int32] = []
    /// `.fixed`: hash of the caller's basis and mean, checked at decode.
    public var fixedHash: UInt64 = 0
    /// Quality layers the encoder wrote; a stream cut at a layer boundary holds fewer.
    public var layers = 1
    /// One byte per layer for the model's post-filter, chosen by the encoder (a stream cut after layer k uses
    /// byte k); its meaning is the model's (dwt97-cae: gain = value / 32). nil: none, the decoder's default.
    public var filterStrengths: [UInt8]? = nil

    public init() {}

    public var latentCount: Int { channels * height * width }

    public func serialized() -> [UInt8] {
        var w = ByteWriter()
        w.bytes += LatentHeader.magic
        w.u8(LatentHeader.version)
        w.u8((channelSteps != nil ? LatentHeader.flagChannelSteps : 0)
             | (filterStrengths != nil ? LatentHeader.flagFilterStrengths : 0))
        w.u8(colorMode)
        w.u8(pca.rawValue)
        w.u32(UInt32(imageHeight)); w.u32(UInt32(imageWidth))
        w.u16(UInt16(channels)); w.u32(UInt32(height)); w.u32(UInt32(width))
        w.u8(UInt8(bits)); w.f32(step)
        w.u64(modelHash)
        let id = Array(modelID.utf8)
        w.u8(UInt8(id.count)); w.bytes += id
        w.u8(UInt8(layers))
        if let cs = channelSteps { for s in cs { w.f32(s) } }
        switch pca {
        case .none: break
        case .image:
            for m in mean { w.f32(m) }
            w.u8(UInt8(basisBits))
            var acc: UInt64 = 0, n = 0
            let mask = (UInt64(1) << UInt64(basisBits)) - 1
            for c in basisCodes {  // bit-packed two's complement, LSB first
                acc |= (UInt64(bitPattern: Int64(c)) & mask) << UInt64(n)
                n += basisBits
                while n >= 8 { w.u8(UInt8(acc & 0xFF)); acc >>= 8; n -= 8 }
            }
            if n > 0 { w.u8(UInt8(acc)) }
        case .fixed: w.u64(fixedHash)
        }
        if let fs = filterStrengths { w.bytes += fs }
        w.crc(from: 0)
        return w.bytes
    }

    /// Parses and validates a header; on return `reader.offset` is the first byte after the header CRC. Variable
    /// arrays are read only after checking that the data holds them, so nothing is allocated beyond the data's size.
    /// - Parameter maxPixels: guard for both the image size and the latent element count.
    public static func parse(_ r: inout ByteReader, maxPixels: Int) throws(SLICError) -> LatentHeader {
        var h = LatentHeader()
        let m = try r.bytes(4, "magic")
        guard Array(m) == magic else { throw .corrupt("not a swiftlic latent stream: bad magic \(Array(m))") }
        let version = try r.u8("version")
        guard version == LatentHeader.version else {
            throw SLICError(.unsupportedVersion, "latent stream version \(version), this library reads \(LatentHeader.version)")
        }
        let flags = try r.u8("flags")
        guard flags & ~(flagChannelSteps | flagFilterStrengths) == 0 else { throw .corrupt("unknown header flags \(flags)") }
        h.colorMode = try r.u8("colour mode")
        guard h.colorMode <= 3 else { throw .corrupt("colour mode \(h.colorMode) is not 0…3") }
        let pcaRaw = try r.u8("PCA mode")
        guard let pca = PCAMode(rawValue: pcaRaw) else { throw .corrupt("PCA mode \(pcaRaw) is not 0…2") }
        h.pca = pca
        h.imageHeight = Int(try r.u32("image height")); h.imageWidth = Int(try r.u32("image width"))
        h.channels = Int(try r.u16("channels")); h.height = Int(try r.u32("height")); h.width = Int(try r.u32("width"))
        guard h.channels >= 1 && h.channels <= maxChannels && h.height >= 1 && h.width >= 1 else {
            throw .corrupt("latent shape \(h.channels)×\(h.height)×\(h.width) is not within 1…\(maxChannels)×1…×1…")
        }
        h.bits = Int(try r.u8("quantizer bits"))
        guard h.bits >= 1 && h.bits <= 24 else { throw .corrupt("quantizer bits \(h.bits) not in 1…24") }
        h.step = try r.f32("step")
        guard h.step.isFinite && h.step > 0 else { throw .corrupt("quantizer step \(h.step) is not finite and > 0") }
        h.modelHash = try r.u64("model hash")
        let idLength = Int(try r.u8("model id length"))
        let id = try r.bytes(idLength, "model id")
        guard let text = String(validating: id, as: UTF8.self) else { throw .corrupt("model id is not UTF-8") }
        h.modelID = text
        h.layers = Int(try r.u8("layer count"))
        let c = h.channels
        if flags & flagChannelSteps != 0 {
            try r.need(4 * c, "channel steps")
            var cs = [Float]()
            for k in 0..<c {
                let s = try r.f32("channel steps")
                guard s.isFinite && s > 0 else { throw .corrupt("channel \(k) step \(s) is not finite and > 0") }
                cs.append(s)
            }
            h.channelSteps = cs
        }
        if pca != .none && c > maxPCAChannels {
            throw .corrupt("PCA mode \(pca.rawValue) with \(c) channels, at most \(maxPCAChannels)")
        }
        switch pca {
        case .none: break
        case .image:
            try r.need(4 * c + 1, "PCA mean")
            for _ in 0..<c {
                let v = try r.f32("PCA mean")
                guard v.isFinite else { throw .corrupt("PCA mean \(v) is not finite") }
                h.mean.append(v)
            }
            h.basisBits = Int(try r.u8("PCA basis bits"))
            guard h.basisBits >= 2 && h.basisBits <= 16 else { throw .corrupt("PCA basis bits \(h.basisBits) not in 2…16") }
            let packed = try r.bytes((c * c * h.basisBits + 7) / 8, "PCA basis")
            var acc: UInt64 = 0, n = 0, at = 0
            let mask = (UInt64(1) << UInt64(h.basisBits)) - 1, signBit = UInt64(1) << UInt64(h.basisBits - 1)
            h.basisCodes.reserveCapacity(c * c)
            for _ in 0..<(c * c) {
                while n < h.basisBits { acc |= UInt64(packed[at]) << UInt64(n); at += 1; n += 8 }
                let raw = acc & mask
                acc >>= UInt64(h.basisBits); n -= h.basisBits
                h.basisCodes.append(Int32(raw & signBit != 0 ? Int64(raw) - Int64(mask) - 1 : Int64(raw)))
            }
        case .fixed: h.fixedHash = try r.u64("fixed PCA hash")
        }
        if flags & flagFilterStrengths != 0 {
            guard h.layers >= 1 else { throw .corrupt("post-filter strengths in a stream of 0 layers") }
            h.filterStrengths = Array(try r.bytes(h.layers, "post-filter strengths"))
        }
        try r.checkCRC(from: 0, "header")
        // Guards come after the CRC so damage reads as corruption; everything read so far was bounded by the data.
        if h.imageWidth > 0 && h.imageHeight > maxPixels / h.imageWidth {
            throw SLICError(.limitExceeded, "image of \(h.imageHeight)×\(h.imageWidth) pixels exceeds max_pixels \(maxPixels)")
        }
        if h.height > maxPixels / h.channels / h.width {
            throw SLICError(.limitExceeded, "latent of \(h.channels)×\(h.height)×\(h.width) elements exceeds max_pixels \(maxPixels)")
        }
        return h
    }
}
