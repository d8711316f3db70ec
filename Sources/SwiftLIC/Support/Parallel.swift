#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// The core's only global mutable state: how many threads a kernel may use.
///
/// Work is always split by *output* (each task writes a disjoint range) and every reduction is done in a fixed
/// order, so results are bit-identical for any thread count.
public enum Parallel {
    // Atomic: Python may set it while kernels on other threads (GIL released) read it.
    private static let _threads = Atomic<Int>(Parallel.hardwareConcurrency)

    /// Number of online CPUs (at least 1).
    public static var hardwareConcurrency: Int {
        let n = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        return n > 0 ? n : 1
    }

    /// The thread count kernels use; set from Python by `swiftlic.set_num_threads`.
    public static var threadCount: Int {
        get { _threads.load(ordering: .relaxed) }
        set { _threads.store(max(1, min(newValue, 1024)), ordering: .relaxed) }
    }

    /// Runs `body(i)` for `i` in `0..<count`, on at most `threadCount` threads (the caller's among them; with
    /// one thread, or one index, everything runs on the caller). Indices are handed out dynamically, so a
    /// thread that the OS delays does not hold the others up. `body` must only write state that belongs to `i`.
    /// Workers are `WorkerPool`'s persistent threads, which spin briefly between jobs, so a call starts in well
    /// under a microsecond when the previous one has just ended. A call made while the pool is busy (from
    /// inside `body`, or from a second application thread) runs inline on its caller.
    public static func forEach(_ count: Int, _ body: (Int) -> Void) {
        if count <= 0 { return }
        let workers = min(count, threadCount)
        if workers > 1 && WorkerPool.shared.run(count: count, helpers: workers - 1, body) { return }
        for i in 0..<count { body(i) }
    }

    /// Splits `0..<total` into `parts` contiguous ranges (default `threadCount`; fewer when there are not
    /// enough units) of roughly equal size, each a multiple of `granularity` except the last, and runs `body` on
    /// each via `forEach`. The ranges depend only on the arguments (and on `threadCount` when `parts` is nil).
    public static func forRanges(_ total: Int, granularity: Int = 1, parts: Int? = nil,
                                 _ body: (Range<Int>) -> Void) {
        if total <= 0 { return }
        let g = max(1, granularity)
        let units = (total + g - 1) / g
        let parts = min(max(1, parts ?? threadCount), units)
        if parts <= 1 { body(0..<total); return }
        forEach(parts) { p in
            let lo = min(total, (units * p / parts) * g)
            let hi = min(total, (units * (p + 1) / parts) * g)
            if lo < hi { body(lo..<hi) }
        }
    }
}
