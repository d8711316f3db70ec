"""The autoencoders of the EE276 report: MNIST dense and CNN, CIFAR-10 U-Net-shaped (no skip connections).

Their code size is fixed by the architecture (no quantizer, no rate term); they are trained on L2 alone and reach
L2 ≈ 0.01 (dense, 32-dim code; CNN, 8-dim code) and ≈ 0.008 (U-Net shape, ratio 6) in the report. Inputs are
float32 in [0, 1]: MNIST N×1×28×28, CIFAR-10 N×3×32×32. The U-Net-shaped model has no skip connection: in a
compressor the decoder may see only the code.
"""

from __future__ import annotations

import numpy as np

from ..errors import InvalidArgumentError
from ..nn.module import Sequential
from . import _layers as L
from . import register
from .base import CompressionModel

__all__ = ["EE276Dense", "EE276CNN", "EE276UNet"]


@register("ee276-dense")
class EE276Dense(CompressionModel):
    """784 → 128 → 64 → 32 (code) → 64 → 128 → 784, ReLU between, sigmoid output.

    ``code_activation``: ``"relu"`` (the report's: the code is a ReLU output like every hidden layer) or
    ``"linear"`` (no activation on the code, so no code unit can die and codes may be negative)."""

    quantizer = "none"

    def __init__(self, hidden=(128, 64), code=32, seed=0, code_activation="relu") -> None:
        super().__init__()
        if code_activation not in ("relu", "linear"):
            raise InvalidArgumentError(f"ee276-dense: code_activation must be 'relu' or 'linear', got "
                                       f"{code_activation!r}")
        self.config = dict(hidden=[int(h) for h in hidden], code=int(code), seed=int(seed))
        if code_activation != "relu":  # (absent from configs of the report's model, so older weights still load)
            self.config["code_activation"] = code_activation
        dims = [784] + self.config["hidden"] + [code]
        enc = [L.Flatten()]
        for a, b in zip(dims[:-1], dims[1:]):
            enc += [L.Linear(a, b), L.ReLU()]
        if code_activation == "linear":
            enc.pop()
        dec = []
        rdims = dims[::-1]
        for a, b in zip(rdims[:-1], rdims[1:]):
            dec += [L.Linear(a, b), L.ReLU()]
        dec[-1] = L.Sigmoid()
        dec.append(L.Reshape(1, 28, 28))
        self.encoder, self.decoder = Sequential(*enc), Sequential(*dec)
        L.init_parameters(self, np.random.default_rng(seed))


@register("ee276-cnn")
class EE276CNN(CompressionModel):
    """3 stride-2 convs (16, 32, 32 channels: 28→14→7→4) + 2 dense (512→64→code); mirrored decoder."""

    quantizer = "none"

    def __init__(self, channels=(16, 32, 32), hidden=64, code=8, seed=0) -> None:
        super().__init__()
        c1, c2, c3 = (int(c) for c in channels)
        self.config = dict(channels=[c1, c2, c3], hidden=int(hidden), code=int(code), seed=int(seed))
        self.encoder = Sequential(
            L.Conv2d(1, c1, 3, 2, 1), L.ReLU(), L.Conv2d(c1, c2, 3, 2, 1), L.ReLU(), L.Conv2d(c2, c3, 3, 2, 1),
            L.ReLU(), L.Flatten(), L.Linear(c3 * 16, hidden), L.ReLU(), L.Linear(hidden, code))
        self.decoder = Sequential(
            L.Linear(code, hidden), L.ReLU(), L.Linear(hidden, c3 * 16), L.ReLU(), L.Reshape(c3, 4, 4),
            L.ConvTranspose2d(c3, c2, 3, 2, 1, 0), L.ReLU(), L.ConvTranspose2d(c2, c1, 3, 2, 1, 1), L.ReLU(),
            L.ConvTranspose2d(c1, 1, 3, 2, 1, 1), L.Sigmoid())
        L.init_parameters(self, np.random.default_rng(seed))


@register("ee276-unet")
class EE276UNet(CompressionModel):
    """Conv 3×3 s1 + ReLU + 2×2 max-pool, channels 16-32-64-128 (32² → 128×2×2 code, ratio 3072/512 = 6);
    decoder: 2× upsample + conv 3×3 + ReLU mirrored, sigmoid output; He init; dropout after each pool (0.1 as in
    the report by default; the recipe trains with 0: at 0.1 the test L2 stalls at 0.012 with train = test, see
    results/ee276/README.md)."""

    stride = 16
    quantizer = "none"

    def __init__(self, channels=(16, 32, 64, 128), in_channels=3, dropout=0.1, seed=0) -> None:
        super().__init__()
        ch = [int(c) for c in channels]
        self.config = dict(channels=ch, in_channels=int(in_channels), dropout=float(dropout), seed=int(seed))
        enc, prev = [], int(in_channels)
        for c in ch:
            enc += [L.Conv2d(prev, c, 3, 1, 1), L.ReLU(), L.MaxPool2d(2)]
            if dropout > 0:
                enc.append(L.Dropout(dropout))
            prev = c
        dec = []
        outs = ch[::-1][1:] + [int(in_channels)]
        for c, o in zip(ch[::-1], outs):
            dec += [L.Upsample(2), L.Conv2d(c, o, 3, 1, 1), L.ReLU()]
        dec[-1] = L.Sigmoid()
        self.encoder, self.decoder = Sequential(*enc), Sequential(*dec)
        L.init_parameters(self, np.random.default_rng(seed))
