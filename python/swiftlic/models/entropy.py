"""A learned factorized entropy model: one discretised Laplacian per latent channel.

p(ỹ) = F(ỹ + ½) − F(ỹ − ½) with F the Laplace(μ_c, b_c) CDF; bits = Σ −log₂ p. Parameters: ``loc`` (μ_c) and
``log_scale`` (log b_c). With uniform noise this is the differentiable rate proxy of Ballé 2017 restricted to a
Laplacian family, which suits transform coefficients; at test time it gives the *estimated* rate of the rounded
latent (the real rate is the coder's output length).
"""

from __future__ import annotations

import numpy as np

from ..errors import InvalidArgumentError
from ..nn.module import Module, Parameter

__all__ = ["FactorizedLaplace"]

_LN2 = np.log(2.0)
_PMIN = 1e-9


class FactorizedLaplace(Module):
    """``forward(y)`` (N×C×…) returns the total bits (a Python float); ``backward(g)`` returns g·∂bits/∂y."""

    def __init__(self, channels: int, init_scale: float = 1.0) -> None:
        super().__init__()
        self.channels = channels
        self.loc = Parameter(np.zeros(channels, np.float32))
        self.log_scale = Parameter(np.full(channels, np.log(init_scale), np.float32))

    def _params(self, y):
        if y.ndim < 2 or y.shape[1] != self.channels:
            raise InvalidArgumentError(f"FactorizedLaplace: expected N×{self.channels}×…, got {y.shape}")
        shape = (1, -1) + (1,) * (y.ndim - 2)
        return (self.loc.data.astype(np.float64).reshape(shape),
                np.exp(self.log_scale.data.astype(np.float64)).reshape(shape))

    def likelihood(self, y):
        """p(y) per element, float64 (floored at 1e-9), and the pieces the gradient needs."""
        mu, b = self._params(y)
        d = y.astype(np.float64) - mu
        z = np.abs(d)
        tail = z >= 0.5
        # Tail: p = ½ e^{−(z−½)/b}(1 − e^{−1/b}); centre: p = 1 − ½(e^{−(½−z)/b} + e^{−(½+z)/b}).
        ea = np.exp(-np.abs(z - 0.5) / b)
        eb = np.exp(-(z + 0.5) / b)
        p = np.where(tail, 0.5 * (ea - eb), 1 - 0.5 * (ea + eb))
        return np.maximum(p, _PMIN), (d, z, b, tail, ea, eb)

    def bits(self, y) -> float:
        p, _ = self.likelihood(y)
        return float(-np.log(p).sum() / _LN2)

    def forward(self, y):
        p, parts = self.likelihood(y)
        self._cache = (p, parts, y.ndim)
        return float(-np.log(p).sum() / _LN2)

    def backward(self, g=1.0):
        p, (d, z, b, tail, ea, eb), ndim = self._cache
        floor = p <= _PMIN
        # ∂p/∂z and ∂p/∂b in both regions (ea = e^{−|z−½|/b}, eb = e^{−(z+½)/b}).
        dp_dz = np.where(tail, -0.5 * (ea - eb) / b, -0.5 * (ea - eb) / b)
        dp_db = np.where(tail, 0.5 * (ea * (z - 0.5) - eb * (z + 0.5)) / (b * b),
                         -0.5 * (ea * (0.5 - z) + eb * (0.5 + z)) / (b * b))
        w = np.where(floor, 0.0, -g / (p * _LN2))          # ∂bits/∂p
        gz = w * dp_dz
        gy = gz * np.sign(d)
        axes = tuple(i for i in range(ndim) if i != 1)
        self.loc.grad += (-gy).sum(axes).astype(np.float32)
        self.log_scale.grad += (w * dp_db * b).sum(axes).astype(np.float32)
        return gy.astype(np.float32)
