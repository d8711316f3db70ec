"""The Kodak test images (evaluation only; never train on them)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._common import DataNotFoundError, resolve
from .folder import IMAGE_EXTENSIONS, load_rgb

__all__ = ["Kodak"]


class Kodak(Sequence):
    """The images of a Kodak-like folder as ``(name, H×W×3 uint8)``, sorted by file name, decoded on access.

    ``path`` defaults to ``data_root()/"kodak"``; ``names`` are the file stems (``kodim01`` …).

    >>> for name, image in Kodak():   # doctest: +SKIP
    ...     print(name, image.shape)  # kodim01 (512, 768, 3)
    """

    def __init__(self, path=None):
        self.root = resolve(path, "kodak")
        self.paths = sorted(p for p in self.root.iterdir()
                            if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS and not p.name.startswith("."))
        if not self.paths:
            raise DataNotFoundError(f"no image files in {str(self.root)!r}")
        self.names = [p.stem for p in self.paths]

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        return self.names[index], load_rgb(self.paths[index])

    def __repr__(self) -> str:
        return f"Kodak({str(self.root)!r}, n={len(self)})"
