"""Two compositions the zoo needs beyond Sequential: a parallel sum and a residual block."""

from __future__ import annotations

from ..nn.module import Module

__all__ = ["ParallelSum", "Residual"]


class ParallelSum(Module):
    """y = a(x) + b(x); the input gradient is the sum of both branches' input gradients."""

    def __init__(self, a: Module, b: Module) -> None:
        super().__init__()
        self.a = a
        self.b = b

    def forward(self, x):
        return self.a.forward(x) + self.b.forward(x)

    def backward(self, gy):
        return self.a.backward(gy) + self.b.backward(gy)


class Residual(Module):
    """y = x + f(x)."""

    def __init__(self, f: Module) -> None:
        super().__init__()
        self.f = f

    def forward(self, x):
        return x + self.f.forward(x)

    def backward(self, gy):
        return gy + self.f.backward(gy)
