"""The layer protocol of swiftlic.nn: explicit forward/backward over NumPy arrays.

A Module computes ``y = forward(x)`` (caching what its backward needs) and ``gx = backward(gy)``, which returns
the gradient with respect to its input and *accumulates* (+=) the gradients of its parameters. The arithmetic of
every built-in layer runs natively; Python only composes. Parameters are float32 C-contiguous NumPy arrays that
optimizers update in place.

>>> import numpy as np
>>> from swiftlic.nn.module import Module, Parameter
>>> class Scale(Module):
...     def __init__(self):
...         super().__init__()
...         self.s = Parameter(np.ones(1, np.float32))
...     def forward(self, x):
...         self._x = x
...         return x * self.s.data
...     def backward(self, gy):
...         self.s.grad += np.sum(gy * self._x, dtype=np.float32)
...         return gy * self.s.data
>>> m = Scale(); y = m(np.full(3, 2, np.float32)); _ = m.backward(np.ones(3, np.float32))
>>> float(m.s.grad[0])
6.0
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Iterator

import numpy as np

from ..errors import InvalidArgumentError

__all__ = ["Parameter", "Module", "Sequential"]


class Parameter:
    """A trainable float32 array (``data``) and its accumulated gradient (``grad``, same shape)."""

    __slots__ = ("data", "grad")

    def __init__(self, data) -> None:
        self.data = np.ascontiguousarray(data, dtype=np.float32)
        self.grad = np.zeros_like(self.data)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    def __repr__(self) -> str:
        return f"Parameter(shape={self.data.shape})"


class Module:
    """Base class of all layers and models. Subclasses implement ``forward`` and ``backward``."""

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    def __setattr__(self, name: str, value) -> None:
        if "_parameters" not in self.__dict__:
            raise RuntimeError(f"{type(self).__name__}.__init__ must call super().__init__() first")
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        object.__setattr__(self, name, value)

    # -- computation -------------------------------------------------------------------------------------
    def forward(self, x):
        raise NotImplementedError(f"{type(self).__name__}.forward")

    def backward(self, grad_out):
        raise NotImplementedError(f"{type(self).__name__}.backward")

    def __call__(self, x):
        return self.forward(x)

    # -- parameters --------------------------------------------------------------------------------------
    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        for name, p in self._parameters.items():
            yield prefix + name, p
        for name, m in self._modules.items():
            yield from m.named_parameters(prefix + name + ".")

    def parameters(self) -> list[Parameter]:
        return [p for _, p in self.named_parameters()]

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, "Module"]]:
        yield prefix.rstrip("."), self
        for name, m in self._modules.items():
            yield from m.named_modules(prefix + name + ".")

    def children(self) -> list["Module"]:
        return list(self._modules.values())

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad.fill(0)

    def train(self, mode: bool = True) -> "Module":
        for _, m in self.named_modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> "Module":
        return self.train(False)

    def state_dict(self) -> "OrderedDict[str, np.ndarray]":
        """Parameter values by dotted name (copies)."""
        return OrderedDict((name, p.data.copy()) for name, p in self.named_parameters())

    def load_state_dict(self, state, strict: bool = True) -> None:
        """Copies values into the existing parameter arrays (in place, so optimizers keep their references)."""
        own = dict(self.named_parameters())
        if strict:
            missing = sorted(set(own) - set(state))
            unexpected = sorted(set(state) - set(own))
            if missing or unexpected:
                raise InvalidArgumentError(f"state dict mismatch: missing {missing}, unexpected {unexpected}")
        for name, value in state.items():
            if name not in own:
                continue
            value = np.asarray(value, dtype=np.float32)
            if value.shape != own[name].data.shape:
                raise InvalidArgumentError(
                    f"state dict: {name} has shape {value.shape}, the model expects {own[name].data.shape}")
            own[name].data[...] = value

    def num_parameters(self) -> int:
        return sum(p.data.size for p in self.parameters())

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__}({self.extra_repr()}"]
        for name, m in self._modules.items():
            sub = repr(m).replace("\n", "\n  ")
            lines.append(f"  ({name}): {sub}")
        return lines[0] + ")" if len(lines) == 1 else "\n".join(lines) + "\n)"


class Sequential(Module):
    """Layers applied in order; backward runs them in reverse."""

    def __init__(self, *layers: Module) -> None:
        super().__init__()
        for i, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise InvalidArgumentError(f"Sequential: item {i} is a {type(layer).__name__}, not a Module")
            setattr(self, str(i), layer)

    def __len__(self) -> int:
        return len(self._modules)

    def __getitem__(self, i: int) -> Module:
        return list(self._modules.values())[i]

    def __iter__(self):
        return iter(self._modules.values())

    def forward(self, x):
        for layer in self._modules.values():
            x = layer.forward(x)
        return x

    def backward(self, grad_out):
        for layer in reversed(self._modules.values()):
            grad_out = layer.backward(grad_out)
        return grad_out
