"""RGB ⇄ YCbCr (JPEG full-range BT.601), computed natively.

Layouts: uint8 images are interleaved H×W×3; float32 images are planar 3×H×W with values on the [0, 1] scale
(Cb and Cr centred on 0.5), the layout the networks consume.
"""

from __future__ import annotations

import numpy as np

from . import _native
from .errors import InvalidArgumentError

__all__ = ["rgb_to_ycbcr", "ycbcr_to_rgb", "ycbcr_to_rgb_affine"]


def _convert(to_rgb: int, image, planar_out: bool | None, out):
    arr = np.asarray(image)
    if arr.dtype == np.uint8 and arr.ndim == 3 and arr.shape[2] == 3:
        h, w = arr.shape[:2]
        planar_in = False
    elif arr.dtype == np.float32 and arr.ndim == 3 and arr.shape[0] == 3:
        h, w = arr.shape[1:]
        planar_in = True
    else:
        raise InvalidArgumentError(
            "expected an H×W×3 uint8 image or a 3×H×W float32 planar image, "
            f"got {arr.dtype} of shape {arr.shape}"
        )
    planar = planar_in if planar_out is None else planar_out
    if out is None:
        out = _native.empty((3, h, w), np.dtype(np.float32).num) if planar else _native.empty(
            (h, w, 3), np.dtype(np.uint8).num)
    else:
        want = ((3, h, w), np.float32) if planar else ((h, w, 3), np.uint8)
        if getattr(out, "shape", None) != want[0] or getattr(out, "dtype", None) != want[1]:
            raise InvalidArgumentError(f"out: expected {np.dtype(want[1])} of shape {want[0]}, got "
                                       f"{getattr(out, 'dtype', type(out).__name__)} of shape {getattr(out, 'shape', None)}")
    _native.color(to_rgb, arr, out, h * w)
    return out


def rgb_to_ycbcr(image, *, planar: bool | None = None, out=None):
    """Converts RGB to YCbCr.

    ``image`` is H×W×3 uint8 or 3×H×W float32. By default the output has the input's layout;
    ``planar=True`` turns a uint8 image into 3×H×W float32 planes in [0, 1], ``planar=False`` the reverse
    (rounded, clamped). ``out`` may be a preallocated, writable, C-contiguous array of the output's dtype.

    >>> import numpy as np, swiftlic
    >>> swiftlic.rgb_to_ycbcr(np.full((1, 1, 3), 255, np.uint8))[0, 0].tolist()
    [255, 128, 128]
    """
    return _convert(0, image, planar, out)


def ycbcr_to_rgb(image, *, planar: bool | None = None, out=None):
    """Converts YCbCr to RGB; layouts and options as in :func:`rgb_to_ycbcr`."""
    return _convert(1, image, planar, out)


def ycbcr_to_rgb_affine():
    """``(M, c)``, float64, with rgb = M·ycbcr + c per pixel on the [0, 1] scale, probed from the native converter
    itself (so it is exactly the map :func:`ycbcr_to_rgb` applies before rounding)."""
    probe = np.array([[0.5, 0.5, 0.5], [0.6, 0.5, 0.5], [0.5, 0.6, 0.5], [0.5, 0.5, 0.6]], np.float32)
    rgb = ycbcr_to_rgb(np.ascontiguousarray(probe.T.reshape(3, 4, 1)), planar=True)[:, :, 0].T.astype(np.float64)
    M = (rgb[1:] - rgb[0]).T / 0.1
    return M, rgb[0] - M @ probe[0]
