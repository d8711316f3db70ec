"""ArrayDataset: a labelled data set held in memory as uint8 arrays (the base of MNIST and CIFAR10)."""

from __future__ import annotations

from typing import Iterator

import numpy as np

from ..errors import InvalidArgumentError

__all__ = ["ArrayDataset"]


class ArrayDataset:
    """``images`` (uint8, N first) and ``labels`` (uint8, N) with shuffled float32 mini-batches for training.

    Subclasses set ``images``, ``labels`` and implement ``_to_float`` (uint8 images → the float32 layout a
    network consumes, values in [0, 1]).
    """

    images: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[np.ndarray, int]:
        """``(image, label)`` of record ``index``."""
        return self.images[index], int(self.labels[index])

    @staticmethod
    def _to_float(images: np.ndarray, **layout) -> np.ndarray:
        raise NotImplementedError

    def as_float(self, **layout) -> np.ndarray:
        """Every image as float32 in [0, 1] (see the subclass for the layout)."""
        return self._to_float(self.images, **layout)

    def epoch(self, batch_size: int = 128, *, number: int = 0, seed: int = 0, shuffle: bool = True,
              drop_last: bool = False, **layout) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """One pass in mini-batches ``(x, labels)``: x float32 as :meth:`as_float`, labels uint8.

        With ``shuffle`` the order is a permutation drawn from ``(seed, number)``, so epoch ``number`` of a
        resumed run is the same as in the original run.
        """
        for name, value, low in (("batch_size", batch_size, 1), ("number", number, 0), ("seed", seed, 0)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise InvalidArgumentError(f"{name}: expected an integer >= {low}, got {value!r}")
        n = len(self)
        order = np.random.default_rng([seed, number]).permutation(n) if shuffle else np.arange(n)
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            if len(idx) < batch_size and drop_last:
                return
            yield self._to_float(self.images[idx], **layout), self.labels[idx]
