#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Single-precision general matrix multiply, row-major: C ← α·op(A)·op(B) + β·C.
///
/// op(A) is m×k (A is k×m when `transA`), op(B) is k×n (B is n×k when `transB`), C is m×n. Leading dimensions
/// are row strides in elements. When β = 0, C is not read (NaNs in C do not propagate), as in BLAS; when α = 0 or
/// k = 0, A and B are not read and C ← β·C.
///
/// READ ME FIRST (the fast path, Goto/BLIS style):
/// - op(B) is packed in KC×NC blocks as NR-column micro-panels, op(A) in MC×KC blocks as MR-row micro-panels
///   (transposes are resolved while packing, Bᵀ with in-register 8×8 transposes; edges are zero-padded), and
///   a 6×16 FMA micro-kernel keeps its 12 eight-wide accumulators in registers over one KC block (a 4×16
///   variant takes tiles of ≤ 4 rows, and a row block that would end in 1 or 2 rows ends in tiles of 4 and 3–4
///   instead, `Operands.tile`, so m = 64 or 128 wastes no FMAs on padding rows). Built for AVX-512
///   (`-D SWIFTLIC_AVX512`, see `Blocking`) it is 12×32 with 24 sixteen-wide accumulators, in 12/8/4-row
///   variants. Swift has no per-function target attributes, so the kernel is chosen when the library is built,
///   not at run time: the AVX-512 build needs a CPU with AVX-512F (`SWIFTLIC_TARGET_CPU=native` on such a CPU).
/// - A (not transposed) is packed 4×8 blocks at a time, transposed in registers (`transpose4x8`): element by
///   element, LLVM made gathers and scatters of it, 12 % of a CAE training step's samples (now 8.7 %, most of it
///   reading A, a layer's gradient, from memory). Whole 12-row tiles (AVX-512) go 12×8 at a time
///   (`transpose12x8`), loading and storing whole vectors only: from 4×8 blocks' 16-byte stores LLVM built each
///   value with its own scalar load. Packing A fell from 7.3 to 4.8 % of a 256³ call's samples.
/// - B is packed row by row, NB columns at a time, right before first use. Copying a panel's column strip
///   directly would read KC lines a power-of-two stride apart (ldb = 4096, 16384 in convolutions): they fall
///   in a few cache sets and evict each other, which made packing cost a third of the time.
/// - Bᵀ is packed 4 panels (64 columns of op(B), 64 rows of B) at a time instead, when C has one row block: a
///   panel's source is NR contiguous runs of KC, so short chunks cost nothing in access pattern, the packed chunk
///   stays in L2, and the rows of the next chunk are prefetched while the current one is multiplied.
/// - Packing B waits on L3 or memory (B is 9–38 MB in convolutions): 11–20 % of a call when m ≤ 144. Then rows
///   are read NB = 2048 columns at a time: runs of 8 KiB, which the hardware prefetcher follows. With 256-column
///   chunks (1 KiB runs, packed chunk in L2) these shapes ran 1–7 % slower; prefetching the next chunk's
///   source into L2 during the multiply gained half of that, and nothing on top of long runs.
/// - The kernel prefetches its C tile (LLVM's prefetch intrinsic, declared with `@_silgen_name`), because C
///   rows are far apart and the update at the end would otherwise stall on them.
/// - Each element of C gets its k-sum in a fixed order: FMA-accumulate one KC block (block bounds depend on k
///   only), then `C ← α·acc + β·C` for the first block and `C ← α·acc + C` for the next ones. Edge tiles run the
///   same arithmetic on a copy, so a tile's position never changes its bits.
/// - Threads split C into column ranges (or row ranges when C is taller than wide). Column parts all need every
///   block of op(A), so they share one packed copy (`SharedPackedA`: each block is packed by the threads that
///   reach it, a micro-panel each at a time); row parts pack their own. No element's arithmetic depends on the
///   split, so results are bit-identical for any `Parallel.threadCount`.
/// - A ~256³ call takes ~250 µs on two threads, so the hand-off matters: `Parallel`'s workers spin briefly
///   between jobs (see `WorkerPool`); with Dispatch's parked workers 2 threads ran slower than 1 at 256³.
/// - Packing buffers come from `ScratchPool` (reused, huge-page backed), not a fresh allocation per call.
/// - `sgemm(…, packedB:)` takes B already in the packed layout (`PackedB`): convolutions' im2col writes it
///   there directly, one copy of the patches instead of two (pf decoder −18 %, CAE forward −8 % at 1 thread),
///   and the weight gradient's transposed patches (−12 % for a 48→48 layer's gW at 2 threads).
public enum GEMM {
    /// The micro-kernel this library was built with: "12x32-avx512" (`-D SWIFTLIC_AVX512`) or "6x16-avx2".
    public static var kernelName: StaticString {
        #if SWIFTLIC_AVX512
        "12x32-avx512"
        #else
        "6x16-avx2"
        #endif
    }

    /// - Precondition: m, n, k ≥ 0; lda ≥ (transA ? m : k); ldb ≥ (transB ? k : n); ldc ≥ n; buffers large
    ///   enough for those shapes. `validate` checks this for callers at the ABI.
    /// - Parameter maxThreads: at most this many threads (nil: `Parallel.threadCount`). Callers that already
    ///   run several GEMMs in parallel (a convolution's bands) pass 1.
    public static func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                             a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                             beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, maxThreads: Int? = nil) {
        if m == 0 || n == 0 { return }
        if k == 0 || alpha == 0 {
            scale(m: m, n: n, beta: beta, c: c, ldc: ldc)
            return
        }
        let op = Operands(transA: transA, transB: transB, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc,
                          k: k, alpha: alpha, beta: beta, packedB: nil)
        run(op, m: m, n: n, k: k, maxThreads: maxThreads)
    }

    /// C ← α·A·B + β·C with B (k×n) already in the packed panel layout of `PackedB` (for instance written there
    /// directly by a convolution's im2col): the same arithmetic as `sgemm`, bit for bit, without packing B.
    public static func sgemm(m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
                             packedB: UnsafePointer<Float>, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int,
                             maxThreads: Int? = nil) {
        if m == 0 || n == 0 { return }
        if k == 0 || alpha == 0 {
            scale(m: m, n: n, beta: beta, c: c, ldc: ldc)
            return
        }
        let op = Operands(transA: false, transB: false, a: a, lda: lda, b: packedB, ldb: 0, c: c, ldc: ldc,
                          k: k, alpha: alpha, beta: beta, packedB: PackedB(k: k, n: n))
        run(op, m: m, n: n, k: k, maxThreads: maxThreads)
    }

    /// Where op(B)'s element (p, j) lies in a prepacked B: per KC block of k (the blocking `sgemm` uses), its
    /// rows as NR-column panels, the panel of columns jr..<jr+NR holding (p, jr + j) at
    /// `blockStart + jr·kcb + (p − p0)·NR + j`, where the block starting at row p0 has kcb rows and starts at
    /// `p0·paddedColumns`. Columns n..<paddedColumns must hold zeros (they are multiplied, never stored).
    public struct PackedB: Sendable {
        public let k: Int, n: Int, kc: Int, paddedColumns: Int

        public init(k: Int, n: Int) {
            self.k = k
            self.n = n
            kc = Operands.blockSize(k, limit: Blocking.kc, multiple: 1)
            paddedColumns = (n + Blocking.nr - 1) / Blocking.nr * Blocking.nr
        }

        /// Floats of a packed B.
        public var count: Int { k * paddedColumns }
        /// Panel width.
        public static var columns: Int { Blocking.nr }

        /// Index of element (p, 0) of row p, and the stride between panels of that row: (p, j) is at
        /// `start + (j / NR)·panelStride + j % NR`.
        @inline(__always)
        public func row(_ p: Int) -> (start: Int, panelStride: Int) {
            let p0 = p / kc * kc, kcb = min(kc, k - p0)
            return (p0 * paddedColumns + (p - p0) * Blocking.nr, kcb * Blocking.nr)
        }

        /// Packs row-major B (k×n, row stride ldb) into `dest` (`count` floats): the slow, obvious way.
        public func pack(_ b: UnsafePointer<Float>, ldb: Int, into dest: UnsafeMutablePointer<Float>) {
            for p in 0..<k {
                let (start, panelStride) = row(p)
                for j in 0..<paddedColumns {
                    dest[start + j / Blocking.nr * panelStride + j % Blocking.nr] = j < n ? b[p * ldb + j] : 0
                }
            }
        }
    }

    private static func run(_ op: Operands, m: Int, n: Int, k: Int, maxThreads: Int?) {
        // Below ~1 MFLOP a thread hand-off costs more than it saves.
        let threads = m * n * k < 1 << 19 ? 1 : max(1, min(maxThreads ?? Int.max, Parallel.threadCount))
        if threads == 1 {
            op.run(rows: 0..<m, cols: 0..<n)
            return
        }
        // Split the longer side of C, which duplicates only the packing of the shorter operand. Wide splits get
        // up to 4 parts per thread (≥ 1024 columns or rows each), so a thread the OS delays is waited on less.
        let long = max(m, n)
        let parts = threads * max(1, min(4, long / (threads * 1024)))
        if m <= n {
            // Every part needs all of op(A): pack it once, together, rather than once per part.
            let sizeA = SharedPackedA.size(m: m, k: k)
            guard sizeA <= SharedPackedA.limit else {
                Parallel.forRanges(n, granularity: Blocking.nr, parts: parts) { cols in op.run(rows: 0..<m, cols: cols) }
                return
            }
            // Finer parts (4 per thread, as few as 4 panels wide) balanced better when one vCPU was slowed down
            // by a competing process, but cost up to 8 % on a quiet machine: each part streams packed A again.
            ScratchPool.withFloats(sizeA) { storage in
                let shared = SharedPackedA(m: m, k: k, storage: storage)
                defer { shared.release() }
                Parallel.forRanges(n, granularity: Blocking.nr, parts: parts) { cols in
                    op.run(rows: 0..<m, cols: cols, sharedA: shared)
                }
            }
        } else {
            Parallel.forRanges(m, granularity: Blocking.mr, parts: parts) { rows in op.run(rows: rows, cols: 0..<n) }
        }
    }

    /// Checks shapes, strides and buffer lengths (in elements) for `sgemm`; throws `invalidArgument` naming what
    /// is wrong.
    public static func validate(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                                aCount: Int, lda: Int, bCount: Int, ldb: Int, cCount: Int, ldc: Int) throws(SLICError) {
        try require(m >= 0 && n >= 0 && k >= 0, "gemm: expected m, n, k ≥ 0, got m=\(m) n=\(n) k=\(k)")
        let (aRows, aCols) = transA ? (k, m) : (m, k)
        let (bRows, bCols) = transB ? (n, k) : (k, n)
        try require(lda >= max(1, aCols), "gemm: lda=\(lda) is smaller than A's \(aCols) columns")
        try require(ldb >= max(1, bCols), "gemm: ldb=\(ldb) is smaller than B's \(bCols) columns")
        try require(ldc >= max(1, n), "gemm: ldc=\(ldc) is smaller than C's \(n) columns")
        // Saturates instead of overflowing, so absurd shapes are rejected, never trapped on.
        func need(_ rows: Int, _ cols: Int, _ ld: Int) -> Int {
            if rows == 0 || cols == 0 { return 0 }
            let (p, o1) = (rows - 1).multipliedReportingOverflow(by: ld)
            let (s, o2) = p.addingReportingOverflow(cols)
            return o1 || o2 ? Int.max : s
        }
        try require(aCount >= need(aRows, aCols, lda), "gemm: A holds \(aCount) values, needs \(need(aRows, aCols, lda))")
        try require(bCount >= need(bRows, bCols, ldb), "gemm: B holds \(bCount) values, needs \(need(bRows, bCols, ldb))")
        try require(cCount >= need(m, n, ldc), "gemm: C holds \(cCount) values, needs \(need(m, n, ldc))")
    }

    /// Tile and cache-block sizes. The micro-tile is MR×NR; a KC×NR panel of B (32 KiB; 64 KiB with AVX-512's
    /// 32 columns, then read from L2 as much as L1) and an MC×KC block of A (≤ 288 KiB) in L2 while the kernel
    /// sweeps them. KC = 384 rather than 320 cut k = 1024 into 3 blocks instead of 4 and k = 4096 into 11 instead
    /// of 13, fewer passes over C: +1 % and +3–4 % (Zen 3); KC = 512 cuts k = 512 into 1 and k = 1024 into 2:
    /// +1.5–7 % at 1024³ and +1.6–3 % at 512³ on one thread, +3.7 % at 1024³ on two (Zen 5, paired runs; KC 192,
    /// which keeps AVX-512's panel of B in L1, changed nothing).
    /// With a single row block B is packed NB columns at a time into one buffer (≤ 3 MiB, mostly in L3), all of
    /// packed B that is ever live; otherwise a whole KC×NC block is kept (in L3) for the later row blocks,
    /// packed NB_KEPT columns (≤ 384 KiB) at a time, just before the first sweep multiplies them.
    ///
    /// Built with `-D SWIFTLIC_AVX512` (setup.py sets it when the target CPU has AVX-512F) the micro-tile is
    /// 12×32 on 16-wide vectors: 24 accumulators of the 32 zmm registers, twice the FMA width per instruction.
    @usableFromInline enum Blocking {
        #if SWIFTLIC_AVX512
        static let mr = 12, nr = 32
        #else
        static let mr = 6, nr = 16
        #endif
        // The same for both tiles, so both builds sum every element in the same order (identical bits).
        static let kc = 512, mc = 144, nc = 4096, nb = 2048, nbKept = 256, nbTransposed = 4 * nr
    }

    /// C ← β·C (C ← 0 when β = 0, without reading C).
    static func scale(m: Int, n: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        if beta == 1 { return }
        for i in 0..<m {
            let row = c + i * ldc
            if beta == 0 { row.update(repeating: 0, count: n) } else { for j in 0..<n { row[j] *= beta } }
        }
    }
}

/// One GEMM call's operands, so a thread can run the blocked loops on its share of C.
private struct Operands {
    let transA: Bool, transB: Bool
    let a: UnsafePointer<Float>, lda: Int
    let b: UnsafePointer<Float>, ldb: Int
    let c: UnsafeMutablePointer<Float>, ldc: Int
    let k: Int, alpha: Float, beta: Float
    /// B already packed (`b` points at it); nil: pack op(B) from `b`.
    let packedB: GEMM.PackedB?

    typealias Blocking = GEMM.Blocking

    /// Splits `total` into the fewest blocks of at most `limit`, of equal size rounded up to `multiple`: fewer
    /// ragged blocks than cutting at `limit`. Depends only on its arguments, so every thread agrees.
    static func blockSize(_ total: Int, limit: Int, multiple: Int) -> Int {
        let blocks = (total + limit - 1) / limit
        let size = (total + blocks - 1) / blocks
        return min(limit, (size + multiple - 1) / multiple * multiple)
    }

    /// C[rows, cols] ← α·op(A)[rows, :]·op(B)[:, cols] + β·C[rows, cols], single-threaded. With `sharedA`
    /// (then `rows` is all of 0..<m), the blocks of A come from there, packed by whichever threads need them first.
    func run(rows: Range<Int>, cols: Range<Int>, sharedA: SharedPackedA? = nil) {
        let m = rows.count, n = cols.count
        let kc = Operands.blockSize(k, limit: Blocking.kc, multiple: 1)
        let mc = Operands.blockSize(m, limit: Blocking.mc, multiple: Blocking.mr)
        let nc = Operands.blockSize(n, limit: Blocking.nc, multiple: Blocking.nr)
        let sizeA = sharedA == nil ? SharedPackedA.blockStride(mc: mc, kc: kc) : 0
        // With one row block, each B panel is used in one sweep only, so one NB-column chunk is reused for all
        // of B: a buffer that stays in cache, instead of every store of the copy costing a read-for-ownership.
        let sizeB = packedB != nil ? 0 : (m <= mc ? Blocking.nb * kc : nc * kc)
        ScratchPool.withFloats(sizeA + sizeB) { scratch in
            blocked(m: m, n: n, rows: rows, cols: cols, kc: kc, mc: mc, nc: nc, packA: scratch, packB: scratch + sizeA,
                    sharedA: sharedA)
        }
    }

    func blocked(m: Int, n: Int, rows: Range<Int>, cols: Range<Int>, kc: Int, mc: Int, nc: Int,
                 packA: UnsafeMutablePointer<Float>, packB: UnsafeMutablePointer<Float>, sharedA: SharedPackedA?) {
        let mr = Blocking.mr, nr = Blocking.nr
        // Several row blocks: the packed KC×NC block is kept for the later ones, so the first sweep packs short
        // chunks that are still in L2 when it multiplies them. One row block: long runs (see NB).
        // Bᵀ with one row block: a panel is NR rows of B read as contiguous runs of KC, so B is packed 4 panels
        // at a time into a buffer that stays in L2, the next chunk's rows fetched during the multiply (below),
        // instead of a KC×NB block written through L3: packing fell from 13–16 % to ~8 % of a 128×576×4096 call.
        let chunk = m <= mc ? (transB ? Blocking.nbTransposed : Blocking.nb) : Blocking.nbKept
        for jc in stride(from: 0, to: n, by: nc) {
            let ncb = min(nc, n - jc), j0 = cols.lowerBound + jc
            for pc in stride(from: 0, to: k, by: kc) {
                let kcb = min(kc, k - pc)
                let betaBlock: Float = pc == 0 ? beta : 1
                for ic in stride(from: 0, to: m, by: mc) {
                    let mcb = min(mc, m - ic), tiles = (mcb + mr - 1) / mr
                    let packA = sharedA?.block(pc / kc, ic / mc, panels: tiles) { dest, t in
                        packPanelOfA(into: dest, i0: ic, mc: mcb, tile: t, p0: pc, kc: kcb)
                    } ?? packPanelsOfA(into: packA, i0: rows.lowerBound + ic, mc: mcb, p0: pc, kc: kcb)
                    let cBlock = c + (rows.lowerBound + ic) * ldc + cols.lowerBound + jc
                    for jr in stride(from: 0, to: ncb, by: nr) {
                        let panelB: UnsafeMutablePointer<Float>
                        if let pre = packedB {
                            panelB = UnsafeMutablePointer(mutating: b) + pc * pre.paddedColumns + (j0 + jr) * kcb
                        } else {
                            panelB = m <= mc ? packB + (jr % chunk) * kcb : packB + jr * kcb
                        }
                        // The first sweep packs B a chunk of panels at a time, just before their first use.
                        if packedB == nil && ic == 0 && jr % chunk == 0 {
                            packPanelsOfB(into: panelB, p0: pc, kc: kcb, j0: j0 + jr, nc: min(chunk, ncb - jr))
                        }
                        // Bᵀ, packed a chunk at a time: while panel jr is multiplied, the rows of B that the same
                        // panel of the next chunk will read (KC floats each) are fetched, one or a few per tile.
                        let ahead = transB && packedB == nil && m <= mc ? min(nr, ncb - jr - chunk) : 0
                        for t in 0..<tiles {
                            var r = t
                            while r < ahead {
                                let row = b + (j0 + jr + chunk + r) * ldb + pc
                                for e in stride(from: 0, to: kcb, by: 16) { prefetchRead(row + e) }
                                r += tiles
                            }
                            let (ir, rows) = Operands.tile(t, of: mcb)
                            MicroKernel.run(kc: kcb, a: UnsafePointer(packA + t * mr * kcb), b: UnsafePointer(panelB),
                                            c: cBlock + ir * ldc + jr, ldc: ldc, rows: rows,
                                            cols: min(nr, ncb - jr), alpha: alpha, beta: betaBlock)
                        }
                    }
                }
            }
        }
    }

    /// Tile t of a row block of mc rows: its first row and row count. Tiles are MR rows, except that with 6-row
    /// tiles a block ending in 1 or 2 rows ends in tiles of 4 and 3 or 4 rows (m = 128 = 20·6 + 4 + 4): the 4-row
    /// kernel runs at the 6-row kernel's rate per FMA, so the last 7 or 8 rows cost 16 FMA units per k step
    /// instead of 20 (a 6-row tile, then the 4-row kernel on 1 or 2 rows). No element's arithmetic depends on
    /// its tile.
    @inline(__always)
    static func tile(_ t: Int, of mc: Int) -> (start: Int, rows: Int) {
        let mr = Blocking.mr, r = mc % mr, last = (mc - 1) / mr
        if mr == 6 && (r == 1 || r == 2) && mc > mr && t >= last - 1 {
            return t == last ? ((last - 1) * mr + 4, r + 2) : ((last - 1) * mr, 4)
        }
        return (t * mr, min(mr, mc - t * mr))
    }

    /// Packs op(A)[i0..<i0+mc, p0..<p0+kc] as MR-row micro-panels, one per tile (`tile(_:of:)`): the panel of tile
    /// t, rows start..<start+rows, holds element (start + r, p) at `t * MR * kc + p * MR + r`; rows past the
    /// tile's are zero. Returns `dest`.
    @discardableResult
    func packPanelsOfA(into dest: UnsafeMutablePointer<Float>, i0: Int, mc: Int, p0: Int, kc: Int)
        -> UnsafeMutablePointer<Float> {
        for t in 0..<((mc + Blocking.mr - 1) / Blocking.mr) {
            packPanelOfA(into: dest, i0: i0, mc: mc, tile: t, p0: p0, kc: kc)
        }
        return dest
    }

    /// The micro-panel of tile t of `packPanelsOfA(into: dest, i0:, mc:, p0:, kc:)`.
    @inline(__always)
    func packPanelOfA(into dest: UnsafeMutablePointer<Float>, i0: Int, mc: Int, tile t: Int, p0: Int, kc: Int) {
        let mr = Blocking.mr
        do {
            let (ir, rows) = Operands.tile(t, of: mc)
            let panel = dest + t * mr * kc
            if transA {
                // op(A)[i, p] = A[p, i]: each p reads MR contiguous values.
                var src = a + p0 * lda + i0 + ir
                var out = panel
                if rows == mr {
                    for _ in 0..<kc {
                        for r in 0..<mr { out[r] = src[r] }
                        src += lda; out += mr
                    }
                } else {
                    for _ in 0..<kc {
                        for r in 0..<rows { out[r] = src[r] }
                        for r in rows..<mr { out[r] = 0 }
                        src += lda; out += mr
                    }
                }
            } else {
                // Row streams in step, 8 values of each at a time, transposed in registers 4 (and 2) rows at a
                // time (`transpose4x8`), so the panel is written sequentially; an odd last row is copied and the
                // rows past the tile's (its last tile) are zeroed. (Element by element, LLVM had compiled the
                // full tiles' copy into gathers and the last tile's into scatters: 6–12 % of a CAE training step's
                // samples, 2.7 % of a 1024³ GEMM's.)
                let r0 = a + (i0 + ir) * lda + p0, kc8 = kc / 8 * 8
                let pairs = rows / 2 * 2, quads = rows / 4 * 4
                var p = 0
                if mr == 12 && rows == 12 {
                    while p < kc8 {
                        transpose12x8(from: r0 + p, stride: lda, to: panel + p * 12)
                        p += 8
                    }
                }
                while p < kc8 {
                    var g = 0
                    while g < quads {
                        transpose4x8(from: r0 + g * lda + p, stride: lda, to: panel + p * mr + g, stride: mr)
                        g += 4
                    }
                    if g < pairs {
                        transpose2x8(from: r0 + g * lda + p, stride: lda, to: panel + p * mr + g, stride: mr)
                    }
                    if rows < mr {
                        for j in 0..<8 {
                            let out = panel + (p &+ j) &* mr
                            if pairs < rows { out[pairs] = r0[pairs &* lda &+ p &+ j] }
                            for r in rows..<mr { out[r] = 0 }
                        }
                    }
                    p += 8
                }
                while p < kc {
                    let out = panel + p &* mr
                    for r in 0..<mr { out[r] = r < rows ? r0[r &* lda &+ p] : 0 }
                    p += 1
                }
            }
        }
    }

    /// Packs op(B)[p0..<p0+kc, j0..<j0+nc] as NR-column micro-panels: the panel of columns jr..<jr+NR holds
    /// element (p, jr + j) at `jr * kc + p * NR + j`; columns past `nc` are zero.
    func packPanelsOfB(into dest: UnsafeMutablePointer<Float>, p0: Int, kc: Int, j0: Int, nc: Int) {
        typealias V = SIMD8<Float>
        let nr = Blocking.nr
        if transB {
            // op(B)[p, j] = B[j, p]: rows of B become columns of the panel. Full 8×8 blocks are transposed in
            // registers; the ragged rest is copied one value at a time.
            let full = nc / nr * nr, kc8 = kc / 8 * 8
            for j in 0..<((nc + nr - 1) / nr * nr) {
                let panel = dest + j / nr * nr * kc + j % nr
                if j < full && j % 8 == 0 {
                    for p in stride(from: 0, to: kc8, by: 8) {
                        transpose8x8(from: b + (j0 + j) * ldb + p0 + p, stride: ldb, to: panel + p * nr, stride: nr)
                    }
                }
                var out = panel + (j < full ? kc8 : 0) * nr
                if j < nc {
                    let src = b + (j0 + j) * ldb + p0
                    for p in (j < full ? kc8 : 0)..<kc { out.pointee = src[p]; out += nr }
                } else {
                    for _ in 0..<kc { out.pointee = 0; out += nr }
                }
            }
            return
        }
        // Row by row: each row of B is read as one contiguous run. Reading a panel's column strip instead would
        // touch kc lines a power-of-two stride apart, which share a handful of cache sets.
        let full = nc / nr * nr, kc4 = kc / 4 * 4
        // Four rows at a time: each panel then gets 4·NR contiguous floats per visit (whole lines) from 4 streams.
        // Packing's share of a call fell from 14.4–14.9 to 11.3–12.6 % (64×16384×576) and from 6.6–8.2 to
        // 5.9–6.9 % (128×4096×576) of the perf samples (results/gemm_bench_zen3_s12.txt).
        for p in stride(from: 0, to: kc4, by: 4) {
            let src = b + (p0 + p) * ldb + j0
            let ahead = src + (p + 11 < kc ? 8 * ldb : 0)  // (rows p + 8 … p + 11, inside the block)
            var jr = 0
            while jr < full {
                let out = UnsafeMutableRawPointer(dest + jr * kc + p * nr)
                for r in 0..<4 {
                    prefetchRead(ahead + r * ldb + jr)
                    let raw = UnsafeRawPointer(src + r * ldb + jr), o = out + r * 4 * nr
                    for q in stride(from: 0, to: 4 * nr, by: 32) {
                        (o + q).storeBytes(of: (raw + q).loadUnaligned(as: V.self), as: V.self)
                    }
                }
                jr += nr
            }
        }
        for p in kc4..<kc {
            let src = b + (p0 + p) * ldb + j0
            var jr = 0
            while jr < full {
                let raw = UnsafeRawPointer(src + jr), out = UnsafeMutableRawPointer(dest + jr * kc + p * nr)
                for q in stride(from: 0, to: 4 * nr, by: 32) {
                    (out + q).storeBytes(of: (raw + q).loadUnaligned(as: V.self), as: V.self)
                }
                jr += nr
            }
        }
        if full < nc {  // the ragged last panel, zero-padded
            for p in 0..<kc {
                let src = b + (p0 + p) * ldb + j0, row = dest + full * kc + p * nr
                for j in 0..<(nc - full) { row[j] = src[full + j] }
                for j in (nc - full)..<nr { row[j] = 0 }
            }
        }
    }
}

/// All of op(A), packed block by block as `Operands.run` uses it, for threads that split C by columns and all
/// need every block. A block is packed by the threads that reach it, one micro-panel each at a time, and used
/// once all its panels are in; a thread never waits for a panel that no running thread has taken, so a job
/// that one thread runs alone packs everything itself.
final class SharedPackedA: @unchecked Sendable {
    /// Packed op(A) larger than this (in floats) is not shared; each part packs its own blocks.
    static let limit = 4 << 20

    private let storage: UnsafeMutablePointer<Float>
    private let kc: Int, mc: Int, rowBlocks: Int, stride: Int
    private let taken: UnsafeMutablePointer<Atomic<Int>>  // per block: panels handed out
    private let packed: UnsafeMutablePointer<Atomic<Int>>  // per block: panels finished
    private let blocks: Int

    /// Floats for one MC×KC block, rounded so every block (and B after it) stays 64-byte aligned.
    static func blockStride(mc: Int, kc: Int) -> Int { (mc * kc + 15) / 16 * 16 }

    private static func blocking(m: Int, k: Int) -> (kc: Int, mc: Int) {
        (Operands.blockSize(k, limit: GEMM.Blocking.kc, multiple: 1),
         Operands.blockSize(m, limit: GEMM.Blocking.mc, multiple: GEMM.Blocking.mr))
    }

    /// Floats of storage for op(A) of m×k.
    static func size(m: Int, k: Int) -> Int {
        let (kc, mc) = blocking(m: m, k: k)
        return ((k + kc - 1) / kc) * ((m + mc - 1) / mc) * blockStride(mc: mc, kc: kc)
    }

    init(m: Int, k: Int, storage: UnsafeMutablePointer<Float>) {
        (kc, mc) = SharedPackedA.blocking(m: m, k: k)
        self.storage = storage
        rowBlocks = (m + mc - 1) / mc
        stride = SharedPackedA.blockStride(mc: mc, kc: kc)
        blocks = ((k + kc - 1) / kc) * rowBlocks
        taken = .allocate(capacity: blocks)
        packed = .allocate(capacity: blocks)
        for i in 0..<blocks { (taken + i).initialize(to: Atomic(0)); (packed + i).initialize(to: Atomic(0)) }
    }

    func release() {
        taken.deinitialize(count: blocks); taken.deallocate()
        packed.deinitialize(count: blocks); packed.deallocate()
    }

    /// The packed block of k-block `p` and row block `i`, of `panels` micro-panels; `pack(dest, t)` packs
    /// micro-panel (tile) t. Returns once the whole block is packed.
    @inline(__always)
    func block(_ p: Int, _ i: Int, panels rows: Int, pack: (UnsafeMutablePointer<Float>, Int) -> Void)
        -> UnsafeMutablePointer<Float> {
        let index = p * rowBlocks + i, dest = storage + index * stride
        if packed[index].load(ordering: .acquiring) == rows { return dest }
        while true {
            let panel = taken[index].wrappingAdd(1, ordering: .relaxed).oldValue
            if panel >= rows { break }
            pack(dest, panel)
            packed[index].wrappingAdd(1, ordering: .releasing)
        }
        var polls = 0
        while packed[index].load(ordering: .acquiring) < rows {
            polls += 1
            if polls < 4096 { spinPause() } else { sched_yield() }
        }
        return dest
    }
}

/// Writes the transpose of the 8×8 block at `src` (rows `srcStride` apart) to `dest` (rows `destStride` apart).
/// Three perfect unshuffles of the 64 values rotate their index bits (row, column) by three: a transpose.
@inline(__always)
func transpose8x8(from src: UnsafePointer<Float>, stride srcStride: Int,
                          to dest: UnsafeMutablePointer<Float>, stride destStride: Int) {
    typealias V = SIMD8<Float>
    @inline(__always) func row(_ r: Int) -> V { UnsafeRawPointer(src + r * srcStride).loadUnaligned(as: V.self) }
    var (v0, v1, v2, v3, v4, v5, v6, v7) = (row(0), row(1), row(2), row(3), row(4), row(5), row(6), row(7))
    for _ in 0..<3 {
        (v0, v1, v2, v3, v4, v5, v6, v7) = (evenLanes(v0, v1), evenLanes(v2, v3), evenLanes(v4, v5), evenLanes(v6, v7),
                                            oddLanes(v0, v1), oddLanes(v2, v3), oddLanes(v4, v5), oddLanes(v6, v7))
    }
    @inline(__always) func put(_ r: Int, _ x: V) {
        UnsafeMutableRawPointer(dest + r * destStride).storeBytes(of: x, as: V.self)
    }
    put(0, v0); put(1, v1); put(2, v2); put(3, v3); put(4, v4); put(5, v5); put(6, v6); put(7, v7)
}

/// The even lanes of x then those of y, and the odd ones: `SIMD8(lowHalf: x.evenHalf, highHalf: y.evenHalf)`
/// spelled lane by lane. The standard library's `evenHalf` is a loop that the optimizer inlines only while the
/// caller is small: packing A with it inside Winograd's forward pass left it a call per vector (a 2-thread
/// training step ran 30 % slower). Constant lanes always become one shuffle.
@inline(__always)
func evenLanes(_ x: SIMD8<Float>, _ y: SIMD8<Float>) -> SIMD8<Float> {
    SIMD8(x[0], x[2], x[4], x[6], y[0], y[2], y[4], y[6])
}

@inline(__always)
func oddLanes(_ x: SIMD8<Float>, _ y: SIMD8<Float>) -> SIMD8<Float> {
    SIMD8(x[1], x[3], x[5], x[7], y[1], y[3], y[5], y[7])
}

/// Writes the transpose of the 4×8 block at `src` (rows `srcStride` apart) as 8 rows of 4 at `dest` (rows
/// `destStride` apart): three perfect unshuffles rotate the 5 index bits (row, column) right by three (see
/// `transpose8x8`), leaving columns 2j and 2j + 1 in the halves of vector j.
@inline(__always)
func transpose4x8(from src: UnsafePointer<Float>, stride srcStride: Int,
                  to dest: UnsafeMutablePointer<Float>, stride destStride: Int) {
    typealias V = SIMD8<Float>
    @inline(__always) func row(_ r: Int) -> V { UnsafeRawPointer(src + r * srcStride).loadUnaligned(as: V.self) }
    var (v0, v1, v2, v3) = (row(0), row(1), row(2), row(3))
    for _ in 0..<3 {
        (v0, v1, v2, v3) = (evenLanes(v0, v1), evenLanes(v2, v3), oddLanes(v0, v1), oddLanes(v2, v3))
    }
    @inline(__always) func put(_ j: Int, _ x: V) {
        UnsafeMutableRawPointer(dest + 2 * j * destStride).storeBytes(of: SIMD4(x[0], x[1], x[2], x[3]),
                                                                     as: SIMD4<Float>.self)
        UnsafeMutableRawPointer(dest + (2 * j + 1) * destStride).storeBytes(of: SIMD4(x[4], x[5], x[6], x[7]),
                                                                           as: SIMD4<Float>.self)
    }
    put(0, v0); put(1, v1); put(2, v2); put(3, v3)
}

/// Writes the transpose of the 12×8 block at `src` (rows `srcStride` apart) to the 96 floats at `dest`: column j
/// of the block at `dest + 12·j`, a 12-row micro-panel's next 8 k steps. Only whole 8-wide vectors are loaded and
/// stored: rows are interleaved in 128-bit lanes (as `_MM_TRANSPOSE4_PS` does per lane) four at a time, leaving
/// column j of a quad in the low half of vector j mod 4 (j < 4) or its high half, and each output vector joins two
/// such halves. (Built from `transpose4x8`'s 16-byte stores, the optimizer folded the shuffles into one scalar load
/// per element, 12 % of a 1024×128×342 call.)
@inline(__always)
func transpose12x8(from src: UnsafePointer<Float>, stride srcStride: Int, to dest: UnsafeMutablePointer<Float>) {
    typealias V = SIMD8<Float>
    @inline(__always) func quad(_ q: Int) -> (V, V, V, V) {
        @inline(__always) func row(_ r: Int) -> V {
            UnsafeRawPointer(src + (q + r) * srcStride).loadUnaligned(as: V.self)
        }
        let (r0, r1, r2, r3) = (row(0), row(1), row(2), row(3))
        @inline(__always) func low(_ x: V, _ y: V) -> V { V(x[0], y[0], x[1], y[1], x[4], y[4], x[5], y[5]) }
        @inline(__always) func high(_ x: V, _ y: V) -> V { V(x[2], y[2], x[3], y[3], x[6], y[6], x[7], y[7]) }
        @inline(__always) func first(_ x: V, _ y: V) -> V { V(x[0], x[1], y[0], y[1], x[4], x[5], y[4], y[5]) }
        @inline(__always) func second(_ x: V, _ y: V) -> V { V(x[2], x[3], y[2], y[3], x[6], x[7], y[6], y[7]) }
        let (t0, t1, t2, t3) = (low(r0, r1), high(r0, r1), low(r2, r3), high(r2, r3))
        return (first(t0, t2), second(t0, t2), first(t1, t3), second(t1, t3))
    }
    let (a, b, c) = (quad(0), quad(4), quad(8))
    @inline(__always) func put(_ i: Int, _ x: V, _ y: V, high: Bool) {
        let v = high ? V(x[4], x[5], x[6], x[7], y[4], y[5], y[6], y[7])
                     : V(x[0], x[1], x[2], x[3], y[0], y[1], y[2], y[3])
        UnsafeMutableRawPointer(dest + 8 * i).storeBytes(of: v, as: V.self)
    }
    // Column j (j mod 4 = k) is a_k, b_k, c_k (low halves for j < 4): 4-float chunks A0 B0 C0 A1 B1 C1 … A7 B7 C7.
    for h in 0..<2 {
        let high = h == 1, o = 6 * h
        put(o, a.0, b.0, high: high); put(o + 1, c.0, a.1, high: high); put(o + 2, b.1, c.1, high: high)
        put(o + 3, a.2, b.2, high: high); put(o + 4, c.2, a.3, high: high); put(o + 5, b.3, c.3, high: high)
    }
}

/// `transpose4x8` for 2 rows: 8 rows of 2 at `dest`. Three unshuffles rotate the 4 index bits right by three,
/// leaving columns 4j … 4j + 3 in the quarters of vector j.
@inline(__always)
func transpose2x8(from src: UnsafePointer<Float>, stride srcStride: Int,
                  to dest: UnsafeMutablePointer<Float>, stride destStride: Int) {
    typealias V = SIMD8<Float>
    @inline(__always) func row(_ r: Int) -> V { UnsafeRawPointer(src + r * srcStride).loadUnaligned(as: V.self) }
    var (v0, v1) = (row(0), row(1))
    for _ in 0..<3 { (v0, v1) = (evenLanes(v0, v1), oddLanes(v0, v1)) }
    for c in 0..<8 {
        let v = c < 4 ? v0 : v1, l = 2 * (c & 3)
        UnsafeMutableRawPointer(dest + c * destStride).storeBytes(of: SIMD2(v[l], v[l + 1]), as: SIMD2<Float>.self)
    }
}

/// LLVM's prefetch intrinsic (read/write, temporal locality, data cache): a hint with no semantic effect.
@_silgen_name("llvm.prefetch.p0")
private func llvmPrefetch(_ address: UnsafeRawPointer, _ write: Int32, _ locality: Int32, _ dataCache: Int32)

@inline(__always)
private func prefetch(_ p: UnsafeMutablePointer<Float>) { llvmPrefetch(UnsafeRawPointer(p), 1, 3, 1) }

@inline(__always)
func prefetchRead(_ p: UnsafePointer<Float>) { llvmPrefetch(UnsafeRawPointer(p), 0, 3, 1) }

/// One row of a micro-tile's update: C[0..<2·V.scalarCount] ← α·(acc0, acc1) + β·C (C is not read when β = 0;
/// 1·x = x exactly, so skipping the product for α = 1 changes no bits).
@inline(__always)
private func updateRow<V: SIMD>(_ c: UnsafeMutablePointer<Float>, _ acc0: V, _ acc1: V, alpha: Float, beta: Float)
    where V.Scalar == Float {
    let p = UnsafeMutableRawPointer(c), q = p + MemoryLayout<V>.stride
    let v0 = alpha == 1 ? acc0 : alpha * acc0, v1 = alpha == 1 ? acc1 : alpha * acc1
    if beta == 0 {
        p.storeBytes(of: v0, as: V.self)
        q.storeBytes(of: v1, as: V.self)
    } else if beta == 1 {
        p.storeBytes(of: v0 + p.loadUnaligned(as: V.self), as: V.self)
        q.storeBytes(of: v1 + q.loadUnaligned(as: V.self), as: V.self)
    } else {
        p.storeBytes(of: v0 + beta * p.loadUnaligned(as: V.self), as: V.self)
        q.storeBytes(of: v1 + beta * q.loadUnaligned(as: V.self), as: V.self)
    }
}

/// Runs a micro-tile's `update(tile, ld)` on C itself when the tile is whole, else on a full-size copy of which
/// only the valid `rows`×`cols` part goes back: the same arithmetic wherever the tile lies.
@inline(__always)
private func updateTile(_ c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int, whole: Bool, beta: Float,
                        _ update: (UnsafeMutablePointer<Float>, Int) -> Void) {
    if whole {
        update(c, ldc)
        return
    }
    let ldt = GEMM.Blocking.nr
    withUnsafeTemporaryAllocation(of: Float.self, capacity: GEMM.Blocking.mr * ldt) { buffer in
        let t = buffer.baseAddress!
        if beta != 0 {
            for i in 0..<rows { for j in 0..<cols { t[i * ldt + j] = c[i * ldc + j] } }
        }
        update(t, ldt)
        for i in 0..<rows { for j in 0..<cols { c[i * ldc + j] = t[i * ldt + j] } }
    }
}

#if SWIFTLIC_AVX512
/// The 12×32 register-blocked kernel for AVX-512: C_tile ← α·(Ã·B̃) + β·C_tile over one KC block of packed
/// panels, 24 sixteen-wide accumulators. Tiles of ≤ 8 and ≤ 4 rows (m = 64, 128 end in such tiles) skip the
/// unused rows' FMAs; each element's arithmetic is the same in every variant and at every position.
private enum MicroKernel {
    typealias V = SIMD16<Float>

    @inline(__always)
    static func run(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
                    ldc: Int, rows: Int, cols: Int, alpha: Float, beta: Float) {
        if rows > 8 {
            run12(kc: kc, a: a, b: b, c: c, ldc: ldc, rows: rows, cols: cols, alpha: alpha, beta: beta)
        } else if rows > 4 {
            run8(kc: kc, a: a, b: b, c: c, ldc: ldc, rows: rows, cols: cols, alpha: alpha, beta: beta)
        } else {
            run4(kc: kc, a: a, b: b, c: c, ldc: ldc, rows: rows, cols: cols, alpha: alpha, beta: beta)
        }
    }

    @inline(never)
    static func run12(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
                      ldc: Int, rows: Int, cols: Int, alpha: Float, beta: Float) {
        tile(live: 12, kc: kc, a: a, b: b, c: c, ldc: ldc, rows: rows, cols: cols, alpha: alpha, beta: beta)
    }

    @inline(never)
    static func run8(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
                     ldc: Int, rows: Int, cols: Int, alpha: Float, beta: Float) {
        tile(live: 8, kc: kc, a: a, b: b, c: c, ldc: ldc, rows: rows, cols: cols, alpha: alpha, beta: beta)
    }

    @inline(never)
    static func run4(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
                     ldc: Int, rows: Int, cols: Int, alpha: Float, beta: Float) {
        tile(live: 4, kc: kc, a: a, b: b, c: c, ldc: ldc, rows: rows, cols: cols, alpha: alpha, beta: beta)
    }

    /// `live` (12, 8 or 4) is a constant at each call, so the accumulators of rows past it fold away.
    @inline(__always)
    static func tile(live: Int, kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                     c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int, alpha: Float, beta: Float) {
        if beta != 0 {
            for r in 0..<rows { prefetch(c + r * ldc); prefetch(c + r * ldc + cols - 1) }
        }
        var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V(), c30 = V(), c31 = V()
        var c40 = V(), c41 = V(), c50 = V(), c51 = V(), c60 = V(), c61 = V(), c70 = V(), c71 = V()
        var c80 = V(), c81 = V(), c90 = V(), c91 = V(), ca0 = V(), ca1 = V(), cb0 = V(), cb1 = V()
        @inline(__always) func step(_ a: UnsafePointer<Float>, _ b: UnsafeRawPointer) {
            let b0 = b.loadUnaligned(as: V.self), b1 = (b + 64).loadUnaligned(as: V.self)
            var x = V(repeating: a[0])
            c00 = c00.addingProduct(x, b0); c01 = c01.addingProduct(x, b1)
            x = V(repeating: a[1])
            c10 = c10.addingProduct(x, b0); c11 = c11.addingProduct(x, b1)
            x = V(repeating: a[2])
            c20 = c20.addingProduct(x, b0); c21 = c21.addingProduct(x, b1)
            x = V(repeating: a[3])
            c30 = c30.addingProduct(x, b0); c31 = c31.addingProduct(x, b1)
            if live > 4 {
                x = V(repeating: a[4])
                c40 = c40.addingProduct(x, b0); c41 = c41.addingProduct(x, b1)
                x = V(repeating: a[5])
                c50 = c50.addingProduct(x, b0); c51 = c51.addingProduct(x, b1)
                x = V(repeating: a[6])
                c60 = c60.addingProduct(x, b0); c61 = c61.addingProduct(x, b1)
                x = V(repeating: a[7])
                c70 = c70.addingProduct(x, b0); c71 = c71.addingProduct(x, b1)
            }
            if live > 8 {
                x = V(repeating: a[8])
                c80 = c80.addingProduct(x, b0); c81 = c81.addingProduct(x, b1)
                x = V(repeating: a[9])
                c90 = c90.addingProduct(x, b0); c91 = c91.addingProduct(x, b1)
                x = V(repeating: a[10])
                ca0 = ca0.addingProduct(x, b0); ca1 = ca1.addingProduct(x, b1)
                x = V(repeating: a[11])
                cb0 = cb0.addingProduct(x, b0); cb1 = cb1.addingProduct(x, b1)
            }
        }
        var pa = a, pb = UnsafeRawPointer(b)
        for _ in 0..<(kc / 2) {
            step(pa, pb)
            step(pa + 12, pb + 128)
            pa += 24; pb += 256
        }
        if kc % 2 == 1 { step(pa, pb) }
        let acc = Accumulators(c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51,
                               c60, c61, c70, c71, c80, c81, c90, c91, ca0, ca1, cb0, cb1)
        updateTile(c, ldc: ldc, rows: rows, cols: cols, whole: rows == live && cols == GEMM.Blocking.nr,
                   beta: beta) { c, ldc in store(c, ldc, alpha, beta, live: live, acc) }
    }

    typealias Accumulators = (V, V, V, V, V, V, V, V, V, V, V, V, V, V, V, V, V, V, V, V, V, V, V, V)

    /// C rows ← α·acc + β·C rows.
    @inline(__always)
    static func store(_ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ alpha: Float, _ beta: Float, live: Int,
                      _ acc: Accumulators) {
        @inline(__always) func row(_ r: Int, _ acc0: V, _ acc1: V) {
            updateRow(c + r * ldc, acc0, acc1, alpha: alpha, beta: beta)
        }
        row(0, acc.0, acc.1); row(1, acc.2, acc.3); row(2, acc.4, acc.5); row(3, acc.6, acc.7)
        if live > 4 { row(4, acc.8, acc.9); row(5, acc.10, acc.11); row(6, acc.12, acc.13); row(7, acc.14, acc.15) }
        if live > 8 {
            row(8, acc.16, acc.17); row(9, acc.18, acc.19); row(10, acc.20, acc.21); row(11, acc.22, acc.23)
        }
    }
}
#else
/// The 6×16 register-blocked kernel: C_tile ← α·(Ã·B̃) + β·C_tile over one KC block of packed panels.
private enum MicroKernel {
    typealias V = SIMD8<Float>

    /// C_tile ← α·Ã·B̃ + β·C_tile for `rows` ≤ 6 rows and `cols` ≤ 16 columns of a packed 6-row A panel.
    /// Tiles of at most 4 rows (the last tile when m mod 6 is 1…4) skip the two unused rows' FMAs; each element's
    /// arithmetic is the same in both variants.
    @inline(__always)
    static func run(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
                    ldc: Int, rows: Int, cols: Int, alpha: Float, beta: Float) {
        if rows > 4 {
            run6(kc: kc, a: a, b: b, c: c, ldc: ldc, rows: rows, cols: cols, alpha: alpha, beta: beta)
        } else {
            run4(kc: kc, a: a, b: b, c: c, ldc: ldc, rows: rows, cols: cols, alpha: alpha, beta: beta)
        }
    }

    // Kept out of line so their vector registers (15 and 11) are allocated in isolation.
    @inline(never)
    static func run6(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
                     ldc: Int, rows: Int, cols: Int, alpha: Float, beta: Float) {
        tile(live: 6, kc: kc, a: a, b: b, c: c, ldc: ldc, rows: rows, cols: cols, alpha: alpha, beta: beta)
    }

    @inline(never)
    static func run4(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
                     ldc: Int, rows: Int, cols: Int, alpha: Float, beta: Float) {
        tile(live: 4, kc: kc, a: a, b: b, c: c, ldc: ldc, rows: rows, cols: cols, alpha: alpha, beta: beta)
    }

    /// `live` (6 or 4) is a constant at each call, so the accumulators of rows past it fold away.
    @inline(__always)
    static func tile(live: Int, kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                     c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int, alpha: Float, beta: Float) {
        if beta != 0 {
            // The tile's rows are far apart; start loading them now so the update at the end does not stall.
            for r in 0..<rows { prefetch(c + r * ldc); prefetch(c + r * ldc + cols - 1) }
        }
        var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V()
        var c30 = V(), c31 = V(), c40 = V(), c41 = V(), c50 = V(), c51 = V()
        /// One k step: the rank-1 update acc += Ã[:, p] · B̃[p, :].
        @inline(__always) func step(_ a: UnsafePointer<Float>, _ b: UnsafeRawPointer) {
            let b0 = b.loadUnaligned(as: V.self), b1 = (b + 32).loadUnaligned(as: V.self)
            var x = V(repeating: a[0])
            c00 = c00.addingProduct(x, b0); c01 = c01.addingProduct(x, b1)
            x = V(repeating: a[1])
            c10 = c10.addingProduct(x, b0); c11 = c11.addingProduct(x, b1)
            x = V(repeating: a[2])
            c20 = c20.addingProduct(x, b0); c21 = c21.addingProduct(x, b1)
            x = V(repeating: a[3])
            c30 = c30.addingProduct(x, b0); c31 = c31.addingProduct(x, b1)
            if live > 4 {
                x = V(repeating: a[4])
                c40 = c40.addingProduct(x, b0); c41 = c41.addingProduct(x, b1)
                x = V(repeating: a[5])
                c50 = c50.addingProduct(x, b0); c51 = c51.addingProduct(x, b1)
            }
        }
        var pa = a, pb = UnsafeRawPointer(b)
        // Unrolled by two; deeper unrolling makes LLVM hoist loads and spill accumulators.
        for _ in 0..<(kc / 2) {
            step(pa, pb)
            step(pa + 6, pb + 64)
            pa += 12; pb += 128
        }
        if kc % 2 == 1 { step(pa, pb) }
        let acc = (c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51)
        updateTile(c, ldc: ldc, rows: rows, cols: cols, whole: rows == live && cols == GEMM.Blocking.nr,
                   beta: beta) { c, ldc in store(c, ldc, alpha, beta, live: live, acc) }
    }

    /// C rows ← α·acc + β·C rows.
    @inline(__always)
    static func store(_ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ alpha: Float, _ beta: Float, live: Int,
                      _ acc: (V, V, V, V, V, V, V, V, V, V, V, V)) {
        @inline(__always) func row(_ r: Int, _ acc0: V, _ acc1: V) {
            updateRow(c + r * ldc, acc0, acc1, alpha: alpha, beta: beta)
        }
        row(0, acc.0, acc.1); row(1, acc.2, acc.3); row(2, acc.4, acc.5); row(3, acc.6, acc.7)
        if live > 4 { row(4, acc.8, acc.9); row(5, acc.10, acc.11) }
    }
}
#endif
