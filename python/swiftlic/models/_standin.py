"""STAND-IN layers (NumPy) used only while swiftlic.nn lacks a layer the models need.

TEMPORARY: the real layers live in swiftlic.nn (arithmetic in Swift). These twins exist so that the model zoo and
the trainer could be written, tested and started before those branches landed; ``models._layers`` picks the
native layer whenever it exists and falls back to the class here otherwise. Conventions follow PyTorch (weight
layouts, padding, output_padding, PixelShuffle channel order) so checkpoints carry over to the native layers.
Every op is whole-array NumPy (im2col + one matrix product); there is no per-pixel Python loop. Ops keep
the input's dtype (float32 in use; float64 lets the tests check gradients by finite differences).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..errors import InvalidArgumentError
from ..nn.module import Module, Parameter

__all__ = [
    "Conv2d", "ConvTranspose2d", "Linear", "ReLU", "PReLU", "Sigmoid", "Tanh", "Flatten", "Reshape",
    "MaxPool2d", "Upsample", "PixelShuffle", "PixelUnshuffle", "Dropout", "GDN", "IGDN",
]

_F = np.float32


def _check4(x, name, channels=None):
    if not isinstance(x, np.ndarray) or x.ndim != 4:
        raise InvalidArgumentError(f"{name}: expected an N×C×H×W array, got {getattr(x, 'shape', type(x))}")
    if channels is not None and x.shape[1] != channels:
        raise InvalidArgumentError(f"{name}: expected {channels} input channels, got {x.shape[1]}")


def _pad(x, p, mode):
    if p == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), mode="reflect" if mode == "reflect" else "constant")


def _unpad(gxp, p, mode):
    """Adjoint of _pad: reflect padding adds each padded row/column back into the pixel it mirrored."""
    if p == 0:
        return gxp
    if mode == "reflect":
        gxp = gxp.copy()
        h, w = gxp.shape[2] - 2 * p, gxp.shape[3] - 2 * p
        for r in range(1, p + 1):
            gxp[:, :, p + r, :] += gxp[:, :, p - r, :]
            gxp[:, :, p + h - 1 - r, :] += gxp[:, :, p + h - 1 + r, :]
        for r in range(1, p + 1):
            gxp[:, :, :, p + r] += gxp[:, :, :, p - r]
            gxp[:, :, :, p + w - 1 - r] += gxp[:, :, :, p + w - 1 + r]
    return gxp[:, :, p:gxp.shape[2] - p, p:gxp.shape[3] - p]


def _im2col(xp, k, s, ho, wo):
    """(N, C, Hp, Wp) → (N·Ho·Wo, C·k·k)."""
    n, c = xp.shape[:2]
    win = sliding_window_view(xp, (k, k), axis=(2, 3))[:, :, : (ho - 1) * s + 1: s, : (wo - 1) * s + 1: s]
    return np.ascontiguousarray(win.transpose(0, 2, 3, 1, 4, 5)).reshape(n * ho * wo, c * k * k)


def _col2im(cols, n, c, hp, wp, k, s, ho, wo):
    """Adjoint of _im2col: scatter-adds (N·Ho·Wo, C·k·k) into (N, C, Hp, Wp)."""
    out = np.zeros((n, c, hp, wp), cols.dtype)
    cols = cols.reshape(n, ho, wo, c, k, k).transpose(0, 3, 4, 5, 1, 2)
    for i in range(k):
        for j in range(k):
            out[:, :, i: i + (ho - 1) * s + 1: s, j: j + (wo - 1) * s + 1: s] += cols[:, :, i, j]
    return out


def _he_uniform(rng, shape, fan_in, gain=2.0):
    bound = np.sqrt(3.0 * gain / fan_in)
    return rng.uniform(-bound, bound, size=shape).astype(_F)


class Conv2d(Module):
    """y = W ⋆ x + b; weight Cout×Cin×k×k, zero or reflect padding (PyTorch semantics)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, padding_mode="zeros",
                 bias=True, rng=None):
        super().__init__()
        rng = rng or np.random.default_rng()
        self.cin, self.cout, self.k, self.s, self.p, self.mode = in_channels, out_channels, kernel_size, stride, \
            padding, padding_mode
        self.weight = Parameter(_he_uniform(rng, (out_channels, in_channels, kernel_size, kernel_size),
                                            in_channels * kernel_size ** 2, gain=1 / 3))
        self.bias = Parameter(np.zeros(out_channels, _F)) if bias else None

    def forward(self, x):
        _check4(x, "Conv2d", self.cin)
        n, _, h, w = x.shape
        xp = _pad(x, self.p, self.mode)
        ho = (xp.shape[2] - self.k) // self.s + 1
        wo = (xp.shape[3] - self.k) // self.s + 1
        cols = _im2col(xp, self.k, self.s, ho, wo)
        self._cache = (cols, x.shape, xp.shape, ho, wo) if self.training else None
        y = cols @ self.weight.data.reshape(self.cout, -1).T
        if self.bias is not None:
            y += self.bias.data
        return np.ascontiguousarray(y.reshape(n, ho, wo, self.cout).transpose(0, 3, 1, 2))

    def backward(self, gy):
        cols, xshape, xpshape, ho, wo = self._cache
        n = xshape[0]
        g = np.ascontiguousarray(gy.transpose(0, 2, 3, 1)).reshape(-1, self.cout)
        self.weight.grad += (g.T @ cols).reshape(self.weight.data.shape)
        if self.bias is not None:
            self.bias.grad += g.sum(0)
        gcols = g @ self.weight.data.reshape(self.cout, -1)
        gxp = _col2im(gcols, n, self.cin, xpshape[2], xpshape[3], self.k, self.s, ho, wo)
        return np.ascontiguousarray(_unpad(gxp, self.p, self.mode))


class ConvTranspose2d(Module):
    """Adjoint of a strided convolution; weight Cin×Cout×k×k; Ho = (H−1)s − 2p + k + output_padding."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, bias=True,
                 rng=None):
        super().__init__()
        rng = rng or np.random.default_rng()
        self.cin, self.cout, self.k, self.s, self.p, self.op = in_channels, out_channels, kernel_size, stride, \
            padding, output_padding
        self.weight = Parameter(_he_uniform(rng, (in_channels, out_channels, kernel_size, kernel_size),
                                            out_channels * kernel_size ** 2, gain=1 / 3))
        self.bias = Parameter(np.zeros(out_channels, _F)) if bias else None

    def forward(self, x):
        _check4(x, "ConvTranspose2d", self.cin)
        n, _, h, w = x.shape
        hf, wf = (h - 1) * self.s + self.k + self.op, (w - 1) * self.s + self.k + self.op
        xf = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).reshape(-1, self.cin)
        cols = xf @ self.weight.data.reshape(self.cin, -1)
        yf = _col2im(cols, n, self.cout, hf, wf, self.k, self.s, h, w)
        ho, wo = hf - 2 * self.p, wf - 2 * self.p
        self._cache = (xf, x.shape, hf, wf) if self.training else None
        y = yf[:, :, self.p: self.p + ho, self.p: self.p + wo]
        if self.bias is not None:
            y = y + self.bias.data[:, None, None]
        return np.ascontiguousarray(y)

    def backward(self, gy):
        xf, xshape, hf, wf = self._cache
        n, _, h, w = xshape
        gyf = np.zeros((n, self.cout, hf, wf), gy.dtype)
        gyf[:, :, self.p: self.p + gy.shape[2], self.p: self.p + gy.shape[3]] = gy
        if self.bias is not None:
            self.bias.grad += gy.sum((0, 2, 3))
        cols = _im2col(gyf, self.k, self.s, h, w)
        self.weight.grad += (xf.T @ cols).reshape(self.weight.data.shape)
        gx = cols @ self.weight.data.reshape(self.cin, -1).T
        return np.ascontiguousarray(gx.reshape(n, h, w, self.cin).transpose(0, 3, 1, 2))


class Linear(Module):
    """y = x Wᵀ + b over the last axis; weight out×in."""

    def __init__(self, in_features, out_features, bias=True, rng=None):
        super().__init__()
        rng = rng or np.random.default_rng()
        self.weight = Parameter(_he_uniform(rng, (out_features, in_features), in_features, gain=1 / 3))
        self.bias = Parameter(np.zeros(out_features, _F)) if bias else None

    def forward(self, x):
        if x.ndim != 2 or x.shape[1] != self.weight.data.shape[1]:
            raise InvalidArgumentError(f"Linear: expected N×{self.weight.data.shape[1]}, got {x.shape}")
        self._x = x
        y = self._x @ self.weight.data.T
        return y + self.bias.data if self.bias is not None else y

    def backward(self, gy):
        self.weight.grad += gy.T @ self._x
        if self.bias is not None:
            self.bias.grad += gy.sum(0)
        return gy @ self.weight.data


class ReLU(Module):
    def forward(self, x):
        self._m = x > 0
        return np.where(self._m, x, _F(0))

    def backward(self, gy):
        return np.where(self._m, gy, _F(0))


class PReLU(Module):
    """Per-channel (axis 1) learned negative slope, initialised to 0.25 as in PyTorch."""

    def __init__(self, num_parameters=1, init=0.25):
        super().__init__()
        self.weight = Parameter(np.full(num_parameters, init, _F))

    def _a(self, x):
        a = self.weight.data
        return a.reshape((1, -1) + (1,) * (x.ndim - 2)) if a.size > 1 else a[0]

    def forward(self, x):
        self._x = x
        return np.where(x > 0, x, self._a(x) * x)

    def backward(self, gy):
        x = self._x
        neg = np.where(x > 0, _F(0), gy * x)
        if self.weight.data.size > 1:
            self.weight.grad += neg.sum(axis=tuple(i for i in range(x.ndim) if i != 1))
        else:
            self.weight.grad += neg.sum()
        return np.where(x > 0, gy, self._a(x) * gy)


class Sigmoid(Module):
    def forward(self, x):
        self._y = 1 / (1 + np.exp(-np.clip(x, -60, 60)))
        return self._y

    def backward(self, gy):
        return gy * self._y * (1 - self._y)


class Tanh(Module):
    def forward(self, x):
        self._y = np.tanh(x)
        return self._y

    def backward(self, gy):
        return gy * (1 - self._y * self._y)


class Flatten(Module):
    def forward(self, x):
        self._shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, gy):
        return gy.reshape(self._shape)


class Reshape(Module):
    """Reshapes every sample to ``shape`` (batch axis kept)."""

    def __init__(self, *shape):
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x):
        self._shape = x.shape
        return x.reshape((x.shape[0],) + self.shape)

    def backward(self, gy):
        return gy.reshape(self._shape)


class MaxPool2d(Module):
    def __init__(self, kernel_size=2):
        super().__init__()
        self.k = kernel_size

    def forward(self, x):
        n, c, h, w = x.shape
        k = self.k
        v = x[:, :, : h // k * k, : w // k * k].reshape(n, c, h // k, k, w // k, k)
        y = v.max(axis=(3, 5))
        self._shape = x.shape
        # First maximum of each window gets the gradient (ties broken like an argmax).
        flat = v.transpose(0, 1, 2, 4, 3, 5).reshape(n, c, h // k, w // k, k * k)
        self._arg = flat.argmax(-1)
        return y

    def backward(self, gy):
        n, c, h, w = self._shape
        k = self.k
        g = np.zeros((n, c, h // k, w // k, k * k), gy.dtype)
        np.put_along_axis(g, self._arg[..., None], gy[..., None], axis=-1)
        g = g.reshape(n, c, h // k, w // k, k, k).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, h // k * k, w // k * k)
        out = np.zeros(self._shape, gy.dtype)
        out[:, :, : h // k * k, : w // k * k] = g
        return out


class Upsample(Module):
    """Nearest-neighbour upsampling by an integer factor."""

    def __init__(self, scale_factor=2):
        super().__init__()
        self.r = int(scale_factor)

    def forward(self, x):
        return x.repeat(self.r, axis=2).repeat(self.r, axis=3)

    def backward(self, gy):
        n, c, h, w = gy.shape
        r = self.r
        return gy.reshape(n, c, h // r, r, w // r, r).sum(axis=(3, 5))


def _unshuffle(x, r):
    n, c, h, w = x.shape
    if h % r or w % r:
        raise InvalidArgumentError(f"PixelUnshuffle({r}): expected H and W multiples of {r}, got {h}×{w}")
    return np.ascontiguousarray(
        x.reshape(n, c, h // r, r, w // r, r).transpose(0, 1, 3, 5, 2, 4).reshape(n, c * r * r, h // r, w // r))


def _shuffle(x, r):
    n, c, h, w = x.shape
    if c % (r * r):
        raise InvalidArgumentError(f"PixelShuffle({r}): expected channels a multiple of {r * r}, got {c}")
    return np.ascontiguousarray(
        x.reshape(n, c // (r * r), r, r, h, w).transpose(0, 1, 4, 2, 5, 3).reshape(n, c // (r * r), h * r, w * r))


class PixelUnshuffle(Module):
    """(N, C, H·r, W·r) → (N, C·r², H, W), channel index c·r² + i·r + j (PyTorch order)."""

    def __init__(self, downscale_factor):
        super().__init__()
        self.r = downscale_factor

    def forward(self, x):
        return _unshuffle(x, self.r)

    def backward(self, gy):
        return _shuffle(gy, self.r)


class PixelShuffle(Module):
    def __init__(self, upscale_factor):
        super().__init__()
        self.r = upscale_factor

    def forward(self, x):
        return _shuffle(x, self.r)

    def backward(self, gy):
        return _unshuffle(gy, self.r)


class Dropout(Module):
    """Inverted dropout; identity in eval mode. The mask comes from ``rng`` (seeded by the model)."""

    def __init__(self, p=0.5, rng=None):
        super().__init__()
        self.p = p
        self.rng = rng or np.random.default_rng()

    def forward(self, x):
        if not self.training or self.p == 0:
            self._m = None
            return x
        self._m = (self.rng.random(x.shape) >= self.p).astype(_F) / _F(1 - self.p)
        return x * self._m

    def backward(self, gy):
        return gy if self._m is None else gy * self._m


class GDN(Module):
    """y_i = x_i / sqrt(β_i + Σ_j γ_ij x_j²) (Ballé 2016); IGDN multiplies instead."""

    def __init__(self, channels, inverse=False):
        super().__init__()
        self.inverse = inverse
        self.beta = Parameter(np.ones(channels, _F))
        self.gamma = Parameter(0.1 * np.eye(channels, dtype=_F))

    def forward(self, x):
        self._x = x
        x2 = x * x
        norm = np.einsum("ij,njhw->nihw", self.gamma.data, x2) + self.beta.data[:, None, None]
        norm = np.maximum(norm, 1e-6)
        self._n = norm
        self._r = np.sqrt(norm)
        return x * self._r if self.inverse else x / self._r

    def backward(self, gy):
        x, n, r = self._x, self._n, self._r
        if self.inverse:
            gx = gy * r
            t = gy * x / (2 * r)                       # ∂y_i/∂n_i = x_i / (2√n_i)
        else:
            gx = gy / r
            t = -gy * x / (2 * n * r)                  # ∂y_i/∂n_i = −x_i / (2 n_i^{3/2})
        self.beta.grad += t.sum((0, 2, 3))
        self.gamma.grad += np.einsum("nihw,njhw->ij", t, x * x)
        gx = gx + 2 * x * np.einsum("ij,nihw->njhw", self.gamma.data, t)
        return gx


class IGDN(GDN):
    def __init__(self, channels):
        super().__init__(channels, inverse=True)
