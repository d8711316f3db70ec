#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import XCTest
@testable import SwiftLIC

final class ParallelTests: XCTestCase {
    /// Runs `forEach` and reports, per index, how often it ran and which thread ran it.
    func record(_ count: Int, threads: Int) -> (runs: [Int], threadIDs: Set<UInt>) {
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        Parallel.threadCount = threads
        var runs = [Int](repeating: 0, count: count), ids = [UInt](repeating: 0, count: count)
        runs.withUnsafeMutableBufferPointer { runs in ids.withUnsafeMutableBufferPointer { ids in
            Parallel.forEach(count) { i in
                runs[i] += 1
                ids[i] = UInt(pthread_self())
                usleep(200)  // long enough that several workers would take part if they could
            }
        } }
        return (runs, Set(ids))
    }

    func testEveryIndexRunsOnceOnAtMostThreadCountThreads() {
        for threads in [1, 2, 3] {
            let (runs, ids) = record(40, threads: threads)
            XCTAssertEqual(runs, [Int](repeating: 1, count: 40), "threads=\(threads)")
            XCTAssertLessThanOrEqual(ids.count, threads, "threads=\(threads)")
        }
        XCTAssertEqual(record(5, threads: 1).threadIDs, [UInt(pthread_self())], "one thread must mean the caller")
    }

    func testForRangesCoversTotalWithAlignedDisjointRanges() {
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        Parallel.threadCount = 3
        for (total, g, parts) in [(1000, 16, 6), (17, 16, 4), (5, 1, 8), (100, 7, 3)] {
            var hits = [Int](repeating: 0, count: total)
            var bounds = [Int](repeating: -1, count: total)
            hits.withUnsafeMutableBufferPointer { hits in bounds.withUnsafeMutableBufferPointer { bounds in
                Parallel.forRanges(total, granularity: g, parts: parts) { r in
                    bounds[r.lowerBound] = r.lowerBound
                    for i in r { hits[i] += 1 }
                }
            } }
            XCTAssertEqual(hits, [Int](repeating: 1, count: total), "total=\(total) g=\(g)")
            for start in bounds where start >= 0 { XCTAssertEqual(start % g, 0, "range start \(start) not aligned") }
        }
    }

    /// Sets the thread count for `body`, restoring it afterwards.
    func withThreads(_ threads: Int, _ body: () -> Void) {
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        Parallel.threadCount = threads
        body()
    }

    /// A forEach inside a forEach body (on the caller and on workers) must run, not deadlock on the busy pool.
    func testNestedForEachRunsEveryInnerIndexOnce() {
        withThreads(2) {
            let outer = 8, inner = 50
            var hits = [Int](repeating: 0, count: outer * inner)
            hits.withUnsafeMutableBufferPointer { hits in
                Parallel.forEach(outer) { i in
                    Parallel.forRanges(inner, granularity: 3) { r in for j in r { hits[i * inner + j] += 1 } }
                    usleep(100)
                }
            }
            XCTAssertEqual(hits, [Int](repeating: 1, count: outer * inner))
        }
    }

    /// Many back-to-back tiny jobs, so workers join, miss and rejoin jobs in every interleaving; a job's
    /// indices must each run exactly once and the call must not return before all have finished.
    func testManyTinyCallsEachRunEveryIndexOnce() {
        withThreads(3) {
            var hits = [Int](repeating: 0, count: 4)
            var total = 0
            hits.withUnsafeMutableBufferPointer { hits in
                for call in 0..<20_000 {
                    let count = 1 + call % 4
                    Parallel.forEach(count) { i in hits[i] += 1 }
                    for i in 0..<count where hits[i] != 1 { total += 1 }
                    for i in 0..<4 { hits[i] = 0 }
                }
            }
            XCTAssertEqual(total, 0, "indices that ran other than once, or after forEach returned")
        }
    }

    /// The pool follows threadCount up and down between calls, and a call after the workers have parked
    /// (idle longer than their spin) still runs everything.
    func testThreadCountChangesAndIdleWorkersBetweenCalls() {
        for threads in [2, 4, 1, 3, 2] {
            let (runs, ids) = record(24, threads: threads)
            XCTAssertEqual(runs, [Int](repeating: 1, count: 24), "threads=\(threads)")
            XCTAssertLessThanOrEqual(ids.count, threads, "threads=\(threads)")
            usleep(5_000)
        }
    }

    /// Two application threads calling at once: one gets the pool, the other runs inline; both finish.
    func testConcurrentCallersBothComplete() {
        withThreads(2) {
            let count = 200
            var hits = [Int](repeating: 0, count: 2 * count)
            hits.withUnsafeMutableBufferPointer { hits in
                nonisolated(unsafe) let hits = hits
                DispatchQueue.concurrentPerform(iterations: 2) { t in
                    for _ in 0..<50 { Parallel.forEach(count) { i in hits[t * count + i] += 1 } }
                }
            }
            XCTAssertEqual(hits, [Int](repeating: 50, count: 2 * count))
        }
    }
}
