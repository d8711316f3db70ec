#if canImport(Glibc)
import Glibc
#endif

/// Reusable, aligned scratch memory for kernels that pack operands (GEMM panels, im2col buffers).
///
/// Fresh multi-megabyte allocations cost page faults and page zeroing on every call (glibc maps and unmaps them),
/// which is a visible share of a mid-sized GEMM. The pool keeps a few freed buffers and hands them out again.
/// Buffers of 1 MiB or more are aligned to 2 MiB and marked for transparent huge pages, so packed panels that are
/// read with large strides cost fewer TLB misses. Thread-safe; contents are undefined when a buffer is handed out.
enum ScratchPool {
    /// Buffers kept for reuse at most; beyond that the smallest is released.
    static let capacity = 8

    private struct Buffer { let base: UnsafeMutableRawPointer; let bytes: Int }

    nonisolated(unsafe) private static var free: [Buffer] = []
    nonisolated(unsafe) private static let lock: UnsafeMutablePointer<pthread_mutex_t> = {
        let m = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        pthread_mutex_init(m, nil)
        return m
    }()

    /// Runs `body` with at least `count` floats of 64-byte-aligned scratch, returned to the pool afterwards.
    static func withFloats<R>(_ count: Int, _ body: (UnsafeMutablePointer<Float>) -> R) -> R {
        let buffer = take(bytes: max(1, count) * MemoryLayout<Float>.stride)
        defer { give(buffer) }
        return body(buffer.base.bindMemory(to: Float.self, capacity: max(1, count)))
    }

    /// Runs `body` with at least `count` bytes of 64-byte-aligned scratch, returned to the pool afterwards.
    static func withBytes<R, E: Error>(_ count: Int, _ body: (UnsafeMutableRawPointer) throws(E) -> R) throws(E) -> R {
        let buffer = take(bytes: max(1, count))
        defer { give(buffer) }
        return try body(buffer.base)
    }

    private static func take(bytes: Int) -> Buffer {
        pthread_mutex_lock(lock)
        // The smallest cached buffer that fits.
        var pick: Int? = nil
        for (i, b) in free.enumerated() where b.bytes >= bytes && (pick == nil || b.bytes < free[pick!].bytes) {
            pick = i
        }
        let found = pick.map { free.remove(at: $0) }
        pthread_mutex_unlock(lock)
        return found ?? allocate(bytes: bytes)
    }

    private static func give(_ buffer: Buffer) {
        pthread_mutex_lock(lock)
        free.append(buffer)
        var evicted: Buffer? = nil
        if free.count > capacity, let i = free.indices.min(by: { free[$0].bytes < free[$1].bytes }) {
            evicted = free.remove(at: i)
        }
        pthread_mutex_unlock(lock)
        if let evicted { Glibc.free(evicted.base) }
    }

    private static func allocate(bytes: Int) -> Buffer {
        let huge = 2 << 20
        let big = bytes >= 1 << 20
        let size = big ? (bytes + huge - 1) / huge * huge : bytes
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, big ? huge : 64, size) == 0, let raw else {
            fatalError("ScratchPool: out of memory allocating \(size) bytes")
        }
        if big { _ = madvise(raw, size, MADV_HUGEPAGE) }  // a hint; fine if the kernel declines
        return Buffer(base: raw, bytes: size)
    }
}
