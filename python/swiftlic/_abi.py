"""The C ABI version this Python package was written against (include/swiftlic.h: SLIC_ABI_VERSION)."""

from __future__ import annotations

from .errors import AbiMismatchError

ABI_VERSION = 5


def check(found: int, expected: int = ABI_VERSION) -> None:
    """Raises AbiMismatchError unless the native library's ABI version is the expected one."""
    if found != expected:
        raise AbiMismatchError(
            f"libswiftlic.so speaks C ABI version {found}, this package expects {expected}: "
            "rebuild it (pip install . or make build)"
        )
