import XCTest
@testable import SwiftLIC

/// Helpers shared by the layer-kernel tests: float conversions, error measures, finite differences, thread runs.
enum LayerCheck {
    static func doubles(_ x: [Float]) -> [Double] { x.map(Double.init) }

    /// max |a − b| / (1 + |b|).
    static func maxError(_ a: [Float], _ b: [Double]) -> Double {
        precondition(a.count == b.count, "length mismatch \(a.count) vs \(b.count)")
        var worst = 0.0
        for i in a.indices { worst = max(worst, abs(Double(a[i]) - b[i]) / (1 + abs(b[i]))) }
        return worst
    }

    static func maxError(_ a: [Double], _ b: [Double]) -> Double {
        precondition(a.count == b.count, "length mismatch \(a.count) vs \(b.count)")
        var worst = 0.0
        for i in a.indices { worst = max(worst, abs(a[i] - b[i]) / (1 + abs(b[i]))) }
        return worst
    }

    /// Central differences of the scalar `f` at x, step `h`.
    static func numericGradient(_ x: [Double], h: Double = 1e-6, _ f: ([Double]) -> Double) -> [Double] {
        var g = [Double](repeating: 0, count: x.count)
        var xp = x
        for i in x.indices {
            xp[i] = x[i] + h
            let up = f(xp)
            xp[i] = x[i] - h
            let down = f(xp)
            xp[i] = x[i]
            g[i] = (up - down) / (2 * h)
        }
        return g
    }

    /// ⟨a, b⟩ in Double.
    static func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }

    /// Runs `body` with `Parallel.threadCount = threads`, restoring the old count after.
    static func withThreads<R>(_ threads: Int, _ body: () -> R) -> R {
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        Parallel.threadCount = threads
        return body()
    }
}

/// Calls `body` with read-only buffer views of `a` (and friends), for kernels that take UnsafeBufferPointer.
func withBuffers<R>(_ a: [Float], _ body: (UnsafeBufferPointer<Float>) -> R) -> R {
    a.withUnsafeBufferPointer(body)
}

/// A fresh Float array of `count` values written by `body`.
func produce(_ count: Int, _ body: (UnsafeMutableBufferPointer<Float>) -> Void) -> [Float] {
    var out = [Float](repeating: .nan, count: count)
    out.withUnsafeMutableBufferPointer { body($0) }
    return out
}
