/// The three products of a convolution with very few output channels (an RGB or grey output layer), where a
/// packed GEMM spends its 6-row micro-tile on ≤ 3 rows, copies every edge tile, or packs for a k of 3:
/// - forward y = W·col: each row of `col` streams through registers once for all Cout rows of W (a tile of
///   3 rows × 32 columns keeps 12 eight-wide accumulators while k runs);
/// - backward-data col = Wᵀ·gy: each row of col is Cout scaled rows of gy;
/// - backward-weight gW += gy·colᵀ: each row of col is read once against the Cout rows of gy.
/// Every output's sum runs in one fixed order and threads split only independent outputs, so results are
/// bit-identical for any thread count.
extension Conv2D {
    static let thinMaxRows = 3

    /// c[i, j] = Σ_p a[i, p]·b[p, j] for i < m ≤ 3 (row-major; β = 0, α = 1); with `accumulate`, the sum
    /// continues from c (c[i, j] + Σ_p …, one FMA chain), so splitting k into consecutive calls changes no bits.
    static func thinProduct(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>,
                            ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool = false,
                            serial: Bool) {
        precondition(m >= 1 && m <= thinMaxRows)
        // Rows past m read row 0 of A and are never stored: the tile always does 3 rows of arithmetic.
        let a0 = a, a1 = m > 1 ? a + lda : a, a2 = m > 2 ? a + 2 * lda : a
        Parallel.forRanges(n, granularity: 32, parts: serial ? 1 : nil) { cols in
            var j = cols.lowerBound
            while j + 32 <= cols.upperBound {
                var tile = ThinTile()
                if accumulate { tile.load(c + j, ldc: ldc, rows: m) }
                var bp = UnsafeRawPointer(b + j)
                for p in 0..<k {
                    tile.add(bp, a0[p], a1[p], a2[p])
                    bp += ldb * MemoryLayout<Float>.stride
                }
                tile.store(c + j, ldc: ldc, rows: m)
                j += 32
            }
            // Tail columns: the same k-order, one column at a time.
            while j < cols.upperBound {
                for i in 0..<m {
                    let ai = a + i * lda
                    var s: Float = accumulate ? c[i * ldc + j] : 0
                    for p in 0..<k { s.addProduct(ai[p], b[p * ldb + j]) }
                    c[i * ldc + j] = s
                }
                j += 1
            }
        }
    }

    /// c[r, j] = Σ_{i<m} a[i, r]·b[i, j] for r < rows, j < n, m ≤ 3 (col = Wᵀ·gy).
    static func thinTransposedProduct(m: Int, rows: Int, n: Int, a: UnsafePointer<Float>, lda: Int,
                                      b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                                      serial: Bool) {
        precondition(m >= 1 && m <= thinMaxRows)
        let b0 = b, b1 = b + (m > 1 ? ldb : 0), b2 = b + (m > 2 ? 2 * ldb : 0)
        Parallel.forRanges(rows, granularity: max(1, 16384 / max(1, n)), parts: serial ? 1 : nil) { rs in
            for r in rs {
                let w0 = a[r], w1 = m > 1 ? a[lda + r] : 0, w2 = m > 2 ? a[2 * lda + r] : 0
                let v0 = SIMD8<Float>(repeating: w0), v1 = SIMD8<Float>(repeating: w1)
                let v2 = SIMD8<Float>(repeating: w2)
                let out = c + r * ldc
                var j = 0
                while j + 8 <= n {
                    var v = v0 * load8(b0 + j)
                    if m > 1 { v.addProduct(v1, load8(b1 + j)) }
                    if m > 2 { v.addProduct(v2, load8(b2 + j)) }
                    UnsafeMutableRawPointer(out + j).storeBytes(of: v, as: SIMD8<Float>.self)
                    j += 8
                }
                while j < n {
                    var v = w0 * b0[j]
                    if m > 1 { v.addProduct(w1, b1[j]) }
                    if m > 2 { v.addProduct(w2, b2[j]) }
                    out[j] = v
                    j += 1
                }
            }
        }
    }

    /// gw[i, r] += Σ_j g[i, j]·col[r, j] for i < m ≤ 3, r < rows (gW += gy·colᵀ).
    static func thinGradWeight(m: Int, rows: Int, n: Int, g: UnsafePointer<Float>, ldg: Int,
                               col: UnsafePointer<Float>, ldcol: Int, gw: UnsafeMutablePointer<Float>, ldw: Int,
                               serial: Bool) {
        precondition(m >= 1 && m <= thinMaxRows)
        let g0 = g, g1 = g + (m > 1 ? ldg : 0), g2 = g + (m > 2 ? 2 * ldg : 0)
        Parallel.forRanges(rows, granularity: max(1, 16384 / max(1, n)), parts: serial ? 1 : nil) { rs in
            for r in rs {
                let x = col + r * ldcol
                // Two chains per output channel hide the FMA latency.
                var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>()
                var e0 = SIMD8<Float>(), e1 = SIMD8<Float>(), e2 = SIMD8<Float>()
                var j = 0
                while j + 16 <= n {
                    let xa = load8(x + j), xb = load8(x + j + 8)
                    a0.addProduct(load8(g0 + j), xa); e0.addProduct(load8(g0 + j + 8), xb)
                    if m > 1 { a1.addProduct(load8(g1 + j), xa); e1.addProduct(load8(g1 + j + 8), xb) }
                    if m > 2 { a2.addProduct(load8(g2 + j), xa); e2.addProduct(load8(g2 + j + 8), xb) }
                    j += 16
                }
                var s0 = (a0 + e0).sum(), s1 = (a1 + e1).sum(), s2 = (a2 + e2).sum()
                while j < n {
                    s0.addProduct(g0[j], x[j])
                    if m > 1 { s1.addProduct(g1[j], x[j]) }
                    if m > 2 { s2.addProduct(g2[j], x[j]) }
                    j += 1
                }
                gw[r] += s0
                if m > 1 { gw[ldw + r] += s1 }
                if m > 2 { gw[2 * ldw + r] += s2 }
            }
        }
    }

    /// True when the thin forward can read a zero-padded copy of the input band directly instead of unrolling
    /// it (stride 1, zero padding): 8× less memory traffic than im2col for a 3×3 kernel.
    static func thinDirect(_ g: Conv2DGeometry) -> Bool {
        g.outChannels <= thinMaxRows && g.stride == 1 && g.paddingMode == .zeros && !g.isPointwise
    }

    /// y[:, rows] of one image (C×H×W at `image`, output Cout×Ho×Wo at `y`) for a `thinDirect` geometry.
    ///
    /// Copies input rows [r0 − p, r1 − 1 − p + k) of every channel into a zero-padded scratch band (row length
    /// Wp ≥ ⌈Wo/32⌉·32 + k − 1, column q holding x column q − p), so that the col entry (c, ki, kj; oh, ow) is
    /// band[c, oh − r0 + ki, ow + kj]. Each output runs the same FMA chain over p = (c·k + ki)·k + kj as
    /// `thinProduct` on the unrolled col, zeros included, so the bits match the im2col path exactly.
    static func thinDirectForward(_ g: Conv2DGeometry, weight w: UnsafePointer<Float>, image: UnsafePointer<Float>,
                                  rows: Range<Int>, into y: UnsafeMutablePointer<Float>) {
        let m = g.outChannels, k = g.kernel, pad = g.padding, wo = g.outWidth, ohw = g.outHeight * wo
        let rowsIn = rows.count + k - 1, tiles = (wo + 31) / 32
        let wp = tiles * 32 + k - 1, plane = rowsIn * wp, patch = g.patchSize
        let a0 = w, a1 = m > 1 ? w + patch : w, a2 = m > 2 ? w + 2 * patch : w
        ScratchPool.withFloats(g.inChannels * plane + 32 * thinMaxRows) { band in
            let spill = band + g.inChannels * plane  // one partial tile at the right edge
            for c in 0..<g.inChannels {
                let src = image + c * g.height * g.width
                for r in 0..<rowsIn {
                    let dst = band + c * plane + r * wp, ih = rows.lowerBound - pad + r
                    dst.update(repeating: 0, count: wp)
                    if ih >= 0 && ih < g.height {
                        // Columns q = iw + p; clip what falls past the padded row (p > k − 1 never reads them).
                        let n = min(g.width, wp - pad)
                        if n > 0 { copyRow(dst + pad, src + ih * g.width, count: n) }
                    }
                }
            }
            for oh in rows {
                let r = oh - rows.lowerBound
                for t in 0..<tiles {
                    let j = t * 32
                    var tile = ThinTile()
                    var p = 0
                    for c in 0..<g.inChannels {
                        for ki in 0..<k {
                            var bp = UnsafeRawPointer(band + c * plane + (r + ki) * wp + j)
                            for _ in 0..<k {
                                tile.add(bp, a0[p], a1[p], a2[p])
                                bp += MemoryLayout<Float>.stride
                                p += 1
                            }
                        }
                    }
                    let full = j + 32 <= wo
                    let out = y + oh * wo + j
                    tile.store(full ? out : spill, ldc: full ? ohw : 32, rows: m)
                    if !full {
                        for i in 0..<m { (out + i * ohw).update(from: spill + 32 * i, count: wo - j) }
                    }
                }
            }
        }
    }

    /// gx[:, inputRows] of one image for a `thinDirect` geometry (overwrites those rows, then `epilogue`):
    /// gx[c, ih, iw] = Σ_{o, ki, kj} w[o, c, ki, kj]·gy[o, ih + p − ki, iw + p − kj], gathered from a zero-padded
    /// copy of the gy rows the band needs (band[o, r, q] = gy[o, i0 + p − (k−1) + r, q − (k−1) + p]), three input
    /// channels × 32 columns per tile. Each gx element is one FMA chain over (o, ki, kj): no col, no scatter, and
    /// bands of input rows never overlap.
    static func thinDirectBackwardData(_ g: Conv2DGeometry, weight w: UnsafePointer<Float>,
                                       gradOutput gy: UnsafePointer<Float>, inputRows: Range<Int>,
                                       into gx: UnsafeMutablePointer<Float>, epilogue: Epilogue) {
        let m = g.outChannels, k = g.kernel, pad = g.padding, wo = g.outWidth, ho = g.outHeight
        let width = g.width, hw = g.height * width, kk = k * k, patch = g.patchSize
        let rowsIn = inputRows.count + k - 1, tiles = (width + 31) / 32
        let wp = tiles * 32 + k - 1, plane = rowsIn * wp
        let shift = k - 1 - pad  // q = ow + shift
        ScratchPool.withFloats(m * plane + 32 * thinMaxRows) { band in
            let spill = band + m * plane
            for o in 0..<m {
                for r in 0..<rowsIn {
                    let dst = band + o * plane + r * wp, oh = inputRows.lowerBound + pad - (k - 1) + r
                    dst.update(repeating: 0, count: wp)
                    guard oh >= 0 && oh < ho else { continue }
                    // Columns q = ow + shift inside 0..<wp.
                    let lo = max(0, -shift), hi = min(wo, wp - shift)
                    if lo < hi { copyRow(dst + lo + shift, gy + o * ho * wo + oh * wo + lo, count: hi - lo) }
                }
            }
            var c = 0
            while c < g.inChannels {
                let live = min(thinMaxRows, g.inChannels - c)
                // Channels past `live` repeat channel c's weights and are never stored.
                let w0 = w + c * kk, w1 = w + (live > 1 ? c + 1 : c) * kk, w2 = w + (live > 2 ? c + 2 : c) * kk
                for ih in inputRows {
                    let r = ih - inputRows.lowerBound
                    for t in 0..<tiles {
                        let j = t * 32
                        var tile = ThinTile()
                        for o in 0..<m {
                            let wo0 = w0 + o * patch, wo1 = w1 + o * patch, wo2 = w2 + o * patch
                            for ki in 0..<k {
                                let row = band + o * plane + (r + k - 1 - ki) * wp + j + k - 1
                                for kj in 0..<k {
                                    let e = ki * k + kj
                                    tile.add(UnsafeRawPointer(row - kj), wo0[e], wo1[e], wo2[e])
                                }
                            }
                        }
                        let full = j + 32 <= width
                        let out = gx + c * hw + ih * width + j
                        tile.store(full ? out : spill, ldc: full ? hw : 32, rows: live)
                        if !full {
                            for i in 0..<live { (out + i * hw).update(from: spill + 32 * i, count: width - j) }
                        }
                    }
                }
                if !epilogue.isNoOp {
                    let span = (inputRows.lowerBound * width)..<(inputRows.upperBound * width)
                    for i in 0..<live { epilogue.apply(channel: c + i, gx + (c + i) * hw, span) }
                }
                c += live
            }
        }
    }

    /// Input channels per chunk of the unrolled input for the thin kernels: they do ≤ 3 FMAs per col element,
    /// so col is unrolled a few channels at a time and consumed while it is in L2 instead of streaming a whole
    /// band of it through memory.
    /// `budget` is the band budget (`ConvBands`); chunks get an eighth of it (256 KiB by default).
    static func thinChunkChannels(_ g: Conv2DGeometry, columns: Int, budget: Int) -> Int {
        max(1, (budget / 8) / max(1, g.kernel * g.kernel * columns))
    }

    @inline(__always)
    private static func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }
}

/// The thin kernels' register tile: 3 rows × 32 columns of FMA accumulators (12 eight-wide vectors).
struct ThinTile {
    var r0 = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
    var r1 = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
    var r2 = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())

    /// row i += w_i · b[0..<32] for the three rows (one FMA each, so a chain of calls is one FMA chain).
    @inline(__always)
    mutating func add(_ b: UnsafeRawPointer, _ w0: Float, _ w1: Float, _ w2: Float) {
        let b0 = b.loadUnaligned(as: SIMD8<Float>.self)
        let b1 = b.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
        let b2 = b.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self)
        let b3 = b.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self)
        let v0 = SIMD8<Float>(repeating: w0), v1 = SIMD8<Float>(repeating: w1), v2 = SIMD8<Float>(repeating: w2)
        r0.0.addProduct(v0, b0); r0.1.addProduct(v0, b1); r0.2.addProduct(v0, b2); r0.3.addProduct(v0, b3)
        r1.0.addProduct(v1, b0); r1.1.addProduct(v1, b1); r1.2.addProduct(v1, b2); r1.3.addProduct(v1, b3)
        r2.0.addProduct(v2, b0); r2.1.addProduct(v2, b1); r2.2.addProduct(v2, b2); r2.3.addProduct(v2, b3)
    }

    /// Loads the first `rows` rows from c (row stride `ldc`).
    @inline(__always)
    mutating func load(_ c: UnsafePointer<Float>, ldc: Int, rows: Int) {
        r0 = Self.load(c)
        if rows > 1 { r1 = Self.load(c + ldc) }
        if rows > 2 { r2 = Self.load(c + 2 * ldc) }
    }

    /// Stores the first `rows` rows to c (row stride `ldc`).
    @inline(__always)
    func store(_ c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int) {
        Self.store(c, r0)
        if rows > 1 { Self.store(c + ldc, r1) }
        if rows > 2 { Self.store(c + 2 * ldc, r2) }
    }

    typealias Row = (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>)

    @inline(__always)
    private static func load(_ p: UnsafePointer<Float>) -> Row {
        let raw = UnsafeRawPointer(p)
        return (raw.loadUnaligned(as: SIMD8<Float>.self), raw.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self),
                raw.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self),
                raw.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self))
    }

    @inline(__always)
    private static func store(_ p: UnsafeMutablePointer<Float>, _ v: Row) {
        let out = UnsafeMutableRawPointer(p)
        out.storeBytes(of: v.0, as: SIMD8<Float>.self)
        out.storeBytes(of: v.1, toByteOffset: 32, as: SIMD8<Float>.self)
        out.storeBytes(of: v.2, toByteOffset: 64, as: SIMD8<Float>.self)
        out.storeBytes(of: v.3, toByteOffset: 96, as: SIMD8<Float>.self)
    }
}
