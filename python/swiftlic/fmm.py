"""The Five Modulus Method (FMM, Jassim & Altaani 2012) as a real codec with its own byte stream.

READ ME FIRST
- The method: every 8-bit sample ``v`` becomes the nearest multiple of the modulus ``m`` (5 in the paper), and the
  quotient ``q = round(v / m)`` is stored, so 0..255 needs only 6 bits (0..51). The paper walks the image in 8×8
  blocks, but the mapping is per sample, so block order changes nothing and is not modelled. Decoding multiplies
  back: ``v̂ = min(q·m, 255)``. Rounding is half-up (``floor(v/m + ½)``), which for ``m = 5`` is exactly the paper's
  table (remainders 0–2 round down, 3–4 round up).
- Generalisation: any modulus 1..255 is allowed, so the modulus is a rate knob (``m = 1`` is lossless, ``m = 255``
  keeps two levels). The canonical FMM is ``m = 5``; :data:`PAPER_MODULUS`.
- Stream (all integers big-endian)::

      offset size  field
      0      4     magic b"FMM1"
      4      1     version (1)
      5      1     payload mode: 0 = packed, 1 = zlib
      6      1     modulus m (1..255)
      7      1     channels C (1 or 3)
      8      4     height H
      12     4     width W
      16     ...   payload

  Mode 0 packs each quotient in ``b = bit_length(round(255/m))`` bits, MSB first, samples in H×W×C raster order,
  the last byte zero-padded. Mode 1 is zlib (level 9) over the C quotient planes, each row stored as differences to
  the left neighbour modulo 256 (PNG's "Sub" filter), one byte per sample. The encoder writes whichever mode is
  shorter; the rate we report is the length of this stream.
- The decoder checks magic, version, mode, modulus, size limits and payload length, and raises
  :class:`swiftlic.CorruptStreamError` on any mismatch.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

from .errors import CorruptStreamError, InvalidArgumentError, UnsupportedVersionError

__all__ = ["encode", "decode", "PAPER_MODULUS", "MAGIC"]

MAGIC = b"FMM1"
PAPER_MODULUS = 5
_VERSION = 1
_HEADER = struct.Struct(">4sBBBBII")
_MAX_PIXELS = 1 << 28


def _qmax(m: int) -> int:
    return (255 * 2 + m) // (2 * m)  # floor(255/m + 1/2)


def _bits(m: int) -> int:
    return max(1, _qmax(m).bit_length())


def _check_image(image) -> np.ndarray:
    arr = np.asarray(image)
    if arr.dtype != np.uint8 or not (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] in (1, 3))) or arr.size == 0:
        raise InvalidArgumentError(f"fmm: expected an H×W×3 or H×W uint8 image, got {arr.dtype} of shape {arr.shape}")
    return arr if arr.ndim == 3 else arr[:, :, None]


def encode(image, modulus: int = PAPER_MODULUS) -> bytes:
    """Encodes an H×W×3 (or H×W) uint8 image; returns the FMM byte stream.

    >>> import numpy as np
    >>> img = np.array([[[0, 7, 254]]], np.uint8)
    >>> decode(encode(img)).tolist()
    [[[0, 5, 255]]]
    """
    arr = _check_image(image)
    m = int(modulus)
    if not 1 <= m <= 255:
        raise InvalidArgumentError(f"fmm: expected a modulus in 1..255, got {modulus}")
    h, w, c = arr.shape
    q = ((arr.astype(np.uint16) * 2 + m) // (2 * m)).astype(np.uint8)  # floor(v/m + 1/2)
    bits = _bits(m)
    shifts = np.arange(bits - 1, -1, -1, dtype=np.uint8)
    packed = np.packbits(((q.reshape(-1, 1) >> shifts) & 1).astype(np.uint8)).tobytes()
    planes = np.ascontiguousarray(q.transpose(2, 0, 1))
    sub = planes.copy()
    sub[:, :, 1:] -= planes[:, :, :-1]  # uint8 arithmetic wraps modulo 256
    deflated = zlib.compress(sub.tobytes(), 9)
    mode, payload = (0, packed) if len(packed) <= len(deflated) else (1, deflated)
    return _HEADER.pack(MAGIC, _VERSION, mode, m, c, h, w) + payload


def decode(data) -> np.ndarray:
    """Decodes an FMM stream to an H×W×C uint8 image (C as encoded)."""
    buf = bytes(data)
    if len(buf) < _HEADER.size:
        raise CorruptStreamError(f"fmm: expected at least a {_HEADER.size}-byte header, got {len(buf)} bytes")
    magic, version, mode, m, c, h, w = _HEADER.unpack_from(buf)
    if magic != MAGIC:
        raise CorruptStreamError(f"fmm: expected magic {MAGIC!r}, got {magic!r}")
    if version != _VERSION:
        raise UnsupportedVersionError(f"fmm: expected stream version {_VERSION}, got {version}")
    if mode not in (0, 1) or not 1 <= m <= 255 or c not in (1, 3) or h == 0 or w == 0 or h * w > _MAX_PIXELS:
        raise CorruptStreamError(f"fmm: invalid header (mode {mode}, modulus {m}, channels {c}, size {h}×{w})")
    payload = buf[_HEADER.size:]
    n = h * w * c
    qmax = _qmax(m)
    if mode == 0:
        bits = _bits(m)
        need = (n * bits + 7) // 8
        if len(payload) != need:
            raise CorruptStreamError(f"fmm: expected {need} payload bytes for {h}×{w}×{c}, got {len(payload)}")
        flat = np.unpackbits(np.frombuffer(payload, np.uint8))[: n * bits].reshape(n, bits)
        weights = (1 << np.arange(bits - 1, -1, -1)).astype(np.uint16)
        q = (flat @ weights).reshape(h, w, c)
    else:
        try:
            d = zlib.decompressobj()
            raw = d.decompress(payload, n + 1)
        except zlib.error as exc:
            raise CorruptStreamError(f"fmm: damaged zlib payload ({exc})") from None
        if len(raw) != n or not d.eof or d.unused_data:
            raise CorruptStreamError(f"fmm: expected {n} samples in a complete zlib payload, got {len(raw)}")
        planes = np.cumsum(np.frombuffer(raw, np.uint8).reshape(c, h, w), axis=2, dtype=np.uint8)
        q = planes.transpose(1, 2, 0)
    if int(q.max()) > qmax:
        raise CorruptStreamError(f"fmm: quotient {int(q.max())} exceeds {qmax} for modulus {m}")
    return np.minimum(q.astype(np.uint16) * m, 255).astype(np.uint8)
