"""Non-sequential models without hand-written backward passes: branches that share an input, and their merge.

Every combinator is itself a Module whose backward runs its branches' backward passes in reverse and *adds* the
input gradients of branches that read the same tensor. Nested inside ``Sequential`` they express residual blocks
and U-Nets:

- ``Residual(body, shortcut=None)``: y = body(x) + shortcut(x) (identity shortcut by default).
- ``Sum(a, b, ...)``: y = a(x) + b(x) + ...
- ``Concat(a, b, ..., axis=1)``: y = [a(x), b(x), ...] joined along ``axis`` (channels).
- ``Parallel(a, b, ...)``: a tuple of outputs; its backward takes a tuple of gradients (a building block for
  custom merges).
- ``Identity()``: y = x, the skip branch.

A U-Net level is ``Sequential(encoder, Concat(Identity(), Sequential(down, inner, up)), decoder)``.

Each module instance keeps the cache of its last forward, so an instance may appear only once in a model (build
a second layer to apply "the same" layer twice; for weight sharing copy parameters, as ``Parameter`` objects).

>>> import numpy as np
>>> from swiftlic.nn import Conv2d, ReLU, Sequential
>>> block = Residual(Sequential(Conv2d(4, 4, 3, padding=1, rng=0), ReLU()))
>>> x = np.ones((1, 4, 6, 6), np.float32)
>>> block(x).shape, block.backward(np.ones((1, 4, 6, 6), np.float32)).shape
((1, 4, 6, 6), (1, 4, 6, 6))
"""

from __future__ import annotations

import numpy as np

from ..errors import InvalidArgumentError
from .module import Module

__all__ = ["Identity", "Parallel", "Sum", "Residual", "Concat"]


class Identity(Module):
    """y = x; the gradient passes through."""

    def forward(self, x):
        return x

    def backward(self, grad_out):
        return grad_out


def _check_distinct(owner: str, modules) -> None:
    seen: dict[int, str] = {}
    for m in modules:
        for name, sub in m.named_modules():
            if isinstance(sub, Identity):
                continue
            if id(sub) in seen:
                raise InvalidArgumentError(
                    f"{owner}: the same {type(sub).__name__} instance appears twice; each use needs its own module "
                    "(it caches its forward for backward)")
            seen[id(sub)] = name


def _add(a, b):
    """a + b without mutating either (gradients may be views of caller data)."""
    return np.add(a, b, dtype=np.float32)


class Parallel(Module):
    """Applies every branch to the same input; returns the tuple of outputs. backward takes a tuple of output
    gradients (None for a branch that got no gradient) and returns the sum of the branches' input gradients."""

    def __init__(self, *branches: Module) -> None:
        super().__init__()
        if not branches:
            raise InvalidArgumentError(f"{type(self).__name__}: expected at least one branch")
        for i, b in enumerate(branches):
            if not isinstance(b, Module):
                raise InvalidArgumentError(f"{type(self).__name__}: branch {i} is a {type(b).__name__}, not a Module")
        _check_distinct(type(self).__name__, branches)
        for i, b in enumerate(branches):
            setattr(self, str(i), b)

    @property
    def branches(self) -> list[Module]:
        return list(self._modules.values())

    def forward(self, x):
        return tuple(b.forward(x) for b in self._modules.values())

    def backward(self, grad_out):
        branches = list(self._modules.values())
        if len(grad_out) != len(branches):
            raise InvalidArgumentError(
                f"{type(self).__name__}.backward: expected {len(branches)} gradients, got {len(grad_out)}")
        total = None
        # Reverse order, mirroring a tape; the sum is taken in that fixed order.
        for b, g in reversed(list(zip(branches, grad_out))):
            if g is None:
                continue
            gx = b.backward(g)
            total = gx if total is None else _add(total, gx)
        return total


class Sum(Parallel):
    """y = Σ branch(x); all branches must produce the same shape."""

    def forward(self, x):
        outs = super().forward(x)
        shape = outs[0].shape
        for i, o in enumerate(outs):
            if o.shape != shape:
                raise InvalidArgumentError(
                    f"{type(self).__name__}: branch {i} gives shape {o.shape}, branch 0 gives {shape}")
        y = np.array(outs[0], dtype=np.float32, copy=True)
        for o in outs[1:]:
            y += o
        return y

    def backward(self, grad_out):
        return super().backward(tuple(grad_out for _ in self._modules))


class Residual(Sum):
    """y = body(x) + shortcut(x), the shortcut defaulting to the identity (a ResNet block)."""

    def __init__(self, body: Module, shortcut: Module | None = None) -> None:
        Module.__init__(self)
        shortcut = Identity() if shortcut is None else shortcut
        for name, b in (("body", body), ("shortcut", shortcut)):
            if not isinstance(b, Module):
                raise InvalidArgumentError(f"Residual: {name} is a {type(b).__name__}, not a Module")
        _check_distinct("Residual", (body, shortcut))
        self.body = body
        self.shortcut = shortcut


class Concat(Parallel):
    """y = concatenation of every branch's output along ``axis`` (default 1, channels)."""

    def __init__(self, *branches: Module, axis: int = 1) -> None:
        super().__init__(*branches)
        object.__setattr__(self, "axis", int(axis))

    def forward(self, x):
        outs = super().forward(x)
        try:
            y = np.concatenate(outs, axis=self.axis).astype(np.float32, copy=False)
        except ValueError:
            shapes = [o.shape for o in outs]
            raise InvalidArgumentError(
                f"Concat: branch outputs {shapes} differ outside axis {self.axis}") from None
        object.__setattr__(self, "_sizes", [o.shape[self.axis] for o in outs])
        return y

    def backward(self, grad_out):
        cuts = np.cumsum(self._sizes)[:-1]
        parts = np.split(np.asarray(grad_out), cuts, axis=self.axis)
        return super().backward(tuple(np.ascontiguousarray(p) for p in parts))

    def extra_repr(self) -> str:
        return f"axis={self.axis}"
