"""GEMM throughput: swiftlic.gemm against numpy.matmul (OpenBLAS) in float32, measured in the same run.

For each thread count both libraries are limited to that many threads (threadpoolctl when installed; otherwise
each thread count runs in a child process started with OPENBLAS_NUM_THREADS set before NumPy loads). Prints
GFLOP/s (median of several timed runs), the ratio swiftlic/numpy, and the share of the FMA peak, assuming
32 FLOP/cycle/core (two 8-wide FMA units) at the clock /proc/cpuinfo reports.

    python benchmarks/gemm.py [--threads 1 2] [--repeat 7] [--shapes 256,256,256 128,4096,576]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

# (m, n, k): square sizes, then the convolution shapes (forward, backward passes).
SHAPES = [(256, 256, 256), (512, 512, 512), (1024, 1024, 1024),
          (128, 4096, 576), (64, 16384, 576), (576, 4096, 128)]


def cpu_mhz() -> float | None:
    try:
        with open("/proc/cpuinfo") as f:
            values = [float(line.split(":")[1]) for line in f if line.startswith("cpu MHz")]
        return max(values) if values else None
    except OSError:
        return None


def median_seconds(fn, repeat: int) -> float:
    fn()  # warm up: page faults, pack buffers, thread start
    times = []
    budget = time.perf_counter() + 10.0
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
        if time.perf_counter() > budget and len(times) >= 3:
            break
    times.sort()
    return times[len(times) // 2]


def measure(threads: int, shapes, repeat: int):
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
    for m, n, k in shapes:
        a = rng.standard_normal((m, k), dtype=np.float32)
        b = rng.standard_normal((k, n), dtype=np.float32)
        c = np.empty((m, n), np.float32)
        # Enough calls per timing that each lasts ≥ ~20 ms even for the small shapes.
        flops = 2.0 * m * n * k
        calls = max(1, int(2e9 / flops))

        def ours():
            for _ in range(calls):
                swiftlic.gemm(a, b, out=c)

        def theirs():
            for _ in range(calls):
                np.matmul(a, b, out=c)

        t_ours = median_seconds(ours, repeat) / calls
        t_theirs = median_seconds(theirs, repeat) / calls
        rows.append((m, n, k, threads, flops / t_ours / 1e9, flops / t_theirs / 1e9))
    if limiter is not None:
        limiter.unregister()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--shapes", nargs="+", help="m,n,k triples")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    shapes = [tuple(int(x) for x in s.split(",")) for s in args.shapes] if args.shapes else SHAPES

    if args.child:  # one thread count, environment already set by the parent
        for row in measure(args.threads[0], shapes, args.repeat):
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
            rows += measure(t, shapes, args.repeat)
        else:
            env = dict(os.environ, OPENBLAS_NUM_THREADS=str(t), OMP_NUM_THREADS=str(t))
            cmd = [sys.executable, __file__, "--child", "--threads", str(t), "--repeat", str(args.repeat),
                   "--shapes", *[",".join(map(str, s)) for s in shapes]]
            out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
            for line in out.splitlines():
                if line.startswith("ROW "):
                    f = line.split()[1:]
                    rows.append((*map(int, f[:4]), float(f[4]), float(f[5])))

    mhz = cpu_mhz()
    peak_core = 32 * mhz / 1e3 if mhz else None
    print(f"thread limiting: {'threadpoolctl' if have_tpc else 'OPENBLAS_NUM_THREADS per child process'}")
    if peak_core:
        print(f"peak assumption: 32 FLOP/cycle/core x {mhz:.0f} MHz (/proc/cpuinfo) = {peak_core:.1f} GFLOP/s per core")
    print(f"load average: {os.getloadavg()[0]:.2f} (other processes share these cores)")
    print()
    head = f"{'m x n x k':>18} {'thr':>3} {'swiftlic':>9} {'numpy':>9} {'ratio':>6} {'%peak':>6}"
    print(head)
    print("-" * len(head))
    for m, n, k, t, ours, theirs in rows:
        peak = f"{100 * ours / (peak_core * t):5.1f}%" if peak_core else "   n/a"
        print(f"{f'{m}x{n}x{k}':>18} {t:>3} {ours:9.1f} {theirs:9.1f} {ours / theirs:6.2f} {peak:>6}")
    print("(GFLOP/s, median of timed runs; ratio = swiftlic / numpy)")


if __name__ == "__main__":
    main()
