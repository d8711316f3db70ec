/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, initial and final XOR 0xFFFFFFFF): zlib's `crc32`.
/// Detects every single-bit flip and every burst up to 32 bits. Slicing-by-8 (eight bytes per step through eight
/// 256-entry tables); `CRC32.bytewise` (CRC32+Reference.swift) is the one-table twin it is tested against.
public enum CRC32 {
    /// Table k maps a byte to the CRC of that byte followed by k zero bytes; table 0 is the classic one.
    static let tables: [UInt32] = {
        var t = [UInt32](repeating: 0, count: 8 * 256)
        for n in 0..<256 {
            var c = UInt32(n)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            t[n] = c
        }
        for k in 1..<8 {
            for n in 0..<256 {
                let prev = t[(k - 1) * 256 + n]
                t[k * 256 + n] = (prev >> 8) ^ t[Int(prev & 0xFF)]
            }
        }
        return t
    }()

    public static func checksum(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        guard let base = bytes.baseAddress else { return 0 }
        var c: UInt32 = 0xFFFF_FFFF
        tables.withUnsafeBufferPointer { t in
            let t = t.baseAddress!
            @inline(__always) func le32(_ p: UnsafePointer<UInt8>) -> UInt32 {
                UInt32(p[0]) | UInt32(p[1]) << 8 | UInt32(p[2]) << 16 | UInt32(p[3]) << 24
            }
            var p = base, left = bytes.count
            while left >= 8 {
                let a = c ^ le32(p), b = le32(p + 4)
                c = t[7 * 256 + Int(a & 0xFF)] ^ t[6 * 256 + Int(a >> 8 & 0xFF)]
                    ^ t[5 * 256 + Int(a >> 16 & 0xFF)] ^ t[4 * 256 + Int(a >> 24)]
                    ^ t[3 * 256 + Int(b & 0xFF)] ^ t[2 * 256 + Int(b >> 8 & 0xFF)]
                    ^ t[1 * 256 + Int(b >> 16 & 0xFF)] ^ t[Int(b >> 24)]
                p += 8
                left -= 8
            }
            while left > 0 {
                c = t[Int((c ^ UInt32(p[0])) & 0xFF)] ^ (c >> 8)
                p += 1
                left -= 1
            }
        }
        return c ^ 0xFFFF_FFFF
    }

    public static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        bytes.withUnsafeBufferPointer { checksum($0) }
    }
}
