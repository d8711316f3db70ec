/// Winograd F(2×2, 3×3) for 3×3, stride-1, padding-1 convolutions (the post-filters' layers, forward and
/// zero-padded backward-data): 16 multiplications per 2×2 output tile and channel pair instead of 36, as 16 GEMMs.
///
/// READ ME FIRST
/// - Lavin & Gray's algorithm: with d the 4×4 input tile whose top-left pixel is (2ty − 1, 2tx − 1) and g a 3×3
///   filter, the 2×2 output tile is Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A. Summed over input channels, position ξ = 4i + j of
///   the 4×4 transformed domain is one matrix product M_ξ (Cout × tiles) = U_ξ (Cout × C) · V_ξ (C × tiles).
/// - Work is cut into items of (image, tile row, chunk of tiles), sized so an item's V and M (16·(C + Cout)
///   floats per tile) stay near one core's L2; the input transform writes V_ξ straight into GEMM's packed-B
///   layout. Items run in parallel with single-threaded GEMMs (`ConvBands.run`); every output value is computed
///   by the same operations in the same order for any thread count.
/// - The transforms' coefficients are 0, ±1 and ±½, so the results differ from the unrolled GEMM's only by
///   rounding (relative error ~1e-6 at these sizes; `ConvTests` compares both with the float64 reference).
/// - `Conv2D.forward` uses it when `winogradApplies`, and so does `Conv2D.backwardData` of a zero-padded 3×3/1/1
///   convolution (a convolution of gy with the flipped filters); the weight gradient keeps the unrolled kernels.
extension Conv2D {
    /// Which algorithm `forward` uses (tests and benchmarks force one; `.auto` picks Winograd where it applies).
    public enum Algorithm: Sendable {
        case auto, unrolled, winograd
    }

    /// 3×3, stride 1, padding 1, more output channels than the thin kernel takes and enough input channels for
    /// the 16 products to be worth their transforms (measured: the post-filters' 48- and 64-channel layers).
    public static func winogradApplies(_ g: Conv2DGeometry) -> Bool {
        g.kernel == 3 && g.stride == 1 && g.padding == 1 && g.outChannels > thinMaxRows && g.inChannels >= 8
            && g.height >= 2 && g.width >= 2
    }

    /// The convolution that computes `g`'s backward-data (gx = W̃ ⊛ gy, W̃ the flipped filters with input and
    /// output channels swapped) when `g` is zero-padded 3×3, stride 1, padding 1 and that convolution is one
    /// Winograd takes; nil otherwise (reflect padding folds gradients onto mirrored pixels: not a convolution).
    static func winogradBackwardGeometry(_ g: Conv2DGeometry) -> Conv2DGeometry? {
        guard g.kernel == 3 && g.stride == 1 && g.padding == 1 && g.paddingMode == .zeros else { return nil }
        let t = Conv2DGeometry(batch: g.batch, inChannels: g.outChannels, height: g.outHeight, width: g.outWidth,
                               outChannels: g.inChannels, kernel: 3, stride: 1, padding: 1)
        return winogradApplies(t) ? t : nil
    }

    /// Floats of an item's V and M together (the chunk of tiles follows from it).
    static let winogradItemBudget = 1 << 17

    /// Tile rows and columns of the output (2×2 tiles), and how each tile row is cut into items: `chunks` chunks of
    /// at most `chunk` tiles, a multiple of GEMM's panel width (16 or 32; of 8, the transforms' vector width, too),
    /// at least 32, at most a tile row (rounded up), sized by `winogradItemBudget`. Chunks of whole panels need no
    /// zeroed padding columns but in a row's last one (with 8-tile rounding, 80-tile chunks of a 768-wide 48-channel
    /// layer zeroed 16 columns of every channel's 16 panels: 2 % of a dwt97-pf-wide decode in memset calls).
    static func winogradTiling(_ g: Conv2DGeometry) -> (tilesY: Int, tilesX: Int, chunks: Int, chunk: Int) {
        let tilesY = (g.outHeight + 1) / 2, tilesX = (g.outWidth + 1) / 2
        let budget = max(32, winogradItemBudget / (16 * (g.inChannels + g.outChannels)) / 8 * 8)
        let unit = max(8, GEMM.PackedB.columns)
        let parts = (tilesX + budget - 1) / budget
        let chunk = ((tilesX + parts - 1) / parts + unit - 1) / unit * unit
        return (tilesY, tilesX, (tilesX + chunk - 1) / chunk, chunk)
    }

    /// U_ξ[o][c] = (G g Gᵀ)[ξ] for every filter g = w[o][c], ξ-major: 16 matrices of Cout × C.
    static func winogradWeights(_ g: Conv2DGeometry, _ w: UnsafePointer<Float>, into u: UnsafeMutablePointer<Float>) {
        let co = g.outChannels, ci = g.inChannels
        for o in 0..<co {
            for c in 0..<ci {
                let f = w + (o * ci + c) * 9
                // Row i of G·f (4×3): f's rows f0, (f0 + f1 + f2)/2, (f0 − f1 + f2)/2, f2; then (G f) Gᵀ likewise
                // along each row.
                for i in 0..<4 {
                    @inline(__always) func gRow(_ k: Int) -> Float {
                        let a = f[k], b = f[3 + k], d = f[6 + k]
                        switch i {
                        case 0: return a
                        case 1: return 0.5 * (a + b + d)
                        case 2: return 0.5 * (a - b + d)
                        default: return d
                        }
                    }
                    let r = (gRow(0), gRow(1), gRow(2))
                    let row = (r.0, 0.5 * (r.0 + r.1 + r.2), 0.5 * (r.0 - r.1 + r.2), r.2)
                    u[((4 * i + 0) * co + o) * ci + c] = row.0
                    u[((4 * i + 1) * co + o) * ci + c] = row.1
                    u[((4 * i + 2) * co + o) * ci + c] = row.2
                    u[((4 * i + 3) * co + o) * ci + c] = row.3
                }
            }
        }
    }

    static func winogradForward(_ g: Conv2DGeometry, input x: UnsafePointer<Float>, weight w: UnsafePointer<Float>,
                                output y: UnsafeMutablePointer<Float>, epilogue: Epilogue) {
        let co = g.outChannels, ci = g.inChannels, ho = g.outHeight, wo = g.outWidth
        let (tilesY, tilesX, chunks, chunk) = winogradTiling(g), items = g.batch * tilesY * chunks
        let nr = GEMM.PackedB.columns
        ScratchPool.withFloats(16 * co * ci) { u in
            winogradWeights(g, w, into: u)
            ConvBands.run(items) { item, serial in
                let n = item / (tilesY * chunks), ty = item / chunks % tilesY, k = item % chunks
                let tx0 = k * chunk, count = min(chunk, tilesX - tx0)
                let layout = GEMM.PackedB(k: ci, n: count)
                let vCount = layout.count, mCount = co * count
                let lineLength = 2 * chunk + 2 + 16
                ScratchPool.withFloats(16 * (vCount + mCount) + 4 * lineLength) { scratch in
                    let v = scratch, m = scratch + 16 * vCount, lines = m + 16 * mCount
                    let xn = x + n * ci * g.height * g.width
                    for c in 0..<ci {
                        let rows = winogradGather(g, image: xn + c * g.height * g.width, tileRow: ty,
                                                  firstTile: tx0, tiles: count, lineLength: lineLength, into: lines)
                        let (start, panelStride) = layout.row(c)
                        winogradInputTransform(rows, tiles: count, v: v + start,
                                               panelStride: panelStride, planeStride: vCount, nr: nr)
                        if count % nr != 0 {  // GEMM multiplies the padding columns: they must be zero
                            let pad = start + count / nr * panelStride + count % nr
                            for xi in 0..<16 { (v + xi * vCount + pad).update(repeating: 0, count: nr - count % nr) }
                        }
                    }
                    for xi in 0..<16 {
                        GEMM.sgemm(m: co, n: count, k: ci, alpha: 1, a: u + xi * co * ci, lda: ci,
                                   packedB: v + xi * vCount, beta: 0, c: m + xi * mCount, ldc: count,
                                   maxThreads: serial ? 1 : nil)
                    }
                    let yn = y + n * co * ho * wo
                    for o in 0..<co {
                        let row0 = yn + o * ho * wo + 2 * ty * wo, row1 = 2 * ty + 1 < ho ? row0 + wo : nil
                        winogradOutputTransform(m + o * count, planeStride: mCount, tiles: count, row0: row0,
                                                row1: row1, firstColumn: 2 * tx0, width: wo)
                        let columns = (2 * tx0)..<min(wo, 2 * (tx0 + count))
                        epilogue.apply(channel: o, row0, columns)
                        if let row1 { epilogue.apply(channel: o, row1, columns) }
                    }
                }
            }
        }
    }

    /// The 4 input rows 2ty − 1 … 2ty + 2 of one channel over columns 2tx0 − 1 … 2(tx0 + tiles), padded (zeros or
    /// mirrored): a row inside the image whose columns (and the transform's over-read past the last tile, up to
    /// `lineLength` floats) lie inside it is read in place; the others are copied into a line of `lineLength`
    /// floats with the padding and a zero tail. (The copies are a tenth of a 48-channel layer's samples, but reading
    /// more rows in place only moved that time into the transform: the input streams from memory either way.)
    @inline(never)
    static func winogradGather(_ g: Conv2DGeometry, image: UnsafePointer<Float>, tileRow ty: Int, firstTile tx0: Int,
                               tiles: Int, lineLength: Int, into lines: UnsafeMutablePointer<Float>) -> WinogradRows {
        let h = g.height, w = g.width, reflect = g.paddingMode == .reflect
        let x0 = 2 * tx0 - 1, span = 2 * tiles + 2
        @inline(__always) func row(_ r: Int) -> UnsafePointer<Float> {
            let line = lines + r * lineLength
            var iy = 2 * ty - 1 + r
            if reflect { iy = iy < 0 ? -iy : (iy >= h ? 2 * h - 2 - iy : iy) }
            if iy < 0 || iy >= h {
                line.update(repeating: 0, count: lineLength)
                return UnsafePointer(line)
            }
            let src = image + iy * w
            if x0 >= 0 && x0 + lineLength <= w { return src + x0 }
            let lo = max(0, x0), hi = min(w, x0 + span)
            if lo > x0 { line.update(repeating: 0, count: lo - x0) }
            line.advanced(by: lo - x0).update(from: src + lo, count: hi - lo)
            line.advanced(by: hi - x0).update(repeating: 0, count: lineLength - (hi - x0))
            if reflect {
                if x0 < 0 { line[0] = src[1] }
                if x0 + span > w && w - x0 < span { line[w - x0] = src[w - 2] }
            }
            return UnsafePointer(line)
        }
        return (row(0), row(1), row(2), row(3))
    }

    /// Four input rows (in place or padded lines) of one channel: tile t's d[r][s] is rows.r[2t + s].
    typealias WinogradRows = (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>)
    typealias WinogradVector4 = (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>)

    /// Rows 0…3 of Bᵀ d for tiles t0 … t0 + 7 (reading 24 floats from column 2t0 of each row): d0 − d2, d1 + d2,
    /// d2 − d1, d1 − d3, column by column; a row's columns s = 0…3 are the even and odd lanes of two 16-float loads.
    @inline(__always)
    static func winogradBtD(_ rows: WinogradRows, _ t0: Int)
        -> (WinogradVector4, WinogradVector4, WinogradVector4, WinogradVector4) {
        @inline(__always) func columns(_ row: UnsafePointer<Float>) -> WinogradVector4 {
            let p = UnsafeRawPointer(row + 2 * t0)
            let a = p.loadUnaligned(as: SIMD16<Float>.self), b = (p + 8).loadUnaligned(as: SIMD16<Float>.self)
            return (a.evenHalf, a.oddHalf, b.evenHalf, b.oddHalf)
        }
        let d0 = columns(rows.0), d1 = columns(rows.1), d2 = columns(rows.2), d3 = columns(rows.3)
        return ((d0.0 - d2.0, d0.1 - d2.1, d0.2 - d2.2, d0.3 - d2.3),
                (d1.0 + d2.0, d1.1 + d2.1, d1.2 + d2.2, d1.3 + d2.3),
                (d2.0 - d1.0, d2.1 - d1.1, d2.2 - d1.2, d2.3 - d1.3),
                (d1.0 - d3.0, d1.1 - d3.1, d1.2 - d3.2, d1.3 - d3.3))
    }

    /// Row t of Bᵀ d times B — columns t0 − t2, t1 + t2, t2 − t1, t1 − t3, positions ξ = 4i … 4i + 3 — stored at
    /// base, base + stride, base + 2·stride, base + 3·stride.
    @inline(__always)
    static func winogradStoreRow(_ t: WinogradVector4, _ base: UnsafeMutablePointer<Float>, stride: Int) {
        typealias V8 = SIMD8<Float>
        UnsafeMutableRawPointer(base).storeBytes(of: t.0 - t.2, as: V8.self)
        UnsafeMutableRawPointer(base + stride).storeBytes(of: t.1 + t.2, as: V8.self)
        UnsafeMutableRawPointer(base + 2 * stride).storeBytes(of: t.2 - t.1, as: V8.self)
        UnsafeMutableRawPointer(base + 3 * stride).storeBytes(of: t.1 - t.3, as: V8.self)
    }

    /// V_ξ = Bᵀ d B for `tiles` tiles, 8 at a time (reading up to 16 floats past the last tile's d); V_ξ of tile t
    /// goes to `v + ξ·planeStride + (t / nr)·panelStride + t % nr` (GEMM's packed B: one row c of each V_ξ).
    @inline(never)
    static func winogradInputTransform(_ rows: WinogradRows, tiles: Int, v: UnsafeMutablePointer<Float>,
                                       panelStride: Int, planeStride: Int, nr: Int) {
        var t0 = 0
        while t0 < tiles {
            let t = winogradBtD(rows, t0), base = v + t0 / nr * panelStride + t0 % nr
            winogradStoreRow(t.0, base, stride: planeStride)
            winogradStoreRow(t.1, base + 4 * planeStride, stride: planeStride)
            winogradStoreRow(t.2, base + 8 * planeStride, stride: planeStride)
            winogradStoreRow(t.3, base + 12 * planeStride, stride: planeStride)
            t0 += 8
        }
    }

    /// y = Aᵀ M A for `tiles` tiles of one output channel (M_ξ of tile t at `m[ξ·planeStride + t]`), written to
    /// rows `row0` and `row1` (nil past the last output row) from column `firstColumn`, columns ≥ `width` dropped.
    @inline(never)  // (its own function: inlined into the item loop, its vector loads were calls)
    static func winogradOutputTransform(_ m: UnsafeMutablePointer<Float>, planeStride: Int, tiles: Int,
                                        row0: UnsafeMutablePointer<Float>, row1: UnsafeMutablePointer<Float>?,
                                        firstColumn: Int, width: Int) {
        typealias V8 = SIMD8<Float>
        var t0 = 0
        while t0 < tiles {
            @inline(__always) func load(_ xi: Int) -> V8 {
                UnsafeRawPointer(m + xi * planeStride + t0).loadUnaligned(as: V8.self)
            }
            // Aᵀ M: s0 = M0 + M1 + M2, s1 = M1 − M2 − M3 (rows of the 4×4), then the same across columns.
            @inline(__always) func column(_ j: Int) -> (V8, V8) {
                let a = load(j), b = load(4 + j), c = load(8 + j), d = load(12 + j)
                return (a + b + c, b - c - d)
            }
            let c0 = column(0), c1 = column(1), c2 = column(2), c3 = column(3)
            let s0 = (c0.0, c1.0, c2.0, c3.0), s1 = (c0.1, c1.1, c2.1, c3.1)
            let y00 = s0.0 + s0.1 + s0.2, y01 = s0.1 - s0.2 - s0.3
            let y10 = s1.0 + s1.1 + s1.2, y11 = s1.1 - s1.2 - s1.3
            let x0 = firstColumn + 2 * t0
            let n = min(8, tiles - t0)
            if n == 8 && x0 + 16 <= width {
                for k in 0..<8 {
                    row0[x0 + 2 * k] = y00[k]
                    row0[x0 + 2 * k + 1] = y01[k]
                }
                if let row1 {
                    for k in 0..<8 {
                        row1[x0 + 2 * k] = y10[k]
                        row1[x0 + 2 * k + 1] = y11[k]
                    }
                }
            } else {
                for k in 0..<n {
                    let x = x0 + 2 * k
                    row0[x] = y00[k]
                    if x + 1 < width { row0[x + 1] = y01[k] }
                    if let row1 {
                        row1[x] = y10[k]
                        if x + 1 < width { row1[x + 1] = y11[k] }
                    }
                }
            }
            t0 += 8
        }
    }
}

// MARK: - Weight gradient

extension Conv2D {
    /// gW += ∂L/∂W through the same algorithm: with U = G g Gᵀ and the output tile Aᵀ(U ⊙ V)A, ∂L/∂U_ξ is
    /// Σ over tiles of (A Ȳ Aᵀ)_ξ ⊗ V_ξ (Ȳ the tile's 2×2 output gradient), one GEMM per ξ and item:
    /// dU_ξ (Cout × C) += M̄_ξ (Cout × tiles) · V_ξᵀ, and ∂L/∂g = Gᵀ dU G. The 16 positions are split between the
    /// threads by rows i of ξ = 4i + j (at most 4 parts); each part runs every item in order and transforms only its
    /// rows, so each dU_ξ is summed in the same order for any thread count and no part waits for another.
    static func winogradBackwardWeight(_ g: Conv2DGeometry, input x: UnsafePointer<Float>,
                                       gradOutput gy: UnsafePointer<Float>, gradWeight gw: UnsafeMutablePointer<Float>) {
        let co = g.outChannels, ci = g.inChannels, ho = g.outHeight, wo = g.outWidth
        let (tilesY, tilesX, chunks, chunk) = winogradTiling(g), items = g.batch * tilesY * chunks
        let lineLength = 2 * chunk + 2 + 16
        ScratchPool.withFloats(16 * co * ci) { du in
            du.update(repeating: 0, count: 16 * co * ci)
            Parallel.forRanges(4, parts: min(4, Parallel.threadCount)) { iRows in
                let positions = 4 * iRows.count
                ScratchPool.withFloats(positions * (ci + co) * chunk + 4 * lineLength) { scratch in
                    let v = scratch, mb = v + positions * ci * chunk, lines = mb + positions * co * chunk
                    for item in 0..<items {
                        let n = item / (tilesY * chunks), ty = item / chunks % tilesY, k = item % chunks
                        let tx0 = k * chunk, count = min(chunk, tilesX - tx0)
                        let xn = x + n * ci * g.height * g.width
                        for c in 0..<ci {
                            let rows = winogradGather(g, image: xn + c * g.height * g.width, tileRow: ty,
                                                      firstTile: tx0, tiles: count, lineLength: lineLength,
                                                      into: lines)
                            winogradInputRows(rows, tiles: count, rowsOfXi: iRows, out: v + c * chunk,
                                              planeStride: ci * chunk)
                        }
                        let gyn = gy + n * co * ho * wo
                        for o in 0..<co {
                            let plane = gyn + o * ho * wo
                            winogradGradientRows(plane + 2 * ty * wo, 2 * ty + 1 < ho ? plane + (2 * ty + 1) * wo : nil,
                                                 firstColumn: 2 * tx0, width: wo, tiles: count, lines: lines,
                                                 rowsOfXi: iRows, out: mb + o * chunk, planeStride: co * chunk)
                        }
                        for p in 0..<positions {
                            let xi = 4 * iRows.lowerBound + p
                            GEMM.sgemm(transA: false, transB: true, m: co, n: ci, k: count, alpha: 1,
                                       a: mb + p * co * chunk, lda: chunk, b: v + p * ci * chunk, ldb: chunk,
                                       beta: 1, c: du + xi * co * ci, ldc: ci, maxThreads: 1)
                        }
                    }
                }
            }
            // gW[o][c] += Gᵀ dU G, Gᵀ = [[1, ½, ½, 0], [0, ½, −½, 0], [0, ½, ½, 1]].
            Parallel.forRanges(co) { os in
                for o in os {
                    for c in 0..<ci {
                        @inline(__always) func d(_ i: Int, _ j: Int) -> Float { du[((4 * i + j) * co + o) * ci + c] }
                        @inline(__always) func gt(_ a: Float, _ b: Float, _ cc: Float, _ dd: Float, _ row: Int) -> Float {
                            switch row {
                            case 0: return a + 0.5 * (b + cc)
                            case 1: return 0.5 * (b - cc)
                            default: return 0.5 * (b + cc) + dd
                            }
                        }
                        let dst = gw + (o * ci + c) * 9
                        for ky in 0..<3 {
                            // Row ky of Gᵀ dU (4 values), then times G along it.
                            let r0 = gt(d(0, 0), d(1, 0), d(2, 0), d(3, 0), ky)
                            let r1 = gt(d(0, 1), d(1, 1), d(2, 1), d(3, 1), ky)
                            let r2 = gt(d(0, 2), d(1, 2), d(2, 2), d(3, 2), ky)
                            let r3 = gt(d(0, 3), d(1, 3), d(2, 3), d(3, 3), ky)
                            for kx in 0..<3 { dst[3 * ky + kx] += gt(r0, r1, r2, r3, kx) }
                        }
                    }
                }
            }
        }
    }

    /// Rows `rowsOfXi` of V = Bᵀ d B for `tiles` tiles (as `winogradInputTransform`), in plain rows: V_ξ of tile t
    /// at `out[(ξ − 4·rowsOfXi.lowerBound)·planeStride + t]` (8 at a time: up to 7 values past the last tile).
    @inline(never)
    static func winogradInputRows(_ rows: WinogradRows, tiles: Int, rowsOfXi: Range<Int>,
                                  out: UnsafeMutablePointer<Float>, planeStride: Int) {
        var t0 = 0
        while t0 < tiles {
            let t = winogradBtD(rows, t0)
            for i in rowsOfXi {
                let row = i == 0 ? t.0 : (i == 1 ? t.1 : (i == 2 ? t.2 : t.3))
                winogradStoreRow(row, out + 4 * (i - rowsOfXi.lowerBound) * planeStride + t0, stride: planeStride)
            }
            t0 += 8
        }
    }

    /// Rows `rowsOfXi` of M̄ = A Ȳ Aᵀ (A = [[1, 0], [1, 1], [1, −1], [0, −1]]) for `tiles` tiles of one output
    /// channel's gradient, Ȳ of tile t being rows `row0`, `row1` (nil: zeros) at columns firstColumn + 2t, + 1
    /// (zeros from `width` on); M̄_ξ of tile t at `out[(ξ − 4·rowsOfXi.lowerBound)·planeStride + t]`.
    @inline(never)
    static func winogradGradientRows(_ row0: UnsafePointer<Float>, _ row1: UnsafePointer<Float>?, firstColumn: Int,
                                     width: Int, tiles: Int, lines: UnsafeMutablePointer<Float>, rowsOfXi: Range<Int>,
                                     out: UnsafeMutablePointer<Float>, planeStride: Int) {
        typealias V8 = SIMD8<Float>
        // The two rows' columns firstColumn … + 2·tiles (+ 16 read past them), zero from `width` on.
        let span = 2 * tiles + 16, have = max(0, min(span, width - firstColumn))
        let l0 = lines, l1 = lines + span
        l0.update(from: row0 + firstColumn, count: have)
        (l0 + have).update(repeating: 0, count: span - have)
        if let row1 {
            l1.update(from: row1 + firstColumn, count: have)
            (l1 + have).update(repeating: 0, count: span - have)
        } else {
            l1.update(repeating: 0, count: span)
        }
        var t0 = 0
        while t0 < tiles {
            let p0 = l0 + 2 * t0, p1 = l1 + 2 * t0
            let a = UnsafeRawPointer(p0).loadUnaligned(as: SIMD16<Float>.self)
            let b = UnsafeRawPointer(p1).loadUnaligned(as: SIMD16<Float>.self)
            let y00 = a.evenHalf, y01 = a.oddHalf, y10 = b.evenHalf, y11 = b.oddHalf
            for i in rowsOfXi {
                // Row i of A Ȳ: (y0b, y0b + y1b, y0b − y1b, −y1b) for columns b = 0, 1; then times Aᵀ along it.
                let r: (V8, V8)
                switch i {
                case 0: r = (y00, y01)
                case 1: r = (y00 + y10, y01 + y11)
                case 2: r = (y00 - y10, y01 - y11)
                default: r = (V8() - y10, V8() - y11)
                }
                let base = out + 4 * (i - rowsOfXi.lowerBound) * planeStride + t0
                UnsafeMutableRawPointer(base).storeBytes(of: r.0, as: V8.self)
                UnsafeMutableRawPointer(base + planeStride).storeBytes(of: r.0 + r.1, as: V8.self)
                UnsafeMutableRawPointer(base + 2 * planeStride).storeBytes(of: r.0 - r.1, as: V8.self)
                UnsafeMutableRawPointer(base + 3 * planeStride).storeBytes(of: V8() - r.1, as: V8.self)
            }
            t0 += 8
        }
    }
}
