"""theis2017-cae: the compressive autoencoder of Theis, Shi, Cunningham, Huszár (ICLR 2017).

Encoder: mirror (reflect) padding, conv 5×5 stride 2 → 64, conv 5×5 stride 2 → 128, three residual blocks
(conv 3×3, ReLU, conv 3×3), conv 5×5 stride 2 → latent. Decoder: sub-pixel convolutions (conv 3×3 to 4× the
channels + pixel shuffle 2) → 128, three residual blocks, sub-pixel → 64, sub-pixel → 3. Rounding with the
identity gradient (straight-through). Inputs in [0, 1] (the paper's pixel normalisation is the [0, 1] scaling;
its clip to [0, 255] is the caller's clip of the output). Latent C×H/8×W/8.
"""

from __future__ import annotations

import numpy as np

from ..nn.module import Sequential
from . import _layers as L
from . import register
from ._compose import Residual
from .base import CompressionModel

__all__ = ["Theis2017CAE"]


def _conv(cin, cout, k, s=1):
    return L.Conv2d(cin, cout, k, s, k // 2, padding_mode="reflect")


def _res(c):
    return Residual(Sequential(_conv(c, c, 3), L.ReLU(), _conv(c, c, 3)))


def _subpixel(cin, cout):
    return Sequential(_conv(cin, 4 * cout, 3), L.PixelShuffle(2))


@register("theis2017-cae")
class Theis2017CAE(CompressionModel):
    stride = 8
    quantizer = "ste"

    def __init__(self, channels=(64, 128), latent_channels=96, in_channels=3, blocks=3, seed=0) -> None:
        super().__init__()
        c1, c2 = (int(c) for c in channels)
        C, cin = int(latent_channels), int(in_channels)
        self.config = dict(channels=[c1, c2], latent_channels=C, in_channels=cin, blocks=int(blocks), seed=int(seed))
        self.latent_channels = C
        self.encoder = Sequential(_conv(cin, c1, 5, 2), L.ReLU(), _conv(c1, c2, 5, 2), L.ReLU(),
                                  *[_res(c2) for _ in range(blocks)], _conv(c2, C, 5, 2))
        self.decoder = Sequential(_subpixel(C, c2), L.ReLU(), *[_res(c2) for _ in range(blocks)],
                                  _subpixel(c2, c1), L.ReLU(), _subpixel(c1, cin))
        L.init_parameters(self, np.random.default_rng(seed), gain=1.0)
