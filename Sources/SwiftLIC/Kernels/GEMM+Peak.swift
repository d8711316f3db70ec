extension GEMM {
    /// The FMA throughput this core can reach, for benchmarks to report a kernel's share of a measured ceiling
    /// rather than of a nominal clock (boost clocks vary by machine and by load; on these hosts a 1-thread GEMM
    /// reached "130 % of peak" at the /proc/cpuinfo clock).
    ///
    /// Runs `iterations` rounds of one FMA, `acc ← acc·x + y` with x = 1 − 2⁻¹⁰ and y = 2⁻¹⁰, on each of
    /// `probeChains` independent accumulators as wide as the GEMM micro-kernel's vectors (16 lanes in the AVX-512
    /// build, 8 otherwise): enough chains to hide the FMA latency on both FMA pipes, few enough to stay in
    /// registers. Accumulator c starts at c (every lane), so after n rounds it holds 1 + (c − 1)·xⁿ; `checksum` is
    /// the sum of the accumulators' first lanes, which proves the rounds ran. Returns the floating-point
    /// operations done (2 per lane per FMA).
    public static func fmaProbe(iterations: Int) -> (flops: Int, checksum: Float) {
        precondition(iterations >= 0, "fmaProbe: negative iteration count")
        #if SWIFTLIC_AVX512
        var low = ProbeChains<SIMD16<Float>>(first: 0), high = ProbeChains<SIMD16<Float>>(first: 12)
        let x = SIMD16<Float>(repeating: 1 - 1 / 1024), y = SIMD16<Float>(repeating: 1 / 1024)
        for _ in 0..<iterations {
            low.step(x, y)
            high.step(x, y)
        }
        return (iterations * 24 * 16 * 2, low.firstLanes + high.firstLanes)
        #else
        var chains = ProbeChains<SIMD8<Float>>(first: 0)
        let x = SIMD8<Float>(repeating: 1 - 1 / 1024), y = SIMD8<Float>(repeating: 1 / 1024)
        for _ in 0..<iterations { chains.step(x, y) }
        return (iterations * 12 * 8 * 2, chains.firstLanes)
        #endif
    }

    /// Independent accumulators of one probe: 24 (AVX-512) or 12.
    public static var probeChains: Int {
        #if SWIFTLIC_AVX512
        24
        #else
        12
        #endif
    }
}

/// Twelve independent FMA chains, spelled out so each stays in its own register.
private struct ProbeChains<V: SIMD> where V.Scalar == Float {
    var c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11: V

    init(first: Float) {
        func start(_ i: Float) -> V { V(repeating: first + i) }
        (c0, c1, c2, c3, c4, c5) = (start(0), start(1), start(2), start(3), start(4), start(5))
        (c6, c7, c8, c9, c10, c11) = (start(6), start(7), start(8), start(9), start(10), start(11))
    }

    @inline(__always)
    mutating func step(_ x: V, _ y: V) {
        c0 = y.addingProduct(c0, x); c1 = y.addingProduct(c1, x); c2 = y.addingProduct(c2, x)
        c3 = y.addingProduct(c3, x); c4 = y.addingProduct(c4, x); c5 = y.addingProduct(c5, x)
        c6 = y.addingProduct(c6, x); c7 = y.addingProduct(c7, x); c8 = y.addingProduct(c8, x)
        c9 = y.addingProduct(c9, x); c10 = y.addingProduct(c10, x); c11 = y.addingProduct(c11, x)
    }

    var firstLanes: Float {
        c0[0] + c1[0] + c2[0] + c3[0] + c4[0] + c5[0] + c6[0] + c7[0] + c8[0] + c9[0] + c10[0] + c11[0]
    }
}
