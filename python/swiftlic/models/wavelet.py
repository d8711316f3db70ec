"""dwt97-cae: the CDF 9/7 wavelet (JPEG 2000's irreversible transform) as the analysis, its exact inverse plus an
optional learned CAE post-filter as the synthesis.

Why it is here: on Kodak the block-PCA/CAE codec (``cheng2018-cae``) stays ≈ +24 % BD-rate behind JPEG 2000,
and a probe coding these wavelet coefficients with swiftlic's own bitplane coder came within ≈ 0.1 dB of
OpenJPEG: the gap was the transform, not the entropy coder. This model is that transform, learned parts added
only where they can start from it.

Analysis: each YCbCr plane is level-shifted by −½, scaled by ``latent_scale`` times the L2 norm of its column
of the YCbCr → RGB matrix (so a unit error costs the same squared RGB error in any plane), and transformed with
``levels`` levels of the 9/7 wavelet (subbands scaled by their synthesis norms, Mallat layout): the latent is
3×H×W, the image's own size. The codec cuts it into ``code_block``² code blocks, each one channel of the latent
coder, so its rate–distortion truncation works per block as EBCOT's does. The size is ``code_block`` halved down
to 64 until a plane has at least 16 blocks (:meth:`code_block_for`): on six Kodak images (768×512) 128 beats JPEG
2000's 64 by +0.01 / +0.03 / +0.04 dB at 0.125 / 0.5 / 2 bpp (32: −0.6 dB at 0.125 bpp; 256 and whole planes
worse), while on 256×256 crops 64 beats 128 by 0.07 dB at 0.5 bpp.
Synthesis: the inverse, then ``postfilter`` (a residual of 3×3 conv + PReLU layers of ``postfilter_channels``
widths, last layer zero-initialised, so the untrained model *is* the wavelet codec).

``postfilter_gate``: a table of (bpp, gain) points; decoding a stream of rate bpp adds gain(bpp) times the
residual (interpolated in log bpp, clamped at the ends). One filter serves every rate, but where the codec's own
reconstruction is already good (high rates) its correction does harm; the gains are calibrated after training on
training photos (``tools/calibrate_postfilter.py``: the least-squares blend per rate, clipped). Training itself
runs the filter at gain 1. The gate is the decoder's default: ``swiftlic.compress`` instead chooses the gain for
each image and layer and stores it in the stream (``decode(…, strength=)``, see :mod:`swiftlic.codec`), since the
best gain varies from image to image far more than from rate to rate.

``postfilter_rate_input``: the filter also sees the stream's rate, as a fourth input plane of value
``(log2(bpp) + 2) / 2`` (:class:`RateInput`; zero outside the image, like the filter's padding), so one network can
learn a different correction per rate instead of one correction scaled by the gate. Training with
``quantizer="codec"`` feeds each patch's real stream rate (:meth:`WaveletCAE.set_rate`); decoding feeds the
stream's.

``postfilter_coarse_channels``: a second branch added to the filter's residual that works at
1/``postfilter_coarse_factor`` of the resolution (PixelUnshuffle, 3×3 conv + PReLU layers of those widths,
PixelShuffle back; last layer zero-initialised). The full-resolution filter's four 3×3 convolutions see 9×9
pixels, while the wavelet's low-rate errors (ringing, blur) span its basis functions, up to 2^levels pixels; at
factor 4 the branch's four see 36×36, at 1/16 of the FLOPs per channel².

:func:`extend_postfilter` grows a trained filter into one with a rate input and/or a coarse branch whose new
weights are zero, so that it starts exactly where the trained one is (``tools/extend_postfilter.py``).
"""

from __future__ import annotations

import numpy as np

from ..color import ycbcr_to_rgb_affine
from ..errors import InvalidArgumentError
from ..nn.layers_extra import DWT97, InverseDWT97
from ..nn.module import Module, Sequential
from . import _layers as L
from . import register
from ._compose import ParallelSum, Residual
from .base import CompressionModel

__all__ = ["WaveletCAE", "PlaneAffine", "RateInput", "plane_weights", "rate_feature", "extend_postfilter"]


def plane_weights() -> np.ndarray:
    """‖column c‖ of the YCbCr → RGB matrix: the RGB error norm of a unit error in plane c (Y, Cb, Cr)."""
    return np.linalg.norm(ycbcr_to_rgb_affine()[0].astype(np.float64), axis=0).astype(np.float32)


class PlaneAffine(Module):
    """y = (x − offset_c)·scale_c per plane c of N×C×H×W (``inverse``: x = y / scale_c + offset_c); no parameters."""

    def __init__(self, scale, offset, inverse: bool = False) -> None:
        super().__init__()
        self.scale = np.asarray(scale, np.float32).reshape(1, -1, 1, 1)
        self.offset = np.asarray(offset, np.float32).reshape(1, -1, 1, 1)
        self.inverse = bool(inverse)

    def _check(self, x):
        if x.ndim != 4 or x.shape[1] != self.scale.shape[1]:
            raise InvalidArgumentError(f"PlaneAffine: expected N×{self.scale.shape[1]}×H×W, got shape {x.shape}")

    def forward(self, x):
        self._check(x)
        if self.inverse:
            return np.ascontiguousarray(x / self.scale + self.offset, dtype=np.float32)
        return np.ascontiguousarray((x - self.offset) * self.scale, dtype=np.float32)

    def backward(self, grad_out):
        g = grad_out / self.scale if self.inverse else grad_out * self.scale
        return np.ascontiguousarray(g, dtype=np.float32)

    def extra_repr(self) -> str:
        return f"scale={self.scale.ravel().tolist()}, inverse={self.inverse}"


def rate_feature(bpp) -> np.ndarray:
    """The value of the rate plane for a stream of ``bpp`` bits per pixel: (log2(bpp) + 2) / 2 (0 at 0.25 bpp)."""
    b = np.asarray(bpp, np.float64)
    if b.size == 0 or not np.all(np.isfinite(b)) or np.any(b <= 0):
        raise InvalidArgumentError(f"rate: expected positive bits per pixel, got {bpp!r}")
    return ((np.log2(b) + 2) / 2).astype(np.float32)


class RateInput(Module):
    """y = f(concat(x, r)): the N×C×H×W input with one more plane, of the constant :func:`rate_feature` of each
    batch item's rate (set by :meth:`set_rate` before ``forward``; one rate for the batch or one per item). The
    input gradient is f's, without the rate plane's."""

    def __init__(self, f: Module) -> None:
        super().__init__()
        self.f = f
        object.__setattr__(self, "rate", None)

    def set_rate(self, bpp) -> None:
        object.__setattr__(self, "rate", rate_feature(np.atleast_1d(bpp)))

    def forward(self, x):
        if self.rate is None:
            raise InvalidArgumentError("RateInput: this post-filter needs the stream's rate (set_rate / decode(bpp=))")
        if x.ndim != 4 or self.rate.size not in (1, x.shape[0]):
            raise InvalidArgumentError(f"RateInput: {self.rate.size} rates for an input of shape {x.shape}")
        plane = np.broadcast_to(self.rate.reshape(-1, 1, 1, 1), (x.shape[0], 1) + x.shape[2:])
        self._channels = x.shape[1]
        return self.f.forward(np.ascontiguousarray(np.concatenate([x, plane.astype(x.dtype)], axis=1)))

    def backward(self, grad_out):
        return np.ascontiguousarray(self.f.backward(grad_out)[:, :self._channels])


@register("dwt97-cae")
class WaveletCAE(CompressionModel):
    quantizer = "noise"
    latent_stride = 1

    def __init__(self, levels=5, latent_scale=64.0, code_block=128, postfilter=True, postfilter_channels=(32, 32),
                 postfilter_gate=None, postfilter_rate_input=False, postfilter_coarse_channels=(),
                 postfilter_coarse_factor=4, seed=0) -> None:
        super().__init__()
        levels, code_block = int(levels), int(code_block)
        if not 1 <= levels <= 10:
            raise InvalidArgumentError(f"levels: expected 1…10, got {levels}")
        if not (np.isfinite(latent_scale) and latent_scale > 0):
            raise InvalidArgumentError(f"latent_scale: expected a positive number, got {latent_scale}")
        if code_block < 8:
            raise InvalidArgumentError(f"code_block: expected a size ≥ 8, got {code_block}")
        widths = [int(c) for c in postfilter_channels]
        if postfilter and (not widths or min(widths) < 1):
            raise InvalidArgumentError(f"postfilter_channels: expected positive widths, got {widths}")
        self.config = dict(levels=levels, latent_scale=float(latent_scale), code_block=code_block,
                           postfilter=bool(postfilter), postfilter_channels=widths,
                           postfilter_gate=_gate_table(postfilter_gate), seed=int(seed))
        coarse, factor = [int(c) for c in postfilter_coarse_channels], int(postfilter_coarse_factor)
        if coarse and (min(coarse) < 1 or factor not in (2, 4, 8, 16) or factor > 2 ** levels):
            raise InvalidArgumentError(f"postfilter_coarse_channels / _factor: expected positive widths and a factor "
                                       f"2, 4, 8 or 16 (at most 2^levels), got {coarse} / {factor}")
        # Only when set, so that older configs (and their hashes) stay as they were.
        if postfilter_rate_input:
            self.config["postfilter_rate_input"] = True
        if coarse and postfilter:
            self.config["postfilter_coarse_channels"] = coarse
            self.config["postfilter_coarse_factor"] = factor
        self.stride = 2 ** levels
        self.code_block = code_block
        self.latent_channels = 3
        scale = np.float32(latent_scale) * plane_weights()
        offset = np.full(3, 0.5, np.float32)
        self.encoder = Sequential(PlaneAffine(scale, offset), DWT97(levels))
        synthesis = Sequential(InverseDWT97(levels), PlaneAffine(scale, offset, inverse=True))
        if not postfilter:
            self.decoder = synthesis
            return
        rate_input = bool(postfilter_rate_input)
        layers, prev = [], 4 if rate_input else 3
        for c in widths:
            layers += [L.Conv2d(prev, c, 3, 1, 1), L.PReLU(c)]
            prev = c
        layers.append(L.Conv2d(prev, 3, 3, 1, 1))
        net = Sequential(*layers)
        L.init_parameters(net, np.random.default_rng(seed), gain=2 / (1 + 0.25 ** 2))
        _zero(layers[-1])
        if coarse:
            branch, prev = [L.PixelUnshuffle(factor)], (4 if rate_input else 3) * factor * factor
            for c in coarse:
                branch += [L.Conv2d(prev, c, 3, 1, 1), L.PReLU(c)]
                prev = c
            branch += [L.Conv2d(prev, 3 * factor * factor, 3, 1, 1), L.PixelShuffle(factor)]
            low = Sequential(*branch)
            L.init_parameters(low, np.random.default_rng([seed, 1]), gain=2 / (1 + 0.25 ** 2))
            _zero(branch[-2])
            net = ParallelSum(net, low)
        self.decoder = Sequential(synthesis, Residual(RateInput(net) if rate_input else net))

    @property
    def synthesis(self) -> Module:
        """The inverse wavelet and plane scaling (the decoder without its post-filter)."""
        return self.decoder if not self.config["postfilter"] else list(self.decoder)[0]

    @property
    def postfilter(self) -> Module | None:
        """The post-filter's residual branch (None without one)."""
        return list(self.decoder)[1].f if self.config["postfilter"] else None

    def postfilter_gain(self, bpp: float | None) -> float:
        """gain(bpp) of the ``postfilter_gate`` table (1 without a table or a rate; 0 without a post-filter)."""
        table = self.config.get("postfilter_gate")
        if not self.config["postfilter"]:
            return 0.0
        if table is None or bpp is None:
            return 1.0
        rates, gains = zip(*table)
        return float(np.interp(np.log(bpp), np.log(rates), gains))

    def set_rate(self, bpp) -> None:
        """The rate(s) a rate-input post-filter sees next (one, or one per batch item); no-op for other filters."""
        if self.config.get("postfilter_rate_input"):
            self.postfilter.set_rate(bpp)

    #: A stream's post-filter strength byte q stands for the gain q / strength_scale: 0 … 7.97 in steps of 1/32
    #: (dwt97-pf's best gain on a 0.25 bpp photo crop can exceed 4; a step of 1/32 is within 0.05 % of the best
    #: squared error where the gain matters).
    strength_scale = 32

    def decode(self, y, bpp: float | None = None, strength: int | None = None):
        """Synthesis of a (quantized) latent; ``bpp``, the stream's rate, sets the post-filter's gain (the gate),
        unless the stream carries the encoder's choice, ``strength`` (gain = strength / :attr:`strength_scale`)."""
        y = np.ascontiguousarray(y, dtype=np.float32)
        if self.config.get("postfilter_rate_input"):
            if bpp is None:
                raise InvalidArgumentError("dwt97-cae with postfilter_rate_input: decode needs the stream's bpp")
            self.set_rate(bpp)
        base = self.inference(self.synthesis).forward(y)
        if not self.config["postfilter"]:
            return base
        if strength is not None and not (isinstance(strength, (int, np.integer)) and 0 <= strength <= 255):
            raise InvalidArgumentError(f"strength: expected an integer 0…255, got {strength!r}")
        # Without a gate table or a rate the gain is 1 (the decoder's Residual: base + f(base), the same bits).
        g = np.float32(self.postfilter_gain(bpp) if strength is None else int(strength) / self.strength_scale)
        if g == 0:
            return base
        return base + g * self.postfilter_residual(base, bpp)

    def postfilter_residual(self, base, bpp: float | None = None):
        """The post-filter's correction f(base) of a synthesis output, which decode adds times its gain."""
        f = self.inference(self.postfilter)
        if self.config.get("postfilter_rate_input"):
            f.set_rate(bpp)  # (the inference copy has its own RateInput)
        return f.forward(np.ascontiguousarray(base, dtype=np.float32))

    def code_block_for(self, height: int, width: int) -> int:
        """The code-block size for a latent of height×width (see the module docstring)."""
        b, floor = self.code_block, min(self.code_block, 64)
        while b > floor and -(-height // b) * -(-width // b) < 16:
            b //= 2
        return max(b, floor)

    def transform_signature(self) -> str:
        """What the stream's weights hash must also cover: the parameter-free transform."""
        c = self.config
        rate = " rate_input" if c.get("postfilter_rate_input") else ""
        if c.get("postfilter_coarse_channels"):
            rate += f" coarse={c['postfilter_coarse_channels']}/{c['postfilter_coarse_factor']}"
        return (f"dwt97 levels={c['levels']} scale={c['latent_scale']!r} block={c['code_block']} "
                f"gate={c.get('postfilter_gate')!r}{rate}")


def extend_postfilter(src: WaveletCAE, *, rate_input: bool | None = None, coarse_channels=None,
                      coarse_factor: int | None = None) -> WaveletCAE:
    """``src`` (a dwt97-cae model with a post-filter) grown by a rate input and/or a coarse branch (None: as in
    ``src``), its trained weights copied and every new weight that feeds the output zero: the rate plane's
    first-layer weights, and a new coarse branch's last layer. It decodes as ``src`` without its gate does."""
    if not isinstance(src, WaveletCAE) or not src.config["postfilter"]:
        raise InvalidArgumentError("extend_postfilter: expected a dwt97-cae model with a post-filter")
    c = src.config
    had_rate, had_coarse = bool(c.get("postfilter_rate_input")), list(c.get("postfilter_coarse_channels", []))
    rate = had_rate if rate_input is None else bool(rate_input)
    coarse = had_coarse if coarse_channels is None else [int(v) for v in coarse_channels]
    factor = int(c.get("postfilter_coarse_factor", 4) if coarse_factor is None else coarse_factor)
    changed = had_coarse and (coarse != had_coarse or factor != c["postfilter_coarse_factor"])
    if had_rate and not rate or changed:
        raise InvalidArgumentError("extend_postfilter: can add a rate input or a coarse branch, not remove or "
                                   "change them")
    config = {**c, "postfilter_gate": None, "postfilter_rate_input": rate, "postfilter_coarse_channels": coarse,
              "postfilter_coarse_factor": factor}
    m = WaveletCAE(**config)
    fine_src, fine = _branches(src)[0], _branches(m)[0]
    state = fine_src.state_dict()
    first = next(iter(state))
    if rate and not had_rate:  # the first convolution gets one more input plane, whose weights start at 0
        w = np.zeros((state[first].shape[0], state[first].shape[1] + 1) + state[first].shape[2:], np.float32)
        w[:, :-1] = state[first]
        state[first] = w
    fine.load_state_dict(state)
    if had_coarse:
        _branches(m)[1].load_state_dict(_branches(src)[1].state_dict())
    return m


def _branches(m: WaveletCAE) -> tuple[Module, Module | None]:
    """The post-filter's full-resolution net and its coarse branch (None without one)."""
    net = m.postfilter.f if m.config.get("postfilter_rate_input") else m.postfilter
    return (net.a, net.b) if isinstance(net, ParallelSum) else (net, None)


def _zero(conv) -> None:
    conv.weight.data[...] = 0
    conv.bias.data[...] = 0


def _gate_table(table):
    """Validates a (bpp, gain) table: positive increasing rates, finite gains; returned as a list of pairs."""
    if table is None:
        return None
    try:
        pairs = [(float(r), float(g)) for r, g in table]
    except (TypeError, ValueError):
        raise InvalidArgumentError(f"postfilter_gate: expected [[bpp, gain], ...], got {table!r}") from None
    rates = [r for r, _ in pairs]
    if not pairs or min(rates) <= 0 or rates != sorted(set(rates)) or not all(np.isfinite(g) for _, g in pairs):
        raise InvalidArgumentError(f"postfilter_gate: expected increasing positive rates and finite gains, got {table!r}")
    return [list(p) for p in pairs]
