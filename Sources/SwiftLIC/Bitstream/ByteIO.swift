/// Little-endian byte writer for the container.
public struct ByteWriter {
    public var bytes: [UInt8] = []
    public init() {}

    public mutating func u8(_ v: UInt8) { bytes.append(v) }
    public mutating func u16(_ v: UInt16) { for i in 0..<2 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * i))) } }
    public mutating func u32(_ v: UInt32) { for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * i))) } }
    public mutating func u64(_ v: UInt64) { for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * i))) } }
    public mutating func f32(_ v: Float) { u32(v.bitPattern) }
    /// LEB128 unsigned varint.
    public mutating func varint(_ v: Int) {
        var x = UInt64(v)
        while x >= 0x80 { bytes.append(UInt8(x & 0x7F) | 0x80); x >>= 7 }
        bytes.append(UInt8(x))
    }
    public static func varintSize(_ v: Int) -> Int {
        var n = 1, x = UInt64(v)
        while x >= 0x80 { n += 1; x >>= 7 }
        return n
    }
    /// Appends the CRC-32 of bytes[from...].
    public mutating func crc(from start: Int) { u32(CRC32.checksum(bytes[start...])) }
}

/// Bounds-checked little-endian reader: every read past the end throws `corruptStream` naming `what`.
public struct ByteReader {
    public let data: UnsafeBufferPointer<UInt8>
    public var offset: Int = 0
    public init(_ data: UnsafeBufferPointer<UInt8>) { self.data = data }

    public var remaining: Int { data.count - offset }

    public mutating func need(_ n: Int, _ what: String) throws(SLICError) {
        if n < 0 || n > remaining {
            throw .corrupt("stream ends inside \(what): needs \(n) bytes at offset \(offset), \(remaining) left")
        }
    }
    public mutating func u8(_ what: String) throws(SLICError) -> UInt8 {
        try need(1, what)
        defer { offset += 1 }
        return data[offset]
    }
    private mutating func le(_ n: Int, _ what: String) throws(SLICError) -> UInt64 {
        try need(n, what)
        var v: UInt64 = 0
        for i in 0..<n { v |= UInt64(data[offset + i]) << (8 * i) }
        offset += n
        return v
    }
    public mutating func u16(_ what: String) throws(SLICError) -> UInt16 { UInt16(try le(2, what)) }
    public mutating func u32(_ what: String) throws(SLICError) -> UInt32 { UInt32(try le(4, what)) }
    public mutating func u64(_ what: String) throws(SLICError) -> UInt64 { try le(8, what) }
    public mutating func f32(_ what: String) throws(SLICError) -> Float { Float(bitPattern: try u32(what)) }
    public mutating func bytes(_ n: Int, _ what: String) throws(SLICError) -> UnsafeBufferPointer<UInt8> {
        try need(n, what)
        defer { offset += n }
        return UnsafeBufferPointer(rebasing: data[offset..<offset + n])
    }
    /// LEB128 varint of at most 5 bytes (values < 2^35), minimal encoding not required.
    public mutating func varint(_ what: String) throws(SLICError) -> Int {
        var v = 0
        for i in 0..<5 {
            let b = try u8(what)
            v |= Int(b & 0x7F) << (7 * i)
            if b & 0x80 == 0 { return v }
        }
        throw .corrupt("\(what): varint longer than 5 bytes at offset \(offset)")
    }
    /// Checks the CRC-32 stored next against data[start..<offset].
    public mutating func checkCRC(from start: Int, _ what: String) throws(SLICError) {
        let expected = CRC32.checksum(UnsafeBufferPointer(rebasing: data[start..<offset]))
        let stored = try u32("\(what) CRC")
        if stored != expected {
            throw .corrupt("\(what): CRC-32 mismatch (stored \(stored), computed \(expected))")
        }
    }
}
