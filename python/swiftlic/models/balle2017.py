"""balle2017-gdn: Ballé, Laparra, Simoncelli (ICLR 2017) end-to-end optimised codec.

Analysis: four conv 5×5 stride 2 (N channels, GDN after the first three, the last gives M latent channels);
synthesis: the mirror with transposed convs and IGDN. Uniform noise in training, rounding at test (CompressAI's
``bmshj2018-factorized`` layout, which follows the paper's GDN transforms). Latent M×H/16×W/16.
"""

from __future__ import annotations

import numpy as np

from ..nn.module import Sequential
from . import _layers as L
from . import register
from .base import CompressionModel

__all__ = ["Balle2017GDN"]


@register("balle2017-gdn")
class Balle2017GDN(CompressionModel):
    stride = 16
    quantizer = "noise"

    def __init__(self, channels=64, latent_channels=96, in_channels=3, seed=0) -> None:
        super().__init__()
        N, M, cin = int(channels), int(latent_channels), int(in_channels)
        self.config = dict(channels=N, latent_channels=M, in_channels=cin, seed=int(seed))
        self.latent_channels = M
        self.encoder = Sequential(
            L.Conv2d(cin, N, 5, 2, 2), L.GDN(N), L.Conv2d(N, N, 5, 2, 2), L.GDN(N),
            L.Conv2d(N, N, 5, 2, 2), L.GDN(N), L.Conv2d(N, M, 5, 2, 2))
        self.decoder = Sequential(
            L.ConvTranspose2d(M, N, 5, 2, 2, 1), L.IGDN(N), L.ConvTranspose2d(N, N, 5, 2, 2, 1), L.IGDN(N),
            L.ConvTranspose2d(N, N, 5, 2, 2, 1), L.IGDN(N), L.ConvTranspose2d(N, cin, 5, 2, 2, 1))
        L.init_parameters(self, np.random.default_rng(seed), gain=1.0)
