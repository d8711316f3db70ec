#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// The persistent threads behind `Parallel.forEach`.
///
/// READ ME FIRST:
/// - Why not Dispatch: a worker that Dispatch parks must be woken by the kernel, which on this class of machine
///   (2 vCPUs under KVM) costs tens of microseconds per call, and a 256³ GEMM split over two threads takes
///   only ~250 µs. These workers spin for `spinNanoseconds` after each job before they park on a condition
///   variable, so back-to-back parallel calls (a network's layers, a benchmark loop) start at once, while an
///   idle process burns no CPU once that bound has passed.
/// - One job at a time. `run` returns false when another job holds the pool (a nested call from inside a job,
///   or a second application thread); the caller then runs the work inline, so nesting never deadlocks and the
///   process never uses more than `threadCount` busy threads.
/// - The caller works on its own job and never waits for a worker that has not joined: a job is *closed* when
///   its caller runs out of indices, a worker joins only an open job (one CAS on `state`), and the caller waits
///   only for the workers that joined. A worker the OS delays, or one that does not exist (after `fork`), costs
///   nothing but its share of the parallelism.
/// - A worker woken from its condition variable is often placed on the CPU of the thread that woke it (Linux's
///   wake-affine heuristic), where it would take turns with the caller instead of running beside it: 2 threads
///   at 1 thread's speed for as long as the placement lasts. A worker that finds itself on its caller's CPU when
///   it wakes or joins a job moves off that CPU (`CPUAffinity.avoid`). But a worker queued behind a computing
///   caller gets to run only when the caller's time slice ends (ms): in benchmark blocks after a pause, up to 25
///   of 240 256³ jobs ran without their worker, and such rounds at 1 thread's speed. So the caller yields its CPU
///   right after it wakes parked workers, and after each index it runs while the job still lacks a wanted worker
///   (a no-op when nothing else is queued). Without the first yield, 512³ on 2 threads fell into a stable
///   1-thread mode in 3 of 5 benchmark runs: the worker, woken next to the caller, got to run only at the
///   caller's yield after its half (1.6 ms in), found no index left, spun 100 µs, parked again before the next
///   call, and was woken next to the caller again.
/// - `state` packs the job's generation, closed flag, how many workers it wants and how many joined, so that a
///   worker's join is one atomic decision against exactly one job.
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool()

    /// How long an idle worker spins for the next job before parking.
    static let spinNanoseconds = 100_000

    // state = generation << 25 | closed << 24 | wanted << 12 | joined
    private static let joinedMask = 0xFFF, wantedShift = 12, closedBit = 1 << 24, generationShift = 25
    private static func generation(_ s: Int) -> Int { s >> generationShift }
    private static func wanted(_ s: Int) -> Int { (s >> wantedShift) & joinedMask }

    private let state = Atomic<Int>(0)
    private let next = Atomic<Int>(0)       // the next index of the current job to hand out
    private let finished = Atomic<Int>(0)   // workers that joined the current job and are done with it
    private let owned = Atomic<Bool>(false) // a caller holds the pool
    private let sleepers = Atomic<Int>(0)   // workers parked (or about to park) on `wake`
    private let callerCPU = Atomic<Int>(-1) // the CPU the current job's owner published it from

    /// The current job; written by its owner before `state` publishes it, read by workers after they join.
    private struct Job { var body: ((Int) -> Void)? = nil; var count = 0; var callerCPU: Int32 = -1 }
    private let job = UnsafeMutablePointer<Job>.allocate(capacity: 1)
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var started = 0  // worker threads created; changed only by the owner

    private init() {
        job.initialize(to: Job())
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(wake, nil)
        // A forked child has none of the parent's threads; it starts over with an empty pool.
        pthread_atfork(nil, nil) { WorkerPool.shared.resetAfterFork() }
    }

    private func resetAfterFork() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(wake, nil)
        started = 0
        sleepers.store(0, ordering: .relaxed)
        owned.store(false, ordering: .relaxed)
    }

    /// Runs `body(i)` for every `i` in `0..<count` on the calling thread and up to `helpers` workers, indices
    /// handed out one at a time. Returns false, having run nothing, when the pool is already in use.
    func run(count: Int, helpers: Int, _ body: (Int) -> Void) -> Bool {
        guard owned.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            return false
        }
        defer { owned.store(false, ordering: .releasing) }
        let helpers = min(helpers, WorkerPool.joinedMask)
        while started < helpers { startWorker(index: started); started += 1 }
        withoutActuallyEscaping(body) { body in
            job.pointee = Job(body: body, count: count, callerCPU: CPUAffinity.current())
            callerCPU.store(Int(job.pointee.callerCPU), ordering: .relaxed)
            next.store(0, ordering: .relaxed)
            finished.store(0, ordering: .relaxed)
            let g = WorkerPool.generation(state.load(ordering: .relaxed)) + 1
            // Sequentially consistent with the parking worker's `sleepers` increment and `state` load: either
            // it sees this job, or this thread sees it parked and wakes it.
            state.store(g << WorkerPool.generationShift | helpers << WorkerPool.wantedShift,
                        ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                pthread_mutex_lock(mutex)
                pthread_cond_broadcast(wake)
                pthread_mutex_unlock(mutex)
                // A woken worker queued on this CPU runs now, moves off it and joins (see READ ME FIRST).
                sched_yield()
            }
            drain(body, count, yieldingUntil: helpers)
            let closed = state.bitwiseOr(WorkerPool.closedBit, ordering: .acquiringAndReleasing).newValue
            let joined = closed & WorkerPool.joinedMask
            // A worker preempted mid-job may be waiting for this very CPU: after a while, offer it.
            var polls = 0
            while finished.load(ordering: .acquiring) < joined {
                polls += 1
                if polls < 4096 { spinPause() } else { sched_yield() }
            }
            job.pointee = Job()
        }
        return true
    }

    /// Runs indices of the current job until none are left. The owner passes `yieldingUntil: wanted`: after each
    /// index, while fewer workers have joined, it yields its CPU to one that may be queued there.
    private func drain(_ body: (Int) -> Void, _ count: Int, yieldingUntil wanted: Int = 0) {
        while true {
            let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
            if i >= count { return }
            body(i)
            if state.load(ordering: .relaxed) & WorkerPool.joinedMask < wanted { sched_yield() }
        }
    }

    private func startWorker(index: Int) {
        final class Start { let pool: WorkerPool, index: Int; init(_ p: WorkerPool, _ i: Int) { pool = p; index = i } }
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        var thread = pthread_t()
        let start = Unmanaged.passRetained(Start(self, index)).toOpaque()
        let status = pthread_create(&thread, &attributes, { raw in
            let start = Unmanaged<Start>.fromOpaque(raw!).takeRetainedValue()
            start.pool.workerLoop(index: start.index)
        }, start)
        pthread_attr_destroy(&attributes)
        // Without the thread the pool still works (jobs are never waited on for a worker that did not join).
        if status != 0 { Unmanaged<Start>.fromOpaque(start).release() }
    }

    private func workerLoop(index: Int) -> Never {
        let affinity = CPUAffinity()
        var seen = 0, spin = false
        while true {
            var s = state.load(ordering: .acquiring)
            if WorkerPool.generation(s) == seen {
                var parked = false
                s = awaitJob(after: seen, spin: spin, parked: &parked)
                // Woken next to the caller (wake-affine): move before it starts to compute on this CPU.
                let cpu = Int32(truncatingIfNeeded: callerCPU.load(ordering: .relaxed))
                if parked && cpu >= 0 && CPUAffinity.current() == cpu { affinity.avoid(cpu: cpu) }
            }
            seen = WorkerPool.generation(s)
            // Join if the job is still open and wants another worker.
            while WorkerPool.generation(s) == seen && s & WorkerPool.closedBit == 0
                    && s & WorkerPool.joinedMask < WorkerPool.wanted(s) {
                let (joined, now) = state.compareExchange(expected: s, desired: s + 1, ordering: .acquiringAndReleasing)
                if joined {
                    let callerCPU = job.pointee.callerCPU
                    if callerCPU >= 0 && CPUAffinity.current() == callerCPU { affinity.avoid(cpu: callerCPU) }
                    work()
                    finished.wrappingAdd(1, ordering: .releasing)
                    break
                }
                s = now
            }
            // Workers beyond what recent jobs asked for (after threadCount went down) park at once.
            spin = index < WorkerPool.wanted(s)
        }
    }

    /// Runs the joined job; the closure copy is released before the owner is told this worker is done.
    private func work() {
        let current = job.pointee
        drain(current.body!, current.count)
    }

    /// Waits for a job of a later generation than `seen`: spins for a while if `spin`, then parks (and says so).
    private func awaitJob(after seen: Int, spin: Bool, parked: inout Bool) -> Int {
        if spin {
            let deadline = monotonicNanoseconds() + WorkerPool.spinNanoseconds
            var polls = 0
            while true {
                let s = state.load(ordering: .acquiring)
                if WorkerPool.generation(s) != seen { return s }
                spinPause()
                polls += 1
                if polls % 64 == 0 && monotonicNanoseconds() > deadline { break }
            }
        }
        parked = true
        pthread_mutex_lock(mutex)
        sleepers.wrappingAdd(1, ordering: .sequentiallyConsistent)
        var s = state.load(ordering: .sequentiallyConsistent)
        while WorkerPool.generation(s) == seen {
            pthread_cond_wait(wake, mutex)
            s = state.load(ordering: .sequentiallyConsistent)
        }
        sleepers.wrappingSubtract(1, ordering: .relaxed)
        pthread_mutex_unlock(mutex)
        return s
    }
}

/// Which CPU a thread runs on, and moving it off one. glibc's `sched_getcpu` and `sched_{get,set}affinity`
/// are GNU extensions that Swift's Glibc module does not import; they are looked up once by name. Where they are
/// missing, `current()` is -1 and nothing moves.
private struct CPUAffinity {
    private typealias Affinity = @convention(c) (pid_t, Int, UnsafeMutableRawPointer) -> Int32
    private static let symbols: (getCPU: (@convention(c) () -> Int32)?, get: Affinity?, set: Affinity?) = {
        let all = UnsafeMutableRawPointer(bitPattern: 0)  // RTLD_DEFAULT
        return (dlsym(all, "sched_getcpu").map { unsafeBitCast($0, to: (@convention(c) () -> Int32).self) },
                dlsym(all, "sched_getaffinity").map { unsafeBitCast($0, to: Affinity.self) },
                dlsym(all, "sched_setaffinity").map { unsafeBitCast($0, to: Affinity.self) })
    }()

    /// The CPUs this thread may run on when it starts (inherited; a user's `taskset` is respected).
    private var allowed = cpu_set_t()
    private let known: Bool

    init() {
        known = withUnsafeMutableBytes(of: &allowed) { raw in
            CPUAffinity.symbols.get.map { $0(0, raw.count, raw.baseAddress!) == 0 } ?? false
        }
    }

    static func current() -> Int32 { symbols.getCPU?() ?? -1 }

    /// Moves the calling thread to one of its allowed CPUs other than `cpu` (the kernel migrates it at once),
    /// then lifts the restriction again, so that the scheduler stays free to balance it later.
    func avoid(cpu: Int32) {
        guard known, let set = CPUAffinity.symbols.set else { return }
        var mask = allowed
        withUnsafeMutableBytes(of: &mask) { raw in
            let byte = Int(cpu) / 8, bit = UInt8(1) << (Int(cpu) % 8)
            guard byte < raw.count else { return }
            raw[byte] &= ~bit
            if raw.contains(where: { $0 != 0 }) && set(0, raw.count, raw.baseAddress!) == 0 {
                var all = allowed
                _ = withUnsafeMutableBytes(of: &all) { set(0, $0.count, $0.baseAddress!) }
            }
        }
    }
}

private func monotonicNanoseconds() -> Int {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return t.tv_sec * 1_000_000_000 + t.tv_nsec
}

#if arch(x86_64)
/// The x86 PAUSE hint: a spinning core yields pipeline resources and saves power.
@_silgen_name("llvm.x86.sse2.pause")
func spinPause()
#else
@inline(__always) func spinPause() {}
#endif
