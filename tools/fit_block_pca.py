#!/usr/bin/env python3
"""Fits the 8×8×3 block PCA of the training photos and measures what it gives on Kodak, untrained.

The transform (saved to python/swiftlic/weights/blockpca8.safetensors, float32):
    v     = the 192 values of one 8×8 block of a 3-channel image on the [0, 1] scale, index c·64 + dy·8 + dx
            (the channel order of an 8× pixel-unshuffle, so a 1×1 convolution applies it to a whole image)
    coef  = components @ (v − mean)          analysis  (1×1 conv: weight = components, bias = −components @ mean)
    v     = components.T @ coef + mean       synthesis (1×1 conv: weight = components.T, bias = mean; 8× shuffle)
components (192×192) is orthonormal, its rows sorted by decreasing eigenvalue; each row's largest-magnitude entry is
positive (first such entry on ties), so refits give the same signs.

Both colour spaces are fitted on the same crops and compared on 4 Kodak images (never training data) by RGB PSNR:
keeping the first K coefficients unquantized, and quantizing all 192 (or the first 32) coefficients uniformly with
step Δ, the rate being the zeroth-order entropy of each coefficient index over the image's blocks (one histogram
per index, like a factorized entropy model whose tables cost nothing). The colour space with the better PSNR at
0.5 bpp is saved unless --colorspace says otherwise.

    .venv/bin/python tools/fit_block_pca.py                # fit on $SWIFTLIC_DATA/train, write, print the tables
    .venv/bin/python tools/fit_block_pca.py --no-save      # measure only
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image
from safetensors.numpy import save_file

import swiftlic
from swiftlic.data import ImageFolder, Kodak, data_root

B = 8
DIM = 3 * B * B
ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "python" / "swiftlic" / "weights" / "blockpca8.safetensors"
EVAL_IMAGES = ("kodim01", "kodim07", "kodim13", "kodim19")  # foliage+brick, flowers, mountains, portrait fence
KEEP = (16, 32, 48, 64, 96, 128)
STEPS = tuple(np.geomspace(1.5, 480, 36))  # Δ in 8-bit units (coefficients × 255)
SHOWN_STEPS = (2, 4, 8, 16, 32, 48, 64, 96, 128, 192, 256)
TARGET_BPP = (0.25, 0.5, 1.0, 2.0)


def unshuffle(x: np.ndarray) -> np.ndarray:
    """N×3×H×W (H, W multiples of 8) → (N·H/8·W/8)×192 block vectors, index c·64 + dy·8 + dx."""
    n, c, h, w = x.shape
    return x.reshape(n, c, h // B, B, w // B, B).transpose(0, 2, 4, 1, 3, 5).reshape(-1, c * B * B)


def shuffle(v: np.ndarray, h: int, w: int) -> np.ndarray:
    """The inverse of :func:`unshuffle` for one image: (h/8·w/8)×192 → 3×h×w."""
    return v.reshape(h // B, w // B, 3, B, B).transpose(2, 0, 3, 1, 4).reshape(3, h, w)


def to_ycbcr(batch: np.ndarray) -> np.ndarray:
    return np.stack([swiftlic.rgb_to_ycbcr(x) for x in batch])


def to_rgb_u8(planes: np.ndarray, colorspace: str) -> np.ndarray:
    """3×H×W float [0, 1] planes → H×W×3 uint8 RGB, rounded and clamped."""
    if colorspace == "ycbcr":
        return swiftlic.ycbcr_to_rgb(np.ascontiguousarray(planes, dtype=np.float32), planar=False)
    return np.clip(np.rint(planes.transpose(1, 2, 0) * 255), 0, 255).astype(np.uint8)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float(10 * np.log10(255.0 ** 2 / mse)) if mse > 0 else float("inf")


def fit(vectors_sum, outer_sum, count):
    """mean, components (rows, sorted, signed) and eigenvalues from running sums (float64)."""
    mean = vectors_sum / count
    cov = outer_sum / count - np.outer(mean, mean)
    eigenvalues, vectors = np.linalg.eigh((cov + cov.T) / 2)
    order = np.argsort(eigenvalues)[::-1]
    eigenvalues, components = np.maximum(eigenvalues[order], 0), vectors[:, order].T.copy()
    lead = np.argmax(np.abs(components), axis=1)  # argmax returns the first of equal magnitudes
    components *= np.where(components[np.arange(DIM), lead] < 0, -1.0, 1.0)[:, None]
    return mean, components, eigenvalues


def sample_blocks(train: Path, n_blocks: int, seed: int):
    """Running sums over the same random 64×64 crops (with horizontal flips) in RGB and YCbCr."""
    crops_per_batch, patch = 64, 64
    per_batch = crops_per_batch * (patch // B) ** 2
    folder = ImageFolder(train, patch=patch, batch_size=crops_per_batch, seed=seed, prefetch=2)
    sums = {cs: [np.zeros(DIM), np.zeros((DIM, DIM)), 0] for cs in ("rgb", "ycbcr")}
    with folder.batches() as stream:
        for _, x in zip(range(-(-n_blocks // per_batch)), stream):
            for cs, planes in (("rgb", x), ("ycbcr", to_ycbcr(x))):
                v = unshuffle(planes).astype(np.float64)
                s = sums[cs]
                s[0] += v.sum(axis=0)
                s[1] += v.T @ v
                s[2] += len(v)
    return folder, sums


def entropy_bits(q: np.ndarray) -> float:
    """Σ over coefficient indices of the zeroth-order entropy of that index's symbols, times the block count."""
    n, k = q.shape
    q = q - q.min()
    span = int(q.max()) + 1
    counts = np.bincount((q + np.arange(k) * span).ravel(), minlength=k * span).reshape(k, span).astype(np.float64)
    p = counts / n
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(-np.nansum(counts * np.log2(np.where(p > 0, p, 1))))


def evaluate(images, model):
    """Per image: PSNR at each K kept, and (bpp, PSNR) for each Δ with all 192 and with the first 32 coefficients."""
    cs, mean, components = model["colorspace"], model["mean"], model["components"]
    out = []
    for name, rgb in images:
        h, w = rgb.shape[:2]
        planes = rgb.transpose(2, 0, 1)[None].astype(np.float32) / np.float32(255)
        if cs == "ycbcr":
            planes = to_ycbcr(planes)
        coef = (unshuffle(planes).astype(np.float64) - mean) @ components.T

        def reconstruct(c):
            return to_rgb_u8(shuffle(c @ components + mean, h, w), cs)

        keep = {k: psnr(rgb, reconstruct(np.where(np.arange(DIM) < k, coef, 0))) for k in KEEP}
        rd = {}
        for kept in (DIM, 32):
            points = []
            for step in STEPS:
                q = np.rint(coef[:, :kept] * 255 / step)
                bits = entropy_bits(q.astype(np.int64))
                c = np.zeros_like(coef)
                c[:, :kept] = q * step / 255
                points.append((bits / (h * w), psnr(rgb, reconstruct(c))))
            rd[kept] = points
        out.append({"name": name, "keep": keep, "rd": rd})
    return out


def psnr_at(points, bpp):
    """PSNR at ``bpp`` interpolated linearly in log(bpp) on one image's RD points (NaN outside their range)."""
    r, d = np.array(points).T
    order = np.argsort(r)
    if not r.min() <= bpp <= r.max():
        return float("nan")
    return float(np.interp(np.log(bpp), np.log(r[order]), d[order]))


def jpeg_at(rgb, bpp):
    """PSNR of Pillow's JPEG (4:2:0) at the largest quality not above ``bpp``, as a familiar yardstick."""
    best = None
    for quality in range(5, 96):
        buf = io.BytesIO()
        Image.fromarray(rgb).save(buf, "JPEG", quality=quality)
        rate = 8 * buf.tell() / (rgb.shape[0] * rgb.shape[1])
        if rate > bpp:
            break
        best = (rate, psnr(rgb, np.asarray(Image.open(buf).convert("RGB"))))
    return best


def report(results, models, images):
    lines = []
    for cs, res in results.items():
        ev = models[cs]["eigenvalues"]
        lines.append(f"\n[{cs}] energy in the first K coefficients (own domain): "
                     + ", ".join(f"K={k}: {100 * ev[:k].sum() / ev.sum():.2f}%" for k in KEEP))
        lines.append(f"[{cs}] RGB PSNR keeping the first K coefficients unquantized "
                     f"(mean of {', '.join(r['name'] for r in res)}):")
        lines.append("  " + "  ".join(f"K={k}: {np.mean([r['keep'][k] for r in res]):6.2f} dB" for k in KEEP))
        lines.append(f"[{cs}] uniform quantizer step Δ (8-bit units), rate = per-index zeroth-order entropy:")
        lines.append("      Δ |  all 192: bpp   PSNR | first 32: bpp   PSNR")
        for step in SHOWN_STEPS:
            i = int(np.argmin(np.abs(np.array(STEPS) - step)))
            row = [np.mean([r["rd"][k][i][j] for r in res]) for k in (DIM, 32) for j in (0, 1)]
            lines.append(f"  {STEPS[i]:5.1f} | {row[0]:12.3f} {row[1]:6.2f} | {row[2]:13.3f} {row[3]:6.2f}")
        lines.append(f"[{cs}] PSNR at a given rate (interpolated per image, then averaged):")
        for k in (DIM, 32):
            lines.append(f"  {'all 192' if k == DIM else 'first 32'}: " + "  ".join(
                f"{bpp} bpp: {np.mean([psnr_at(r['rd'][k], bpp) for r in res]):5.2f} dB" for bpp in TARGET_BPP))
    jpeg = [jpeg_at(rgb, 0.5) for _, rgb in images]
    lines.append(f"\nyardstick: Pillow JPEG at <= 0.5 bpp on the same images: mean {np.mean([j[0] for j in jpeg]):.3f} "
                 f"bpp, {np.mean([j[1] for j in jpeg]):.2f} dB")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=None, help="data folder (default: swiftlic.data.data_root())")
    parser.add_argument("--blocks", type=int, default=262144, help="8×8 blocks to fit on (default 262144)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--colorspace", choices=("auto", "rgb", "ycbcr"), default="auto",
                        help="which fit to save (auto: the better RGB PSNR at 0.5 bpp)")
    parser.add_argument("--images", default=",".join(EVAL_IMAGES),
                        help=f"Kodak images to evaluate on, comma-separated, or 'all' (default {','.join(EVAL_IMAGES)})")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args(argv)
    root = args.data or data_root()

    t0 = time.time()
    folder, sums = sample_blocks(root / "train", args.blocks, args.seed)
    models = {}
    for cs, (s, ss, n) in sums.items():
        mean, components, eigenvalues = fit(s, ss, n)
        models[cs] = {"colorspace": cs, "mean": mean, "components": components, "eigenvalues": eigenvalues,
                      "blocks": n}
    print(f"fitted on {sums['rgb'][2]} blocks from {len(folder)} photos in {root / 'train'} "
          f"({time.time() - t0:.1f} s)")

    kodak = Kodak(root / "kodak")
    wanted = set(kodak.names if args.images == "all" else args.images.split(","))
    if not wanted <= set(kodak.names):
        parser.error(f"--images: not in Kodak: {sorted(wanted - set(kodak.names))}")
    images = [(n, img) for n, img in kodak if n in wanted]
    results = {cs: evaluate(images, m) for cs, m in models.items()}
    text = report(results, models, images)
    print(text)
    score = {cs: np.mean([psnr_at(r["rd"][DIM], 0.5) for r in res]) for cs, res in results.items()}
    chosen = max(score, key=score.get) if args.colorspace == "auto" else args.colorspace
    print(f"\nPSNR at 0.5 bpp: " + ", ".join(f"{cs} {v:.2f} dB" for cs, v in score.items()) + f" → saving {chosen}")
    if args.no_save:
        return 0

    m = models[chosen]
    metadata = {
        "format": "swiftlic.blockpca/1",
        "block": str(B),
        "channels": "3",
        "colorspace": chosen,
        "scale": "[0,1] per channel" + ("; Cb, Cr centred on 0.5 (swiftlic.rgb_to_ycbcr)" if chosen == "ycbcr"
                                         else ""),
        "layout": "vector index c*64 + dy*8 + dx (channel order of an 8x pixel-unshuffle)",
        "transform": "coef = components @ (v - mean); v = components.T @ coef + mean",
        "sign": "largest-magnitude entry of each component row is positive (first on ties)",
        "blocks": str(m["blocks"]),
        "seed": str(args.seed),
        "source": f"{len(folder)} photos of <data>/train (bsds500 + imagenet-sample), random 64x64 crops, h-flips",
        "psnr_at_0.5bpp": json.dumps({cs: round(float(v), 3) for cs, v in score.items()}),
        "eval_images": ",".join(n for n, _ in images),
        "fitted_by": "tools/fit_block_pca.py",
    }
    tensors = {k: np.ascontiguousarray(m[k], dtype=np.float32) for k in ("mean", "components", "eigenvalues")}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(args.out), metadata=metadata)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
