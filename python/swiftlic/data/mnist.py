"""MNIST from the standard IDX files (gzip or not)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import InvalidArgumentError
from ._common import DataFormatError, DataNotFoundError, read_maybe_gzip, resolve
from .arrays import ArrayDataset

__all__ = ["MNIST", "read_idx", "IDX_IMAGES_MAGIC", "IDX_LABELS_MAGIC"]

#: The big-endian int32 at the start of an IDX file: 0x0000, type 0x08 (unsigned byte), number of dimensions.
IDX_IMAGES_MAGIC = 0x0803  # 2051
IDX_LABELS_MAGIC = 0x0801  # 2049
_PREFIX = {"train": "train", "test": "t10k"}


def read_idx(path: Path, magic: int) -> np.ndarray:
    """Reads an unsigned-byte IDX file whose magic number must be ``magic`` (2051: images, 2049: labels).

    Raises :class:`DataFormatError` on a wrong magic number, a zero dimension, or a data size that differs from the
    product of the dimensions (truncated or trailing bytes).
    """
    data = read_maybe_gzip(path)
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    if len(data) < 4:
        raise DataFormatError(f"{path.name}: {len(data)} bytes, too short for an IDX header")
    found = int.from_bytes(data[:4], "big")
    if found != magic:
        raise DataFormatError(f"{path.name}: expected IDX magic number {magic} (unsigned bytes, {ndim} dimensions), "
                              f"found {found}")
    if len(data) < header:
        raise DataFormatError(f"{path.name}: truncated IDX header ({len(data)} of {header} bytes)")
    dims = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    if 0 in dims:
        raise DataFormatError(f"{path.name}: IDX dimensions {dims} include a zero")
    expected = int(np.prod(dims))
    if len(data) - header != expected:
        raise DataFormatError(f"{path.name}: IDX dimensions {dims} need {expected} data bytes, "
                              f"found {len(data) - header}" + (" (truncated)" if len(data) - header < expected else ""))
    return np.frombuffer(data, np.uint8, offset=header).reshape(dims).copy()


def _find(folder: Path, prefix: str, kind: str) -> Path:
    names = [f"{prefix}-{kind}{sep}idx{3 if kind == 'images' else 1}-ubyte{gz}"
             for sep in ("-", ".") for gz in ("", ".gz")]
    for name in names:
        if (folder / name).is_file():
            return folder / name
    raise DataNotFoundError(f"no MNIST {kind} file in {str(folder)!r} (looked for {', '.join(names)})")


class MNIST(ArrayDataset):
    """The MNIST digits of one split: ``images`` uint8 N×28×28, ``labels`` uint8 N in 0..9.

    ``path``: the folder with ``train-images-idx3-ubyte[.gz]``, ``train-labels-idx1-ubyte[.gz]``,
    ``t10k-images-idx3-ubyte[.gz]``, ``t10k-labels-idx1-ubyte[.gz]`` (``-images.idx3`` spellings too), default
    ``data_root()/"mnist"``. Gzip is recognised by content. Bad files raise :class:`DataFormatError`.

    >>> train = MNIST(split="train")                     # doctest: +SKIP
    >>> x = train.as_float(flat=True)                    # doctest: +SKIP
    >>> for x, y in train.epoch(128, number=0): ...      # doctest: +SKIP
    """

    def __init__(self, path=None, split: str = "train"):
        if split not in _PREFIX:
            raise InvalidArgumentError(f"split: expected 'train' or 'test', got {split!r}")
        folder = resolve(path, "mnist")
        self.split = split
        self.images_path = _find(folder, _PREFIX[split], "images")
        self.labels_path = _find(folder, _PREFIX[split], "labels")
        self.images = read_idx(self.images_path, IDX_IMAGES_MAGIC)
        self.labels = read_idx(self.labels_path, IDX_LABELS_MAGIC)
        if self.images.shape[1:] != (28, 28):
            raise DataFormatError(f"{self.images_path.name}: expected 28×28 images, found "
                                  f"{self.images.shape[1]}×{self.images.shape[2]}")
        if len(self.labels) != len(self.images):
            raise DataFormatError(f"{self.labels_path.name} has {len(self.labels)} labels for "
                                  f"{len(self.images)} images in {self.images_path.name}")
        if self.labels.max() > 9:
            raise DataFormatError(f"{self.labels_path.name}: expected labels 0..9, found {self.labels.max()}")

    def __repr__(self) -> str:
        return f"MNIST(split={self.split!r}, n={len(self)}, path={str(self.images_path.parent)!r})"

    @staticmethod
    def _to_float(images: np.ndarray, flat: bool = False) -> np.ndarray:
        """N×1×28×28 float32 in [0, 1], or N×784 with ``flat=True`` (for dense networks)."""
        x = images.reshape(len(images), -1) if flat else images[:, None]
        return x.astype(np.float32) / np.float32(255)

    def as_float(self, flat: bool = False) -> np.ndarray:
        """Every image as float32 in [0, 1]: N×1×28×28, or N×784 with ``flat=True``."""
        return self._to_float(self.images, flat=flat)
