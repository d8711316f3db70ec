import XCTest
@testable import SwiftLIC

final class PCATests: XCTestCase {
    func testJacobiDecomposesSortsAndFixesSigns() {
        var rng = SplitMix64(seed: 5)
        for n in [1, 2, 5, 17] {
            let b = (0..<(n * n)).map { _ in Double(rng.float()) }
            var a = [Double](repeating: 0, count: n * n)  // A = BᵀB: symmetric positive semi-definite
            for i in 0..<n { for j in 0..<n { for k in 0..<n { a[i * n + j] += b[k * n + i] * b[k * n + j] } } }
            let (values, rows) = PCA.eigen(symmetric: a, n: n)
            for i in 1..<max(n, 1) where i < n { XCTAssertGreaterThanOrEqual(values[i - 1], values[i]) }
            for i in 0..<n {
                for j in 0..<n {
                    var dot = 0.0, rec = 0.0
                    for k in 0..<n { dot += rows[i * n + k] * rows[j * n + k]; rec += rows[k * n + i] * values[k] * rows[k * n + j] }
                    XCTAssertEqual(dot, i == j ? 1 : 0, accuracy: 1e-9)
                    XCTAssertEqual(rec, a[i * n + j], accuracy: 1e-9 * max(1, abs(a[i * n + j])))
                }
                let row = rows[(i * n)..<(i * n + n)]
                let big = row.indices.max { abs(row[$0]) < abs(row[$1]) }!
                XCTAssertGreaterThan(row[big], 0)
            }
        }
    }

    func testRotateMatchesReferenceAndInverts() {
        var rng = SplitMix64(seed: 9)
        let c = 7, n = 33
        let y = rng.floats(c * n)
        let mean = PCA.means(y.withUnsafeBufferPointer { $0 }, channels: c, count: n)
        let cov = y.withUnsafeBufferPointer { PCA.covariance($0, channels: c, count: n, mean: mean) }
        let (values, rows) = PCA.eigen(symmetric: cov, n: c)
        let basis = PCA.orthonormalized(Quantizer.dequantizeBasis(Quantizer.quantizeBasis(rows, bits: 8), bits: 8), n: c)
        var z = [Float](repeating: 0, count: c * n)
        y.withUnsafeBufferPointer { yb in
            z.withUnsafeMutableBufferPointer { PCA.rotate(yb, basis: basis, mean: mean, channels: c, count: n, into: $0) }
        }
        let zr = PCA.rotateReference(y, basis: basis, mean: mean, channels: c, count: n)
        for i in 0..<z.count { XCTAssertEqual(z[i], zr[i], accuracy: 1e-5) }
        var back = [Float](repeating: 0, count: c * n)
        z.withUnsafeBufferPointer { zb in
            back.withUnsafeMutableBufferPointer { PCA.unrotate(zb, basis: basis, mean: mean, channels: c, count: n, into: $0) }
        }
        let br = PCA.unrotateReference(z, basis: basis, mean: mean, channels: c, count: n)
        for i in 0..<y.count {
            XCTAssertEqual(back[i], br[i], accuracy: 1e-5)
            XCTAssertEqual(back[i], y[i], accuracy: 1e-5)
        }
        // Energy compaction: the rotated channels' variances fall like the eigenvalues.
        var variances = [Double](repeating: 0, count: c)
        for k in 0..<c { for i in 0..<n { variances[k] += Double(z[k * n + i] * z[k * n + i]) / Double(n) } }
        XCTAssertEqual(variances[0], values[0], accuracy: 0.05 * values[0])
        XCTAssertGreaterThan(variances[0], variances[c - 1])
    }
}
