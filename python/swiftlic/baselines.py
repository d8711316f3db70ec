"""Classic codecs behind one small interface, and a search that hits a target rate with the real file size.

The interface (:class:`Codec`) is all the evaluation suite needs, so a researcher plugs in a codec by writing::

    class MyCodec:
        name = "mine"
        def encode(self, image, bpp):   # H×W×3 uint8 array, target bits per pixel → bytes
            ...
        def decode(self, data):         # bytes → H×W×3 uint8 array
            ...

    swiftlic.baselines.register("mine", MyCodec)

Built in (names for :func:`get`):

=============  ==========================================================================================
``jpeg``       libjpeg through Pillow, 4:2:0 chroma subsampling, optimised Huffman tables; knob quality 1..100
``jpeg444``    the same without chroma subsampling
``jpeg2000``   OpenJPEG through Pillow: J2K codestream, 9/7 irreversible wavelet, colour transform (``mct=1``),
               ``quality_mode="rates"``; the knob is the requested rate itself (compression ratio 24/bpp)
``webp``       libwebp lossy through Pillow, ``method=6``; knob quality 0..100
``avif``       libavif through Pillow (≥ 11.3), 4:2:0, speed 6, one thread; knob quality 0..100; listed only
               when Pillow has the AVIF plugin
``fmm``        the Five Modulus Method (:mod:`swiftlic.fmm`), modulus as knob (5 is the paper's point)
``swiftlic``   the learned codec, ``swiftlic.compress(image, bpp=…)``; listed once that function exists;
               ``swiftlic:MODEL`` runs another model (a shipped name or a .safetensors path)
=============  ==========================================================================================

:func:`encode` runs a codec at a target rate and measures it: for the knob codecs it bisects the knob for the
setting whose *real* bpp (byte length × 8 / pixels) is closest to the target, then times one encode at that setting
and one decode.
"""

from __future__ import annotations

import io
import math
import os
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
from PIL import Image, features

from . import fmm
from .errors import InvalidArgumentError
from .metrics import bpp as _bpp

__all__ = [
    "Codec",
    "KnobCodec",
    "EncodeResult",
    "encode",
    "get",
    "register",
    "available",
    "as_rgb",
    "Jpeg",
    "Jpeg2000",
    "WebP",
    "Avif",
    "FiveModulus",
    "SwiftLIC",
]


@runtime_checkable
class Codec(Protocol):
    """What the evaluation needs from a codec.

    ``encode(image, bpp)`` takes an H×W×3 uint8 RGB array and a target rate in bits per pixel and returns the
    complete compressed file as bytes (the rate reported is its length); ``decode(data)`` returns an H×W×3 uint8
    array of the same size. ``name`` labels the codec in tables and plots.
    """

    name: str

    def encode(self, image: np.ndarray, bpp: float) -> bytes: ...

    def decode(self, data: bytes) -> np.ndarray: ...


def as_rgb(image) -> np.ndarray:
    """An H×W×3 uint8 RGB array from an array, a PIL image or a path (grey and RGBA images are converted)."""
    if isinstance(image, (str, os.PathLike)):
        try:
            with Image.open(image) as im:
                return np.asarray(im.convert("RGB"))
        except (OSError, ValueError) as exc:
            raise InvalidArgumentError(f"could not read an image from {os.fspath(image)!r}: {exc}") from None
    if isinstance(image, Image.Image):
        return np.asarray(image.convert("RGB"))
    arr = np.asarray(image)
    if arr.dtype != np.uint8 or arr.ndim != 3 or arr.shape[2] != 3 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise InvalidArgumentError(f"expected an H×W×3 uint8 RGB image, got {arr.dtype} of shape {arr.shape}")
    return np.ascontiguousarray(arr)


def _pil_decode(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("RGB"))


class KnobCodec(ABC):
    """A codec driven by one setting (quality, modulus, requested rate) that :meth:`encode` searches.

    Subclasses give :meth:`encode_at` and either ``settings`` (integer knobs, ordered by increasing rate) or
    override :meth:`search`.
    """

    name: str = "?"
    #: integer settings ordered so that the rate increases along the sequence
    settings: Sequence[Any] = ()

    @abstractmethod
    def encode_at(self, image: np.ndarray, setting) -> bytes:
        """The file for one setting of the knob."""

    @abstractmethod
    def decode(self, data: bytes) -> np.ndarray: ...

    def encode(self, image: np.ndarray, bpp: float) -> bytes:
        return self.search(image, bpp)[1]

    def search(self, image: np.ndarray, bpp: float) -> tuple[Any, bytes]:
        """(setting, file) whose real bpp is closest to ``bpp``: bisection over :attr:`settings`, assuming the rate
        is non-decreasing along them (true of every built-in knob up to a few bytes)."""
        image = as_rgb(image)
        _check_target(bpp)
        cache: dict[int, bytes] = {}

        def rate(i: int) -> float:
            if i not in cache:
                cache[i] = self.encode_at(image, self.settings[i])
            return _bpp(cache[i], image)

        lo, hi = 0, len(self.settings) - 1
        if rate(lo) >= bpp:
            best = lo
        elif rate(hi) <= bpp:
            best = hi
        else:
            while hi - lo > 1:  # invariant: rate(lo) < bpp < rate(hi)
                mid = (lo + hi) // 2
                if rate(mid) <= bpp:
                    lo = mid
                else:
                    hi = mid
            best = min((lo, hi), key=lambda i: abs(rate(i) - bpp))
        return self.settings[best], cache[best]


def _check_target(bpp: float) -> None:
    if not (isinstance(bpp, (int, float)) and math.isfinite(bpp) and bpp > 0):
        raise InvalidArgumentError(f"expected a positive, finite target bpp, got {bpp!r}")


class Jpeg(KnobCodec):
    """Baseline JPEG (libjpeg via Pillow) with optimised Huffman tables; ``subsampling`` "4:2:0" or "4:4:4"."""

    settings = range(1, 101)

    def __init__(self, subsampling: str = "4:2:0"):
        if subsampling not in ("4:2:0", "4:4:4"):
            raise InvalidArgumentError(f"jpeg: expected subsampling '4:2:0' or '4:4:4', got {subsampling!r}")
        self.subsampling = subsampling
        self.name = "jpeg" if subsampling == "4:2:0" else "jpeg444"

    def encode_at(self, image, setting) -> bytes:
        buf = io.BytesIO()
        Image.fromarray(image).save(buf, "JPEG", quality=int(setting), optimize=True,
                                    subsampling=self.subsampling)
        return buf.getvalue()

    def decode(self, data: bytes) -> np.ndarray:
        return _pil_decode(data)


class Jpeg2000(KnobCodec):
    """JPEG 2000 (OpenJPEG via Pillow): raw J2K codestream, 9/7 wavelet, RCT/ICT colour transform, rate mode.

    The knob is the rate handed to OpenJPEG (as the compression ratio 24/bpp over the raw 24-bit image). Its rate
    control lands a little off (headers, truncation granularity), so :meth:`search` corrects the request by the
    secant method in log-rate until the real file is within 0.5 % of the target (at most 8 encodes).
    """

    name = "jpeg2000"

    def encode_at(self, image, setting) -> bytes:
        buf = io.BytesIO()
        Image.fromarray(image).save(buf, "JPEG2000", no_jp2=True, irreversible=True, mct=1,
                                    quality_mode="rates", quality_layers=[24.0 / float(setting)])
        return buf.getvalue()

    def decode(self, data: bytes) -> np.ndarray:
        return _pil_decode(data)

    def search(self, image, bpp):
        image = as_rgb(image)
        _check_target(bpp)
        request = float(bpp)
        tried: list[tuple[float, float, bytes]] = []
        for _ in range(8):
            request = min(max(request, 1e-3), 23.9)
            data = self.encode_at(image, request)
            real = _bpp(data, image)
            tried.append((request, real, data))
            if abs(real - bpp) <= 0.005 * bpp:
                break
            # log(real) ≈ log(request) + offset: move the request by the observed log-ratio
            nxt = request * bpp / real
            if any(abs(nxt - r) <= 1e-9 * nxt for r, _, _ in tried):
                break
            request = nxt
        request, _, data = min(tried, key=lambda t: abs(t[1] - bpp))
        return request, data


class WebP(KnobCodec):
    """Lossy WebP (libwebp via Pillow), ``method=6`` (slowest, smallest)."""

    name = "webp"
    settings = range(0, 101)

    def encode_at(self, image, setting) -> bytes:
        buf = io.BytesIO()
        Image.fromarray(image).save(buf, "WEBP", quality=int(setting), method=6)
        return buf.getvalue()

    def decode(self, data: bytes) -> np.ndarray:
        return _pil_decode(data)


class Avif(KnobCodec):
    """AVIF (libavif via Pillow ≥ 11.3), 4:2:0, speed 6, one thread so timings compare with the others."""

    name = "avif"
    settings = range(0, 101)

    def __init__(self):
        if not features.check("avif"):
            raise InvalidArgumentError("avif: this Pillow has no AVIF plugin (needs Pillow ≥ 11.3 built with libavif)")

    def encode_at(self, image, setting) -> bytes:
        buf = io.BytesIO()
        Image.fromarray(image).save(buf, "AVIF", quality=int(setting), subsampling="4:2:0", speed=6, max_threads=1)
        return buf.getvalue()

    def decode(self, data: bytes) -> np.ndarray:
        return _pil_decode(data)


class FiveModulus(KnobCodec):
    """The Five Modulus Method (:mod:`swiftlic.fmm`); the knob is the modulus (larger → fewer bits)."""

    name = "fmm"
    settings = range(255, 0, -1)

    def encode_at(self, image, setting) -> bytes:
        return fmm.encode(image, int(setting))

    def decode(self, data: bytes) -> np.ndarray:
        return fmm.decode(data)


class SwiftLIC:
    """The learned codec through ``swiftlic.compress`` / ``swiftlic.decompress`` (which hit the rate themselves)."""

    name = "swiftlic"

    def __init__(self, model=None, **options):
        import swiftlic

        if not callable(getattr(swiftlic, "compress", None)):
            raise InvalidArgumentError("swiftlic: swiftlic.compress is not available in this build yet")
        self._swiftlic = swiftlic
        self.model = model
        self.options = options
        if model is not None:
            from .codec import load_model

            load_model(model)                       # fails here, clearly, for a model that does not exist
            self.name = f"swiftlic:{Path(str(model)).stem}"

    def encode(self, image, bpp: float) -> bytes:
        return bytes(self._swiftlic.compress(image, bpp=bpp, model=self.model, **self.options))

    def decode(self, data: bytes) -> np.ndarray:
        return as_rgb(self._swiftlic.decompress(data, model=self.model))


def _swiftlic_available() -> bool:
    try:
        import swiftlic
    except ImportError:
        return False
    return callable(getattr(swiftlic, "compress", None)) and callable(getattr(swiftlic, "decompress", None))


_REGISTRY: dict[str, tuple[Callable[[], Codec], Callable[[], bool]]] = {
    "jpeg": (lambda: Jpeg("4:2:0"), lambda: True),
    "jpeg444": (lambda: Jpeg("4:4:4"), lambda: True),
    "jpeg2000": (Jpeg2000, lambda: features.check("jpg_2000")),
    "webp": (WebP, lambda: features.check("webp")),
    "avif": (Avif, lambda: features.check("avif")),
    "fmm": (FiveModulus, lambda: True),
    "swiftlic": (SwiftLIC, _swiftlic_available),
}


def register(name: str, factory: Callable[[], Codec], *, available: Callable[[], bool] = lambda: True) -> None:
    """Adds (or replaces) a codec under ``name``; ``factory()`` returns an object implementing :class:`Codec`."""
    if not isinstance(name, str) or not name or "," in name:
        raise InvalidArgumentError(f"expected a non-empty codec name without commas, got {name!r}")
    _REGISTRY[name] = (factory, available)


def available() -> list[str]:
    """Names of the registered codecs that can run here (plugins present, ``swiftlic.compress`` built)."""
    return [name for name, (_, ok) in _REGISTRY.items() if ok()]


def get(codec) -> Codec:
    """A codec by name (see the module table), or ``codec`` itself when it already implements :class:`Codec`."""
    if not isinstance(codec, str):
        if isinstance(codec, Codec):
            return codec
        raise InvalidArgumentError(f"expected a codec name or an object with name/encode/decode, got {codec!r}")
    if codec.startswith("swiftlic:") and _swiftlic_available():
        return SwiftLIC(model=codec.split(":", 1)[1])
    if codec not in _REGISTRY:
        raise InvalidArgumentError(f"unknown codec {codec!r}; registered: {', '.join(_REGISTRY)}")
    factory, ok = _REGISTRY[codec]
    if not ok():
        raise InvalidArgumentError(f"codec {codec!r} is not available here; available: {', '.join(available())}")
    return factory()


@dataclass
class EncodeResult:
    """One coded image: the file, its decoded image, the real rate and the time of one encode and one decode."""

    codec: str
    target_bpp: float
    bpp: float
    data: bytes = field(repr=False)
    decoded: np.ndarray = field(repr=False)
    encode_s: float
    decode_s: float
    setting: Any = None


def encode(codec, image, *, bpp: float) -> EncodeResult:
    """Codes ``image`` at the real rate closest to ``bpp`` and decodes it back.

    For knob codecs the search runs first and is not timed; ``encode_s`` times one encode at the chosen setting.
    For other codecs ``encode_s`` times ``codec.encode(image, bpp)`` itself.

    >>> import numpy as np
    >>> img = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    >>> r = encode("jpeg", img, bpp=2.0)
    >>> r.decoded.shape, abs(r.bpp - 2.0) < 0.5
    ((64, 64, 3), True)
    """
    c = get(codec)
    image = as_rgb(image)
    _check_target(bpp)
    setting = None
    if isinstance(c, KnobCodec):
        setting, _ = c.search(image, bpp)
        t0 = time.perf_counter()
        data = c.encode_at(image, setting)
        t1 = time.perf_counter()
    else:
        t0 = time.perf_counter()
        data = c.encode(image, bpp)
        t1 = time.perf_counter()
    data = bytes(data)
    decoded = c.decode(data)
    t2 = time.perf_counter()
    decoded = np.asarray(decoded)
    if decoded.shape != image.shape or decoded.dtype != np.uint8:
        raise InvalidArgumentError(
            f"codec {c.name!r}: decode returned {decoded.dtype} of shape {decoded.shape}, expected uint8 {image.shape}")
    return EncodeResult(codec=c.name, target_bpp=float(bpp), bpp=_bpp(data, image), data=data, decoded=decoded,
                        encode_s=t1 - t0, decode_s=t2 - t1, setting=setting)
