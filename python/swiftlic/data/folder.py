"""ImageFolder: random crops of a folder of photos as NCHW float32 batches, prepared in a background thread."""

from __future__ import annotations

import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterator

import numpy as np
from PIL import Image, UnidentifiedImageError

from ..color import rgb_to_ycbcr
from ..errors import InvalidArgumentError
from ._common import DataFormatError, DataNotFoundError
from .prefetch import Prefetcher

__all__ = ["ImageFolder", "IMAGE_EXTENSIONS", "load_rgb"]

IMAGE_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm", ".pbm", ".pnm", ".gif"})
#: ``cache="auto"`` keeps decoded images in memory when all of them together take at most this many bytes.
CACHE_LIMIT_BYTES = 2 << 30


def load_rgb(path: Path) -> np.ndarray:
    """Decodes an image file to H×W×3 uint8 RGB (grey, palette, alpha and CMYK images are converted)."""
    try:
        with Image.open(path) as im:
            return np.array(im if im.mode == "RGB" else im.convert("RGB"))
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        raise DataFormatError(f"{path}: cannot decode the image ({exc})") from None


def _list_images(root: Path, recursive: bool) -> list[Path]:
    candidates = root.rglob("*") if recursive else root.iterdir()
    found = [p for p in candidates
             if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file()
             and not any(part.startswith(".") for part in p.relative_to(root).parts)]
    # Sorted by relative path so the same folder gives the same order on every file system.
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


class ImageFolder:
    """Random ``patch``×``patch`` crops of the photos in a folder, as ``batch_size``×3×patch×patch float32 batches.

    - Formats: whatever Pillow decodes among :data:`IMAGE_EXTENSIONS` (files and folders starting with "." are
      ignored; ``recursive=True`` walks sub-folders). Images are converted to RGB.
    - Crops are taken at native resolution. ``augment=True`` adds random horizontal flips, plus vertical flips
      with ``vflip=True`` and random 90° rotations with ``rot90=True``.
    - ``colorspace="rgb"``: RGB in [0, 1]; ``"ycbcr"``: JPEG YCbCr planes in [0, 1] (Cb, Cr centred on 0.5),
      converted natively by :func:`swiftlic.rgb_to_ycbcr`.
    - Images smaller than the patch are skipped with one warning; files Pillow cannot identify are skipped with
      another. A missing folder, or one with no usable image, raises :class:`DataNotFoundError` (a
      ``FileNotFoundError`` and a ``SwiftLICError``); a file that fails to decode later raises
      :class:`DataFormatError`.
    - Deterministic: sample ``g`` of the stream (epoch ``g // len(self)``) is a pure function of ``seed`` and ``g``:
      each epoch visits every image once in an order drawn from ``(seed, epoch)``, and each crop's position and
      flips are drawn from ``(seed, g)``. So ``batches(start=k)`` resumes a training run exactly at batch ``k``.
    - ``cache=True`` keeps decoded images in memory as uint8 (each is decoded once, on first use), ``"auto"`` does so
      when the decoded folder takes at most 2 GiB, ``False`` decodes every crop's image again.
    - ``prefetch``: how many batches a background daemon thread prepares ahead (0: none, work happens in ``next``).

    >>> folder = ImageFolder("../shared/data/train", patch=128, batch_size=16, seed=1)  # doctest: +SKIP
    >>> for step, x in zip(range(1000), folder.batches()):                               # doctest: +SKIP
    ...     loss = model.train_step(x)        # x: float32 (16, 3, 128, 128)
    """

    def __init__(self, path, patch: int = 128, batch_size: int = 16, *, augment: bool = True, vflip: bool = False,
                 rot90: bool = False, colorspace: str = "rgb", seed: int = 0, recursive: bool = True,
                 prefetch: int = 2, cache: bool | str = "auto"):
        for name, value, low in (("patch", patch, 1), ("batch_size", batch_size, 1), ("seed", seed, 0),
                                 ("prefetch", prefetch, 0)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise InvalidArgumentError(f"{name}: expected an integer >= {low}, got {value!r}")
        if colorspace not in ("rgb", "ycbcr"):
            raise InvalidArgumentError(f"colorspace: expected 'rgb' or 'ycbcr', got {colorspace!r}")
        if cache not in (True, False, "auto"):
            raise InvalidArgumentError(f"cache: expected True, False or 'auto', got {cache!r}")
        self.root = Path(path).expanduser()
        if not self.root.exists():
            raise DataNotFoundError(f"image folder {str(self.root)!r} does not exist")
        if not self.root.is_dir():
            raise DataNotFoundError(f"expected an image folder, got the file {str(self.root)!r}")
        self.patch, self.batch_size, self.seed, self.prefetch = int(patch), int(batch_size), int(seed), int(prefetch)
        self.augment, self.vflip, self.rot90, self.colorspace = bool(augment), bool(vflip), bool(rot90), colorspace

        files = _list_images(self.root, recursive)
        if not files:
            raise DataNotFoundError(
                f"no image files ({', '.join(sorted(IMAGE_EXTENSIONS))}) in {str(self.root)!r}")
        self.paths: list[Path] = []
        self.sizes: list[tuple[int, int]] = []  # (height, width)
        small, unreadable = [], []
        for p in files:
            try:
                with Image.open(p) as im:
                    w, h = im.size
            except (OSError, UnidentifiedImageError) as exc:
                unreadable.append(f"{p.name} ({exc})")
                continue
            if w < self.patch or h < self.patch:
                small.append(p.name)
                continue
            self.paths.append(p)
            self.sizes.append((h, w))
        if unreadable:
            warnings.warn(f"ImageFolder: skipped {len(unreadable)} of {len(files)} files Pillow cannot read "
                          f"in {str(self.root)!r} (first: {unreadable[0]})", stacklevel=2)
        if small:
            warnings.warn(f"ImageFolder: skipped {len(small)} of {len(files)} images smaller than the "
                          f"{self.patch}×{self.patch} patch in {str(self.root)!r} (first: {small[0]})", stacklevel=2)
        if not self.paths:
            raise DataNotFoundError(f"no usable image in {str(self.root)!r}: {len(small)} smaller than the "
                                    f"{self.patch}×{self.patch} patch, {len(unreadable)} unreadable")
        self.decoded_bytes = sum(h * w * 3 for h, w in self.sizes)
        self.cache = cache is True or (cache == "auto" and self.decoded_bytes <= CACHE_LIMIT_BYTES)
        self._cached: list[np.ndarray | None] = [None] * len(self.paths)
        self._order_cache: tuple[int, np.ndarray] = (-1, np.empty(0, np.int64))

    def __len__(self) -> int:
        """The number of usable images (one epoch visits each once)."""
        return len(self.paths)

    @property
    def batches_per_epoch(self) -> int:
        """Batches of one :meth:`epoch` (the last one may be smaller)."""
        return -(-len(self) // self.batch_size)

    def __repr__(self) -> str:
        return (f"ImageFolder({str(self.root)!r}, patch={self.patch}, batch_size={self.batch_size}, "
                f"images={len(self)}, colorspace={self.colorspace!r}, seed={self.seed}, cache={self.cache})")

    def image(self, index: int) -> np.ndarray:
        """Image ``index`` as H×W×3 uint8 RGB (from the cache when caching)."""
        img = self._cached[index]
        if img is None:
            img = load_rgb(self.paths[index])
            if img.shape[:2] != self.sizes[index]:
                raise DataFormatError(f"{self.paths[index]}: decoded to {img.shape[:2]}, header said "
                                      f"{self.sizes[index]}")
            if self.cache:
                self._cached[index] = img
        return img

    def preload(self, workers: int | None = None) -> "ImageFolder":
        """Decodes every image now, in ``workers`` threads (default: one per CPU, at most 8; Pillow decodes without
        the GIL), so a broken file fails here rather than mid-run. Fills the cache; without it, only checks.
        Returns ``self``."""
        workers = workers or min(8, os.cpu_count() or 1)
        with ThreadPoolExecutor(workers) as pool:
            for _ in pool.map(self.image, range(len(self))):
                pass
        return self

    def _image_of_sample(self, g: int) -> int:
        epoch, i = divmod(g, len(self))
        cached = self._order_cache  # one tuple, swapped atomically: iterators may run in parallel threads
        if cached[0] != epoch:
            cached = (epoch, np.random.default_rng([self.seed, 0, epoch]).permutation(len(self)))
            self._order_cache = cached
        return int(cached[1][i])

    def _crop(self, g: int, out: np.ndarray) -> None:
        img = self.image(self._image_of_sample(g))
        rng = np.random.default_rng([self.seed, 1, g])
        h, w = img.shape[:2]
        p = self.patch
        y0, x0 = int(rng.integers(0, h - p + 1)), int(rng.integers(0, w - p + 1))
        crop = img[y0:y0 + p, x0:x0 + p]
        if self.augment:
            if rng.random() < 0.5:
                crop = crop[:, ::-1]
            if self.vflip and rng.random() < 0.5:
                crop = crop[::-1]
            if self.rot90:
                crop = np.rot90(crop, int(rng.integers(0, 4)))
        out[...] = crop

    def _batch(self, first: int, count: int) -> np.ndarray:
        """Samples ``first .. first+count-1`` of the stream as a count×3×p×p float32 C-contiguous array."""
        p = self.patch
        u8 = np.empty((count, p, p, 3), np.uint8)
        for j in range(count):
            self._crop(first + j, u8[j])
        if self.colorspace == "rgb":
            x = np.ascontiguousarray(u8.transpose(0, 3, 1, 2), dtype=np.float32)
            np.divide(x, np.float32(255), out=x)
            return x
        x = np.empty((count, 3, p, p), np.float32)
        for j in range(count):
            rgb_to_ycbcr(u8[j], planar=True, out=x[j])
        return x

    def batches(self, start: int = 0) -> Prefetcher:
        """The infinite stream of full batches, beginning at batch ``start`` (to resume a run exactly).

        Returns an iterator with ``close()`` (also a context manager) that stops its prefetch thread.
        """
        if isinstance(start, bool) or not isinstance(start, (int, np.integer)) or start < 0:
            raise InvalidArgumentError(f"start: expected an integer >= 0, got {start!r}")
        b0, size = int(start), self.batch_size

        def produce() -> Iterator[np.ndarray]:
            b = b0
            while True:
                yield self._batch(b * size, size)
                b += 1

        return Prefetcher(produce, self.prefetch, name="swiftlic-imagefolder")

    def epoch(self, number: int = 0, *, drop_last: bool = False) -> Prefetcher:
        """One pass over every image (epoch ``number`` of the :meth:`batches` stream's sample order), in
        :attr:`batches_per_epoch` batches; the last is smaller unless ``drop_last``."""
        if isinstance(number, bool) or not isinstance(number, (int, np.integer)) or number < 0:
            raise InvalidArgumentError(f"number: expected an integer >= 0, got {number!r}")
        n, size, first = len(self), self.batch_size, int(number) * len(self)

        def produce() -> Iterator[np.ndarray]:
            for offset in range(0, n, size):
                count = min(size, n - offset)
                if count < size and drop_last:
                    return
                yield self._batch(first + offset, count)

        return Prefetcher(produce, self.prefetch, name="swiftlic-imagefolder")
