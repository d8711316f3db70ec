/// im2col / col2im over a band of output rows of one image.
///
/// col has C·k·k rows (index c·k·k + ki·k + kj) and (r1 − r0)·Wo columns (output pixels of the band, row-major).
/// Entry (c, ki, kj; oh, ow) reads x[c, oh·s − p + ki, ow·s − p + kj]; outside the image it is 0 (zeros) or the
/// mirrored pixel (reflect). col2im is its adjoint: it adds each entry back where im2col read it from.
extension Conv2D {
    /// Index of the pixel that padded coordinate `i` reads under reflect padding (−1 → 1, n → n − 2).
    /// - Precondition: −n < i < 2n − 1 (padding < n).
    @inline(__always)
    static func reflect(_ i: Int, _ n: Int) -> Int { i < 0 ? -i : (i >= n ? 2 * (n - 1) - i : i) }

    /// Range of `ow` whose input column ow·s − p + kj lies inside 0..<w.
    @inline(__always)
    static func insideColumns(_ g: Conv2DGeometry, _ kj: Int) -> Range<Int> {
        let off = kj - g.padding  // iw = ow·s + off
        let lo = off >= 0 ? 0 : (-off + g.stride - 1) / g.stride
        let hi = g.width - off <= 0 ? 0 : min(g.outWidth, (g.width - off + g.stride - 1) / g.stride)
        return lo..<max(lo, hi)
    }

    /// Unrolls rows `patchRows` of the col matrix of output rows `rows` of `image` (C×H×W) into `col`
    /// (`patchRows.count` × rows·Wo). `serial`: on the calling thread only.
    static func im2col(_ g: Conv2DGeometry, image: UnsafePointer<Float>, rows: Range<Int>, patchRows: Range<Int>,
                       into col: UnsafeMutablePointer<Float>, serial: Bool) {
        let wo = g.outWidth, cols = rows.count * wo
        let first = patchRows.lowerBound
        Parallel.forRanges(patchRows.count, granularity: max(1, 65536 / max(1, cols)), parts: serial ? 1 : nil) {
            part in
            for row in (first + part.lowerBound)..<(first + part.upperBound) {
                var dst = col + (row - first) * cols
                let tap = Tap(g, patchRow: row)
                for oh in rows {
                    unroll(g, image: image, tap: tap, outRow: oh, outWidth: wo, into: dst)
                    dst += wo
                }
            }
        }
    }

    /// The whole col matrix of output rows `rows` (C·k·k × rows·Wo) written straight into GEMM's packed-B layout
    /// (`GEMM.PackedB(k: C·k·k, n: rows·Wo)`, `layout.count` floats at `packed`, padding columns zeroed): one
    /// output row at a time through an L1 buffer, instead of a col matrix that GEMM would then copy again.
    static func im2colPacked(_ g: Conv2DGeometry, image: UnsafePointer<Float>, rows: Range<Int>,
                             into packed: UnsafeMutablePointer<Float>, serial: Bool) {
        let wo = g.outWidth, cols = rows.count * wo, nr = GEMM.PackedB.columns
        let ahead = Conv2D.prefetchRowsAhead
        let layout = GEMM.PackedB(k: g.patchSize, n: cols)
        Parallel.forRanges(g.patchSize, granularity: max(1, 65536 / max(1, cols)), parts: serial ? 1 : nil) { part in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: wo) { buffer in
              withUnsafeTemporaryAllocation(of: Tap.self, capacity: part.count) { taps in
                let line = buffer.baseAddress!
                for (i, row) in part.enumerated() { (taps.baseAddress! + i).initialize(to: Tap(g, patchRow: row)) }
                // Output rows outside, patch rows inside: one output row's columns fill a few panels, and
                // consecutive patch rows are consecutive 32-float runs of each, so the writes stream through
                // a few regions instead of touching every panel of the band once per patch row.
                for oh in rows {
                    let j0 = (oh - rows.lowerBound) * wo
                    for row in part {
                        let (start, panelStride) = layout.row(row)
                        let tap = taps[row - part.lowerBound]
                        if oh + ahead < rows.upperBound { tap.prefetch(g, image: image, outRow: oh + ahead) }
                        unroll(g, image: image, tap: tap, outRow: oh, outWidth: wo, into: line)
                        // Columns j0..<j0+wo of this packed row, cut at the panel boundaries.
                        var j = j0, i = 0
                        while i < wo {
                            let run = min(nr - j % nr, wo - i)
                            copyRow(packed + start + j / nr * panelStride + j % nr, line + i, count: run)
                            i += run
                            j += run
                        }
                    }
                }
                for row in part {
                    let (start, panelStride) = layout.row(row)
                    if cols % nr != 0 {
                        (packed + start + cols / nr * panelStride + cols % nr).update(repeating: 0, count: nr - cols % nr)
                    }
                }
              }
            }
        }
    }

    /// Rows `patchRows` of the col matrix of output rows `rows`, transposed, written straight into GEMM's packed-B
    /// layout for op(B) = colᵀ (`GEMM.PackedB(k: rows·Wo, n: patchRows.count)`, padding columns zeroed): the B of
    /// the weight gradient gW += gy·colᵀ. Per group of NR patch rows and output row, the rows are unrolled into an
    /// L1 buffer and moved over in 8×8 register transposes, instead of a col matrix GEMM would transpose again.
    static func im2colPackedTransposed(_ g: Conv2DGeometry, image: UnsafePointer<Float>, rows: Range<Int>,
                                       patchRows: Range<Int>, into packed: UnsafeMutablePointer<Float>) {
        let wo = g.outWidth, cols = rows.count * wo, nr = GEMM.PackedB.columns, n = patchRows.count
        let ahead = Conv2D.prefetchRowsAhead
        let layout = GEMM.PackedB(k: cols, n: n)
        withUnsafeTemporaryAllocation(of: Float.self, capacity: nr * wo) { buffer in
          withUnsafeTemporaryAllocation(of: Tap.self, capacity: nr) { taps in
            let line = buffer.baseAddress!
            for j0 in stride(from: 0, to: n, by: nr) {
                let width = min(nr, n - j0)
                for jj in 0..<width {
                    (taps.baseAddress! + jj).initialize(to: Tap(g, patchRow: patchRows.lowerBound + j0 + jj))
                }
                for oh in rows {
                    for jj in 0..<width {
                        if oh + ahead < rows.upperBound { taps[jj].prefetch(g, image: image, outRow: oh + ahead) }
                        unroll(g, image: image, tap: taps[jj], outRow: oh, outWidth: wo, into: line + jj * wo)
                    }
                    if width < nr { (line + width * wo).update(repeating: 0, count: (nr - width) * wo) }
                    let q0 = (oh - rows.lowerBound) * wo
                    var ow = 0
                    while ow < wo {
                        // A run of pixels inside one KC block: consecutive pixels are NR floats apart there.
                        let q = q0 + ow, (start, panelStride) = layout.row(q)
                        let run = min(wo - ow, layout.kc - q % layout.kc)
                        let dst = packed + start + j0 / nr * panelStride
                        var t = 0
                        while t + 8 <= run {
                            for jj in stride(from: 0, to: nr, by: 8) {
                                transpose8x8(from: line + jj * wo + ow + t, stride: wo, to: dst + t * nr + jj,
                                             stride: nr)
                            }
                            t += 8
                        }
                        while t < run {
                            for jj in 0..<nr { dst[t * nr + jj] = line[jj * wo + ow + t] }
                            t += 1
                        }
                        ow += run
                    }
                }
            }
          }
        }
    }

    /// How many output rows ahead the packed im2cols fetch the input rows they will read (from memory or L3:
    /// a batch's gradients are tens of MB, and one output row reads C·k rows of C planes, too many streams for
    /// the hardware prefetcher). Without it the stride-2 gathers stalled on their loads.
    static let prefetchRowsAhead = 2

    /// What `unroll` needs of one patch row (c·k·k + ki·k + kj), worked out once per call: six integer divisions
    /// per output row had cost more than the copy itself (37 % of a stride-2 transposed convolution's backward
    /// pass was `unroll`, 34 % its GEMM). With this and `prefetchRowsAhead`, the backward passes of the Cheng
    /// decoder's stride-2 layers ran 1.06–1.36× faster (paired runs, 1 and 2 threads, batch 16 at 128²), and a
    /// training step of the CAE 1.03–1.09× (two builds training at once, one core each, 4 rounds).
    struct Tap {
        /// Offset of channel c's plane in the image; the kernel row; the input column of output column 0
        /// (kj − padding); the output columns whose input column lies inside the row.
        let plane: Int, ki: Int, off: Int, inside: Range<Int>

        @inline(__always)
        init(_ g: Conv2DGeometry, patchRow row: Int) {
            let k = g.kernel
            plane = row / (k * k) * g.height * g.width
            ki = (row / k) % k
            off = row % k - g.padding
            inside = insideColumns(g, row % k)
        }

        /// Asks for the input row that output row `oh` reads into the cache (once per kernel row: from the
        /// tap with kj = 0 only, the others read the same row). Strided convolutions only: with stride 1,
        /// consecutive output rows share k − 1 of their k input rows, which are then mostly cached (prefetching
        /// there too measured ×0.97 on a training step).
        @inline(__always)
        func prefetch(_ g: Conv2DGeometry, image: UnsafePointer<Float>, outRow oh: Int) {
            let ih = oh &* g.stride &- g.padding &+ ki
            guard g.stride > 1, off == -g.padding, ih >= 0, ih < g.height else { return }
            let row = image + (plane &+ ih &* g.width)
            for e in stride(from: 0, to: g.width, by: 16) { prefetchRead(row + e) }
        }
    }

    /// Row `tap` of the col matrix at output row `oh`: Wo (= `outWidth`) values into `dst`.
    @inline(__always)
    static func unroll(_ g: Conv2DGeometry, image: UnsafePointer<Float>, tap: Tap, outRow oh: Int, outWidth wo: Int,
                       into dst: UnsafeMutablePointer<Float>) {
        let s = g.stride, off = tap.off, inside = tap.inside
        var ih = oh * s - g.padding + tap.ki
        if ih < 0 || ih >= g.height {
            if g.paddingMode == .zeros { dst.update(repeating: 0, count: wo); return }
            ih = reflect(ih, g.height)
        }
        let src = image + tap.plane + ih * g.width
        if g.paddingMode == .zeros {
            for ow in 0..<inside.lowerBound { dst[ow] = 0 }
            for ow in inside.upperBound..<wo { dst[ow] = 0 }
        } else {
            for ow in 0..<inside.lowerBound { dst[ow] = src[reflect(ow * s + off, g.width)] }
            for ow in inside.upperBound..<wo { dst[ow] = src[reflect(ow * s + off, g.width)] }
        }
        if s == 1 {
            copyRow(dst + inside.lowerBound, src + inside.lowerBound + off, count: inside.count)
        } else if s == 2 {
            gatherEven(dst, src + off, inside, lowest: -off, width: g.width - off)
        } else {
            for ow in inside { dst[ow] = src[ow * s + off] }
        }
    }

    /// Adds `col` (the rows of input channels `channels`, for output rows `rows`) back into `image` (C×H×W):
    /// the adjoint of `im2col`. Per channel, image rows `zeroing` are cleared first and rows `finishing` get
    /// `epilogue` after. Threads split by channel, so each pixel's additions run in one fixed order. `serial`:
    /// on the calling thread only.
    static func col2im(_ g: Conv2DGeometry, _ col: UnsafePointer<Float>, rows: Range<Int>, channels: Range<Int>,
                       into image: UnsafeMutablePointer<Float>, zeroing: Range<Int> = 0..<0,
                       finishing: Range<Int> = 0..<0, epilogue: Epilogue? = nil, serial: Bool) {
        let k = g.kernel, s = g.stride, wo = g.outWidth, cols = rows.count * wo
        let c0 = channels.lowerBound
        Parallel.forRanges(channels.count, granularity: max(1, 16384 / max(1, cols * k * k)),
                           parts: serial ? 1 : nil) { part in
            for c in (c0 + part.lowerBound)..<(c0 + part.upperBound) {
                let plane = image + c * g.height * g.width
                if !zeroing.isEmpty {
                    (plane + zeroing.lowerBound * g.width).update(repeating: 0, count: zeroing.count * g.width)
                }
                defer {
                    if let epilogue, !epilogue.isNoOp, !finishing.isEmpty {
                        epilogue.apply(channel: c, plane, (finishing.lowerBound * g.width)..<(finishing.upperBound * g.width))
                    }
                }
                for ki in 0..<k {
                    for kj in 0..<k {
                        let off = kj - g.padding
                        let inside = insideColumns(g, kj)
                        var src = col + (((c - c0) * k + ki) * k + kj) * cols
                        for oh in rows {
                            var ih = oh * s - g.padding + ki
                            if ih < 0 || ih >= g.height {
                                if g.paddingMode == .zeros { src += wo; continue }
                                ih = reflect(ih, g.height)
                            }
                            let dst = plane + ih * g.width
                            if g.paddingMode == .reflect {
                                for ow in 0..<inside.lowerBound { dst[reflect(ow * s + off, g.width)] += src[ow] }
                                for ow in inside.upperBound..<wo { dst[reflect(ow * s + off, g.width)] += src[ow] }
                            }
                            if s == 1 {
                                let d = dst + off
                                for ow in inside { d[ow] += src[ow] }
                            } else if s == 2 {
                                scatterAddEven(src, dst + off, inside, width: g.width - off)
                            } else {
                                for ow in inside { dst[ow * s + off] += src[ow] }
                            }
                            src += wo
                        }
                    }
                }
            }
        }
    }

    /// dst[0..<count] = src[0..<count], inline: rows are often 16–64 floats, where a memmove call costs more
    /// than the copy.
    @inline(__always)
    static func copyRow(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, count: Int) {
        var i = 0
        while i + 16 <= count {
            let a = UnsafeRawPointer(src + i).loadUnaligned(as: SIMD8<Float>.self)
            let b = UnsafeRawPointer(src + i + 8).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(dst + i).storeBytes(of: a, as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(dst + i + 8).storeBytes(of: b, as: SIMD8<Float>.self)
            i += 16
        }
        if i + 8 <= count {
            UnsafeMutableRawPointer(dst + i).storeBytes(of: UnsafeRawPointer(src + i).loadUnaligned(as: SIMD8<Float>.self),
                                                        as: SIMD8<Float>.self)
            i += 8
        }
        while i < count { dst[i] = src[i]; i += 1 }
    }

    /// dst[i] = src[2i] for i in `range`, eight at a time (stride-2 convolutions read every other pixel).
    /// src[lowest..<width] is readable. The last eight, where reading src[2i..<2i+16] would pass the end, are
    /// read one float earlier and taken from the odd lanes (overlapping the group before: same values): the
    /// scalar tail this replaces was 10 % of `unroll`'s samples.
    @inline(__always)
    static func gatherEven(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ range: Range<Int>,
                           lowest: Int, width: Int) {
        var i = range.lowerBound
        while i &+ 8 <= range.upperBound && 2 &* i &+ 16 <= width {
            let v = UnsafeRawPointer(src + 2 &* i).loadUnaligned(as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(dst + i).storeBytes(of: evenLanes(v.lowHalf, v.highHalf), as: SIMD8<Float>.self)
            i &+= 8
        }
        let last = range.upperBound &- 8
        if i < range.upperBound && last >= range.lowerBound && 2 &* last &- 1 >= lowest {
            let v = UnsafeRawPointer(src + (2 &* last &- 1)).loadUnaligned(as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(dst + last).storeBytes(of: oddLanes(v.lowHalf, v.highHalf), as: SIMD8<Float>.self)
            return
        }
        while i < range.upperBound { dst[i] = src[2 &* i]; i &+= 1 }
    }

    /// dst[2i] += src[i] for i in `range`, eight at a time (the adjoint of `gatherEven`; each element still gets
    /// exactly one addition, so the bits match the scalar loop).
    @inline(__always)
    static func scatterAddEven(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ range: Range<Int>,
                               width: Int) {
        var i = range.lowerBound
        while i + 8 <= range.upperBound && 2 * i + 16 <= width {
            let p = UnsafeMutableRawPointer(dst + 2 * i)
            var d = p.loadUnaligned(as: SIMD16<Float>.self)
            d.evenHalf += UnsafeRawPointer(src + i).loadUnaligned(as: SIMD8<Float>.self)
            p.storeBytes(of: d, as: SIMD16<Float>.self)
            i += 8
        }
        while i < range.upperBound { dst[2 * i] += src[i]; i += 1 }
    }
}
