"""swiftlic: learned lossy image compression with a Swift core.

>>> import swiftlic
>>> swiftlic.get_num_threads() >= 1
True
"""

from __future__ import annotations

from . import _abi, errors
from . import _native

_abi.check(_native.abi_version())

from .color import rgb_to_ycbcr, ycbcr_to_rgb  # noqa: E402
from .errors import (  # noqa: E402
    AbiMismatchError,
    BufferTooSmallError,
    CorruptStreamError,
    InternalError,
    InvalidArgumentError,
    LimitExceededError,
    ModelMismatchError,
    OutOfMemoryError,
    SwiftLICError,
    UnsupportedVersionError,
)
from .linalg import gemm  # noqa: E402
from .threads import get_num_threads, set_num_threads  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "SwiftLICError",
    "InvalidArgumentError",
    "BufferTooSmallError",
    "CorruptStreamError",
    "UnsupportedVersionError",
    "ModelMismatchError",
    "LimitExceededError",
    "OutOfMemoryError",
    "InternalError",
    "AbiMismatchError",
    "errors",
    "gemm",
    "rgb_to_ycbcr",
    "ycbcr_to_rgb",
    "set_num_threads",
    "get_num_threads",
]
