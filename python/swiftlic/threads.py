"""Thread count of the native kernels (the core's only global setting)."""

from __future__ import annotations

from . import _native

__all__ = ["set_num_threads", "get_num_threads"]


def set_num_threads(n: int) -> None:
    """Use up to ``n`` threads (1..1024) in native kernels. Results do not depend on ``n``.

    >>> import swiftlic
    >>> swiftlic.set_num_threads(1); swiftlic.get_num_threads()
    1
    """
    _native.set_num_threads(int(n))


def get_num_threads() -> int:
    """The number of threads native kernels use (default: the number of CPU cores)."""
    return _native.get_num_threads()
