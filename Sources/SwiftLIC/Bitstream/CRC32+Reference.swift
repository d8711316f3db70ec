// The reference twin of CRC32.checksum: one table, one byte per step (zlib's classic loop).

extension CRC32 {
    static func bytewise(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes { c = tables[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
}
