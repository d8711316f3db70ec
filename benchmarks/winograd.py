"""Winograd F(2×2, 3×3) against the unrolled GEMM convolution, and against PyTorch CPU when it is installed, in the
same run: the shipped post-filters' 3×3 layers and whole decodes.

Cases, at 1 and 2 threads:
  - dwt97-pf-wide's full-resolution layer, 48 → 48 channels on 512×768, conv + PReLU fused;
  - its coarse branch's layer, 64 → 64 on 128×192;
  - a training batch of that full-resolution layer, 4 × 48 × 256×256;
  - `swiftlic.decompress` of kodim23 at 0.5 bpp with dwt97-pf and dwt97-pf-wide (needs ../shared/data/kodak;
    each conv runs with "auto", i.e. Winograd where it applies, against a process-wide "unrolled" for comparison).
Rounds alternate the algorithms (best and median of `--repeat` per round, median over rounds), so the host's drift
hits both; ratio = unrolled time / Winograd time (> 1: Winograd is faster). GFLOP/s count the direct
convolution's 2·Cout·C·9 FLOP per output pixel ("effective": Winograd does 16/36 of the multiplications).

    .venv/bin/python benchmarks/winograd.py [--repeat 5] [--rounds 3] [--threads 1 2]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

import swiftlic
from swiftlic.nn import functional as F

LAYERS = [("pf-wide full-res 48→48, 1×512×768", (1, 48, 512, 768), 48),
          ("pf-wide coarse 64→64, 1×128×192", (1, 64, 128, 192), 64),
          ("training batch 48→48, 4×256×256", (4, 48, 256, 256), 48)]


def best_of(fn, repeat):
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def layer_rows(threads, repeat, rounds, torch):
    rng = np.random.default_rng(0)
    for name, shape, cout in LAYERS:
        n, c, h, w = shape
        x = rng.standard_normal(shape, dtype=np.float32)
        wt = (rng.standard_normal((cout, c, 3, 3), dtype=np.float32) / np.sqrt(9 * c)).astype(np.float32)
        b, slopes = rng.standard_normal(cout, dtype=np.float32), np.full(cout, 0.25, np.float32)
        flops = 2 * n * cout * c * 9 * h * w
        times = {"winograd": [], "unrolled": [], "torch": []}
        for _ in range(rounds):
            for algo in ("winograd", "unrolled"):
                times[algo].append(best_of(lambda: F.conv2d(x, wt, b, padding=1, activation="prelu", slopes=slopes,
                                                            algorithm=algo), repeat))
            if torch is not None:
                tx, tw, tb = torch.from_numpy(x), torch.from_numpy(wt), torch.from_numpy(b)
                ta = torch.from_numpy(slopes)
                with torch.no_grad():
                    times["torch"].append(best_of(
                        lambda: torch.nn.functional.prelu(torch.nn.functional.conv2d(tx, tw, tb, padding=1), ta),
                        repeat))
        t = {k: statistics.median(v) for k, v in times.items() if v}
        row = (f"{threads:3d}  {name:36s} winograd {t['winograd'] * 1e3:8.1f} ms {flops / t['winograd'] / 1e9:6.1f} "
               f"GFLOP/s | unrolled {t['unrolled'] * 1e3:8.1f} ms {flops / t['unrolled'] / 1e9:6.1f} GFLOP/s | "
               f"ratio {t['unrolled'] / t['winograd']:.2f}")
        if "torch" in t:
            row += f" | torch {t['torch'] * 1e3:8.1f} ms, torch/winograd {t['torch'] / t['winograd']:.2f}"
        print(row, flush=True)


def decode_rows(threads, repeat, rounds):
    kodak = Path(__file__).resolve().parents[2] / "shared" / "data" / "kodak" / "kodim23.png"
    if not kodak.exists():
        print(f"{threads:3d}  (decode rows skipped: no {kodak})")
        return
    from PIL import Image

    img = np.asarray(Image.open(kodak).convert("RGB"))
    original = F.conv2d
    for model in ("dwt97-pf", "dwt97-pf-wide"):
        data = swiftlic.compress(img, 0.5, model=model)
        times = {"auto": [], "unrolled": []}
        try:
            for _ in range(rounds):
                for algo in ("auto", "unrolled"):
                    F.conv2d = (lambda *a, _algo=algo, **k: original(*a, **k, algorithm=_algo))
                    times[algo].append(best_of(lambda: swiftlic.decompress(data), repeat))
        finally:
            F.conv2d = original
        t = {k: statistics.median(v) for k, v in times.items()}
        print(f"{threads:3d}  decompress {model:13s} 0.5 bpp          auto {t['auto'] * 1e3:8.1f} ms | unrolled "
              f"{t['unrolled'] * 1e3:8.1f} ms | ratio {t['unrolled'] / t['auto']:.2f}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--no-decode", action="store_true")
    args = ap.parse_args()
    try:
        import torch
    except ImportError:
        torch = None
        print("torch: not installed (no PyTorch column)")
    before = swiftlic.get_num_threads()
    for threads in args.threads:
        swiftlic.set_num_threads(threads)
        if torch is not None:
            torch.set_num_threads(threads)
        layer_rows(threads, args.repeat, args.rounds, torch)
        if not args.no_decode:
            decode_rows(threads, args.repeat, args.rounds)
    swiftlic.set_num_threads(before)


if __name__ == "__main__":
    main()
