"""Losses with gradients: mean squared error and mean absolute error, evaluated natively (float64 blocked sums,
the same for any thread count).

>>> import numpy as np
>>> from swiftlic.nn.losses import MSELoss
>>> loss = MSELoss()
>>> loss(np.array([1, 2], np.float32), np.array([0, 0], np.float32))
2.5
>>> loss.backward().tolist()
[1.0, 2.0]
"""

from __future__ import annotations

import numpy as np

from ..errors import InvalidArgumentError
from . import ops_layers as F

__all__ = ["MSELoss", "L1Loss", "mse", "l1"]


def mse(pred, target) -> float:
    """mean((pred − target)²)."""
    return F.mse_loss(pred, target)


def l1(pred, target) -> float:
    """mean|pred − target|."""
    return F.l1_loss(pred, target)


class _Loss:
    _fn = None

    def __init__(self) -> None:
        self._grad = None

    def forward(self, pred, target) -> float:
        """The loss value; computes and caches ∂loss/∂pred for :meth:`backward`."""
        value, self._grad = type(self)._fn(pred, target, with_grad=True)
        return value

    __call__ = forward

    def backward(self) -> np.ndarray:
        """∂loss/∂pred of the last forward (float32, pred's shape)."""
        if self._grad is None:
            raise InvalidArgumentError(f"{type(self).__name__}.backward called before forward")
        return self._grad


class MSELoss(_Loss):
    """mean((pred − target)²); gradient 2(pred − target)/n."""

    _fn = staticmethod(F.mse_loss)


class L1Loss(_Loss):
    """mean|pred − target|; gradient sign(pred − target)/n (0 where equal)."""

    _fn = staticmethod(F.l1_loss)
