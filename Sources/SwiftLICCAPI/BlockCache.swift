// Recycling of large slic_alloc blocks.
//
// READ ME FIRST: a fresh block costs one page fault per 4 KiB page on first touch (about 75 ms per 100 MB on the
// reference machine), and a network allocates an output of the same size for every layer, every call. So
// slic_free keeps blocks of at least 1 MiB (at most 8 blocks and 1 GiB in all, the oldest given back to the
// system first) and slic_alloc reuses the smallest kept block that fits and is at most 1.5× the request.
// Every block carries a 64-byte header holding its capacity, so the returned pointer stays 64-byte aligned.
#if canImport(Glibc)
import Glibc
#endif

enum BlockCache {
    static let header = 64
    static let minimumBytes = 1 << 20
    static let maxBlocks = 8
    static let maxBytes = 1 << 30

    private static let lock: UnsafeMutablePointer<pthread_mutex_t> = {
        let m = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        pthread_mutex_init(m, nil)
        return m
    }()
    /// Kept blocks (base pointer, capacity), oldest first. Guarded by `lock`.
    nonisolated(unsafe) private static var kept: [(base: UnsafeMutableRawPointer, capacity: Int)] = []
    nonisolated(unsafe) private static var keptBytes = 0

    /// A 64-byte-aligned block of at least `bytes` bytes, or nil when the system has no memory.
    static func allocate(_ bytes: Int) -> UnsafeMutableRawPointer? {
        if bytes >= minimumBytes, let base = take(bytes) { return base + header }
        var p: UnsafeMutableRawPointer? = nil
        guard posix_memalign(&p, 64, max(bytes, 1) + header) == 0, let base = p else { return nil }
        base.storeBytes(of: bytes, as: Int.self)
        return base + header
    }

    /// Gives back a block from `allocate`: kept when large, else freed.
    static func release(_ p: UnsafeMutableRawPointer?) {
        guard let p else { return }
        let base = p - header
        let capacity = base.load(as: Int.self)
        guard capacity >= minimumBytes && capacity <= maxBytes else { free(base); return }
        var evicted: [UnsafeMutableRawPointer] = []
        pthread_mutex_lock(lock)
        kept.append((base, capacity))
        keptBytes += capacity
        while kept.count > maxBlocks || keptBytes > maxBytes {
            let old = kept.removeFirst()
            keptBytes -= old.capacity
            evicted.append(old.base)
        }
        pthread_mutex_unlock(lock)
        for b in evicted { free(b) }
    }

    private static func take(_ bytes: Int) -> UnsafeMutableRawPointer? {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        var best = -1
        for (i, b) in kept.enumerated() where b.capacity >= bytes && b.capacity <= bytes + bytes / 2 {
            if best < 0 || b.capacity < kept[best].capacity { best = i }
        }
        guard best >= 0 else { return nil }
        let b = kept.remove(at: best)
        keptBytes -= b.capacity
        return b.base
    }
}
