#!/usr/bin/env python3
"""Calibrates the rate gate of a trained dwt97-cae post-filter on training photos and writes the gated model.

For each image and each rate r of --bpp the image goes through the real codec (the plain wavelet synthesis gives
x₀, the post-filter's residual is f); the least-squares blend of the residual is α = ⟨x − x₀, f⟩ / ⟨f, f⟩ in RGB,
pooled over the images (sums of both inner products), clipped to [0, --max-gain]. The table (r, α) becomes the model's
``postfilter_gate``: decoding a stream of rate r adds gain(r)·f. Training photos only (never Kodak).

    .venv/bin/python tools/calibrate_postfilter.py runs/dwt97-cae-postfilter/checkpoint.safetensors \\
        python/swiftlic/weights/dwt97-cae-pf.safetensors [--images 24] [--bpp 0.06,0.125,…]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python"))

import swiftlic  # noqa: E402
from swiftlic import codec, latent, models  # noqa: E402
from swiftlic.color import ycbcr_to_rgb_affine  # noqa: E402
from swiftlic.data import data_root  # noqa: E402


def training_images(n: int, seed: int = 0):
    from PIL import Image

    files = sorted(p for p in (data_root() / "train").rglob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    if not files:
        raise SystemExit(f"no training photos under {data_root() / 'train'}")
    pick = np.random.default_rng(seed).choice(len(files), size=min(n, len(files)), replace=False)
    for i in sorted(pick):
        with Image.open(files[i]) as im:
            yield files[i].name, np.asarray(im.convert("RGB"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("checkpoint", help="training checkpoint or exported model of dwt97-cae with a post-filter")
    ap.add_argument("out", help="where to write the gated model (.safetensors)")
    ap.add_argument("--images", type=int, default=24)
    ap.add_argument("--bpp", default="0.06,0.125,0.25,0.5,1,2,4")
    ap.add_argument("--max-gain", type=float, default=1.0, help="gains are clipped to [0, max_gain]")
    a = ap.parse_args()
    rates = [float(r) for r in a.bpp.split(",")]
    src = Path(a.checkpoint)
    m = models.load(src)  # an exported model or a training checkpoint
    if m.name != "dwt97-cae" or not m.config["postfilter"]:
        raise SystemExit(f"{src}: expected a dwt97-cae model with a post-filter, got {m.name} {m.config}")
    m.eval()
    M = ycbcr_to_rgb_affine()[0].astype(np.float64)
    num, den = np.zeros(len(rates)), np.zeros(len(rates))
    for name, img in training_images(a.images):
        h, w = img.shape[:2]
        x = codec._pad(swiftlic.rgb_to_ycbcr(img, planar=True), m.stride)
        y = m.encode(x[None])[0]
        block = codec.code_block_size(m, *y.shape[1:])
        target = swiftlic.rgb_to_ycbcr(img, planar=True).astype(np.float64)
        for k, r in enumerate(rates):
            data = latent.encode(codec.to_code_blocks(y, block), bits=codec.BITS, step=codec._STEP,
                                 target_bytes=max(1, int(r * h * w / 8)))
            y_hat = codec.from_code_blocks(latent.decode(data)[0], y.shape, block)
            base = m.synthesis.forward(y_hat[None])
            m.set_rate(8 * len(data) / (h * w))  # a post-filter that sees the rate sees the stream's
            f = m.postfilter.forward(base)[0, :, :h, :w].astype(np.float64)
            e = target - base[0, :, :h, :w]
            fe, ee = np.einsum("rc,chw->rhw", M, f), np.einsum("rc,chw->rhw", M, e)
            num[k] += float(np.sum(fe * ee))
            den[k] += float(np.sum(fe * fe))
        print(f"{name}: " + " ".join(f"{r}:{n / d:.2f}" for r, n, d in zip(rates, num, den)), flush=True)
    gains = np.clip(num / np.maximum(den, 1e-30), 0, a.max_gain)
    table = [[r, round(float(g), 4)] for r, g in zip(rates, gains)]
    gated = models.create("dwt97-cae", **{**m.config, "postfilter_gate": table})
    gated.load_state_dict(m.state_dict())
    models.save(gated, a.out, metadata={"note": f"post-filter of {src.name}, gate calibrated on {a.images} "
                                                f"training photos: {table}"})
    print("gate:", table)
    print("wrote", a.out)


if __name__ == "__main__":
    main()
