"""Figures of an evaluation: RD curves, per-image BD-rate bars, side-by-side crops.

Every function returns a :class:`matplotlib.figure.Figure` built without pyplot (so it works headless and inside
notebooks alike) from the plain tables of :mod:`swiftlic.eval`; :func:`save` writes PNG and SVG.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

__all__ = ["rd_curves", "bd_rate_bars", "crops", "detail_box", "save"]

_LABELS = {
    "psnr": "PSNR RGB (dB)",
    "psnr_ycbcr": "PSNR YCbCr 6:1:1 (dB)",
    "ms_ssim_db": "MS-SSIM (dB)",
    "ms_ssim": "MS-SSIM",
}


def _finite(v) -> bool:
    return v is not None and isinstance(v, (int, float)) and math.isfinite(v)


def rd_curves(means: Sequence[Mapping], metric: str = "psnr", *, title: str | None = None) -> Figure:
    """Quality vs real bpp, one line per codec, from rows with ``codec``, ``bpp`` and ``metric`` (mean curves)."""
    fig = Figure(figsize=(6.4, 4.6), layout="constrained")
    ax = fig.add_subplot()
    for codec in dict.fromkeys(r["codec"] for r in means):
        pts = sorted((r["bpp"], r[metric]) for r in means
                     if r["codec"] == codec and _finite(r["bpp"]) and _finite(r[metric]))
        if pts:
            xs, ys = zip(*pts)
            ax.plot(xs, ys, "o-", ms=4, label=codec)
    ax.set_xlabel("bits per pixel (real file size)")
    ax.set_ylabel(_LABELS.get(metric, metric))
    ax.grid(True, alpha=0.3)
    ax.legend()
    if title:
        ax.set_title(title)
    return fig


def bd_rate_bars(per_image: Sequence[Mapping], anchor: str, *, key: str = "bd_rate_psnr") -> Figure:
    """Per-image BD-rate of each codec against the anchor as grouped bars (as in Cheng et al. 2018, Fig. 7)."""
    images = list(dict.fromkeys(r["image"] for r in per_image))
    codecs = [c for c in dict.fromkeys(r["codec"] for r in per_image) if c != anchor]
    fig = Figure(figsize=(max(6.4, 0.45 * len(images) * max(1, len(codecs)) ** 0.5 + 2), 4.2), layout="constrained")
    ax = fig.add_subplot()
    width = 0.8 / max(1, len(codecs))
    lookup = {(r["image"], r["codec"]): r[key] for r in per_image}
    x = np.arange(len(images))
    for k, codec in enumerate(codecs):
        vals = [lookup.get((img, codec)) for img in images]
        vals = [v if _finite(v) else np.nan for v in vals]
        ax.bar(x + (k - (len(codecs) - 1) / 2) * width, vals, width, label=codec)
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(x, images, rotation=60, ha="right", fontsize=8)
    ax.set_ylabel(f"BD-rate vs {anchor} (%)  ← better")
    ax.grid(True, axis="y", alpha=0.3)
    if codecs:
        ax.legend(fontsize=8)
    return fig


def detail_box(image: np.ndarray, size: int = 192) -> tuple[int, int, int, int]:
    """(top, left, height, width) of the size×size window with the most gradient energy (on an 8-pixel grid)."""
    h, w = image.shape[:2]
    sy, sx = min(size, h), min(size, w)
    g = np.asarray(image, np.float64).mean(axis=2) if image.ndim == 3 else np.asarray(image, np.float64)
    energy = np.zeros((h + 1, w + 1))
    energy[1:, 1:] = (np.abs(np.diff(g, axis=0, append=g[-1:])) + np.abs(np.diff(g, axis=1, append=g[:, -1:])))
    c = energy.cumsum(0).cumsum(1)
    tops = np.arange(0, h - sy + 1, 8)
    lefts = np.arange(0, w - sx + 1, 8)
    t, l = np.meshgrid(tops, lefts, indexing="ij")
    s = c[t + sy, l + sx] - c[t, l + sx] - c[t + sy, l] + c[t, l]
    i, j = np.unravel_index(np.argmax(s), s.shape)
    return int(tops[i]), int(lefts[j]), sy, sx


def crops(original: np.ndarray, decoded: Mapping[str, tuple[np.ndarray, str]], *,
          box: tuple[int, int, int, int] | None = None, title: str | None = None) -> Figure:
    """The original and each codec's reconstruction of one region side by side.

    ``decoded`` maps a codec name to ``(image, caption)``; ``box`` is (top, left, height, width), by default the
    most detailed region (:func:`detail_box`). Pixels are shown 1:1 (no interpolation).
    """
    top, left, hh, ww = box or detail_box(original)
    panels = [("original", original, "")] + [(k, img, cap) for k, (img, cap) in decoded.items()]
    n = len(panels)
    cols = min(n, 4)
    rows = math.ceil(n / cols)
    fig = Figure(figsize=(2.6 * cols, 2.9 * rows), layout="constrained")
    for k, (name, img, cap) in enumerate(panels):
        ax = fig.add_subplot(rows, cols, k + 1)
        ax.imshow(img[top:top + hh, left:left + ww], interpolation="nearest")
        ax.set_title(f"{name}\n{cap}" if cap else name, fontsize=8)
        ax.set_axis_off()
    if title:
        fig.suptitle(title, fontsize=9)
    return fig


def save(fig: Figure, path) -> list[Path]:
    """Writes ``path`` with suffixes .png (150 dpi) and .svg; returns both paths."""
    base = Path(path)
    out = []
    for suffix, kw in ((".png", {"dpi": 150}), (".svg", {})):
        p = base.with_suffix(suffix)
        fig.savefig(p, **kw)
        out.append(p)
    return out
