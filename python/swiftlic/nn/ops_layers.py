"""Functional wrappers over the native layer kernels: GDN, max pooling, 2× upsampling, pixel shuffle, the
CDF 9/7 wavelet transform, quantization proxies, dropout, Adam and losses.

Arrays are NCHW float32 (other dtypes and non-contiguous inputs are converted). Every function checks the rank
and the layout it needs and raises :class:`swiftlic.InvalidArgumentError` naming what it expected; the native
core re-checks every size. Random functions take ``seed`` and ``offset``: element ``i`` of a call uses counter
``offset + i`` of the Philox4x32-10 stream of ``seed``, so results are the same on any machine and thread count.

>>> import numpy as np
>>> from swiftlic.nn.ops_layers import pixel_shuffle, pixel_unshuffle
>>> x = np.arange(16, dtype=np.float32).reshape(1, 4, 2, 2)
>>> bool(np.array_equal(pixel_unshuffle(pixel_shuffle(x, 2), 2), x))
True
"""

from __future__ import annotations

import numpy as np

from .. import _native
from ..errors import InvalidArgumentError

__all__ = [
    "gdn", "gdn_backward", "max_pool2x2", "max_pool2x2_backward", "upsample2x", "upsample2x_backward",
    "pixel_shuffle", "pixel_unshuffle", "dwt97", "DWT97_OPS", "uniform_noise", "round_half_even", "binarize", "random_uniform",
    "dropout", "adam_step", "sum_of_squares", "mse_loss", "l1_loss",
]

_F32 = np.dtype(np.float32).num
_UPSAMPLE_MODES = {"nearest": 0, "bilinear": 1}
DWT97_OPS = {"analysis": 0, "synthesis": 1, "analysis_adjoint": 2, "synthesis_adjoint": 3}
_MAX_U64 = 2**64 - 1


def _f32(x, name: str) -> np.ndarray:
    return np.ascontiguousarray(x, dtype=np.float32)


def _nchw(x, op: str, name: str = "x") -> np.ndarray:
    x = _f32(x, name)
    if x.ndim != 4:
        raise InvalidArgumentError(f"{op}: expected {name} as an N×C×H×W array, got shape {x.shape}")
    return x


def _empty(shape) -> np.ndarray:
    return _native.empty(tuple(int(s) for s in shape), _F32)


def _seed(value, what: str) -> int:
    value = int(value)
    if not 0 <= value <= _MAX_U64:
        raise InvalidArgumentError(f"{what}: expected an integer in [0, 2^64), got {value}")
    return value


# -- GDN --------------------------------------------------------------------------------------------------
def gdn(x, beta, gamma, *, inverse: bool = False) -> np.ndarray:
    """GDN ``y_i = x_i / sqrt(beta_i + sum_j gamma[i, j] x_j^2)`` per pixel, or IGDN (multiplies) when ``inverse``.

    ``beta`` has C values and ``gamma`` is C×C (effective, non-negative values; see ``layers_extra.GDN`` for the
    reparametrisation that keeps them so during training).
    """
    x = _nchw(x, "gdn")
    n, c, h, w = x.shape
    y = _empty(x.shape)
    _native.gdn_forward(int(inverse), n, c, h, w, x, _f32(beta, "beta"), _f32(gamma, "gamma"), y)
    return y


def gdn_backward(x, beta, gamma, grad_y, *, inverse: bool = False):
    """Returns ``(grad_x, grad_beta, grad_gamma)`` of GDN (or IGDN) at ``x`` for the output gradient ``grad_y``."""
    x = _nchw(x, "gdn_backward")
    n, c, h, w = x.shape
    gx, gb, gg = _empty(x.shape), _empty((c,)), _empty((c, c))
    _native.gdn_backward(int(inverse), n, c, h, w, x, _f32(beta, "beta"), _f32(gamma, "gamma"),
                         _f32(grad_y, "grad_y"), gx, gb, gg)
    return gx, gb, gg


# -- pooling and resampling -------------------------------------------------------------------------------
def max_pool2x2(x) -> np.ndarray:
    """2×2 max pooling with stride 2 (output ⌊H/2⌋×⌊W/2⌋; ties go to the first maximum in row-major order)."""
    x = _nchw(x, "max_pool2x2")
    n, c, h, w = x.shape
    y = _empty((n, c, h // 2, w // 2))
    _native.maxpool2x2(0, n, c, h, w, x, None, y)
    return y


def max_pool2x2_backward(x, grad_y) -> np.ndarray:
    """Input gradient of :func:`max_pool2x2` at ``x`` (each gradient goes to its window's argmax)."""
    x = _nchw(x, "max_pool2x2_backward")
    n, c, h, w = x.shape
    gx = _empty(x.shape)
    _native.maxpool2x2(1, n, c, h, w, x, _f32(grad_y, "grad_y"), gx)
    return gx


def _mode(mode: str) -> int:
    if mode not in _UPSAMPLE_MODES:
        raise InvalidArgumentError(f"upsample2x: expected mode 'nearest' or 'bilinear', got {mode!r}")
    return _UPSAMPLE_MODES[mode]


def upsample2x(x, mode: str = "nearest") -> np.ndarray:
    """2× upsampling, ``mode`` "nearest" or "bilinear" (PyTorch's ``align_corners=False``)."""
    m = _mode(mode)
    x = _nchw(x, "upsample2x")
    n, c, h, w = x.shape
    y = _empty((n, c, 2 * h, 2 * w))
    _native.upsample2x(0, m, n, c, h, w, x, y)
    return y


def upsample2x_backward(grad_y, mode: str = "nearest") -> np.ndarray:
    """Input gradient of :func:`upsample2x` for the output gradient ``grad_y`` (N×C×2H×2W)."""
    m = _mode(mode)
    gy = _nchw(grad_y, "upsample2x_backward", "grad_y")
    n, c, h2, w2 = gy.shape
    if h2 % 2 or w2 % 2:
        raise InvalidArgumentError(f"upsample2x_backward: expected even height and width, got {h2}×{w2}")
    gx = _empty((n, c, h2 // 2, w2 // 2))
    _native.upsample2x(1, m, n, c, h2 // 2, w2 // 2, gy, gx)
    return gx


def _shuffle(x, r: int, unshuffle: bool) -> np.ndarray:
    op = "pixel_unshuffle" if unshuffle else "pixel_shuffle"
    x = _nchw(x, op)
    n, c, h, w = x.shape
    r = int(r)
    if r < 1:
        raise InvalidArgumentError(f"{op}: expected a factor r ≥ 1, got {r}")
    if unshuffle:
        if h % r or w % r:
            raise InvalidArgumentError(f"{op}: expected height and width divisible by r={r}, got {h}×{w}")
        shape = (n, c * r * r, h // r, w // r)
    else:
        if c % (r * r):
            raise InvalidArgumentError(f"{op}: expected channels divisible by r²={r * r}, got {c}")
        shape = (n, c // (r * r), h * r, w * r)
    y = _empty(shape)
    _native.pixel_shuffle(int(unshuffle), r, n, c, h, w, x, y)
    return y


def pixel_shuffle(x, r: int) -> np.ndarray:
    """N×C·r²×H×W → N×C×H·r×W·r (PyTorch's channel order). Its backward is :func:`pixel_unshuffle`."""
    return _shuffle(x, r, False)


def pixel_unshuffle(x, r: int) -> np.ndarray:
    """N×C×H·r×W·r → N×C·r²×H×W, the inverse of :func:`pixel_shuffle` (and its backward)."""
    return _shuffle(x, r, True)


def dwt97(x, levels: int, op: str = "analysis") -> np.ndarray:
    """The CDF 9/7 wavelet transform (JPEG 2000's irreversible filter) of every N×C plane, Mallat layout.

    ``op``: "analysis", "synthesis" (its exact inverse), "analysis_adjoint" or "synthesis_adjoint" (the backward
    passes of the first two). Each subband is scaled by the L2 norm of its synthesis basis functions, so a unit
    error on any coefficient costs about the same squared error in the plane. Any H×W with at least
    2^(levels−1)+1 samples on each side; ``levels`` 0…10.
    """
    if op not in DWT97_OPS:
        raise InvalidArgumentError(f"dwt97: expected op in {sorted(DWT97_OPS)}, got {op!r}")
    x = _nchw(x, "dwt97")
    n, c, h, w = x.shape
    y = _empty(x.shape)
    _native.dwt97(DWT97_OPS[op], int(levels), n * c, h, w, x, y)
    return y


# -- quantization proxies and dropout ---------------------------------------------------------------------
def uniform_noise(x, seed: int, offset: int = 0) -> np.ndarray:
    """``x + u`` with u ~ U(−½, ½] drawn from the stream of ``seed`` at ``offset`` (any shape)."""
    x = _f32(x, "x")
    y = _empty(x.shape)
    _native.quantize(0, _seed(seed, "uniform_noise seed"), _seed(offset, "uniform_noise offset"), x, y)
    return y


def round_half_even(x) -> np.ndarray:
    """Rounds to the nearest integer, ties to even (0.5 → 0, 1.5 → 2, −2.5 → −2), as ``np.rint``."""
    x = _f32(x, "x")
    y = _empty(x.shape)
    _native.quantize(1, 0, 0, x, y)
    return y


def binarize(x, seed: int, offset: int = 0) -> np.ndarray:
    """Stochastic binarization (Toderici et al.): +1 with probability (1 + x)/2, else −1 (x clipped to [−1, 1])."""
    x = _f32(x, "x")
    y = _empty(x.shape)
    _native.quantize(2, _seed(seed, "binarize seed"), _seed(offset, "binarize offset"), x, y)
    return y


def random_uniform(shape, seed: int, offset: int = 0) -> np.ndarray:
    """Values u ∈ [0, 1) (24-bit resolution) of the stream of ``seed`` starting at ``offset``."""
    out = _empty(np.atleast_1d(shape) if np.ndim(shape) else (int(shape),))
    _native.random_uniform(_seed(seed, "random_uniform seed"), _seed(offset, "random_uniform offset"), out)
    return out


def dropout(x, p: float, seed: int, offset: int = 0) -> np.ndarray:
    """Inverted dropout: ``x · [u ≥ p] / (1 − p)``. The backward pass is the same call on the gradient."""
    x = _f32(x, "x")
    y = _empty(x.shape)
    _native.quantize(3, _seed(seed, "dropout seed"), _seed(offset, "dropout offset"), x, y, float(p))
    return y


# -- optimisation -----------------------------------------------------------------------------------------
def adam_step(param: np.ndarray, grad, exp_avg: np.ndarray, exp_avg_sq: np.ndarray, *, step: int,
              lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0,
              decoupled: bool = False) -> None:
    """One Adam (or AdamW when ``decoupled``) step in place on ``param``, ``exp_avg`` and ``exp_avg_sq``, which
    must be writable C-contiguous float32 arrays. ``step`` ≥ 1 is the number of this step (bias correction)."""
    _native.adam_step(param, _f32(grad, "grad"), exp_avg, exp_avg_sq, float(lr), float(betas[0]),
                      float(betas[1]), float(eps), float(weight_decay), int(bool(decoupled)), int(step))


def sum_of_squares(x) -> float:
    """Σ x² accumulated in float64 in a fixed blocked order (the same for any thread count)."""
    return _native.reduce(2, _f32(x, "x"), None, None)


def _loss(kind: int, op: str, pred, target, with_grad: bool):
    pred = _f32(pred, "pred")
    target = _f32(target, "target")
    if pred.shape != target.shape:
        raise InvalidArgumentError(f"{op}: pred has shape {pred.shape}, target has shape {target.shape}")
    grad = _empty(pred.shape) if with_grad else None
    value = _native.reduce(kind, pred, target, grad)
    return (value, grad) if with_grad else value


def mse_loss(pred, target, *, with_grad: bool = False):
    """mean((pred − target)²) as a float; with ``with_grad`` also returns ∂loss/∂pred = 2(pred − target)/n."""
    return _loss(0, "mse_loss", pred, target, with_grad)


def l1_loss(pred, target, *, with_grad: bool = False):
    """mean|pred − target| as a float; with ``with_grad`` also returns ∂loss/∂pred = sign(pred − target)/n."""
    return _loss(1, "l1_loss", pred, target, with_grad)
