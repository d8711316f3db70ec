"""GEMM throughput: swiftlic.gemm against numpy.matmul (OpenBLAS) in float32, measured in the same run.

For each thread count both libraries are limited to that many threads (threadpoolctl when installed; otherwise
each thread count runs in a child process started with OPENBLAS_NUM_THREADS set before NumPy loads). Prints
GFLOP/s (median of timed runs, the two libraries alternating), the speed ratio swiftlic/numpy (of the medians, of
the fastest runs, and paired: per round, with a bootstrap interval), and each library's share of the FMA peak
measured in the same run (`swiftlic.linalg.fma_peak`: independent FMA chains of the micro-kernel's width on as
many threads), the ceiling that neither can pass.

The peer is OpenBLAS as NumPy ships it, with the kernels OpenBLAS itself picks for this CPU (printed), which is
what a researcher's NumPy runs. An OPENBLAS_CORETYPE in the environment (these machines set Haswell, OpenBLAS's
AVX2 kernels, where it would pick its AVX-512 SkylakeX kernels on AMD Zen 4/5 and Intel AVX-512 CPUs) is removed
before NumPy loads unless --openblas-coretype env keeps it; --openblas-coretype NAME forces NAME.

    python benchmarks/gemm.py [--threads 1 2] [--repeat 5] [--rounds 5] [--shapes 256,256,256 576,4096,128,1,0]
                              [--openblas-coretype auto|env|NAME]
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import subprocess
import sys
import time

# (m, n, k, trans_a, trans_b): square sizes, the convolution forward shape (A = weights Cout×Cin·9, B = im2col),
# the other convolution shapes, and the transposed calls of the backward passes (data: Wᵀ·dY, weights: dY·colᵀ).
SHAPES = [(256, 256, 256, False, False), (512, 512, 512, False, False), (1024, 1024, 1024, False, False),
          (128, 4096, 576, False, False), (64, 16384, 576, False, False), (576, 4096, 128, False, False),
          (576, 4096, 128, True, False), (128, 576, 4096, False, True)]


def cpu_mhz() -> float | None:
    try:
        with open("/proc/cpuinfo") as f:
            values = [float(line.split(":")[1]) for line in f if line.startswith("cpu MHz")]
        return max(values) if values else None
    except OSError:
        return None


def blas_description() -> str:
    """NumPy's BLAS and the kernels it chose for this CPU (threadpoolctl's report), e.g. "OpenBLAS 0.3.31,
    Haswell kernels"; where OPENBLAS_CORETYPE forced them, says so."""
    forced = os.environ.get("OPENBLAS_CORETYPE")
    try:
        import numpy as np  # noqa: F401  (loads the BLAS)
        from threadpoolctl import threadpool_info
    except ImportError:
        return "BLAS (threadpoolctl not installed: kernels unknown)"
    for lib in threadpool_info():
        if lib.get("user_api") == "blas":
            name = {"openblas": "OpenBLAS"}.get(lib.get("internal_api"), lib.get("internal_api"))
            arch = lib.get("architecture")
            removed = os.environ.get("SWIFTLIC_BENCH_REMOVED_CORETYPE")
            how = (f" (forced: OPENBLAS_CORETYPE={forced})" if forced else
                   f" (its own choice; the environment's OPENBLAS_CORETYPE={removed} removed)" if removed else
                   " (its own choice)")
            return f"{name} {lib.get('version')}" + (f", {arch} kernels{how}" if arch else how)
    return "BLAS unknown"


def geometric_mean(values) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values))


def ratio_interval(ratios, level: float = 0.9, resamples: int = 2000) -> tuple[float, float]:
    """Bootstrap interval of the geometric mean of the per-round ratios (fixed seed: reproducible)."""
    rng = random.Random(0)
    means = sorted(geometric_mean(rng.choices(ratios, k=len(ratios))) for _ in range(resamples))
    tail = (1 - level) / 2
    return means[int(tail * resamples)], means[min(resamples - 1, int((1 - tail) * resamples))]


def measure(threads: int, shapes, repeat: int, clock: str = "wall", rounds: int = 5):
    """Times both libraries on each shape in separate blocks of `repeat` timings, `rounds` blocks each, the two
    libraries taking turns (which goes first alternates between shapes). This host's speed drifts by ±10 % over
    seconds (other guests), so one block per library would compare two different machines; many short
    blocks, taken in turn, see the same mix.

    clock="thread" times 1-thread runs by the calling thread's CPU time (both libraries compute on the calling
    thread then), which leaves out the time other processes hold the core: a steadier comparison on a busy
    machine. Runs with more threads always use the wall clock."""
    timer = time.thread_time if clock == "thread" and threads == 1 else time.perf_counter
    import numpy as np
    import swiftlic

    limiter = None
    try:
        from threadpoolctl import threadpool_limits
        limiter = threadpool_limits(limits=threads, user_api="blas")
    except ImportError:
        pass  # OPENBLAS_NUM_THREADS was set by the parent before NumPy loaded
    swiftlic.set_num_threads(threads)
    rng = np.random.default_rng(0)
    rows = []
    for m, n, k, ta, tb in shapes:
        a = rng.standard_normal((k, m) if ta else (m, k), dtype=np.float32)
        b = rng.standard_normal((n, k) if tb else (k, n), dtype=np.float32)
        c = np.empty((m, n), np.float32)
        a_op, b_op = (a.T if ta else a), (b.T if tb else b)  # numpy hands the transposes to OpenBLAS as flags
        flops = 2.0 * m * n * k
        calls = max(1, int(4e8 / flops))  # each timing lasts a few ms even for the small shapes

        def ours():
            for _ in range(calls):
                swiftlic.gemm(a, b, out=c, trans_a=ta, trans_b=tb)

        def theirs():
            for _ in range(calls):
                np.matmul(a_op, b_op, out=c)

        times = {ours: [], theirs: []}
        paired = []  # per round: numpy's block median / ours (the two blocks ran back to back)
        # Each block starts after a pause: OpenBLAS's workers spin for about 0.1 s after each call, so
        # interleaved calls would hand the other library a machine with a core taken. (With one thread they
        # have nothing to spin on.)
        for r in range(rounds):
            block = {}
            # Which library goes first alternates between rounds and between shapes.
            for fn in ((ours, theirs) if (len(rows) + r) % 2 == 0 else (theirs, ours)):
                time.sleep(0.3 if threads > 1 else 0.05)
                fn()  # warm up: page faults, pack buffers, thread start, caches
                ts = []
                for _ in range(repeat):
                    t = timer()
                    fn()
                    ts.append((timer() - t) / calls)
                times[fn] += ts
                block[fn] = statistics.median(ts)
            paired.append(block[theirs] / block[ours])
        med = {fn: statistics.median(ts) for fn, ts in times.items()}
        best = {fn: min(ts) for fn, ts in times.items()}
        low, high = ratio_interval(paired)
        rows.append((m, n, k, ta, tb, threads, flops / med[ours] / 1e9, flops / med[theirs] / 1e9,
                     med[theirs] / med[ours], best[theirs] / best[ours], geometric_mean(paired), low, high))
    if limiter is not None:
        limiter.unregister()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=5, help="timings per block")
    parser.add_argument("--rounds", type=int, default=5, help="blocks per library and shape, taken in turn")
    parser.add_argument("--shapes", nargs="+", help="m,n,k[,ta,tb] (ta, tb: 0 or 1)")
    parser.add_argument("--clock", choices=["wall", "thread"], default="wall",
                        help="thread: time 1-thread runs by CPU time of the calling thread (for busy machines)")
    parser.add_argument("--openblas-coretype", metavar="NAME", default="auto",
                        help="OpenBLAS's kernels: auto (its own choice for this CPU, the default), env (whatever "
                             "OPENBLAS_CORETYPE the environment sets) or a core type to force (SkylakeX, Haswell…)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.child and args.openblas_coretype != "env":
        # OpenBLAS reads OPENBLAS_CORETYPE once, when it loads: start again with it set or removed.
        want = None if args.openblas_coretype == "auto" else args.openblas_coretype
        if os.environ.get("OPENBLAS_CORETYPE") != want:
            if want is None:
                os.environ["SWIFTLIC_BENCH_REMOVED_CORETYPE"] = os.environ.pop("OPENBLAS_CORETYPE")
            else:
                os.environ["OPENBLAS_CORETYPE"] = want
            os.execv(sys.executable, [sys.executable, *sys.argv])
    if args.shapes:
        shapes = []
        for spec in args.shapes:
            f = [int(x) for x in spec.split(",")] + [0, 0]
            shapes.append((f[0], f[1], f[2], bool(f[3]), bool(f[4])))
    else:
        shapes = SHAPES

    if args.child:  # one thread count, environment already set by the parent
        for row in measure(args.threads[0], shapes, args.repeat, args.clock, args.rounds):
            print("ROW", *row)
        return

    try:
        import threadpoolctl  # noqa: F401
        have_tpc = True
    except ImportError:
        have_tpc = False

    rows = []
    for t in args.threads:
        if have_tpc:
            rows += measure(t, shapes, args.repeat, args.clock, args.rounds)
        else:
            env = dict(os.environ, OPENBLAS_NUM_THREADS=str(t), OMP_NUM_THREADS=str(t))
            cmd = [sys.executable, __file__, "--child", "--threads", str(t), "--repeat", str(args.repeat),
                   "--rounds", str(args.rounds),
                   "--clock", args.clock,
                   "--shapes", *[",".join(str(int(x)) for x in s) for s in shapes]]
            out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
            for line in out.splitlines():
                if line.startswith("ROW "):
                    f = line.split()[1:]
                    rows.append((int(f[0]), int(f[1]), int(f[2]), f[3] == "True", f[4] == "True", int(f[5]),
                                 *map(float, f[6:])))

    import swiftlic

    kernel = swiftlic.linalg.gemm_kernel()
    # The ceiling, measured now: independent FMA chains of the kernel's vector width on t threads at once.
    peak = {t: swiftlic.linalg.fma_peak(t) for t in args.threads}
    mhz = cpu_mhz()
    print(f"thread limiting: {'threadpoolctl' if have_tpc else 'OPENBLAS_NUM_THREADS per child process'}; "
          f"swiftlic micro-kernel {kernel}; numpy {blas_description()}")
    print("FMA peak, measured (swiftlic.linalg.fma_peak, " + ("16" if kernel.endswith("avx512") else "8") +
          "-wide FMAs): " + ", ".join(f"{peak[t]:.1f} GFLOP/s on {t} thread{'s' if t > 1 else ''}" for t in peak)
          + (f"; /proc/cpuinfo says {mhz:.0f} MHz" if mhz else ""))
    if args.clock == "thread":
        print("clock: CPU time of the calling thread for 1-thread rows, wall clock for the others")
    print(f"load average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print()
    head = (f"{'m x n x k':>16} {'op':>4} {'thr':>3} {'swiftlic':>9} {'numpy':>9} {'ratio':>6} {'best':>6} "
            f"{'paired':>6} {'90% interval':>13} {'%peak':>6} {'numpy':>6}")
    print(head)
    print("-" * len(head))
    for m, n, k, ta, tb, t, ours, theirs, ratio, best, paired, low, high in rows:
        op = ("Aᵀ" if ta else "") + ("Bᵀ" if tb else "") or "AB"
        print(f"{f'{m}x{n}x{k}':>16} {op:>4} {t:>3} {ours:9.1f} {theirs:9.1f} {ratio:6.2f} {best:6.2f} "
              f"{paired:6.3f} {f'{low:.3f}–{high:.3f}':>13} {100 * ours / peak[t]:5.1f}% {100 * theirs / peak[t]:5.1f}%")
    print("GFLOP/s from the median time; ratio = numpy time / swiftlic time (median; 'best' from the fastest "
          "runs); >1 means swiftlic is faster.\npaired: geometric mean over the rounds of numpy's block median / "
          "swiftlic's (the two blocks of a round ran back to back, so host drift between rounds cancels), with a "
          "bootstrap 90 % interval.\n%peak: each library's GFLOP/s over the measured FMA peak at that thread count "
          "(the swiftlic column, then numpy's).")


if __name__ == "__main__":
    main()
