"""Inference-time fusion: a convolution followed by its activation becomes one native call.

``fuse(model)`` returns a model for inference that shares the original's parameter arrays, in which every
``Conv2d``/``ConvTranspose2d`` directly followed (inside a ``Sequential``) by ``ReLU``, ``PReLU``, ``Sigmoid`` or ``Tanh``
is replaced by a ``FusedConv`` that adds the bias and applies the activation in the convolution's own pass over
its output: one pass and one allocation less per pair, which matters on large images. The original model is not
changed; the fused one has no backward (training needs the pre-activation), and its state-dict names differ.

>>> import numpy as np
>>> from swiftlic.nn import Conv2d, PReLU, Sequential
>>> net = Sequential(Conv2d(3, 4, 3, padding=1, rng=0), PReLU(4)).eval()
>>> x = np.random.default_rng(0).standard_normal((1, 3, 6, 6)).astype(np.float32)
>>> bool(np.allclose(fuse(net)(x), net(x), atol=1e-6))
True
"""

from __future__ import annotations

import copy
from collections import OrderedDict

import numpy as np

from ..errors import InvalidArgumentError
from . import functional as F
from .layers import Conv2d, ConvTranspose2d, PReLU, ReLU, Sigmoid, Tanh
from .module import Module, Sequential

__all__ = ["FusedConv", "fuse"]

_KINDS = {ReLU: F.RELU, PReLU: F.PRELU, Sigmoid: F.SIGMOID, Tanh: F.TANH}


class FusedConv(Module):
    """conv → activation in one native call (inference only)."""

    def __init__(self, conv: Module, activation: Module) -> None:
        super().__init__()
        self.conv = conv
        self.activation = activation
        object.__setattr__(self, "kind", _KINDS[type(activation)])

    def _slopes(self):
        if self.kind != F.PRELU:
            return None
        a = self.activation.weight.data
        return a if a.size == self.conv.out_channels else np.full(self.conv.out_channels, a[0], np.float32)

    def forward(self, x):
        c = self.conv
        bias = None if c.bias is None else c.bias.data
        if isinstance(c, Conv2d):
            return F.conv2d(x, c.weight.data, bias, c.stride, c.padding, c.padding_mode, self.kind, self._slopes())
        return F.conv_transpose2d(x, c.weight.data, bias, c.stride, c.padding, c.output_padding, self.kind,
                                  self._slopes())

    def backward(self, grad_out):
        raise InvalidArgumentError("FusedConv is for inference; train the unfused model")


def _fusable(a: Module, b: Module | None) -> bool:
    if not isinstance(a, (Conv2d, ConvTranspose2d)) or type(b) not in _KINDS:
        return False
    return not isinstance(b, PReLU) or b.num_parameters in (1, a.out_channels)


def fuse(model: Module) -> Module:
    """An inference copy of ``model`` (sharing its parameters) with conv → activation pairs fused."""
    if isinstance(model, Sequential):
        layers = [fuse(m) for m in model]
        out, i = [], 0
        while i < len(layers):
            nxt = layers[i + 1] if i + 1 < len(layers) else None
            if _fusable(layers[i], nxt):
                out.append(FusedConv(layers[i], nxt))
                i += 2
            else:
                out.append(layers[i])
                i += 1
        fused = Sequential(*out)
    elif model.children():
        fused = copy.copy(model)
        object.__setattr__(fused, "_modules", OrderedDict())
        object.__setattr__(fused, "_parameters", OrderedDict(model._parameters))
        for name, child in model._modules.items():
            setattr(fused, name, fuse(child))
    else:
        return model
    return fused.train(model.training)
