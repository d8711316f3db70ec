extension Conv2D {
    /// Default im2col scratch per band, in floats (2 MiB).
    public static let defaultBandBudget = 1 << 19
}

/// How a convolution's work is cut into (image, band of output rows) items and spread over threads.
///
/// - A band is `rows` whole output rows of one image; its im2col scratch is C·k·k × rows·Wo floats, sized by a
///   budget (large enough for GEMM to run at full speed, small enough to stay near one core's cache). The band
///   size depends only on the geometry and the budget, never on the thread count, so every sum runs in the same
///   order for any thread count.
/// - Items run on separate threads, each with its own scratch and single-threaded inner kernels (one band's GEMM
///   is ~1 ms: splitting it across threads costs a barrier per band and gains little). When there are too few
///   items to keep the threads busy, items run one after the other with threaded inner kernels instead; the
///   inner kernels are bit-identical for any thread count, so both schedules give the same bits.
struct ConvBands {
    let budget: Int
    let rows: Int
    let perImage: Int
    let batch: Int
    let outHeight: Int

    /// - Parameter budget: im2col floats per band. Bands hold at least ⌈k/s⌉ − 1 rows so that bands b and b + 2
    ///   never touch the same input row (backward-data runs even and odd bands in two phases).
    init(_ g: Conv2DGeometry, budget: Int) {
        self.budget = budget
        let minRows = max(1, (g.kernel + g.stride - 1) / g.stride - 1)
        // The band's output (Cout × rows·Wo) also stays within a core's L2, so the fused epilogue reads it there.
        let byOutput = (budget / 4) / max(1, g.outChannels * g.outWidth)
        let byScratch = budget / max(1, g.patchSize * g.outWidth)
        rows = max(1, min(g.outHeight, max(minRows, min(byScratch, byOutput))))
        perImage = (g.outHeight + rows - 1) / rows
        batch = g.batch
        outHeight = g.outHeight
    }

    var count: Int { batch * perImage }

    /// Output rows of band `b` (of any image).
    func rows(ofBand b: Int) -> Range<Int> { (b * rows)..<min(outHeight, (b + 1) * rows) }

    /// Runs `body(item, serial)` for every item in `0..<count`: on separate threads with `serial` true when there
    /// are enough items to share out evenly, else one after the other with `serial` false (inner kernels may
    /// thread). `body` must write only state that belongs to its item.
    static func run(_ count: Int, _ body: (Int, Bool) -> Void) {
        let threads = Parallel.threadCount
        if threads > 1 && count >= threads && (count >= 2 * threads || count % threads == 0) {
            Parallel.forEach(count) { body($0, true) }
        } else {
            for i in 0..<count { body(i, false) }
        }
    }
}
