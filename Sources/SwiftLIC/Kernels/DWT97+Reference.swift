/// The 9/7 transform as Annex F writes its filter bank: tap by tap, in Double, with the symmetric extension
/// spelled out; the adjoints as the transposes of the matrices these define (column by column, so only for
/// small planes).
extension DWT97 {
    // Table F.4: analysis low-pass h0 (taps 0, ±1, ..., ±4), high-pass h1 (0...±3); synthesis g0, g1
    // (g0[k] = (−1)^k h1[k], g1[k] = (−1)^k h0[k]: DC gains h0 1, g0 2; Nyquist gains h1 2, g1 1).
    static let h0: [Double] = [0.602949018236, 0.266864118443, -0.078223266529, -0.016864118443, 0.026748757411]
    static let h1: [Double] = [1.115087052457, -0.591271763114, -0.057543526229, 0.091271763114]
    static let g0: [Double] = [1.115087052457, 0.591271763114, -0.057543526229, -0.091271763114]
    static let g1: [Double] = [0.602949018236, -0.266864118443, -0.078223266529, 0.016864118443, 0.026748757411]

    /// Symmetric extension of any index into 0..<n (repeated reflection).
    static func reflect(_ k: Int, _ n: Int) -> Int {
        if n == 1 { return 0 }
        let period = 2 * (n - 1)
        var m = k % period
        if m < 0 { m += period }
        return m < n ? m : period - m
    }

    static func tap(_ f: [Double], _ k: Int) -> Double { abs(k) < f.count ? f[abs(k)] : 0 }

    /// One level of 1D analysis: [low | high] of x.
    static func analysis1D(_ x: [Double]) -> [Double] {
        let n = x.count
        if n < 2 { return x }
        var low = [Double](), high = [Double]()
        for i in 0..<(n + 1) / 2 { low.append((-4...4).reduce(0) { $0 + tap(h0, $1) * x[reflect(2 * i + $1, n)] }) }
        for i in 0..<n / 2 { high.append((-3...3).reduce(0) { $0 + tap(h1, $1) * x[reflect(2 * i + 1 + $1, n)] }) }
        return low + high
    }

    /// One level of 1D synthesis: the interleaved subbands, symmetrically extended, through g0 (even places)
    /// and g1 (odd places).
    static func synthesis1D(_ y: [Double]) -> [Double] {
        let n = y.count
        if n < 2 { return y }
        let lows = (n + 1) / 2
        let v = (0..<n).map { k in k % 2 == 0 ? y[k / 2] : y[lows + k / 2] }
        return (0..<n).map { t in
            (t - 4...t + 4).reduce(0.0) { s, k in s + (k & 1 == 0 ? tap(g0, t - k) : tap(g1, t - k)) * v[reflect(k, n)] }
        }
    }

    static func weightsReference(levels: Int) -> (low: [Double], high: [Double]) {
        let n = 1 << (levels + 6)
        var low = [Double](), high = [Double]()
        for l in 1...max(1, levels) {
            for isHigh in [false, true] {
                var v = [Double](repeating: 0, count: n)
                v[(isHigh ? n >> l : 0) + (n >> l) / 2] = 1
                for k in (0..<l).reversed() {
                    let m = n >> k
                    v.replaceSubrange(0..<m, with: synthesis1D(Array(v[0..<m])))
                }
                let g = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
                if isHigh { high.append(g) } else { low.append(g) }
            }
        }
        return (low, high)
    }

    public static func applyReference(_ op: Operation, levels: Int, planes: Int, height: Int, width: Int,
                                      x: [Double]) -> [Double] {
        let plane = height * width
        let weights = weightsReference(levels: levels)
        switch op {
        case .analysis, .synthesis:
            var out = [Double]()
            for p in 0..<planes {
                out += planeReference(op == .analysis, levels, height, width, weights, Array(x[p * plane..<(p + 1) * plane]))
            }
            return out
        case .analysisAdjoint, .synthesisAdjoint:
            // (Mᵀx)_j = ⟨M e_j, x⟩.
            let forward = op == .analysisAdjoint
            var out = [Double](repeating: 0, count: x.count)
            for p in 0..<planes {
                for j in 0..<plane {
                    var e = [Double](repeating: 0, count: plane)
                    e[j] = 1
                    let column = planeReference(forward, levels, height, width, weights, e)
                    out[p * plane + j] = (0..<plane).reduce(0) { $0 + column[$1] * x[p * plane + $1] }
                }
            }
            return out
        }
    }

    static func planeReference(_ analysis: Bool, _ levels: Int, _ h: Int, _ w: Int,
                               _ weights: (low: [Double], high: [Double]), _ x: [Double]) -> [Double] {
        var a = x
        let sizes = regions(levels: levels, height: h, width: w)
        let (lowG, highG) = weights
        func weight(_ i: Int, _ j: Int) -> Double {
            // Finest level whose high half holds the row or the column decides the band.
            var level = levels, vHigh = false, hHigh = false
            for l in (0..<levels).reversed() {
                let (rh, rw) = sizes[l]
                let rowHigh = i >= (rh + 1) / 2 && i < rh, colHigh = j >= (rw + 1) / 2 && j < rw
                if (rowHigh && j < rw) || (colHigh && i < rh) { level = l + 1; vHigh = rowHigh; hHigh = colHigh }
            }
            return (vHigh ? highG : lowG)[level - 1] * (hHigh ? highG : lowG)[level - 1]
        }
        func rows(_ l: Int, _ f: ([Double]) -> [Double]) {
            let (rh, rw) = sizes[l]
            for i in 0..<rh {
                let r = f((0..<rw).map { a[i * w + $0] })
                for j in 0..<rw { a[i * w + j] = r[j] }
            }
        }
        func columns(_ l: Int, _ f: ([Double]) -> [Double]) {
            let (rh, rw) = sizes[l]
            for j in 0..<rw {
                let c = f((0..<rh).map { a[$0 * w + j] })
                for i in 0..<rh { a[i * w + j] = c[i] }
            }
        }
        if analysis {
            for l in 0..<levels { rows(l, analysis1D); columns(l, analysis1D) }
            if levels > 0 { for i in 0..<h { for j in 0..<w { a[i * w + j] *= weight(i, j) } } }
        } else {
            if levels > 0 { for i in 0..<h { for j in 0..<w { a[i * w + j] /= weight(i, j) } } }
            for l in (0..<levels).reversed() { columns(l, synthesis1D); rows(l, synthesis1D) }
        }
        return a
    }
}
