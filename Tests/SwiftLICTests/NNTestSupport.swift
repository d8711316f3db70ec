import XCTest
@testable import SwiftLIC

/// Shared helpers of the nn kernel tests: Float ↔ Double, comparisons, finite differences, thread counts.
enum NN {
    static func double(_ a: [Float]) -> [Double] { a.map(Double.init) }

    /// max |a − b| / (1 + |b|); infinity when any value is NaN (max() would silently skip it).
    static func relErr(_ a: [Float], _ b: [Double]) -> Double { relErr(a.map(Double.init), b) }

    static func relErr(_ a: [Double], _ b: [Double]) -> Double {
        precondition(a.count == b.count, "count \(a.count) vs \(b.count)")
        var worst = 0.0
        for i in a.indices {
            let e = abs(a[i] - b[i]) / (1 + abs(b[i]))
            if e.isNaN { return .infinity }
            worst = max(worst, e)
        }
        return worst
    }

    static func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }

    /// Central differences of L(v) = ⟨f(v), r⟩ with respect to every entry of `v` (Double arithmetic).
    static func numericGradient(_ v: [Double], h: Double = 1e-6, _ loss: ([Double]) -> Double) -> [Double] {
        var g = [Double](repeating: 0, count: v.count)
        var p = v
        for i in v.indices {
            p[i] = v[i] + h; let up = loss(p)
            p[i] = v[i] - h; let down = loss(p)
            p[i] = v[i]
            g[i] = (up - down) / (2 * h)
        }
        return g
    }

    /// Runs `body` with `threads` kernel threads, restoring the setting after.
    static func withThreads<R>(_ threads: Int, _ body: () -> R) -> R {
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        Parallel.threadCount = threads
        return body()
    }

    /// The im2col band budget the convolution test helpers pass (test-side state; the core has no such global).
    nonisolated(unsafe) static var bandBudget = Conv2D.defaultBandBudget

    /// Runs `body` with a tiny im2col band budget so convolutions go through many bands.
    static func withSmallBands<R>(_ floats: Int, _ body: () -> R) -> R {
        let saved = bandBudget
        defer { bandBudget = saved }
        bandBudget = floats
        return body()
    }
}

extension Array where Element == Float {
    /// Read-only buffer of the array for a kernel call.
    func withBuf<R>(_ body: (UnsafeBufferPointer<Float>) -> R) -> R { withUnsafeBufferPointer(body) }
}
