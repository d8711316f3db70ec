"""CDF 9/7 wavelet benchmark: swiftlic's lifting kernel (slic_dwt97) against peers measured in the same run.

Transform: 5 levels on the 3 YCbCr planes of a Kodak-size image (768×512; random values, the speed does not
depend on them), analysis and synthesis. Peers, when installed:
  - PyWavelets (`pip install PyWavelets`): wavedec2 / waverec2 with 'bior4.4' (the same 9/7 filter pair,
    convolution with symmetric extension, compiled C), per plane;
  - a NumPy lifting implementation of the same steps (vectorised over rows), always.
Also prints the memory traffic lower bound: each level reads and writes its region twice (rows, then columns).

    python benchmarks/wavelet.py [--repeat 9] [--threads 1,2]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import swiftlic
from swiftlic.nn.ops_layers import dwt97

ALPHA, BETA, GAMMA, DELTA, KAPPA = -1.586134342059924, -0.052980118572961, 0.882911075530934, 0.443506852043971, \
    1.230174104914001


def _lift_axis(x: np.ndarray) -> np.ndarray:
    """One level of 9/7 lifting along the last axis (even length), symmetric extension; [low | high]."""
    e, o = x[..., 0::2].copy(), x[..., 1::2].copy()
    o += ALPHA * (e + np.concatenate([e[..., 1:], e[..., -1:]], -1))
    e += BETA * (o + np.concatenate([o[..., :1], o[..., :-1]], -1))
    o += GAMMA * (e + np.concatenate([e[..., 1:], e[..., -1:]], -1))
    e += DELTA * (o + np.concatenate([o[..., :1], o[..., :-1]], -1))
    return np.concatenate([e / KAPPA, o * KAPPA], -1)


def numpy_analysis(x: np.ndarray, levels: int) -> np.ndarray:
    y = x.copy()
    h, w = x.shape[-2:]
    for _ in range(levels):
        r = y[..., :h, :w]
        r = _lift_axis(r)
        r = _lift_axis(r.swapaxes(-1, -2)).swapaxes(-1, -2)
        y[..., :h, :w] = r
        h, w = h // 2, w // 2
    return y


def median_time(f, repeat: int) -> float:
    f()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=9)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--levels", type=int, default=5)
    a = ap.parse_args()
    x = np.random.default_rng(0).uniform(-0.5, 0.5, (1, 3, 512, 768)).astype(np.float32)
    L = a.levels
    traffic = sum(2 * 2 * 4 * 3 * (512 >> k) * (768 >> k) for k in range(L))  # bytes read + written, 2 passes
    rows, default_threads = [], swiftlic.get_num_threads()
    for t in (int(s) for s in a.threads.split(",")):
        swiftlic.set_num_threads(t)
        fa = median_time(lambda: dwt97(x, L), a.repeat)
        y = dwt97(x, L)
        fs = median_time(lambda: dwt97(y, L, "synthesis"), a.repeat)
        rows.append((f"swiftlic dwt97, {t} thread(s)", fa, fs))
    swiftlic.set_num_threads(default_threads)
    npa = median_time(lambda: numpy_analysis(x, L), max(3, a.repeat // 3))
    rows.append(("NumPy lifting (analysis only)", npa, float("nan")))
    try:
        import pywt

        planes = [x[0, c].astype(np.float32) for c in range(3)]
        pa = median_time(lambda: [pywt.wavedec2(p, "bior4.4", mode="symmetric", level=L) for p in planes], a.repeat)
        coeffs = [pywt.wavedec2(p, "bior4.4", mode="symmetric", level=L) for p in planes]
        ps = median_time(lambda: [pywt.waverec2(c, "bior4.4", mode="symmetric") for c in coeffs], a.repeat)
        rows.append((f"PyWavelets {pywt.__version__} bior4.4", pa, ps))
    except ImportError:
        print("(PyWavelets not installed: pip install PyWavelets to compare)")
    ref = rows[-1][1]
    print(f"CDF 9/7, {L} levels, 3×512×768 float32; median of {a.repeat}; ratio = peer time / this time "
          f"against the last row")
    print(f"{'implementation':40s} {'analysis ms':>12s} {'synthesis ms':>13s} {'GB/s (analysis)':>16s} "
          f"{'speed-up vs last':>17s}")
    for name, ta, ts in rows:
        print(f"{name:40s} {1e3 * ta:12.2f} {1e3 * ts:13.2f} {traffic / ta / 1e9:16.2f} {ref / ta:17.2f}")


if __name__ == "__main__":
    main()
