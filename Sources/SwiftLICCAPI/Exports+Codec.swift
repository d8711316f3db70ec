// Exports of the latent codec (include/swiftlic.h, "latent codec"). Thin: validate, call LatentCodec, copy out.
import SwiftLIC

private func optionalFloats(_ p: UnsafePointer<Float>?, _ count: Int64, _ name: String) throws(SLICError) -> [Float]? {
    if count == 0 { return nil }
    return Array(try buffer(p, count, name))
}

private func limit(_ maxPixels: Int64) -> Int { maxPixels > 0 ? Int(maxPixels) : LatentCodec.DecodeOptions().maxPixels }

@_cdecl("slic_latent_encode_bound")
public func slic_latent_encode_bound(_ c: Int64, _ h: Int64, _ w: Int64, _ layers: Int32, _ idBytes: Int64) -> Int64 {
    guard c >= 1, c <= Int64(LatentHeader.maxChannels), h >= 1, w >= 1, idBytes >= 0, idBytes <= 255,
          h <= (Int64(1) << 40) / w / c else { return -1 }
    return Int64(LatentCodec.encodeBound(channels: Int(c), height: Int(h), width: Int(w), layers: Int(max(layers, 1)),
                                         modelIDBytes: Int(idBytes)))
}

@_cdecl("slic_latent_encode")
public func slic_latent_encode(_ y: UnsafePointer<Float>?, _ yCount: Int64, _ c: Int64, _ h: Int64, _ w: Int64,
                               _ bits: Int32, _ step: Float,
                               _ channelSteps: UnsafePointer<Float>?, _ channelStepsCount: Int64,
                               _ targetBytes: Int64, _ layers: Int32, _ pcaMode: Int32, _ basisBits: Int32,
                               _ fixedBasis: UnsafePointer<Float>?, _ fixedBasisCount: Int64,
                               _ fixedMean: UnsafePointer<Float>?, _ fixedMeanCount: Int64,
                               _ modelID: UnsafePointer<UInt8>?, _ modelIDBytes: Int64, _ modelHash: UInt64,
                               _ imageHeight: Int64, _ imageWidth: Int64, _ colorMode: Int32,
                               _ filterStrengths: UnsafePointer<UInt8>?, _ filterStrengthsCount: Int64, _ flags: Int32,
                               _ out: UnsafeMutablePointer<UInt8>?, _ outCapacity: Int64,
                               _ written: UnsafeMutablePointer<Int64>?) -> Int32 {
    guarded { () throws(SLICError) in
        try require(written != nil, "latent encode: null `written` pointer")
        try require(c >= 1 && h >= 1 && w >= 1 && c <= Int64(LatentHeader.maxChannels) && h <= (Int64(1) << 40) / w / c,
                    "latent encode: expected a positive shape of at most 2^40 elements, got \(c)×\(h)×\(w)")
        try require(targetBytes >= 0, "target_bytes: expected ≥ 0 (0: full rate), got \(targetBytes)")
        guard let mode = LatentHeader.PCAMode(rawValue: UInt8(clamping: max(0, pcaMode))), pcaMode >= 0 else {
            throw .invalid("pca: expected mode 0 (none), 1 (per image) or 2 (fixed), got \(pcaMode)")
        }
        try require(modelIDBytes >= 0 && modelIDBytes <= 255, "model_id: expected at most 255 bytes, got \(modelIDBytes)")
        let idBytes = try buffer(modelID, modelIDBytes, "model_id")
        guard let id = String(validating: idBytes, as: UTF8.self) else { throw .invalid("model_id: expected UTF-8 text") }
        try require(colorMode >= 0 && colorMode <= 3, "color_mode: expected 0…3, got \(colorMode)")
        var o = LatentCodec.EncodeOptions()
        o.bits = Int(bits); o.step = step
        o.channelSteps = try optionalFloats(channelSteps, channelStepsCount, "channel_steps")
        o.targetBytes = targetBytes == 0 ? nil : Int(targetBytes)
        o.layers = Int(layers); o.pca = mode; o.basisBits = Int(basisBits)
        o.fixedBasis = try optionalFloats(fixedBasis, fixedBasisCount, "fixed_basis")
        o.fixedMean = try optionalFloats(fixedMean, fixedMeanCount, "fixed_mean")
        o.modelID = id; o.modelHash = modelHash
        o.imageHeight = Int(imageHeight); o.imageWidth = Int(imageWidth); o.colorMode = UInt8(colorMode)
        if filterStrengthsCount != 0 {
            o.filterStrengths = Array(try buffer(filterStrengths, filterStrengthsCount, "filter_strengths"))
        }
        try require(flags & ~1 == 0, "latent encode: unknown flags \(flags) (known: 1 = exhaustive)")
        o.exhaustive = flags & 1 != 0
        let stream = try LatentCodec.encode(try buffer(y, yCount, "y"), channels: Int(c), height: Int(h), width: Int(w),
                                            options: o)
        let dst = try mutableBuffer(out, outCapacity, "out")
        written!.pointee = Int64(stream.count)
        guard stream.count <= dst.count else {
            throw SLICError(.bufferTooSmall, "out: stream needs \(stream.count) bytes, buffer holds \(dst.count)")
        }
        _ = UnsafeMutableBufferPointer(rebasing: dst[0..<stream.count]).initialize(from: stream)
    }
}

/// info[] layout: see SLIC_LATENT_INFO_* in include/swiftlic.h.
@_cdecl("slic_latent_read_header")
public func slic_latent_read_header(_ data: UnsafePointer<UInt8>?, _ count: Int64, _ maxPixels: Int64,
                                    _ info: UnsafeMutablePointer<Int64>?, _ infoCount: Int64,
                                    _ modelID: UnsafeMutablePointer<UInt8>?, _ modelIDCapacity: Int64) -> Int32 {
    guarded { () throws(SLICError) in
        let out = try mutableBuffer(info, infoCount, "info")
        try require(out.count >= 19, "info: expected room for 19 values, got \(out.count)")
        let lay = try LatentCodec.layout(try buffer(data, count, "data"), maxPixels: limit(maxPixels))
        let h = lay.header
        let id = Array(h.modelID.utf8)
        let values: [Int64] = [
            Int64(LatentHeader.version), Int64(h.imageHeight), Int64(h.imageWidth), Int64(h.colorMode),
            Int64(h.channels), Int64(h.height), Int64(h.width), Int64(h.bits), Int64(h.step.bitPattern),
            Int64(h.pca.rawValue), Int64(h.layers), Int64(lay.layerEnds.count), Int64(bitPattern: h.modelHash),
            h.channelSteps == nil ? 0 : 1, Int64(h.basisBits), Int64(lay.headerBytes),
            Int64(lay.layerEnds.last ?? lay.headerBytes), Int64(id.count), h.filterStrengths == nil ? 0 : 1,
        ]
        for (i, v) in values.enumerated() { out[i] = v }
        let idOut = try mutableBuffer(modelID, modelIDCapacity, "model_id")
        try require(idOut.count >= id.count, "model_id: expected room for \(id.count) bytes, got \(idOut.count)")
        for (i, b) in id.enumerated() { idOut[i] = b }
    }
}

/// Copies an array the header holds (chosen by `select`, which may throw) into the caller's `count` elements.
private func copyHeaderArray<T>(_ data: UnsafePointer<UInt8>?, _ count: Int64, _ maxPixels: Int64,
                                _ out: UnsafeMutablePointer<T>?, _ outCount: Int64,
                                _ select: (LatentHeader) throws(SLICError) -> [T]) -> Int32 {
    guarded { () throws(SLICError) in
        var r = ByteReader(try buffer(data, count, "data"))
        let values = try select(try LatentHeader.parse(&r, maxPixels: limit(maxPixels)))
        let dst = try mutableBuffer(out, outCount, "out")
        try require(dst.count == values.count, "out: expected \(values.count) values, got \(dst.count)")
        for (i, v) in values.enumerated() { dst[i] = v }
    }
}

@_cdecl("slic_latent_channel_steps")
public func slic_latent_channel_steps(_ data: UnsafePointer<UInt8>?, _ count: Int64, _ maxPixels: Int64,
                                      _ out: UnsafeMutablePointer<Float>?, _ outCount: Int64) -> Int32 {
    copyHeaderArray(data, count, maxPixels, out, outCount) { h in
        h.channelSteps ?? [Float](repeating: 1, count: h.channels)
    }
}

@_cdecl("slic_latent_filter_strengths")
public func slic_latent_filter_strengths(_ data: UnsafePointer<UInt8>?, _ count: Int64, _ maxPixels: Int64,
                                         _ out: UnsafeMutablePointer<UInt8>?, _ outCount: Int64) -> Int32 {
    copyHeaderArray(data, count, maxPixels, out, outCount) { h throws(SLICError) in
        guard let strengths = h.filterStrengths else { throw .invalid("the stream has no post-filter strengths") }
        return strengths
    }
}

@_cdecl("slic_latent_decode")
public func slic_latent_decode(_ data: UnsafePointer<UInt8>?, _ count: Int64, _ maxPixels: Int64,
                               _ checkModelHash: Int32, _ modelHash: UInt64,
                               _ fixedBasis: UnsafePointer<Float>?, _ fixedBasisCount: Int64,
                               _ fixedMean: UnsafePointer<Float>?, _ fixedMeanCount: Int64,
                               _ out: UnsafeMutablePointer<Float>?, _ outCount: Int64) -> Int32 {
    guarded { () throws(SLICError) in
        var o = LatentCodec.DecodeOptions()
        o.maxPixels = limit(maxPixels)
        o.expectedModelHash = checkModelHash != 0 ? modelHash : nil
        o.fixedBasis = try optionalFloats(fixedBasis, fixedBasisCount, "fixed_basis")
        o.fixedMean = try optionalFloats(fixedMean, fixedMeanCount, "fixed_mean")
        try LatentCodec.decode(try buffer(data, count, "data"), options: o, into: try mutableBuffer(out, outCount, "out"))
    }
}

@_cdecl("slic_latent_truncate_length")
public func slic_latent_truncate_length(_ data: UnsafePointer<UInt8>?, _ count: Int64, _ targetBytes: Int64,
                                        _ maxPixels: Int64, _ length: UnsafeMutablePointer<Int64>?) -> Int32 {
    guarded { () throws(SLICError) in
        try require(length != nil, "truncate: null `length` pointer")
        length!.pointee = Int64(try LatentCodec.truncatedLength(try buffer(data, count, "data"),
                                                                targetBytes: Int(targetBytes),
                                                                maxPixels: limit(maxPixels)))
    }
}
