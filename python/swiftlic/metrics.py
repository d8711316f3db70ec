"""Image-quality and rate metrics, matched to the field's reference implementations.

- :func:`psnr` — RGB PSNR with peak 255 over all pixels and channels (the number papers quote for Kodak).
- :func:`psnr_ycbcr` — per-component PSNR in YCbCr (JPEG full range, computed natively), averaged with weights
  6:1:1 for Y:Cb:Cr as in Cheng et al. 2018.
- :func:`ssim` — Wang et al. 2004 with an 11-tap Gaussian window (σ 1.5), population covariance, K = (0.01, 0.03),
  averaged over the *valid* region (no border handling enters the value) and then over channels. This equals
  ``skimage.metrics.structural_similarity(gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
  data_range=255, channel_axis=-1)`` and ``pytorch_msssim.ssim``.
- :func:`ms_ssim` — Wang et al. 2003, 5 scales, weights (0.0448, 0.2856, 0.3001, 0.2363, 0.1333), as
  ``pytorch_msssim.ms_ssim``: per channel, contrast-structure terms clipped at 0 (ReLU) on the first four scales and
  the full SSIM on the last, 2×2 average pooling between scales (an odd side is zero-padded by one on each side,
  like ``avg_pool2d(padding=side % 2)``), the per-channel products averaged over channels.
  :func:`ms_ssim_db` is ``-10·log10(1 - MS-SSIM)``.
- :func:`bpp` — bits per pixel from the real byte length.
- :func:`bd_rate` / :func:`bd_psnr` — Bjøntegaard deltas in log10-rate with piecewise-cubic Hermite ("pchip") or
  cubic-polynomial ("cubic") interpolation, integrated over the overlap of the two curves (as the ``bjontegaard``
  package computes them).

Images are H×W×3 (or H×W) arrays of 8-bit values; any integer or float dtype holding values on the 0–255 scale is
accepted, and the arithmetic is float64.

>>> import numpy as np
>>> a = np.zeros((4, 4, 3), np.uint8); b = a.copy(); b[0, 0, 0] = 16
>>> round(psnr(a, b), 2)
40.86
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import interpolate, ndimage

from .errors import InvalidArgumentError

__all__ = [
    "psnr",
    "psnr_ycbcr",
    "ssim",
    "ms_ssim",
    "ms_ssim_db",
    "bpp",
    "bd_rate",
    "bd_psnr",
    "MS_SSIM_WEIGHTS",
]

#: The five scale weights of Wang et al. 2003 (finest scale first).
MS_SSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)

_K1, _K2 = 0.01, 0.03


def _pair(a, b, name: str = "images") -> tuple[np.ndarray, np.ndarray]:
    """Both images as float64 arrays of one shape, H×W or H×W×C."""
    x = np.asarray(a)
    y = np.asarray(b)
    if x.shape != y.shape:
        raise InvalidArgumentError(f"{name}: shapes differ, got {x.shape} and {y.shape}")
    if x.ndim not in (2, 3) or x.size == 0:
        raise InvalidArgumentError(f"{name}: expected H×W or H×W×C images, got shape {x.shape}")
    for arr in (x, y):
        if not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
            raise InvalidArgumentError(f"{name}: expected numeric pixel values, got dtype {arr.dtype}")
    return x.astype(np.float64, copy=False), y.astype(np.float64, copy=False)


def _psnr_from_mse(mse: float, peak: float) -> float:
    return math.inf if mse == 0 else 10.0 * math.log10(peak * peak / mse)


def psnr(a, b, *, peak: float = 255.0) -> float:
    """PSNR in dB over all pixels and channels; ``inf`` for identical images.

    >>> import numpy as np
    >>> psnr(np.zeros((2, 2, 3), np.uint8), np.zeros((2, 2, 3), np.uint8))
    inf
    """
    x, y = _pair(a, b)
    return _psnr_from_mse(float(np.mean((x - y) ** 2)), peak)


def psnr_ycbcr(a, b, *, weights: Sequence[float] = (6, 1, 1)) -> float:
    """Weighted mean of the Y, Cb and Cr PSNRs (dB) of two H×W×3 uint8 RGB images.

    The colour conversion is swiftlic's native full-range BT.601 transform, without rounding (float planes), so the
    value depends only on the RGB images. Any component PSNR being ``inf`` makes the result ``inf``.
    """
    from .color import rgb_to_ycbcr

    x, y = np.asarray(a), np.asarray(b)
    _pair(x, y)
    if x.ndim != 3 or x.shape[2] != 3 or x.dtype != np.uint8 or y.dtype != np.uint8:
        raise InvalidArgumentError(
            f"psnr_ycbcr: expected two H×W×3 uint8 RGB images, got {x.dtype} {x.shape} and {y.dtype} {y.shape}")
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (3,) or np.any(w < 0) or w.sum() <= 0:
        raise InvalidArgumentError(f"psnr_ycbcr: expected three non-negative weights, got {tuple(weights)}")
    px = rgb_to_ycbcr(np.ascontiguousarray(x), planar=True).astype(np.float64)
    py = rgb_to_ycbcr(np.ascontiguousarray(y), planar=True).astype(np.float64)
    mse = np.mean((px - py) ** 2, axis=(1, 2))
    per = [_psnr_from_mse(float(m), 1.0) for m in mse]
    if any(math.isinf(p) for p, wi in zip(per, w) if wi > 0):
        return math.inf
    return float(sum(wi * p for p, wi in zip(per, w) if wi > 0) / w.sum())


def _gaussian_taps(size: int = 11, sigma: float = 1.5) -> np.ndarray:
    r = np.arange(size, dtype=np.float64) - (size - 1) / 2
    g = np.exp(-(r * r) / (2 * sigma * sigma))
    return g / g.sum()


def _blur_valid(x: np.ndarray, taps: np.ndarray) -> np.ndarray:
    """Separable Gaussian over the two spatial axes, keeping only the positions the window covers fully."""
    r = len(taps) // 2
    y = ndimage.correlate1d(x, taps, axis=0, mode="reflect")
    y = ndimage.correlate1d(y, taps, axis=1, mode="reflect")
    return y[r:x.shape[0] - r, r:x.shape[1] - r]


def _ssim_cs(x: np.ndarray, y: np.ndarray, data_range: float) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean SSIM and mean contrast-structure term of H×W×C float64 images."""
    taps = _gaussian_taps()
    c1 = (_K1 * data_range) ** 2
    c2 = (_K2 * data_range) ** 2
    mx, my = _blur_valid(x, taps), _blur_valid(y, taps)
    vx = _blur_valid(x * x, taps) - mx * mx
    vy = _blur_valid(y * y, taps) - my * my
    vxy = _blur_valid(x * y, taps) - mx * my
    cs_map = (2 * vxy + c2) / (vx + vy + c2)
    ssim_map = (2 * mx * my + c1) / (mx * mx + my * my + c1) * cs_map
    return ssim_map.mean(axis=(0, 1)), cs_map.mean(axis=(0, 1))


def _as_hwc(a, b, name: str) -> tuple[np.ndarray, np.ndarray]:
    x, y = _pair(a, b, name)
    if x.ndim == 2:
        x, y = x[:, :, None], y[:, :, None]
    return x, y


def ssim(a, b, *, data_range: float = 255.0) -> float:
    """Mean SSIM (Gaussian window 11, σ 1.5) over the valid region, averaged over channels.

    Needs both spatial sides ≥ 11.
    """
    x, y = _as_hwc(a, b, "ssim")
    if min(x.shape[:2]) < 11:
        raise InvalidArgumentError(f"ssim: expected both sides ≥ 11 pixels (the window), got shape {x.shape}")
    s, _ = _ssim_cs(x, y, data_range)
    return float(s.mean())


def _avg_pool2(x: np.ndarray) -> np.ndarray:
    """2×2 average pooling; an odd side is zero-padded by one on both sides first (torch avg_pool2d semantics)."""
    pads = [(s % 2, s % 2) for s in x.shape[:2]] + [(0, 0)]
    if any(p for p, _ in pads):
        x = np.pad(x, pads)
    h, w = x.shape[0] // 2, x.shape[1] // 2
    x = x[:2 * h, :2 * w]
    return x.reshape(h, 2, w, 2, x.shape[2]).mean(axis=(1, 3))


def ms_ssim(a, b, *, data_range: float = 255.0, weights: Sequence[float] = MS_SSIM_WEIGHTS) -> float:
    """Multi-scale SSIM (5 scales by default); needs the smaller side > 10·2^(scales−1) (160 for 5 scales)."""
    x, y = _as_hwc(a, b, "ms_ssim")
    w = np.asarray(weights, dtype=np.float64)
    levels = len(w)
    need = 10 * 2 ** (levels - 1)
    if levels < 1 or min(x.shape[:2]) <= need:
        raise InvalidArgumentError(
            f"ms_ssim: expected the smaller side > {need} pixels for {levels} scales, got shape {x.shape}")
    terms = []
    for level in range(levels):
        s, cs = _ssim_cs(x, y, data_range)
        if level < levels - 1:
            terms.append(np.maximum(cs, 0.0))
            x, y = _avg_pool2(x), _avg_pool2(y)
    terms.append(np.maximum(s, 0.0))
    per_channel = np.prod(np.stack(terms) ** w[:, None], axis=0)
    return float(per_channel.mean())


def ms_ssim_db(a, b, **kwargs) -> float:
    """MS-SSIM on a dB scale, ``-10·log10(1 - MS-SSIM)`` (``inf`` when MS-SSIM is 1)."""
    v = ms_ssim(a, b, **kwargs)
    return math.inf if v >= 1.0 else -10.0 * math.log10(1.0 - v)


def bpp(data, image) -> float:
    """Bits per pixel of a byte stream for an image: ``8·len(data) / (H·W)``.

    ``image`` is an array (H×W or H×W×C), a PIL image, or an ``(H, W)`` tuple.
    """
    n = len(memoryview(data).cast("B")) if not isinstance(data, (bytes, bytearray)) else len(data)
    if isinstance(image, tuple) and len(image) == 2:
        h, w = image
    elif hasattr(image, "size") and not isinstance(image, np.ndarray) and hasattr(image, "mode"):
        w, h = image.size
    else:
        shape = np.shape(image)
        if len(shape) < 2:
            raise InvalidArgumentError(f"bpp: expected an image or (H, W), got shape {shape}")
        h, w = shape[:2]
    if h <= 0 or w <= 0:
        raise InvalidArgumentError(f"bpp: expected a non-empty image, got {h}×{w}")
    return 8.0 * n / (h * w)


# ---------------------------------------------------------------------------------------------- Bjøntegaard deltas

def _curve(x, y, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Sorts one RD curve by x; rejects too few points, non-finite values and repeated x."""
    x = np.asarray(x, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    if x.shape != y.shape:
        raise InvalidArgumentError(f"{name}: expected as many rates as distortions, got {x.size} and {y.size}")
    if x.size < 2 or not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise InvalidArgumentError(f"{name}: expected at least 2 finite RD points, got {list(zip(x, y))}")
    order = np.argsort(x, kind="stable")
    x, y = x[order], y[order]
    if np.any(np.diff(x) == 0):
        raise InvalidArgumentError(f"{name}: expected distinct values along the integration axis, got {x.tolist()}")
    return x, y


def _integral(x: np.ndarray, y: np.ndarray, lo: float, hi: float, method: str) -> float:
    if method == "pchip":
        return float(interpolate.PchipInterpolator(x, y).integrate(lo, hi))
    if method == "cubic":
        if x.size < 4:
            raise InvalidArgumentError(f"cubic BD needs at least 4 points per curve, got {x.size}")
        p = np.polyint(np.polyfit(x, y, 3))
        return float(np.polyval(p, hi) - np.polyval(p, lo))
    raise InvalidArgumentError(f"expected method 'pchip' or 'cubic', got {method!r}")


def _bd(xa, ya, xt, yt, method: str) -> float:
    """Mean of f_test − f_anchor over the overlap of the x ranges (NaN when they do not overlap)."""
    xa, ya = _curve(xa, ya, "anchor")
    xt, yt = _curve(xt, yt, "test")
    lo, hi = max(xa[0], xt[0]), min(xa[-1], xt[-1])
    if hi <= lo:
        return math.nan
    return float((_integral(xt, yt, lo, hi, method) - _integral(xa, ya, lo, hi, method)) / (hi - lo))


def _positive(r, name: str) -> np.ndarray:
    r = np.asarray(r, dtype=np.float64)
    if np.any(~(r > 0)):
        raise InvalidArgumentError(f"{name}: expected positive rates, got {r.tolist()}")
    return r


def bd_rate(r_anchor, d_anchor, r_test, d_test, *, method: str = "pchip") -> float:
    """Bjøntegaard delta rate in percent: the mean rate change of the test codec at equal quality.

    Negative is better (−10 means 10 % fewer bits). Rates are interpolated in log10 as a function of quality over
    the quality range both curves cover; ``nan`` when they do not overlap.

    >>> round(bd_rate([1, 2, 4, 8], [30, 33, 36, 39], [0.5, 1, 2, 4], [30, 33, 36, 39]), 6)
    -50.0
    """
    la = np.log10(_positive(r_anchor, "r_anchor"))
    lt = np.log10(_positive(r_test, "r_test"))
    delta = _bd(d_anchor, la, d_test, lt, method)
    return math.nan if math.isnan(delta) else float((10.0 ** delta - 1.0) * 100.0)


def bd_psnr(r_anchor, d_anchor, r_test, d_test, *, method: str = "pchip") -> float:
    """Bjøntegaard delta quality: the mean quality gain (dB) of the test codec at equal log-rate.

    >>> round(bd_psnr([1, 2, 4, 8], [30, 33, 36, 39], [1, 2, 4, 8], [31, 34, 37, 40]), 6)
    1.0
    """
    la = np.log10(_positive(r_anchor, "r_anchor"))
    lt = np.log10(_positive(r_test, "r_test"))
    return _bd(la, d_anchor, lt, d_test, method)
