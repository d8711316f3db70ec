"""swiftlic: learned lossy image compression with a Swift core.

>>> import swiftlic
>>> swiftlic.get_num_threads() >= 1
True
"""

from __future__ import annotations

from . import _abi, errors
from . import _native

_abi.check(_native.abi_version())

from . import latent  # noqa: E402
from .codec import compress, decompress  # noqa: E402
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

# Heavier subpackages (Pillow, SciPy, matplotlib) load on first use: swiftlic.metrics, swiftlic.train, ...
_LAZY = {"nn", "models", "data", "metrics", "baselines", "fmm", "eval", "plots", "train", "analysis", "codec",
         "demo", "cli"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'swiftlic' has no attribute {name!r}")

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
    "compress",
    "decompress",
    "latent",
    "gemm",
    "rgb_to_ycbcr",
    "ycbcr_to_rgb",
    "set_num_threads",
    "get_num_threads",
]
