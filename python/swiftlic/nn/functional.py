"""Stateless nn operations on NumPy arrays, each one native call (see include/swiftlic.h, "nn kernels").

Shapes are checked here (with messages naming what was expected and found) and again in Swift. Inputs that are
not C-contiguous float32 are converted; outputs are new arrays in Swift-allocated, 64-byte-aligned memory.
Parameter gradients (``grad_weight``, ``grad_bias``, ``grad_slopes``) are *accumulated* into the arrays given.

>>> import numpy as np
>>> from swiftlic.nn import functional as F
>>> x = np.ones((1, 1, 3, 3), np.float32); w = np.ones((1, 1, 3, 3), np.float32)
>>> F.conv2d(x, w, padding=1)[0, 0].tolist()
[[4.0, 6.0, 4.0], [6.0, 9.0, 6.0], [4.0, 6.0, 4.0]]
"""

from __future__ import annotations

import numpy as np

from .. import _native
from ..errors import InvalidArgumentError

__all__ = [
    "IDENTITY", "RELU", "PRELU", "SIGMOID", "TANH", "ACTIVATIONS",
    "conv2d", "conv2d_backward", "conv2d_output_size",
    "conv_transpose2d", "conv_transpose2d_backward", "conv_transpose2d_output_size",
    "linear", "linear_backward",
    "activation", "activation_backward", "relu", "sigmoid", "tanh",
    "prelu", "prelu_backward",
]

IDENTITY, RELU, PRELU, SIGMOID, TANH = 0, 1, 2, 3, 4
ACTIVATIONS = {None: IDENTITY, "identity": IDENTITY, "relu": RELU, "prelu": PRELU, "sigmoid": SIGMOID,
               "tanh": TANH}
PADDING_MODES = {"zeros": 0, "reflect": 1}
CONV_ALGORITHMS = {"auto": 0, "unrolled": 1, "winograd": 2}
_F32 = np.dtype(np.float32).num


def _empty(shape) -> np.ndarray:
    return _native.empty(tuple(int(s) for s in shape), _F32)


def _f32(a, name: str, ndim: int | None = None) -> np.ndarray:
    a = np.asarray(a)
    if ndim is not None and a.ndim != ndim:
        raise InvalidArgumentError(f"{name}: expected a {ndim}-D array, got shape {a.shape}")
    if a.dtype != np.float32 or not a.flags.c_contiguous:
        a = np.ascontiguousarray(a, dtype=np.float32)
    return a


def _act(activation) -> int:
    if isinstance(activation, (int, np.integer)) and activation in ACTIVATIONS.values():
        return int(activation)
    try:
        return ACTIVATIONS[activation]
    except (KeyError, TypeError):
        raise InvalidArgumentError(
            f"unknown activation {activation!r}: expected one of {sorted(k for k in ACTIVATIONS if k)}") from None


def _check_bias(bias, channels: int, op: str):
    if bias is None:
        return None
    bias = _f32(bias, f"{op}: bias", 1)
    if bias.shape != (channels,):
        raise InvalidArgumentError(f"{op}: bias has shape {bias.shape}, expected ({channels},)")
    return bias


def _check_grad(grad, shape, name: str, op: str):
    if grad is None:
        return None
    if not isinstance(grad, np.ndarray) or grad.shape != tuple(shape):
        found = grad.shape if isinstance(grad, np.ndarray) else type(grad).__name__
        raise InvalidArgumentError(f"{op}: {name} has shape {found}, expected {tuple(shape)}")
    return grad


# -- convolution ------------------------------------------------------------------------------------------------

def conv2d_output_size(h: int, w: int, kernel: int, stride: int = 1, padding: int = 0) -> tuple[int, int]:
    """(Ho, Wo) = ⌊(H + 2p − k)/s⌋ + 1, as in PyTorch."""
    return (h + 2 * padding - kernel) // stride + 1, (w + 2 * padding - kernel) // stride + 1


def _conv_shapes(x, weight, op: str):
    x = _f32(x, f"{op}: input", 4)
    weight = _f32(weight, f"{op}: weight", 4)
    if weight.shape[2] != weight.shape[3]:
        raise InvalidArgumentError(f"{op}: expected a square kernel, got weight of shape {weight.shape}")
    return x, weight


def conv2d(x, weight, bias=None, stride: int = 1, padding: int = 0, padding_mode: str = "zeros",
           activation=None, slopes=None, algorithm: str = "auto") -> np.ndarray:
    """N×C×H×W ⊛ Cout×C×k×k (+ bias), then ``activation`` ("relu", "prelu" with ``slopes``, "sigmoid", "tanh")
    fused into the same pass. Padding is "zeros" or "reflect" (PyTorch's padding modes).

    ``algorithm``: "auto" computes 3×3, stride-1, padding-1 convolutions with ≥ 8 input and ≥ 4 output channels
    by Winograd F(2×2, 3×3) (2.25× fewer multiplications; results differ from the unrolled product only by
    rounding, ~1e-6 relative), the rest as one unrolled matrix product; "unrolled" or "winograd" force one
    ("winograd" raises InvalidArgumentError where it does not apply)."""
    x, weight = _conv_shapes(x, weight, "conv2d")
    n, c, h, w = x.shape
    cout, cin, k, _ = weight.shape
    if cin != c:
        raise InvalidArgumentError(f"conv2d: input has {c} channels, weight expects {cin} (weight {weight.shape})")
    if padding_mode not in PADDING_MODES:
        raise InvalidArgumentError(f"conv2d: padding_mode must be 'zeros' or 'reflect', got {padding_mode!r}")
    bias = _check_bias(bias, cout, "conv2d")
    act = _act(activation)
    slopes = None if slopes is None else _f32(slopes, "conv2d: slopes", 1)
    ho, wo = conv2d_output_size(h, w, k, stride, padding)
    y = _empty((n, cout, max(ho, 0), max(wo, 0)))
    if algorithm not in CONV_ALGORITHMS:
        raise InvalidArgumentError(f"conv2d: algorithm must be one of {list(CONV_ALGORITHMS)}, got {algorithm!r}")
    _native.conv2d_forward(x, weight, bias, y, n, c, h, w, cout, k, stride, padding, PADDING_MODES[padding_mode],
                           act, slopes, CONV_ALGORITHMS[algorithm])
    return y


def conv2d_backward(x, weight, grad_output, grad_weight=None, grad_bias=None, stride: int = 1, padding: int = 0,
                    padding_mode: str = "zeros", input_grad: bool = True):
    """Gradient of conv2d: returns ∂L/∂x (or None when ``input_grad`` is False) and accumulates ∂L/∂W into
    ``grad_weight`` and ∂L/∂b into ``grad_bias`` when given (float32 arrays of the weight's and bias's shapes)."""
    x, weight = _conv_shapes(x, weight, "conv2d backward")
    n, c, h, w = x.shape
    cout, cin, k, _ = weight.shape
    if padding_mode not in PADDING_MODES:
        raise InvalidArgumentError(f"conv2d: padding_mode must be 'zeros' or 'reflect', got {padding_mode!r}")
    ho, wo = conv2d_output_size(h, w, k, stride, padding)
    gy = _f32(grad_output, "conv2d backward: grad_output", 4)
    if gy.shape != (n, cout, ho, wo):
        raise InvalidArgumentError(f"conv2d backward: grad_output has shape {gy.shape}, expected {(n, cout, ho, wo)}")
    mode = PADDING_MODES[padding_mode]
    grad_weight = _check_grad(grad_weight, weight.shape, "grad_weight", "conv2d backward")
    grad_bias = _check_grad(grad_bias, (cout,), "grad_bias", "conv2d backward")
    if grad_weight is not None:
        _native.conv2d_backward_weight(x, gy, grad_weight, grad_bias, n, c, h, w, cout, k, stride, padding, mode)
    elif grad_bias is not None:
        grad_bias += gy.sum(axis=(0, 2, 3), dtype=np.float32)
    if not input_grad:
        return None
    gx = _empty(x.shape)
    _native.conv2d_backward_data(gy, weight, gx, n, c, h, w, cout, k, stride, padding, mode)
    return gx


def conv_transpose2d_output_size(h: int, w: int, kernel: int, stride: int = 1, padding: int = 0,
                                 output_padding: int = 0) -> tuple[int, int]:
    """(Ho, Wo) = (H − 1)·s − 2p + k + output_padding, as in PyTorch."""
    return ((h - 1) * stride - 2 * padding + kernel + output_padding,
            (w - 1) * stride - 2 * padding + kernel + output_padding)


def conv_transpose2d(x, weight, bias=None, stride: int = 1, padding: int = 0, output_padding: int = 0,
                     activation=None, slopes=None) -> np.ndarray:
    """Transposed convolution (PyTorch's ConvTranspose2d): N×Cin×H×W with weight Cin×Cout×k×k (+ bias), then the
    optional ``activation``."""
    x, weight = _conv_shapes(x, weight, "conv_transpose2d")
    n, c, h, w = x.shape
    cin, cout, k, _ = weight.shape
    if cin != c:
        raise InvalidArgumentError(
            f"conv_transpose2d: input has {c} channels, weight expects {cin} (weight {weight.shape})")
    bias = _check_bias(bias, cout, "conv_transpose2d")
    act = _act(activation)
    slopes = None if slopes is None else _f32(slopes, "conv_transpose2d: slopes", 1)
    ho, wo = conv_transpose2d_output_size(h, w, k, stride, padding, output_padding)
    y = _empty((n, cout, max(ho, 0), max(wo, 0)))
    _native.conv_transpose2d_forward(x, weight, bias, y, n, c, h, w, cout, k, stride, padding, output_padding, act,
                                     slopes)
    return y


def conv_transpose2d_backward(x, weight, grad_output, grad_weight=None, grad_bias=None, stride: int = 1,
                              padding: int = 0, output_padding: int = 0, input_grad: bool = True):
    """Gradient of conv_transpose2d: returns ∂L/∂x (or None) and accumulates into ``grad_weight``/``grad_bias``."""
    x, weight = _conv_shapes(x, weight, "conv_transpose2d backward")
    n, c, h, w = x.shape
    cin, cout, k, _ = weight.shape
    ho, wo = conv_transpose2d_output_size(h, w, k, stride, padding, output_padding)
    gy = _f32(grad_output, "conv_transpose2d backward: grad_output", 4)
    if gy.shape != (n, cout, ho, wo):
        raise InvalidArgumentError(
            f"conv_transpose2d backward: grad_output has shape {gy.shape}, expected {(n, cout, ho, wo)}")
    grad_weight = _check_grad(grad_weight, weight.shape, "grad_weight", "conv_transpose2d backward")
    grad_bias = _check_grad(grad_bias, (cout,), "grad_bias", "conv_transpose2d backward")
    if grad_weight is not None:
        _native.conv_transpose2d_backward_weight(x, gy, grad_weight, grad_bias, n, c, h, w, cout, k, stride, padding,
                                                 output_padding)
    elif grad_bias is not None:
        grad_bias += gy.sum(axis=(0, 2, 3), dtype=np.float32)
    if not input_grad:
        return None
    gx = _empty(x.shape)
    _native.conv_transpose2d_backward_data(gy, weight, gx, n, c, h, w, cout, k, stride, padding, output_padding)
    return gx


# -- dense --------------------------------------------------------------------------------------------------------

def linear(x, weight, bias=None) -> np.ndarray:
    """y = x·Wᵀ + b for x of shape N×in and W of shape out×in."""
    x = _f32(x, "linear: input", 2)
    weight = _f32(weight, "linear: weight", 2)
    n, fin = x.shape
    fout, win = weight.shape
    if win != fin:
        raise InvalidArgumentError(f"linear: input has {fin} features, weight expects {win} (weight {weight.shape})")
    bias = _check_bias(bias, fout, "linear")
    y = _empty((n, fout))
    _native.linear_forward(x, weight, bias, y, n, fin, fout)
    return y


def linear_backward(x, weight, grad_output, grad_weight, grad_bias=None, input_grad: bool = True):
    """Returns ∂L/∂x (or None) and accumulates ∂L/∂W, ∂L/∂b."""
    x = _f32(x, "linear backward: input", 2)
    weight = _f32(weight, "linear backward: weight", 2)
    n, fin = x.shape
    fout = weight.shape[0]
    gy = _f32(grad_output, "linear backward: grad_output", 2)
    if gy.shape != (n, fout):
        raise InvalidArgumentError(f"linear backward: grad_output has shape {gy.shape}, expected {(n, fout)}")
    grad_weight = _check_grad(grad_weight, weight.shape, "grad_weight", "linear backward")
    grad_bias = _check_grad(grad_bias, (fout,), "grad_bias", "linear backward")
    gx = _empty(x.shape) if input_grad else None
    _native.linear_backward(x, weight, gy, gx, grad_weight, grad_bias, n, fin, fout)
    return gx


# -- activations --------------------------------------------------------------------------------------------------

def activation(x, kind, out=None) -> np.ndarray:
    """Element-wise "identity", "relu", "sigmoid" or "tanh"; ``out`` may be ``x`` (in place)."""
    k = _act(kind)
    if k == PRELU:
        raise InvalidArgumentError("activation: prelu needs slopes, use prelu()")
    x = _f32(x, "activation: input")
    if out is None:
        out = _empty(x.shape)
    _native.activation_forward(k, x, out)
    return out


def activation_backward(y, grad_output, kind, out=None) -> np.ndarray:
    """∂L/∂x from the forward's *output* y; ``out`` may be ``grad_output`` (in place)."""
    k = _act(kind)
    if k == PRELU:
        raise InvalidArgumentError("activation_backward: prelu needs its input, use prelu_backward()")
    y = _f32(y, "activation backward: output")
    gy = _f32(grad_output, "activation backward: grad_output")
    if gy.shape != y.shape:
        raise InvalidArgumentError(f"activation backward: grad_output has shape {gy.shape}, expected {y.shape}")
    if out is None:
        out = _empty(y.shape)
    _native.activation_backward(k, y, gy, out)
    return out


def relu(x) -> np.ndarray:
    return activation(x, RELU)


def sigmoid(x) -> np.ndarray:
    return activation(x, SIGMOID)


def tanh(x) -> np.ndarray:
    return activation(x, TANH)


def _prelu_dims(x: np.ndarray, slopes: np.ndarray, op: str) -> tuple[int, int, int]:
    """(N, C, spatial) for PReLU: one slope per channel (axis 1), or one slope shared by all."""
    if x.ndim == 0:
        raise InvalidArgumentError(f"{op}: expected an array with a batch axis, got a scalar")
    n = x.shape[0] if x.ndim >= 1 else 1
    rest = int(np.prod(x.shape[1:], dtype=np.int64))
    if slopes.size == 1:
        return n, 1, rest
    c = x.shape[1] if x.ndim >= 2 else 0
    if slopes.size != c:
        raise InvalidArgumentError(f"{op}: {slopes.size} slopes for an input with {c} channels (shape {x.shape})")
    return n, c, rest // max(c, 1)


def prelu(x, slopes) -> np.ndarray:
    """y = x if x > 0 else a·x, with one slope per channel (axis 1) or one shared slope."""
    x = _f32(x, "prelu: input")
    slopes = _f32(slopes, "prelu: slopes", 1)
    n, c, s = _prelu_dims(x, slopes, "prelu")
    y = _empty(x.shape)
    if x.size:
        _native.prelu_forward(x, slopes, y, n, c, s)
    return y


def prelu_backward(x, slopes, grad_output, grad_slopes=None) -> np.ndarray:
    """Returns ∂L/∂x; accumulates ∂L/∂a into ``grad_slopes`` when given."""
    x = _f32(x, "prelu backward: input")
    slopes = _f32(slopes, "prelu backward: slopes", 1)
    gy = _f32(grad_output, "prelu backward: grad_output")
    if gy.shape != x.shape:
        raise InvalidArgumentError(f"prelu backward: grad_output has shape {gy.shape}, expected {x.shape}")
    n, c, s = _prelu_dims(x, slopes, "prelu backward")
    if grad_slopes is None:
        grad_slopes = np.zeros(slopes.shape, np.float32)
    grad_slopes = _check_grad(grad_slopes, slopes.shape, "grad_slopes", "prelu backward")
    gx = _empty(x.shape)
    if x.size:
        _native.prelu_backward(x, slopes, gy, gx, grad_slopes, n, c, s)
    return gx
