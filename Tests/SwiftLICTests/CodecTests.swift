import XCTest
@testable import SwiftLIC

final class CodecTests: XCTestCase {
    func latent(_ c: Int, _ h: Int, _ w: Int, seed: UInt64, scale: Float = 0.05) -> [Float] {
        var rng = SplitMix64(seed: seed)
        // Shared structure across channels plus noise, so PCA has work to do.
        let base = rng.floats(h * w)
        return (0..<(c * h * w)).map { i in (base[i % (h * w)] * Float(i / (h * w) + 1) + rng.float() * 0.3) * scale }
    }

    func encode(_ y: [Float], _ c: Int, _ h: Int, _ w: Int, _ o: LatentCodec.EncodeOptions) throws -> [UInt8] {
        try y.withUnsafeBufferPointer { try LatentCodec.encode($0, channels: c, height: h, width: w, options: o) }
    }

    func decode(_ data: [UInt8], count: Int, _ o: LatentCodec.DecodeOptions = .init()) throws -> [Float] {
        var out = [Float](repeating: .nan, count: count)
        try data.withUnsafeBufferPointer { d in
            try out.withUnsafeMutableBufferPointer { try LatentCodec.decode(d, options: o, into: $0) }
        }
        return out
    }

    func testFullRateIsTheQuantizerExactly() throws {
        let (c, h, w) = (5, 9, 7)
        let y = latent(c, h, w, seed: 1)
        var o = LatentCodec.EncodeOptions()
        o.bits = 10
        o.channelSteps = [1, 0.5, 2, 3, 0.25]
        let q = try Quantizer(bits: 10, channelSteps: o.channelSteps)
        var qi = [Int32](repeating: 0, count: y.count), expected = [Float](repeating: 0, count: y.count)
        try y.withUnsafeBufferPointer { yb in
            try qi.withUnsafeMutableBufferPointer { try q.quantize(yb, channels: c, count: h * w, into: $0) }
        }
        qi.withUnsafeBufferPointer { qb in
            expected.withUnsafeMutableBufferPointer { q.dequantize(qb, channels: c, count: h * w, into: $0) }
        }
        let got = try decode(try encode(y, c, h, w, o), count: y.count)
        XCTAssertEqual(got, expected)
    }

    /// A full-rate encode skips the passes' distortion sums (nothing to allocate); its bytes are those of an encode
    /// that measures them and allocates every pass (a target beyond the full size), targeted or exhaustive.
    func testFullRateWithoutDistortionIsTheMeasuredEncode() throws {
        let (c, h, w) = (6, 21, 19)
        let y = latent(c, h, w, seed: 3, scale: 0.2)
        var o = LatentCodec.EncodeOptions()
        o.bits = 12
        let full = try encode(y, c, h, w, o)
        o.targetBytes = 1 << 30
        XCTAssertEqual(try encode(y, c, h, w, o), full)
        o.exhaustive = true
        XCTAssertEqual(try encode(y, c, h, w, o), full)
    }

    func testPCAModesRoundTrip() throws {
        let (c, h, w) = (6, 8, 8)
        let y = latent(c, h, w, seed: 2)
        var o = LatentCodec.EncodeOptions()
        o.pca = .image
        let plain = try encode(y, c, h, w, LatentCodec.EncodeOptions())
        let rotated = try encode(y, c, h, w, o)
        for (a, b) in zip(try decode(rotated, count: y.count), y) { XCTAssertEqual(a, b, accuracy: 2e-3) }
        XCTAssertLessThan(rotated.count, plain.count + 36 + 4 * c)  // side information is counted in the stream

        o.pca = .fixed
        var identity = [Float](repeating: 0, count: c * c)
        for k in 0..<c { identity[k * c + k] = 1 }
        o.fixedBasis = identity
        o.fixedMean = [Float](repeating: 0, count: c)
        let fixed = try encode(y, c, h, w, o)
        var d = LatentCodec.DecodeOptions()
        d.fixedBasis = identity
        d.fixedMean = o.fixedMean
        XCTAssertEqual(try decode(fixed, count: y.count, d), try decode(plain, count: y.count))
        d.fixedMean = [Float](repeating: 1, count: c)
        XCTAssertThrowsError(try decode(fixed, count: y.count, d)) { XCTAssertEqual(($0 as? SLICError)?.status, .modelMismatch) }
    }

    func testSameBytesForAnyThreadCount() throws {
        let (c, h, w) = (9, 11, 6)
        let y = latent(c, h, w, seed: 3)
        var o = LatentCodec.EncodeOptions()
        o.pca = .image
        o.targetBytes = 400
        o.layers = 4
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        var streams: [[UInt8]] = [], decodes: [[Float]] = []
        for t in [1, 2, 4] {
            Parallel.threadCount = t
            streams.append(try encode(y, c, h, w, o))
            decodes.append(try decode(streams[streams.count - 1], count: y.count))
        }
        XCTAssertEqual(streams[0], streams[1])
        XCTAssertEqual(streams[0], streams[2])
        XCTAssertEqual(decodes[0], decodes[2])
        XCTAssertLessThanOrEqual(streams[0].count, 400)
    }

    /// The rate-targeted encoder (blocks coded in rounds, only as deep as allocation reaches) against its obvious
    /// twin that codes every segment first, on latents with very different energies per channel, several targets
    /// and layer counts: the same budget kept, mostly the same segments allocated, and never more than a little
    /// more distortion. (It is an approximation of PCRD: a block stops where allocation leaves part of its hull
    /// out, and a later segment could have had a steeper slope. On the 24 Kodak wavelet latents at 0.125–2 bpp
    /// the distortion ratio was ×1.0004–1.0012 on average and ×1.011 at worst.)
    func testTargetedEncodeMatchesExhaustive() throws {
        var same = 0, ratios: [Double] = []
        for (c, h, w, seed) in [(6, 16, 16, 11), (12, 9, 23, 12), (3, 40, 33, 13), (4, 64, 48, 14)] {
            var y = latent(c, h, w, seed: UInt64(seed), scale: 0.2)
            for i in y.indices { y[i] *= Float(1 << (i / (h * w) % 4)) }  // channel energies 1…64×
            let steps = (0..<c).map { Float(1 + $0 % 3) / 2 }
            var plain = LatentCodec.EncodeOptions()
            plain.channelSteps = steps
            let full = try encode(y, c, h, w, plain).count
            for fraction in [0.02, 0.1, 0.3, 0.7, 1.5] {
                for layers in [1, 3] {
                    var o = plain
                    o.layers = layers
                    o.targetBytes = 1
                    let smallest = try encode(y, c, h, w, o).count  // header and empty layers
                    o.targetBytes = max(smallest + 8, Int(Double(full) * fraction))
                    let targeted = try encode(y, c, h, w, o)
                    o.exhaustive = true
                    let exhaustive = try encode(y, c, h, w, o)
                    XCTAssertLessThanOrEqual(targeted.count, o.targetBytes!)
                    XCTAssertGreaterThan(Double(targeted.count), 0.95 * Double(exhaustive.count))
                    let a = try decode(targeted, count: y.count), b = try decode(exhaustive, count: y.count)
                    func error(_ d: [Float]) -> Double {
                        zip(d, y).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
                    }
                    let ratio = (error(a) + 1e-12) / (error(b) + 1e-12)
                    XCTAssertLessThanOrEqual(ratio, 1.03, "\(c)×\(h)×\(w) \(fraction) \(layers)")
                    ratios.append(ratio)
                    if a == b { same += 1 }
                }
            }
        }
        XCTAssertLessThanOrEqual(ratios.reduce(0, +) / Double(ratios.count), 1.003, "\(ratios)")
        XCTAssertGreaterThanOrEqual(same, ratios.count * 2 / 3, "targeted and exhaustive decodes mostly identical")
    }

    /// Blocks of at most 12 rows have fewer stripes than a pass has segments, so some segments are empty (no
    /// bytes, no distortion decrease), as are segments where nothing becomes significant: the targeted encoder
    /// must not stop a block there (they end its hull as a zero-slope step), so it stays as good as PCRD over
    /// every segment.
    func testSegmentsWithoutGainDoNotStopABlock() throws {
        for (c, h, w) in [(6, 4, 40), (5, 2, 64), (4, 8, 30), (4, 11, 17)] {
            var y = latent(c, h, w, seed: UInt64(h * 100 + w), scale: 0.3)
            for i in y.indices { y[i] *= Float(1 << (i / (h * w) % 3)) }
            let full = try encode(y, c, h, w, LatentCodec.EncodeOptions()).count
            for fraction in [0.3, 0.6, 0.9] {
                var o = LatentCodec.EncodeOptions()
                o.targetBytes = Int(Double(full) * fraction)
                let targeted = try encode(y, c, h, w, o)
                o.exhaustive = true
                let exhaustive = try encode(y, c, h, w, o)
                let a = try decode(targeted, count: y.count), b = try decode(exhaustive, count: y.count)
                func error(_ d: [Float]) -> Double {
                    zip(d, y).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
                }
                XCTAssertLessThanOrEqual(error(a), error(b) * 1.03 + 1e-12, "\(c)×\(h)×\(w) at \(fraction)")
                XCTAssertGreaterThan(Double(targeted.count), 0.95 * Double(exhaustive.count))
            }
        }
    }

    /// Every truncation decodes only at a layer boundary; every single-bit flip is rejected.
    func testCorruptionNeverDecodesSilently() throws {
        let (c, h, w) = (2, 5, 4)
        let y = latent(c, h, w, seed: 4)
        var o = LatentCodec.EncodeOptions()
        o.bits = 8
        o.layers = 3
        o.targetBytes = 120
        o.pca = .image
        o.basisBits = 5
        o.filterStrengths = [7, 0, 255]
        let data = try encode(y, c, h, w, o)
        let layout = try data.withUnsafeBufferPointer { try LatentCodec.layout($0, maxPixels: 1 << 20) }
        let legal = Set(layout.layerEnds + [layout.headerBytes])
        for n in 0..<data.count {
            do {
                _ = try decode(Array(data[0..<n]), count: y.count)
                XCTAssertTrue(legal.contains(n), "a prefix of \(n) bytes decoded")
            } catch let e as SLICError {
                XCTAssertEqual(e.status, .corruptStream, "prefix \(n): \(e)")
            }
        }
        for i in 0..<data.count {
            for b in 0..<8 {
                var damaged = data
                damaged[i] ^= 1 << b
                XCTAssertThrowsError(try decode(damaged, count: y.count), "flip \(i):\(b)") {
                    let s = ($0 as? SLICError)?.status
                    XCTAssertTrue(s == .corruptStream || s == .unsupportedVersion, "flip \(i):\(b) gave \(String(describing: s))")
                }
            }
        }
    }

    /// Crafted streams: random byte changes with every CRC recomputed, so the structural checks behind the CRCs
    /// are what stands between the data and the decoder. Any outcome but a trap is acceptable.
    func testCraftedStreamsWithValidCRCsNeverTrap() throws {
        let (c, h, w) = (3, 6, 5)
        let y = latent(c, h, w, seed: 6)
        var o = LatentCodec.EncodeOptions()
        o.layers = 3
        o.targetBytes = 200
        o.pca = .image
        o.basisBits = 4
        o.filterStrengths = [1, 2, 3]
        let data = try encode(y, c, h, w, o)
        let lay = try data.withUnsafeBufferPointer { try LatentCodec.layout($0, maxPixels: 1 << 20) }
        let sections = zip([0] + [lay.headerBytes] + lay.layerEnds.dropLast(), [lay.headerBytes] + lay.layerEnds)
            .map { $0..<$1 }
        var rng = SplitMix64(seed: 99)
        var decoded = 0
        for trial in 0..<3000 {
            var d = data
            let section = sections[trial % sections.count]
            for _ in 0..<(1 + Int(rng.next() % 3)) {
                let i = section.lowerBound + Int(rng.next() % UInt64(section.count - 4))
                if i < 5 { continue }  // keep magic and version so parsing goes deep
                d[i] = rng.next() % 2 == 0 ? UInt8(truncatingIfNeeded: rng.next()) : d[i] ^ 1 << (rng.next() % 8)
            }
            let crc = d.withUnsafeBufferPointer { CRC32.checksum(UnsafeBufferPointer(rebasing: $0[section.lowerBound..<section.upperBound - 4])) }
            for k in 0..<4 { d[section.upperBound - 4 + k] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(k))) }
            var out = [Float](repeating: 0, count: y.count)
            do {
                try d.withUnsafeBufferPointer { buf in
                    try out.withUnsafeMutableBufferPointer {
                        var opt = LatentCodec.DecodeOptions()
                        opt.maxPixels = 1 << 16
                        try LatentCodec.decode(buf, options: opt, into: $0)
                    }
                }
                decoded += 1
            } catch let e as SLICError {
                XCTAssertNotEqual(e.status, .internalError)
            }
        }
        XCTAssertGreaterThan(decoded, 0)
    }

    /// Post-filter strengths: one header byte per layer, covered by the header CRC; the layers of a full-rate
    /// stream are those of the same encode without them, and a stream cut after layer k still carries all of them
    /// (the decoder picks k's).
    func testFilterStrengthsRideInTheHeader() throws {
        let (c, h, w) = (3, 8, 6)
        let y = latent(c, h, w, seed: 8)
        func layout(_ d: [UInt8]) throws -> LatentCodec.Layout {
            try d.withUnsafeBufferPointer { try LatentCodec.layout($0, maxPixels: 1 << 20) }
        }
        var o = LatentCodec.EncodeOptions()
        let plain = try encode(y, c, h, w, o)
        o.filterStrengths = [200]
        let data = try encode(y, c, h, w, o)
        let (a, b) = (try layout(plain), try layout(data))
        XCTAssertNil(a.header.filterStrengths)
        XCTAssertEqual(b.header.filterStrengths, [200])
        XCTAssertEqual(b.headerBytes, a.headerBytes + 1)
        XCTAssertEqual(Array(data[b.headerBytes...]), Array(plain[a.headerBytes...]))
        XCTAssertEqual(try decode(data, count: y.count), try decode(plain, count: y.count))

        o.layers = 2
        o.filterStrengths = [9, 17]
        let layered = try layout(try encode(y, c, h, w, o))
        XCTAssertEqual(layered.header.filterStrengths, [9, 17])
        let cut = try layout(Array(try encode(y, c, h, w, o)[0..<layered.layerEnds[0]]))
        XCTAssertEqual(cut.header.filterStrengths, [9, 17])
        XCTAssertEqual(cut.layerEnds.count, 1)
        o.filterStrengths = [1]
        XCTAssertThrowsError(try encode(y, c, h, w, o)) { XCTAssertEqual(($0 as? SLICError)?.status, .invalidArgument) }
    }

    func testGuardsAndValidation() throws {
        let y = latent(1, 4, 4, seed: 5)
        var o = LatentCodec.EncodeOptions()
        o.imageHeight = 32
        o.imageWidth = 32
        let data = try encode(y, 1, 4, 4, o)
        var d = LatentCodec.DecodeOptions()
        d.maxPixels = 1000
        XCTAssertThrowsError(try decode(data, count: 16, d)) { XCTAssertEqual(($0 as? SLICError)?.status, .limitExceeded) }
        XCTAssertThrowsError(try decode(data, count: 15)) { XCTAssertEqual(($0 as? SLICError)?.status, .invalidArgument) }
        o.bits = 0
        XCTAssertThrowsError(try encode(y, 1, 4, 4, o))
        o.bits = 12
        XCTAssertThrowsError(try encode(y, 2, 4, 4, o))  // wrong element count
        var bad = y
        bad[3] = .infinity
        XCTAssertThrowsError(try encode(bad, 1, 4, 4, o))
    }

    func testFastQuantizerMatchesReference() throws {
        var rng = SplitMix64(seed: 17)
        let q = try Quantizer(bits: 12, step: 0.75, channelSteps: [1, 3.5, 1e-6])
        // Halfway cases, both sides of the fast path's 2^22 limit, saturation, signed zeros, odd length.
        var z: [Float] = [0, -0, 0.5, -0.5, 1.5, -2.5, 4_194_303.5, -4_194_304, 4_194_305, 1e30, -1e30]
        for _ in 0..<1001 {
            let u = Float(Int64(rng.next() % 2_000_001) - 1_000_000) / 1000
            z.append(rng.next() % 4 == 0 ? u.rounded() / q.scale(0) + 0.5 / q.scale(0) : u)
        }
        for c in 0..<3 {
            var fast = [Int32](repeating: 7, count: z.count)
            try z.withUnsafeBufferPointer { zb in
                try fast.withUnsafeMutableBufferPointer { try q.quantize(channel: c, zb, into: $0) }
            }
            XCTAssertEqual(fast, q.quantizeReference(channel: c, z), "channel \(c)")
        }
        var out = [Int32](repeating: 0, count: 3)
        XCTAssertThrowsError(try [Float(1), .nan, 2].withUnsafeBufferPointer { zb in
            try out.withUnsafeMutableBufferPointer { try q.quantize(channel: 0, zb, into: $0) }
        })
    }
}
