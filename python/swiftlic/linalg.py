"""Dense linear algebra on the native core: the GEMM every convolution is built on."""

from __future__ import annotations

import numpy as np

from . import _native
from .errors import InvalidArgumentError

__all__ = ["fma_peak", "gemm", "gemm_kernel"]


def gemm_kernel() -> str:
    """The micro-kernel the native library was built with: ``"12x32-avx512"`` (a build for a CPU with
    AVX-512F, as the Makefile makes on such a machine) or ``"6x16-avx2"`` (the portable haswell default)."""
    return _native.gemm_kernel()


def fma_peak(threads: int = 1, seconds: float = 0.2, repeat: int = 3) -> float:
    """The FMA throughput of this machine in GFLOP/s, measured: the ceiling a GEMM kernel of this build's vector
    width can approach, for benchmarks to report a share of (a nominal clock misleads where boost clocks run).

    ``threads`` Python threads (the GIL is released) each run independent FMA chains as wide as the GEMM
    micro-kernel's vectors (``slic_fma_probe``) for about ``seconds``; returns the best of ``repeat`` runs of the
    total FLOPs over the wall time. Two threads on two hyperthreads of one core measure about one core's rate.
    """
    import threading
    import time

    if not isinstance(threads, int) or threads < 1:
        raise InvalidArgumentError(f"fma_peak: expected threads ≥ 1, got {threads!r}")
    if not seconds > 0 or not repeat >= 1:
        raise InvalidArgumentError(f"fma_peak: expected seconds > 0 and repeat ≥ 1, got {seconds!r}, {repeat!r}")
    iterations = 1 << 14
    while True:  # calibrate on one thread: ~1/10 of the time asked for
        start = time.perf_counter()
        _native.fma_probe(iterations)
        elapsed = time.perf_counter() - start
        if elapsed >= seconds / 10:
            break
        iterations *= 4
    iterations = max(1, int(iterations * seconds / elapsed))
    best = 0.0
    for _ in range(repeat):
        barrier = threading.Barrier(threads + 1)
        done = [0] * threads

        def work(i: int) -> None:
            barrier.wait()
            done[i] = _native.fma_probe(iterations)[0]

        workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
        for w in workers:
            w.start()
        barrier.wait()
        start = time.perf_counter()
        for w in workers:
            w.join()
        best = max(best, sum(done) / (time.perf_counter() - start) / 1e9)
    return best


def gemm(a, b, out=None, *, alpha: float = 1.0, beta: float = 0.0, trans_a: bool = False,
         trans_b: bool = False):
    """``out ← alpha · op(a) @ op(b) + beta · out`` in float32, row-major, where op transposes when asked.

    Inputs that are not C-contiguous float32 are converted (copied); ``out``, when given, must be a writable
    C-contiguous float32 array and is updated in place (it is read only when ``beta != 0``).

    >>> import numpy as np, swiftlic
    >>> swiftlic.gemm(np.eye(2, dtype=np.float32), np.ones((2, 3), np.float32)).tolist()
    [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    """
    a = np.asarray(a)
    b = np.asarray(b)
    if a.ndim != 2 or b.ndim != 2:
        raise InvalidArgumentError(f"gemm: expected 2-D matrices, got shapes {a.shape} and {b.shape}")
    m, k = a.shape[::-1] if trans_a else a.shape
    kb, n = b.shape[::-1] if trans_b else b.shape
    if k != kb:
        raise InvalidArgumentError(f"gemm: inner dimensions differ: op(a) is {m}×{k}, op(b) is {kb}×{n}")
    if out is None:
        out = _native.empty((m, n), np.dtype(np.float32).num)
        beta = 0.0
    elif out.shape != (m, n):
        raise InvalidArgumentError(f"gemm: out has shape {out.shape}, expected {(m, n)}")
    lda = a.shape[1] if a.shape[1] else 1
    ldb = b.shape[1] if b.shape[1] else 1
    _native.gemm(int(trans_a), int(trans_b), m, n, k, float(alpha), a, lda, b, ldb, float(beta), out,
                 n if n else 1)
    return out
