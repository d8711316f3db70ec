import Dispatch

/// The core's only global mutable state: how many threads a kernel may use.
///
/// Work is always split by *output* (each task writes a disjoint range) and every reduction is done in a fixed
/// order, so results are bit-identical for any thread count.
public enum Parallel {
    nonisolated(unsafe) private static var _threads: Int = Parallel.hardwareConcurrency

    /// Number of online CPUs (at least 1).
    public static var hardwareConcurrency: Int {
        let n = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        return n > 0 ? n : 1
    }

    /// The thread count kernels use; set from Python by `swiftlic.set_num_threads`.
    public static var threadCount: Int {
        get { _threads }
        set { _threads = max(1, min(newValue, 1024)) }
    }

    /// Runs `body(i)` for `i` in `0..<count`, on up to `threadCount` threads. `body` must only write state that
    /// belongs to index `i`.
    @inlinable
    public static func forEach(_ count: Int, _ body: (Int) -> Void) {
        if count <= 0 { return }
        if count == 1 || threadCount == 1 {
            for i in 0..<count { body(i) }
            return
        }
        withoutActuallyEscaping(body) { body in
            DispatchQueue.concurrentPerform(iterations: count, execute: body)
        }
    }

    /// Splits `0..<total` into at most `threadCount` contiguous ranges of roughly equal size (each a multiple of
    /// `granularity`, except the last) and runs `body` on each.
    @inlinable
    public static func forRanges(_ total: Int, granularity: Int = 1, _ body: (Range<Int>) -> Void) {
        if total <= 0 { return }
        let g = max(1, granularity)
        let units = (total + g - 1) / g
        let parts = min(threadCount, units)
        if parts <= 1 { body(0..<total); return }
        forEach(parts) { p in
            let lo = min(total, (units * p / parts) * g)
            let hi = min(total, (units * (p + 1) / parts) * g)
            if lo < hi { body(lo..<hi) }
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
