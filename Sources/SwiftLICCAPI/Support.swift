// The plumbing every export shares: the per-thread detail message, status mapping and Swift-owned buffers.
// No export holds a pointer after it returns; no Swift error crosses the boundary.
import SwiftLIC
#if canImport(Glibc)
import Glibc
#endif

/// Version of the C ABI in include/swiftlic.h; bump on any incompatible change (python/swiftlic checks it).
let abiVersion: UInt32 = 5

private let detailKey: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key) { p in free(p) }
    return key
}()

func setDetail(_ message: String) {
    var copy = message.utf8CString
    let p = copy.withUnsafeMutableBufferPointer { buf -> UnsafeMutablePointer<CChar>? in
        guard let m = malloc(buf.count)?.assumingMemoryBound(to: CChar.self) else { return nil }
        m.initialize(from: buf.baseAddress!, count: buf.count)
        return m
    }
    free(pthread_getspecific(detailKey))
    pthread_setspecific(detailKey, p)
}

/// Runs `body`; returns `SLIC_OK`, or stores the error's message as this thread's detail and returns its status.
@inline(__always)
func guarded(_ body: () throws(SLICError) -> Void) -> Int32 {
    do {
        try body()
        return SLICStatus.ok.rawValue
    } catch {
        setDetail(error.message)
        return error.status.rawValue
    }
}

/// Validates a caller's pointer + element count and hands out a buffer view.
@inline(__always)
func buffer<T>(_ p: UnsafePointer<T>?, _ count: Int64, _ name: String) throws(SLICError) -> UnsafeBufferPointer<T> {
    try require(count >= 0, "\(name): negative length \(count)")
    try require(p != nil || count == 0, "\(name): null pointer with length \(count)")
    return UnsafeBufferPointer(start: p, count: Int(count))
}

@inline(__always)
func mutableBuffer<T>(_ p: UnsafeMutablePointer<T>?, _ count: Int64, _ name: String) throws(SLICError)
    -> UnsafeMutableBufferPointer<T> {
    try require(count >= 0, "\(name): negative length \(count)")
    try require(p != nil || count == 0, "\(name): null pointer with length \(count)")
    return UnsafeMutableBufferPointer(start: p, count: Int(count))
}

@_cdecl("slic_abi_version")
public func slic_abi_version() -> UInt32 { abiVersion }

@_cdecl("slic_status_string")
public func slic_status_string(_ status: Int32) -> UnsafePointer<CChar> {
    let text = SLICStatus(rawValue: status)?.text ?? "unknown status"
    return UnsafeRawPointer(text.utf8Start).assumingMemoryBound(to: CChar.self)
}

@_cdecl("slic_last_error")
public func slic_last_error() -> UnsafePointer<CChar> {
    if let p = pthread_getspecific(detailKey) { return UnsafePointer(p.assumingMemoryBound(to: CChar.self)) }
    let empty: StaticString = ""
    return UnsafeRawPointer(empty.utf8Start).assumingMemoryBound(to: CChar.self)
}

@_cdecl("slic_set_num_threads")
public func slic_set_num_threads(_ n: Int32) -> Int32 {
    guarded { () throws(SLICError) in
        try require(n >= 1 && n <= 1024, "set_num_threads: expected 1 to 1024 threads, got \(n)")
        Parallel.threadCount = Int(n)
    }
}

@_cdecl("slic_get_num_threads")
public func slic_get_num_threads() -> Int32 { Int32(Parallel.threadCount) }

/// 64-byte-aligned memory owned by Swift; release with `slic_free`. Zero bytes gives a valid unique pointer.
@_cdecl("slic_alloc")
public func slic_alloc(_ bytes: Int64, _ out: UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> Int32 {
    guarded { () throws(SLICError) in
        try require(out != nil, "alloc: null output pointer")
        try require(bytes >= 0, "alloc: negative size \(bytes)")
        try require(bytes <= Int64(Int.max / 2), "alloc: size \(bytes) is too large")
        guard let p = BlockCache.allocate(Int(bytes)) else {
            throw SLICError(.outOfMemory, "alloc: could not allocate \(bytes) bytes")
        }
        out!.pointee = p
    }
}

@_cdecl("slic_free")
public func slic_free(_ p: UnsafeMutableRawPointer?) { BlockCache.release(p) }

/// Outputs are written while inputs are read, so they must not share memory.
func requireDisjoint(_ op: String, _ out: UnsafeMutableBufferPointer<Float>, _ outName: String,
                     _ inputs: [(UnsafeBufferPointer<Float>?, String)]) throws(SLICError) {
    guard let o = out.baseAddress, out.count > 0 else { return }
    for (b, name) in inputs {
        guard let b, let p = b.baseAddress, b.count > 0 else { continue }
        let overlap = UnsafePointer(o) < p + b.count && p < UnsafePointer(o) + out.count
        try require(!overlap, "\(op): \(outName) shares memory with \(name)")
    }
}
