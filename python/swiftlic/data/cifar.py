"""CIFAR-10 from the standard binary-version batches (gzip or not, any subset of the files)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import InvalidArgumentError
from ._common import DataFormatError, DataNotFoundError, read_maybe_gzip, resolve
from .arrays import ArrayDataset

__all__ = ["CIFAR10", "read_cifar_batch", "CIFAR_RECORD_BYTES"]

#: One record: 1 label byte, then 1024 R, 1024 G, 1024 B bytes of a 32×32 image in row-major order.
CIFAR_RECORD_BYTES = 1 + 3 * 32 * 32
_TRAIN = [f"data_batch_{i}" for i in range(1, 6)]
_TEST = "test_batch"


def read_cifar_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """``(images NHWC uint8 N×32×32×3, labels uint8 N)`` of one binary batch file.

    Raises :class:`DataFormatError` when the size is not a whole, non-zero number of records or a label exceeds 9.
    """
    data = read_maybe_gzip(path)
    if not data or len(data) % CIFAR_RECORD_BYTES:
        raise DataFormatError(f"{path.name}: {len(data)} bytes is not a whole number of {CIFAR_RECORD_BYTES}-byte "
                              "CIFAR-10 records (1 label byte + 3072 pixel bytes)")
    records = np.frombuffer(data, np.uint8).reshape(-1, CIFAR_RECORD_BYTES)
    labels = records[:, 0].copy()
    if labels.max() > 9:
        bad = int(np.argmax(labels > 9))
        raise DataFormatError(f"{path.name}: record {bad} has label {labels[bad]}, expected 0..9")
    images = np.ascontiguousarray(records[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
    return images, labels


def _find(folder: Path, name: str) -> Path | None:
    for candidate in (f"{name}.bin", f"{name}.bin.gz", name, f"{name}.gz"):
        if (folder / candidate).is_file():
            return folder / candidate
    return None


class CIFAR10(ArrayDataset):
    """One split of CIFAR-10: ``images`` uint8 N×32×32×3 (NHWC), ``labels`` uint8 N, ``classes`` (names or None).

    ``path``: the folder of the binary version (``data_batch_1.bin`` … ``data_batch_5.bin``, ``test_batch.bin``,
    each optionally gzipped, any subset present), default ``data_root()/"cifar-10-batches-bin"``.

    ``split="test"`` is ``test_batch`` when present; otherwise the last ``holdout`` records of the last training
    batch present, which ``split="train"`` then leaves out (so the two never overlap). ``files`` names the files
    read and ``held_out_from`` the batch the test records came from (None when ``test_batch`` exists).
    ``classes`` holds the lines of ``batches.meta.txt`` when present.
    """

    def __init__(self, path=None, split: str = "train", *, holdout: int = 1000):
        if split not in ("train", "test"):
            raise InvalidArgumentError(f"split: expected 'train' or 'test', got {split!r}")
        if isinstance(holdout, bool) or not isinstance(holdout, (int, np.integer)) or holdout < 1:
            raise InvalidArgumentError(f"holdout: expected an integer >= 1, got {holdout!r}")
        folder = resolve(path, "cifar-10-batches-bin")
        self.split = split
        train = [p for p in (_find(folder, n) for n in _TRAIN) if p is not None]
        test = _find(folder, _TEST)
        if split == "test" and test is not None:
            self.files, self.held_out_from = [test], None
            self.images, self.labels = read_cifar_batch(test)
        else:
            if not train:
                raise DataNotFoundError(f"no CIFAR-10 training batch (data_batch_1..5[.bin][.gz]) in {str(folder)!r}")
            self.held_out_from = None if test is not None else train[-1].name
            self.files = [train[-1]] if split == "test" else train
            parts = [read_cifar_batch(p) for p in self.files]
            if self.held_out_from is not None:
                last_images, last_labels = parts[-1]
                if len(last_labels) <= holdout:
                    raise DataFormatError(f"{train[-1].name} has {len(last_labels)} records: cannot hold out the last "
                                          f"{holdout} for the test split and keep any for training")
                cut = len(last_labels) - holdout
                parts[-1] = (last_images[cut:], last_labels[cut:]) if split == "test" else (last_images[:cut],
                                                                                          last_labels[:cut])
            self.images = np.concatenate([p[0] for p in parts]) if len(parts) > 1 else parts[0][0]
            self.labels = np.concatenate([p[1] for p in parts]) if len(parts) > 1 else parts[0][1]
        meta = folder / "batches.meta.txt"
        self.classes: list[str] | None = None
        if meta.is_file():
            self.classes = [line.strip() for line in meta.read_text("utf-8", errors="replace").splitlines()
                            if line.strip()]

    def __repr__(self) -> str:
        return (f"CIFAR10(split={self.split!r}, n={len(self)}, files={[p.name for p in self.files]}, "
                f"held_out_from={self.held_out_from!r})")

    @staticmethod
    def _to_float(images: np.ndarray) -> np.ndarray:
        """N×3×32×32 (NCHW) float32 in [0, 1]."""
        x = np.ascontiguousarray(images.transpose(0, 3, 1, 2), dtype=np.float32)
        return np.divide(x, np.float32(255), out=x)

    def as_float(self) -> np.ndarray:
        """Every image as N×3×32×32 (NCHW) float32 in [0, 1]."""
        return self._to_float(self.images)
