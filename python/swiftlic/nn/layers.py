"""Layers over the native nn kernels: Conv2d, ConvTranspose2d, Linear, ReLU, PReLU, Sigmoid, Tanh, Flatten, Reshape.

Parameter names, shapes and default initialisation follow PyTorch (``weight``/``bias``; Kaiming-uniform weights
with a = √5, so bounds are 1/√fan_in), which keeps ``load_torch_state_dict`` a plain copy. Pass ``rng`` (a seed or a
``numpy.random.Generator``) for reproducible initialisation.

In training mode a layer keeps what its backward needs (its input or output, by reference, not a copy); in eval
mode it keeps nothing, so inference on large images holds only the live activations.

>>> import numpy as np
>>> from swiftlic.nn import Conv2d, PReLU, Sequential
>>> net = Sequential(Conv2d(3, 8, 3, padding=1, rng=0), PReLU(8))
>>> y = net(np.zeros((1, 3, 5, 5), np.float32)); y.shape
(1, 8, 5, 5)
>>> net.backward(np.ones_like(y)).shape
(1, 3, 5, 5)
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import InvalidArgumentError
from . import functional as F
from .module import Module, Parameter

__all__ = ["Conv2d", "ConvTranspose2d", "Linear", "ReLU", "PReLU", "Sigmoid", "Tanh", "Flatten", "Reshape",
           "make_rng"]


def make_rng(rng=None) -> np.random.Generator:
    """A numpy Generator from a seed, an existing Generator, or None (fresh entropy)."""
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def _uniform(rng: np.random.Generator, shape, bound: float) -> np.ndarray:
    return rng.uniform(-bound, bound, size=shape).astype(np.float32)


def _positive_int(value, name: str, layer: str, minimum: int = 1) -> int:
    if isinstance(value, (tuple, list)):
        if len(value) != 2 or value[0] != value[1]:
            raise InvalidArgumentError(f"{layer}: only square {name} is supported, got {value!r}")
        value = value[0]
    if not isinstance(value, (int, np.integer)) or value < minimum:
        raise InvalidArgumentError(f"{layer}: expected {name} ≥ {minimum}, got {value!r}")
    return int(value)


class _Cached(Module):
    """Holds the tensors a backward needs, only in training mode."""

    def _keep(self, **tensors) -> None:
        object.__setattr__(self, "_cache", tensors if self.training else None)

    def _cached(self) -> dict:
        cache = self.__dict__.get("_cache")
        if cache is None:
            raise InvalidArgumentError(
                f"{type(self).__name__}.backward: no forward in training mode to differentiate (call .train() "
                "before forward)")
        return cache


class Conv2d(_Cached):
    """2-D convolution, PyTorch's ``Conv2d`` (groups = 1, dilation = 1), ``padding_mode`` "zeros" or "reflect"."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 padding_mode: str = "zeros", bias: bool = True, rng=None) -> None:
        super().__init__()
        name = "Conv2d"
        self.in_channels = _positive_int(in_channels, "in_channels", name)
        self.out_channels = _positive_int(out_channels, "out_channels", name)
        self.kernel_size = _positive_int(kernel_size, "kernel_size", name)
        self.stride = _positive_int(stride, "stride", name)
        self.padding = _positive_int(padding, "padding", name, minimum=0)
        if padding_mode not in F.PADDING_MODES:
            raise InvalidArgumentError(f"{name}: padding_mode must be 'zeros' or 'reflect', got {padding_mode!r}")
        self.padding_mode = padding_mode
        rng = make_rng(rng)
        fan_in = self.in_channels * self.kernel_size ** 2
        bound = 1 / math.sqrt(fan_in)
        self.weight = Parameter(_uniform(rng, (self.out_channels, self.in_channels, self.kernel_size,
                                               self.kernel_size), bound))
        self.bias = Parameter(_uniform(rng, (self.out_channels,), bound)) if bias else None

    def forward(self, x):
        self._keep(x=x)
        return F.conv2d(x, self.weight.data, None if self.bias is None else self.bias.data, self.stride,
                        self.padding, self.padding_mode)

    def backward(self, grad_out):
        x = self._cached()["x"]
        return F.conv2d_backward(x, self.weight.data, grad_out, self.weight.grad,
                                 None if self.bias is None else self.bias.grad, self.stride, self.padding,
                                 self.padding_mode)

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        s += f", padding={self.padding}"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode!r}"
        return s + ("" if self.bias is not None else ", bias=False")


class ConvTranspose2d(_Cached):
    """Transposed convolution, PyTorch's ``ConvTranspose2d`` (weight in×out×k×k, zero padding)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, output_padding=0,
                 bias: bool = True, rng=None) -> None:
        super().__init__()
        name = "ConvTranspose2d"
        self.in_channels = _positive_int(in_channels, "in_channels", name)
        self.out_channels = _positive_int(out_channels, "out_channels", name)
        self.kernel_size = _positive_int(kernel_size, "kernel_size", name)
        self.stride = _positive_int(stride, "stride", name)
        self.padding = _positive_int(padding, "padding", name, minimum=0)
        self.output_padding = _positive_int(output_padding, "output_padding", name, minimum=0)
        if self.output_padding >= self.stride:
            raise InvalidArgumentError(
                f"{name}: output_padding must be smaller than stride ({self.stride}), got {self.output_padding}")
        rng = make_rng(rng)
        # PyTorch computes fan_in from the weight's dimension 1, which is out_channels for a transposed conv.
        fan_in = self.out_channels * self.kernel_size ** 2
        bound = 1 / math.sqrt(fan_in)
        self.weight = Parameter(_uniform(rng, (self.in_channels, self.out_channels, self.kernel_size,
                                               self.kernel_size), bound))
        self.bias = Parameter(_uniform(rng, (self.out_channels,), bound)) if bias else None

    def forward(self, x):
        self._keep(x=x)
        return F.conv_transpose2d(x, self.weight.data, None if self.bias is None else self.bias.data, self.stride,
                                  self.padding, self.output_padding)

    def backward(self, grad_out):
        x = self._cached()["x"]
        return F.conv_transpose2d_backward(x, self.weight.data, grad_out, self.weight.grad,
                                           None if self.bias is None else self.bias.grad, self.stride,
                                           self.padding, self.output_padding)

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        s += f", padding={self.padding}, output_padding={self.output_padding}"
        return s + ("" if self.bias is not None else ", bias=False")


class Linear(_Cached):
    """Dense layer y = x·Wᵀ + b over N×in inputs, PyTorch's ``Linear``."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, rng=None) -> None:
        super().__init__()
        self.in_features = _positive_int(in_features, "in_features", "Linear")
        self.out_features = _positive_int(out_features, "out_features", "Linear")
        rng = make_rng(rng)
        bound = 1 / math.sqrt(self.in_features)
        self.weight = Parameter(_uniform(rng, (self.out_features, self.in_features), bound))
        self.bias = Parameter(_uniform(rng, (self.out_features,), bound)) if bias else None

    def forward(self, x):
        self._keep(x=x)
        return F.linear(x, self.weight.data, None if self.bias is None else self.bias.data)

    def backward(self, grad_out):
        x = self._cached()["x"]
        return F.linear_backward(x, self.weight.data, grad_out, self.weight.grad,
                                 None if self.bias is None else self.bias.grad)

    def extra_repr(self) -> str:
        return f"{self.in_features}, {self.out_features}" + ("" if self.bias is not None else ", bias=False")


class _Elementwise(_Cached):
    kind = F.IDENTITY

    def forward(self, x):
        y = F.activation(x, self.kind)
        self._keep(y=y)
        return y

    def backward(self, grad_out):
        return F.activation_backward(self._cached()["y"], grad_out, self.kind)


class ReLU(_Elementwise):
    """max(x, 0)."""

    kind = F.RELU


class Sigmoid(_Elementwise):
    """1 / (1 + e^−x)."""

    kind = F.SIGMOID


class Tanh(_Elementwise):
    """tanh(x)."""

    kind = F.TANH


class PReLU(_Cached):
    """x if x > 0 else a·x with a learned slope per channel (``num_parameters`` = channels) or one shared slope,
    PyTorch's ``PReLU`` (parameter ``weight``, initialised to ``init``)."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25) -> None:
        super().__init__()
        self.num_parameters = _positive_int(num_parameters, "num_parameters", "PReLU")
        self.weight = Parameter(np.full(self.num_parameters, init, np.float32))

    def forward(self, x):
        self._keep(x=x)
        return F.prelu(x, self.weight.data)

    def backward(self, grad_out):
        return F.prelu_backward(self._cached()["x"], self.weight.data, grad_out, self.weight.grad)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class Flatten(Module):
    """Flattens dimensions ``start_dim``… into one (default: all but the batch axis)."""

    def __init__(self, start_dim: int = 1) -> None:
        super().__init__()
        self.start_dim = int(start_dim)

    def forward(self, x):
        x = np.asarray(x)
        object.__setattr__(self, "_shape", x.shape)
        return x.reshape(x.shape[:self.start_dim] + (-1,))

    def backward(self, grad_out):
        return np.asarray(grad_out).reshape(self._shape)


class Reshape(Module):
    """Reshapes each sample to ``shape`` (the batch axis is kept): ``Reshape(64, 4, 4)``."""

    def __init__(self, *shape: int) -> None:
        super().__init__()
        self.shape = tuple(int(s) for s in shape)

    def forward(self, x):
        x = np.asarray(x)
        object.__setattr__(self, "_shape", x.shape)
        try:
            return x.reshape((x.shape[0],) + self.shape)
        except ValueError:
            raise InvalidArgumentError(f"Reshape: cannot reshape {x.shape} to (N, {self.shape})") from None

    def backward(self, grad_out):
        return np.asarray(grad_out).reshape(self._shape)

    def extra_repr(self) -> str:
        return ", ".join(map(str, self.shape))
