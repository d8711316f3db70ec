"""What every loader shares: where the data lives, the two data errors, and reading files that may be gzipped."""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

from ..errors import InvalidArgumentError, SwiftLICError

__all__ = ["DataNotFoundError", "DataFormatError", "data_root", "resolve", "read_maybe_gzip"]

_GZIP_MAGIC = b"\x1f\x8b"
_REPO = Path(__file__).resolve().parents[3]  # python/swiftlic/data/_common.py → the repository root


class DataNotFoundError(SwiftLICError, FileNotFoundError):
    """A data folder or file is missing, or a folder holds no usable file."""


class DataFormatError(InvalidArgumentError):
    """A data file is not in its standard format: wrong magic number, wrong sizes, truncated, bad labels."""


def data_root() -> Path:
    """The folder holding the project's data sets.

    ``$SWIFTLIC_DATA`` when set (it must exist), else ``../shared/data`` relative to the repository that holds this
    package, else ``../shared/data`` relative to the current directory. Raises :class:`DataNotFoundError` naming
    every place looked at.
    """
    env = os.environ.get("SWIFTLIC_DATA")
    if env:
        root = Path(env).expanduser()
        if root.is_dir():
            return root
        raise DataNotFoundError(f"SWIFTLIC_DATA={env!r} is not a folder")
    looked = []
    for base in (_REPO, Path.cwd()):
        candidate = (base / ".." / "shared" / "data").resolve()
        if candidate.is_dir():
            return candidate
        looked.append(str(candidate))
    raise DataNotFoundError(
        "no data folder: SWIFTLIC_DATA is not set and none of these exists: " + ", ".join(dict.fromkeys(looked)))


def resolve(path, default: str) -> Path:
    """``path`` as a Path, or ``data_root()/default`` when ``path`` is None; the result must be a folder."""
    folder = data_root() / default if path is None else Path(path).expanduser()
    if not folder.exists():
        raise DataNotFoundError(f"data folder {str(folder)!r} does not exist")
    if not folder.is_dir():
        raise DataNotFoundError(f"expected a folder, got the file {str(folder)!r}")
    return folder


def read_maybe_gzip(path: Path) -> bytes:
    """The bytes of ``path``, gunzipped when the file starts with the gzip magic (whatever its name)."""
    raw = path.read_bytes()
    if raw[:2] != _GZIP_MAGIC:
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataFormatError(f"{path.name}: damaged or truncated gzip data ({exc})") from None
