#if canImport(Glibc)
import Glibc
#endif
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
}
