"""Exceptions of swiftlic: one base class and one subclass per status code of the C ABI.

Every error raised by the native core carries the core's detail message, which says what was expected and what
was found. Subclasses also derive from the closest built-in (ValueError, MemoryError, ...) so generic handlers
keep working.
"""

from __future__ import annotations

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
    "error_for",
]


class SwiftLICError(Exception):
    """Base class of every swiftlic error. ``status`` is the C ABI status code (None for Python-side errors)."""

    status: int | None = None


class InvalidArgumentError(SwiftLICError, ValueError):
    status = 1


class BufferTooSmallError(SwiftLICError, ValueError):
    status = 2


class CorruptStreamError(SwiftLICError, ValueError):
    """The byte stream is damaged or truncated where no valid stream can end."""

    status = 3


class UnsupportedVersionError(SwiftLICError):
    status = 4


class ModelMismatchError(SwiftLICError, ValueError):
    """A stream was decoded with a model other than the one that encoded it."""

    status = 5


class LimitExceededError(SwiftLICError):
    """A configured safety limit (e.g. the maximum pixel count) would be exceeded."""

    status = 6


class OutOfMemoryError(SwiftLICError, MemoryError):
    status = 7


class InternalError(SwiftLICError, RuntimeError):
    status = 8


class AbiMismatchError(SwiftLICError, ImportError):
    """The loaded libswiftlic.so speaks another C ABI version than this Python package."""


_BY_STATUS = {cls.status: cls for cls in SwiftLICError.__subclasses__() if cls.status is not None}


def error_for(status: int, message: str) -> SwiftLICError:
    """The exception instance for a native status code (called by the extension)."""
    cls = _BY_STATUS.get(status, SwiftLICError)
    err = cls(message)
    if cls is SwiftLICError:
        err.status = status
    return err
