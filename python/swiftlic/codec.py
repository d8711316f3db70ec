"""compress / decompress: images ⇄ self-describing swiftlic byte streams.

compress(image, bpp=…) validates the image, converts it to YCbCr planes natively, pads it (reflect) to the
model's stride, runs the analysis transform, and makes one native call that rotates (optional PCA), quantizes
and bitplane-codes the latent, truncated by rate–distortion optimisation to the byte budget. decompress mirrors
it. The stream names its model (id + 64-bit hash of the weights): decoding with other weights raises
ModelMismatchError instead of producing noise. The rate is always the real length of the bytes.

Models with a post-filter (dwt97-pf, dwt97-pf-wide): the encoder decodes its own stream, once per quality layer,
and chooses the post-filter's gain that brings the decoded image closest to the original (least squares in RGB,
then the exact uint8 error of the neighbouring gains), and stores it as one byte per layer in the header (docs/
FORMAT.md); the decoder applies the stored gain instead of the gate's rate-based guess. AV1 signals its loop-filter
and CDEF strengths the same way. ``adapt_postfilter=False`` keeps the gate (a stream without the bytes).

>>> import numpy as np, swiftlic
>>> img = np.random.default_rng(0).integers(0, 256, (64, 96, 3), dtype=np.uint8)
>>> data = swiftlic.compress(img, bpp=2.0)
>>> 8 * len(data) / (64 * 96) <= 2.0, swiftlic.decompress(data).shape
(True, (64, 96, 3))
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import latent
from .color import rgb_to_ycbcr, ycbcr_to_rgb, ycbcr_to_rgb_affine
from .errors import CorruptStreamError, InvalidArgumentError, ModelMismatchError

__all__ = ["compress", "decompress", "load_model", "available_models", "DEFAULT_MODEL", "StreamInfo", "info",
           "weights_hash", "latent_roundtrip", "to_code_blocks", "from_code_blocks",
           "code_block_size"]

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
DEFAULT_MODEL = "dwt97-pf"
# Quantizer: B bits (Cheng: 12); one latent unit (the training noise width) spans 2^FINE quantizer steps, so
# bitplane truncation can choose any precision from coarse to 1/2^FINE of the training step.
BITS = 12
FINE = 3
_STEP = float(2 ** (BITS - 1 - FINE))

_CACHE: dict[str, object] = {}


def available_models() -> list[str]:
    """Names of the shipped models (files in swiftlic/weights)."""
    return sorted(p.stem for p in WEIGHTS_DIR.glob("*.safetensors") if not p.stem.startswith("blockpca"))


def weights_hash(model) -> int:
    """A 64-bit hash of a model's parameters (names, shapes and float32 bytes), stored in every stream, and of
    its fixed transform (``transform_signature()``, where a model has one: the wavelet's levels and scales)."""
    h = hashlib.blake2b(digest_size=8)
    signature = getattr(model, "transform_signature", None)
    if signature is not None:
        h.update(signature().encode())
    for name, value in model.state_dict().items():
        h.update(name.encode())
        h.update(repr(value.shape).encode())
        h.update(np.ascontiguousarray(value, dtype=np.float32).tobytes())
    return int.from_bytes(h.digest(), "little")


def load_model(model=None):
    """A model by shipped name, by path to a .safetensors file, or a model object (returned as is).

    Returns ``(model_id, model)``; loaded models are cached and in eval mode.
    """
    from . import models

    if model is None:
        model = DEFAULT_MODEL
    if not isinstance(model, (str, os.PathLike)):
        return getattr(model, "model_id", model.name), model
    path = Path(model)
    if path.suffix != ".safetensors":
        path = WEIGHTS_DIR / f"{model}.safetensors"
    if not path.exists():
        raise InvalidArgumentError(f"unknown model {str(model)!r}: expected a shipped model {available_models()} "
                                   "or a path to a .safetensors file")
    key = str(path.resolve())
    if key not in _CACHE:
        m = models.load(path)
        m.eval()
        object.__setattr__(m, "model_id", path.stem)
        object.__setattr__(m, "_hash", weights_hash(m))
        _CACHE[key] = m
    m = _CACHE[key]
    return m.model_id, m


def _as_image(image) -> np.ndarray:
    if isinstance(image, (str, os.PathLike)):
        from PIL import Image

        with Image.open(image) as im:
            return np.asarray(im.convert("RGB"))
    if hasattr(image, "convert") and hasattr(image, "size"):  # a PIL image
        return np.asarray(image.convert("RGB"))
    arr = np.asarray(image)
    if arr.dtype != np.uint8 or arr.ndim != 3 or arr.shape[2] != 3:
        raise InvalidArgumentError(f"expected an H×W×3 uint8 image, got {arr.dtype} of shape {arr.shape}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise InvalidArgumentError(f"expected a non-empty image, got shape {arr.shape}")
    return arr


def _pad(planes: np.ndarray, stride: int) -> np.ndarray:
    _, h, w = planes.shape
    ph, pw = (-h) % stride, (-w) % stride
    if ph == 0 and pw == 0:
        return planes
    mode = "reflect" if h > ph and w > pw else "edge"  # reflect needs more pixels than it mirrors
    return np.ascontiguousarray(np.pad(planes, ((0, 0), (0, ph), (0, pw)), mode=mode))


def to_code_blocks(y: np.ndarray, block: int | None) -> np.ndarray:
    """C×h×w → (C·⌈h/b⌉·⌈w/b⌉)×b×b: the latent cut into b×b code blocks (zero-padded at the right and bottom),
    block-row-major within each channel; ``None`` returns ``y``. Each block becomes one channel of the latent
    coder, so its bitplane truncation is chosen per block (EBCOT's code blocks)."""
    if block is None:
        return y
    c, h, w = y.shape
    th, tw = -(-h // block), -(-w // block)
    if (th * block, tw * block) != (h, w):
        y = np.pad(y, ((0, 0), (0, th * block - h), (0, tw * block - w)))
    t = y.reshape(c, th, block, tw, block).transpose(0, 1, 3, 2, 4)
    return np.ascontiguousarray(t.reshape(c * th * tw, block, block))


def code_block_size(model, height: int, width: int) -> int | None:
    """The code-block size the model wants for a latent of height×width (``None``: one block per channel)."""
    rule = getattr(model, "code_block_for", None)
    return None if rule is None else int(rule(height, width))


def from_code_blocks(blocks: np.ndarray, shape: tuple[int, int, int], block: int | None) -> np.ndarray:
    """The inverse of :func:`to_code_blocks` for a latent of ``shape`` (C, h, w); raises CorruptStreamError when
    the blocks cannot be that latent's."""
    if block is None:
        return blocks
    c, h, w = shape
    th, tw = -(-h // block), -(-w // block)
    if blocks.shape != (c * th * tw, block, block):
        raise CorruptStreamError(f"the stream holds a latent of shape {blocks.shape}, expected "
                                 f"{c * th * tw} code blocks of {block}×{block} for a {c}×{h}×{w} latent")
    t = blocks.reshape(c, th, tw, block, block).transpose(0, 1, 3, 2, 4).reshape(c, th * block, tw * block)
    return np.ascontiguousarray(t[:, :h, :w])


def _latent_shape(model, image_size: tuple[int, int]) -> tuple[int, int, int]:
    """The latent shape of an image of ``image_size`` padded to the model's stride."""
    s = model.stride
    down = getattr(model, "latent_stride", s)
    hp, wp = (-(-n // s) * s for n in image_size)
    return model.latent_channels, hp // down, wp // down


def _model_hash(model) -> int:
    return getattr(model, "_hash", None) or weights_hash(model)


def compress(image, bpp: float | None = None, *, model=None, pca: str = "none", layers: int = 1,
             adapt_postfilter: bool = True) -> bytes:
    """Compresses an RGB image (H×W×3 uint8 array, PIL image or path) to bytes.

    ``bpp``: target rate in bits per pixel of the *whole* stream (header included); None codes every bitplane
    (the model's highest quality). ``model``: a shipped model name, a .safetensors path or a model object.
    ``pca``: ``"none"`` or ``"image"`` (per-image PCA of the latent, basis sent as side information).
    ``layers`` > 1 makes the stream truncatable at lower rates (:func:`swiftlic.latent.truncate`).
    ``adapt_postfilter``: for a model with a post-filter, choose its gain per layer for this image and store it
    (one byte per layer; the encoder then runs the decoder once per layer). See the module docstring.
    """
    img = _as_image(image)
    h, w = img.shape[:2]
    if bpp is not None and not (np.isfinite(bpp) and bpp > 0):
        raise InvalidArgumentError(f"bpp: expected a positive rate, got {bpp}")
    model_id, m = load_model(model)
    x = _pad(rgb_to_ycbcr(img, planar=True), m.stride)
    y = m.encode(x[None])[0]
    y = to_code_blocks(y, code_block_size(m, *y.shape[1:]))
    target = None if bpp is None else max(1, int(bpp * h * w / 8))
    adapt = adapt_postfilter and _has_postfilter(m)

    def encode(strengths):
        return latent.encode(y, bits=BITS, step=_STEP, target_bytes=target, layers=layers, pca=pca,
                             model_id=model_id, model_hash=_model_hash(m), image_size=(h, w), color_mode="ycbcr",
                             filter_strengths=strengths)

    if not adapt:
        return encode(None)
    # The strengths' bytes count against the budget: encode with placeholders first, so that the header (hence
    # every layer) has its final size, choose each layer's gain on that stream, then write the real bytes. The
    # encoder is deterministic, so the layers come out identical.
    draft = encode([0] * int(layers))
    data = encode(_choose_strengths(m, img, draft))
    if len(data) != len(draft):  # pragma: no cover - would mean a non-deterministic encoder
        raise AssertionError("compress: the stream changed size when its post-filter strengths were written")
    return data


def _has_postfilter(m) -> bool:
    return hasattr(m, "postfilter_residual") and bool(m.config.get("postfilter"))


def _layer_ends(data) -> list[int]:
    """The end offset of every layer of a stream, first to last."""
    hd = latent.read_header(data)
    ends, n = [], len(data)
    while n > hd.header_bytes:
        ends.append(n)
        n = len(latent.truncate(data, n - 1))
    return ends[::-1]


def _choose_strengths(m, img: np.ndarray, data) -> list[int]:
    """Per layer of ``data`` (a stream of model ``m`` for ``img``), the post-filter strength byte whose decoded
    image is closest to ``img``: the least-squares gain of the filter's correction in RGB, rounded, then the best
    of its neighbours by the exact uint8 squared error (ties: nearest the least-squares choice)."""
    h, w = img.shape[:2]
    scale = m.strength_scale
    M, offset = (v.astype(np.float32) for v in ycbcr_to_rgb_affine())
    target = img.astype(np.float32) / 255
    original = img.astype(np.int32)
    strengths = []
    for end in _layer_ends(data):
        prefix = bytes(memoryview(data)[:end])
        rate = 8 * end / (h * w)
        y_hat, hd = latent.decode(prefix)
        shape = _latent_shape(m, hd.image_size)
        y_hat = from_code_blocks(y_hat, shape, code_block_size(m, *shape[1:]))
        base = m.decode(y_hat[None], bpp=rate, strength=0)
        f = m.postfilter_residual(base, rate)[0]
        b, r = base[0][:, :h, :w], f[:, :h, :w]
        d = np.einsum("ij,jhw->hwi", M, r)
        e = target - (np.einsum("ij,jhw->hwi", M, b) + offset)
        dd = float(np.vdot(d, d))
        q0 = int(np.clip(np.rint(scale * float(np.vdot(e, d)) / dd), 0, 255)) if dd > 0 else 0

        def error(q: int) -> float:
            x = b + np.float32(q / scale) * r  # as decode computes it
            rgb = ycbcr_to_rgb(np.ascontiguousarray(x), planar=False)
            return float(np.square(rgb.astype(np.int32) - original).sum())

        candidates = range(max(0, q0 - 2), min(255, q0 + 2) + 1)
        strengths.append(min(candidates, key=lambda q: (error(q), abs(q - q0), q)))
    return strengths


def latent_roundtrip(y, bpp: float, image_size: tuple[int, int], model_id: str = "",
                     code_block: int | None = None) -> tuple[np.ndarray, int]:
    """``(ŷ, stream bytes)``: the latent the decoder of a ``compress(image, bpp)`` stream sees, for the analysis
    output ``y`` (C×h×w) of an image of ``image_size`` (``code_block``: :func:`code_block_size` of the model).
    Training with ``quantizer="codec"`` decodes these."""
    h, w = image_size
    if not (np.isfinite(bpp) and bpp > 0):
        raise InvalidArgumentError(f"bpp: expected a positive rate, got {bpp}")
    shape = np.shape(y)
    y = to_code_blocks(np.ascontiguousarray(y, dtype=np.float32), code_block)
    data = latent.encode(y, bits=BITS, step=_STEP, target_bytes=max(1, int(bpp * h * w / 8)), model_id=model_id,
                         image_size=(h, w), color_mode="ycbcr")
    return from_code_blocks(latent.decode(data)[0], shape, code_block), len(data)


@dataclass(frozen=True)
class StreamInfo:
    model_id: str
    image_size: tuple[int, int]
    latent_shape: tuple[int, int, int]
    bytes: int
    bpp: float
    header: latent.LatentHeader


def info(data) -> StreamInfo:
    """What a stream holds, from its header alone (every CRC checked, nothing decoded)."""
    hd = latent.read_header(data)
    h, w = hd.image_size
    return StreamInfo(hd.model_id, hd.image_size, hd.shape, len(data), 8 * len(data) / max(1, h * w), hd)


def decompress(data, *, model=None) -> np.ndarray:
    """Decodes a stream made by :func:`compress` into an H×W×3 uint8 RGB image.

    The model is the one the stream names (a shipped model), unless ``model`` is given; either way its weights
    hash must match the stream's, else :class:`ModelMismatchError`.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise InvalidArgumentError(f"expected bytes, got {type(data).__name__}")
    hd = latent.read_header(data)
    if model is None:
        try:
            model_id, m = load_model(hd.model_id)
        except InvalidArgumentError:
            raise ModelMismatchError(f"the stream needs model {hd.model_id!r}, which is not installed "
                                     f"(shipped: {available_models()}); pass model=") from None
    else:
        model_id, m = load_model(model)
    y_hat, _ = latent.decode(data, model_hash=_model_hash(m))
    if hasattr(m, "code_block_for"):
        shape = _latent_shape(m, hd.image_size)
        y_hat = from_code_blocks(y_hat, shape, code_block_size(m, *shape[1:]))
    h, w = hd.image_size
    if hd.filter_strengths is not None and not _has_postfilter(m):
        raise ModelMismatchError(f"the stream carries post-filter strengths, but model {model_id!r} has no post-filter")
    if hasattr(m, "postfilter_gain") and h * w > 0:  # a post-filter whose strength follows the stream's rate
        strength = None  # (a stream cut before its first layer decodes to the gate's gain)
        if hd.filter_strengths is not None and hd.layers_present > 0:
            strength = hd.filter_strengths[hd.layers_present - 1]
        x_hat = m.decode(y_hat[None], bpp=8 * len(data) / (h * w), strength=strength)[0]
    else:
        x_hat = m.decode(y_hat[None])[0]
    planes = np.ascontiguousarray(x_hat[:, :h, :w])
    return ycbcr_to_rgb(planes, planar=False)
