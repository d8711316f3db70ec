"""cheng2018-cae: the convolutional autoencoder of Cheng et al. (PCS 2018), optionally around a block-PCA path.

Encoder: three down units, each conv 3×3 stride 1 + PReLU then conv 3×3 stride 2 + PReLU (padding 1); the last
conv produces the latent (no activation): ``channels`` (5 widths) then ``latent_channels`` → C×H/8×W/8.
Decoder: the mirror with transposed convolutions (stride-2 ones with output_padding 1), no output activation.

``linear_path="blockpca"`` (the default) adds the transform that the pilot found already beats the untrained and
the briefly trained CAE: 8× pixel-unshuffle + 1×1 conv initialised from a block PCA of 8×8×3 YCbCr blocks
(first C principal rows, scaled by ``latent_scale``, mean removed), and its transpose (1×1 conv + pixel shuffle)
in the decoder. The CAE then runs as a residual beside each linear map with its last layer initialised to zero,
so the untrained model *is* the block-PCA transform and training can only start from there.
``cae=False`` keeps only the linear path, ``cae="decoder"`` puts the residual beside the synthesis only (the
analysis is then the block PCA alone: encoding costs one 1×1 convolution); ``linear_path="none"`` is the
paper's plain CAE.

Input: N×3×H×W float32 YCbCr planes in [0, 1] (``swiftlic.rgb_to_ycbcr(img, planar=True)``), H and W multiples of
8. ``per_component=True`` runs a 1-channel CAE on each of Y, Cb, Cr (the paper's arrangement; shared weights,
latent 3C×H/8×W/8); it needs ``linear_path="none"``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..color import ycbcr_to_rgb_affine
from ..errors import InvalidArgumentError, ModelMismatchError
from ..nn.module import Module, Sequential
from . import _layers as L
from ._compose import ParallelSum
from .base import CompressionModel
from . import register

__all__ = ["Cheng2018CAE", "grow_encoder", "load_block_pca", "DEFAULT_BASIS"]

DEFAULT_BASIS = Path(__file__).resolve().parent.parent / "weights" / "blockpca8.safetensors"


def load_block_pca(path=None):
    """The 8×8×3 block PCA as a transform of YCbCr blocks: (mean[192], analysis[192×192], synthesis[192×192]).

    coef = analysis · (v − mean), v = synthesis · coef + mean, rows of ``analysis`` strongest component first;
    v is a block of YCbCr planes in pixel-unshuffle order (index c·64 + i·8 + j for plane c, row i, column j).
    A basis fitted on RGB blocks (metadata ``colorspace = "rgb"``, as tools/fit_block_pca.py ships it) is composed
    with the per-pixel YCbCr → RGB map K, so it is the same transform of the same pixels:
    analysis = P·K, synthesis = K⁻¹·Pᵀ, mean = K⁻¹(mean_rgb − c).
    """
    from safetensors import safe_open

    path = Path(path or DEFAULT_BASIS)
    if not path.exists():
        raise InvalidArgumentError(f"block-PCA basis {str(path)!r} does not exist (fit it with tools/fit_block_pca.py)")
    with safe_open(str(path), framework="numpy") as f:
        meta = f.metadata() or {}
        t = {k: f.get_tensor(k) for k in f.keys()}
    mean = t.get("mean")
    basis = next((t[k] for k in ("components", "basis") if k in t), None)
    if mean is None or basis is None or mean.shape != (192,) or basis.shape != (192, 192):
        raise ModelMismatchError(f"{path}: expected mean[192] and components[192×192], found "
                                 f"{ {k: v.shape for k, v in t.items()} }")
    P, mean = basis.astype(np.float64), mean.astype(np.float64)
    space = meta.get("colorspace", "ycbcr")
    if space == "ycbcr":
        return mean.astype(np.float32), P.astype(np.float32), P.T.astype(np.float32)
    if space != "rgb":
        raise ModelMismatchError(f"{path}: expected colorspace 'rgb' or 'ycbcr', found {space!r}")
    M, c = ycbcr_to_rgb_affine()
    K = np.kron(M, np.eye(64))
    Kinv = np.linalg.inv(K)
    mean_ycc = Kinv @ (mean - np.repeat(c, 64))
    return mean_ycc.astype(np.float32), (P @ K).astype(np.float32), (Kinv @ P.T).astype(np.float32)


class _PerComponent(Module):
    """Runs a 1-channel network on each input plane: (N, P, H, W) → network((N·P, 1, H, W)) → (N, P·C', h, w)."""

    def __init__(self, net: Module, inverse: bool = False, planes: int = 3) -> None:
        super().__init__()
        self.net = net
        self.inverse = inverse
        self.planes = planes

    def _split(self, x):
        n, c, h, w = x.shape
        return x.reshape(n * self.planes, c // self.planes, h, w)

    def _merge(self, y):
        n, c, h, w = y.shape
        return np.ascontiguousarray(y.reshape(n // self.planes, c * self.planes, h, w))

    def forward(self, x):
        return self._merge(self.net.forward(np.ascontiguousarray(self._split(x))))

    def backward(self, gy):
        return self._merge(self.net.backward(np.ascontiguousarray(self._split(gy))))


@register("cheng2018-cae")
class Cheng2018CAE(CompressionModel):
    stride = 8
    quantizer = "noise"

    def __init__(self, channels=(32, 32, 64, 64, 64), latent_channels=32, in_channels=3, per_component=False,
                 linear_path="blockpca", basis=None, latent_scale=16.0, cae=True, seed=0) -> None:
        super().__init__()
        channels = [int(c) for c in channels]
        if len(channels) != 5 or min(channels) < 1:
            raise InvalidArgumentError(f"channels: expected 5 positive widths, got {channels}")
        if linear_path not in ("blockpca", "none"):
            raise InvalidArgumentError(f"linear_path: expected 'blockpca' or 'none', got {linear_path!r}")
        if per_component and linear_path != "none":
            raise InvalidArgumentError("per_component=True needs linear_path='none' (the block PCA is joint over Y, Cb, Cr)")
        if linear_path == "blockpca" and in_channels != 3:
            raise InvalidArgumentError(f"the block-PCA path expects 3 input planes, got in_channels={in_channels}")
        if cae not in (True, False, "decoder"):
            raise InvalidArgumentError(f"cae: expected true, false or 'decoder', got {cae!r}")
        if linear_path == "none" and cae is not True:
            raise InvalidArgumentError(f"cae={cae!r} needs the block-PCA linear path")
        self.config = dict(channels=channels, latent_channels=int(latent_channels), in_channels=int(in_channels),
                           per_component=bool(per_component), linear_path=linear_path,
                           basis=None if basis is None else str(basis), latent_scale=float(latent_scale),
                           cae=cae, seed=int(seed))
        self.latent_channels = C = int(latent_channels)
        if linear_path == "blockpca" and C > 192:
            raise InvalidArgumentError(f"latent_channels: the block PCA has 192 components, got {C}")
        rng = np.random.default_rng(seed)
        cin = 1 if per_component else int(in_channels)

        enc_cae = dec_cae = None
        if cae:
            widths = channels + [C]
            layers, prev = [], cin
            for u in range(3):
                layers += [L.Conv2d(prev, widths[2 * u], 3, 1, 1), L.PReLU(widths[2 * u]),
                           L.Conv2d(widths[2 * u], widths[2 * u + 1], 3, 2, 1)]
                if u < 2:
                    layers.append(L.PReLU(widths[2 * u + 1]))
                prev = widths[2 * u + 1]
            enc_cae = Sequential(*layers)
            layers = []
            for u in reversed(range(3)):
                out = widths[2 * u - 1] if u > 0 else cin
                layers += [L.ConvTranspose2d(widths[2 * u + 1], widths[2 * u], 3, 2, 1, 1), L.PReLU(widths[2 * u]),
                           L.ConvTranspose2d(widths[2 * u], out, 3, 1, 1)]
                if u > 0:
                    layers.append(L.PReLU(out))
            dec_cae = Sequential(*layers)
            L.init_parameters(enc_cae, rng, gain=2 / (1 + 0.25 ** 2))
            L.init_parameters(dec_cae, rng, gain=2 / (1 + 0.25 ** 2))
            if per_component:
                enc_cae, dec_cae = _PerComponent(enc_cae), _PerComponent(dec_cae, inverse=True)

        if linear_path == "none":
            self.encoder, self.decoder = enc_cae, dec_cae
            return

        pca_enc = L.Conv2d(192, C, 1)
        pca_dec = L.Conv2d(C, 192, 1)
        enc_lin = Sequential(L.PixelUnshuffle(8), pca_enc)
        dec_lin = Sequential(pca_dec, L.PixelShuffle(8))
        if basis != "none":  # "none": parameters left for load_state_dict (models.load)
            mean, analysis, synthesis = load_block_pca(basis)
            s = np.float32(latent_scale)
            A, S = analysis[:C], synthesis[:, :C]                            # the first C components
            pca_enc.weight.data[...] = (s * A)[:, :, None, None]
            pca_enc.bias.data[...] = -s * (A @ mean)
            pca_dec.weight.data[...] = (S / s)[:, :, None, None]
            pca_dec.bias.data[...] = mean
        if cae:
            # Last layer of each residual branch starts at zero: the untrained model is exactly the block PCA.
            for branch in (enc_cae, dec_cae):
                last = list(branch)[-1]
                last.weight.data[...] = 0
                last.bias.data[...] = 0
            # "decoder": the analysis is the block PCA alone (fast encoding); only the synthesis has a residual.
            self.encoder = enc_lin if cae == "decoder" else ParallelSum(enc_lin, enc_cae)
            self.decoder = ParallelSum(dec_lin, dec_cae)
        else:
            self.encoder, self.decoder = enc_lin, dec_lin

    load_overrides = {"basis": "none"}


def grow_encoder(src: Cheng2018CAE, seed: int | None = None) -> Cheng2018CAE:
    """``src`` (a block-PCA model with ``cae="decoder"``) with a CAE residual beside its analysis too
    (``cae=True``): its trained weights copied, the new branch initialised from ``seed`` (default: the model's)
    with its last layer zero, so the result encodes and decodes exactly as ``src`` does until it is trained. For
    training the analysis end to end (``freeze = ""``) from a decoder-only fine-tune."""
    if not isinstance(src, Cheng2018CAE) or src.config["cae"] != "decoder":
        raise InvalidArgumentError("grow_encoder: expected a cheng2018-cae model with cae='decoder'")
    config = {**src.config, "cae": True, "basis": "none"}
    if seed is not None:
        config["seed"] = int(seed)
    m = Cheng2018CAE(**config)
    m.config["basis"] = src.config["basis"]
    state = {("encoder.a." + k[len("encoder."):] if k.startswith("encoder.") else k): v
             for k, v in src.state_dict().items()}
    own = set(m.state_dict())
    # Everything but the new analysis branch comes from src.
    odd = sorted((set(state) - own) | {k for k in own - set(state) if not k.startswith("encoder.b.")})
    if odd:
        raise InvalidArgumentError(f"grow_encoder: parameters that do not match: {odd}")
    m.load_state_dict(state, strict=False)
    return m

