"""Layers over the native layer kernels: GDN / IGDN, max pooling, 2× upsampling, pixel (un)shuffle, the CDF 9/7
wavelet transform and its inverse, dropout and the quantization proxies used to train through a quantizer.

Each layer follows the protocol of :mod:`swiftlic.nn.module`: ``forward`` caches what ``backward`` needs,
``backward(grad_y)`` returns the input gradient and accumulates (+=) parameter gradients.

Random layers (``Dropout``, ``Quantizer``) draw from the counter-based Philox stream of their ``seed``. Each
training-mode forward uses the counters ``offset … offset + x.size − 1`` and then advances ``offset`` by
``x.size``, so a run is reproducible from ``(seed, offset)`` — save ``offset`` with a checkpoint to resume the
exact stream (:meth:`rng_state` / :meth:`load_rng_state`).

>>> import numpy as np
>>> from swiftlic.nn.layers_extra import GDN, IGDN
>>> x = np.random.default_rng(0).standard_normal((1, 4, 3, 3)).astype(np.float32)
>>> g, ig = GDN(4), IGDN(4)
>>> y = g(x)                        # y = x / sqrt(1 + 0.1·x²) at initialisation
>>> bool(np.allclose(y, x / np.sqrt(1 + 0.1 * x**2), atol=1e-5))
True
"""

from __future__ import annotations

import numpy as np

from ..errors import InvalidArgumentError
from . import ops_layers as F
from .module import Module, Parameter

__all__ = ["GDN", "IGDN", "MaxPool2d", "Upsample", "PixelShuffle", "PixelUnshuffle", "DWT97", "InverseDWT97",
           "Dropout", "Quantizer",
           "NonNegativeParametrizer"]


class NonNegativeParametrizer:
    """Keeps a parameter ≥ ``minimum`` by storing ``s`` and using ``max(s, bound)² − pedestal``.

    The scheme of tensorflow-compression's GDN and CompressAI's ``NonNegativeParametrizer`` (same defaults, so
    stored values are interchangeable with CompressAI's ``beta`` / ``gamma``): pedestal = ``reparam_offset²``,
    bound = √(minimum + pedestal), ``init(v) = √max(v + pedestal, pedestal)``. The lower bound passes the gradient
    where ``s ≥ bound`` or where descent would move ``s`` up (gradient < 0), so a parameter stuck at the bound
    can leave it again.
    """

    def __init__(self, minimum: float = 0.0, reparam_offset: float = 2.0 ** -18) -> None:
        self.pedestal = float(reparam_offset) ** 2
        self.bound = (float(minimum) + self.pedestal) ** 0.5

    def init(self, value) -> np.ndarray:
        v = np.asarray(value, dtype=np.float64)
        return np.sqrt(np.maximum(v + self.pedestal, self.pedestal)).astype(np.float32)

    def effective(self, stored: np.ndarray) -> np.ndarray:
        s = np.maximum(stored.astype(np.float64), self.bound)
        return (s * s - self.pedestal).astype(np.float32)

    def backward(self, stored: np.ndarray, grad_effective: np.ndarray) -> np.ndarray:
        """∂L/∂stored from ∂L/∂effective."""
        s = np.maximum(stored.astype(np.float64), self.bound)
        g = grad_effective.astype(np.float64) * 2 * s
        passes = (stored >= self.bound) | (g < 0)
        return np.where(passes, g, 0.0).astype(np.float32)


class GDN(Module):
    """Generalized divisive normalization (Ballé et al. 2016): per pixel, over channels,
    ``y_i = x_i / sqrt(beta_i + sum_j gamma[i, j] x_j²)``; ``inverse=True`` gives IGDN (multiplies by the root).

    Parameters ``beta`` (C) and ``gamma`` (C×C) are stored reparametrised (:class:`NonNegativeParametrizer`,
    ``beta ≥ beta_min``, ``gamma ≥ 0``), initialised to β = 1, γ = ``gamma_init``·I as in CompressAI.
    """

    def __init__(self, channels: int, inverse: bool = False, *, beta_min: float = 1e-6, gamma_init: float = 0.1,
                 reparam_offset: float = 2.0 ** -18) -> None:
        super().__init__()
        channels = int(channels)
        if channels < 1:
            raise InvalidArgumentError(f"GDN: expected channels ≥ 1, got {channels}")
        self.channels, self.inverse = channels, bool(inverse)
        self._beta_p = NonNegativeParametrizer(beta_min, reparam_offset)
        self._gamma_p = NonNegativeParametrizer(0.0, reparam_offset)
        self.beta = Parameter(self._beta_p.init(np.ones(channels)))
        self.gamma = Parameter(self._gamma_p.init(gamma_init * np.eye(channels)))
        self._cache = None

    def effective_params(self) -> tuple[np.ndarray, np.ndarray]:
        """The (β, γ) the kernel uses: non-negative, γ[i, j] weighs x_j² in channel i's normalizer."""
        return self._beta_p.effective(self.beta.data), self._gamma_p.effective(self.gamma.data)

    def forward(self, x):
        x = F._nchw(x, type(self).__name__)
        if x.shape[1] != self.channels:
            raise InvalidArgumentError(f"{type(self).__name__}: expected {self.channels} channels, got shape {x.shape}")
        beta, gamma = self.effective_params()
        self._cache = (x, beta, gamma)
        return F.gdn(x, beta, gamma, inverse=self.inverse)

    def backward(self, grad_out):
        if self._cache is None:
            raise InvalidArgumentError(f"{type(self).__name__}.backward called before forward")
        x, beta, gamma = self._cache
        gx, gb, gg = F.gdn_backward(x, beta, gamma, grad_out, inverse=self.inverse)
        self.beta.grad += self._beta_p.backward(self.beta.data, gb)
        self.gamma.grad += self._gamma_p.backward(self.gamma.data, gg)
        return gx

    def extra_repr(self) -> str:
        return f"{self.channels}" + (", inverse=True" if self.inverse else "")


class IGDN(GDN):
    """Inverse GDN: ``y_i = x_i · sqrt(beta_i + sum_j gamma[i, j] x_j²)`` (the synthesis-side GDN)."""

    def __init__(self, channels: int, **kwargs) -> None:
        super().__init__(channels, inverse=True, **kwargs)

    def extra_repr(self) -> str:
        return f"{self.channels}"


class MaxPool2d(Module):
    """2×2 max pooling, stride 2 (the only size supported). Ties: first maximum in row-major window order."""

    def __init__(self, kernel_size: int = 2) -> None:
        super().__init__()
        if kernel_size != 2:
            raise InvalidArgumentError(f"MaxPool2d: only kernel_size=2 (stride 2) is supported, got {kernel_size}")
        self._x = None

    def forward(self, x):
        self._x = F._nchw(x, "MaxPool2d")
        return F.max_pool2x2(self._x)

    def backward(self, grad_out):
        return F.max_pool2x2_backward(self._x, grad_out)

    def extra_repr(self) -> str:
        return "2"


class Upsample(Module):
    """2× upsampling, ``mode`` "nearest" or "bilinear" (``align_corners=False``, as PyTorch)."""

    def __init__(self, scale_factor: int = 2, mode: str = "nearest") -> None:
        super().__init__()
        if scale_factor != 2:
            raise InvalidArgumentError(f"Upsample: only scale_factor=2 is supported, got {scale_factor}")
        F._mode(mode)
        self.mode = mode

    def forward(self, x):
        return F.upsample2x(x, self.mode)

    def backward(self, grad_out):
        return F.upsample2x_backward(grad_out, self.mode)

    def extra_repr(self) -> str:
        return f"scale_factor=2, mode={self.mode!r}"


class PixelShuffle(Module):
    """Sub-pixel convolution's rearrangement: N×C·r²×H×W → N×C×H·r×W·r (backward: unshuffle the gradient)."""

    _inverse = False

    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.r = int(upscale_factor)

    def forward(self, x):
        return F._shuffle(x, self.r, self._inverse)

    def backward(self, grad_out):
        return F._shuffle(grad_out, self.r, not self._inverse)

    def extra_repr(self) -> str:
        return f"{self.r}"


class PixelUnshuffle(PixelShuffle):
    """N×C×H·r×W·r → N×C·r²×H×W, the inverse of :class:`PixelShuffle` (``downscale_factor`` r)."""

    _inverse = True

    def __init__(self, downscale_factor: int) -> None:
        super().__init__(downscale_factor)


class DWT97(Module):
    """``levels`` levels of the CDF 9/7 wavelet analysis of every plane (:func:`ops_layers.dwt97`); no
    parameters. Backward is the exact adjoint of the float computation."""

    _ops = ("analysis", "analysis_adjoint")

    def __init__(self, levels: int = 5) -> None:
        super().__init__()
        levels = int(levels)
        if not 0 <= levels <= 10:
            raise InvalidArgumentError(f"{type(self).__name__}: expected levels in 0…10, got {levels}")
        self.levels = levels

    def forward(self, x):
        return F.dwt97(x, self.levels, self._ops[0])

    def backward(self, grad_out):
        return F.dwt97(grad_out, self.levels, self._ops[1])

    def extra_repr(self) -> str:
        return f"levels={self.levels}"


class InverseDWT97(DWT97):
    """The synthesis (exact inverse) of :class:`DWT97`."""

    _ops = ("synthesis", "synthesis_adjoint")


class _Seeded(Module):
    """A layer drawing from the Philox stream of ``seed``; ``offset`` is the next unused counter."""

    def __init__(self, seed: int) -> None:
        super().__init__()
        self.seed = F._seed(seed, f"{type(self).__name__} seed")
        self.offset = 0
        self._used = None  # offset of the last training-mode forward (its backward reuses the same draws)

    def _draw(self, size: int) -> int:
        start = self.offset
        self.offset += int(size)
        self._used = start
        return start

    def rng_state(self) -> dict:
        return {"seed": self.seed, "offset": self.offset}

    def load_rng_state(self, state: dict) -> None:
        self.seed = F._seed(state["seed"], "seed")
        self.offset = F._seed(state["offset"], "offset")


class Dropout(_Seeded):
    """Inverted dropout in training mode (zero with probability ``p``, scale the rest by 1/(1 − p), mask from the
    seeded stream; backward applies the same mask and scale); identity in eval mode."""

    def __init__(self, p: float = 0.5, seed: int = 0) -> None:
        super().__init__(seed)
        if not 0.0 <= float(p) <= 1.0:
            raise InvalidArgumentError(f"Dropout: expected p in [0, 1], got {p}")
        self.p = float(p)
        self._active = False

    def forward(self, x):
        self._active = self.training and self.p > 0
        if not self._active:
            return F._f32(x, "x")
        x = F._f32(x, "x")
        return F.dropout(x, self.p, self.seed, self._draw(x.size))

    def backward(self, grad_out):
        if not self._active:
            return F._f32(grad_out, "grad_out")
        return F.dropout(grad_out, self.p, self.seed, self._used)

    def extra_repr(self) -> str:
        return f"p={self.p}, seed={self.seed}"


class Quantizer(_Seeded):
    """Quantization with a training-time proxy. Rounding is always half to even (``np.rint``).

    ==========  =======================================  =======================================  =========
    mode        forward in training                      forward in eval                          backward
    ==========  =======================================  =======================================  =========
    "noise"     x + u, u ~ U(−½, ½] (Ballé et al.)       round(x)                                 identity
    "ste"       round(x) (straight-through, Theis)       round(x)                                 identity
    "round"     round(x)                                 round(x)                                 zero (the
                                                                                                  true a.e.
                                                                                                  derivative)
    "binary"    ±1, P(+1) = (1 + x)/2 (Toderici et al.)  sign(x) with sign(0) = +1                identity
    ==========  =======================================  =======================================  =========

    "binary" expects x in [−1, 1] (e.g. after tanh); values outside act as clipped. Only training-mode "noise"
    and "binary" consume the random stream.
    """

    MODES = ("noise", "ste", "round", "binary")

    def __init__(self, mode: str = "noise", seed: int = 0) -> None:
        super().__init__(seed)
        if mode not in self.MODES:
            raise InvalidArgumentError(f"Quantizer: expected mode in {self.MODES}, got {mode!r}")
        self.mode = mode
        self._shape = None

    def forward(self, x):
        x = F._f32(x, "x")
        self._shape = x.shape
        if self.mode == "binary":
            if self.training:
                return F.binarize(x, self.seed, self._draw(x.size))
            return np.where(x >= 0, np.float32(1), np.float32(-1))
        if self.mode == "noise" and self.training:
            return F.uniform_noise(x, self.seed, self._draw(x.size))
        return F.round_half_even(x)

    def backward(self, grad_out):
        g = F._f32(grad_out, "grad_out")
        if g.shape != self._shape:
            raise InvalidArgumentError(f"Quantizer.backward: expected a gradient of shape {self._shape}, got {g.shape}")
        return np.zeros_like(g) if self.mode == "round" else g

    def extra_repr(self) -> str:
        return f"mode={self.mode!r}, seed={self.seed}"
