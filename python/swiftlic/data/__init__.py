"""swiftlic.data: the data sets of the project, ready for a training loop.

Where the data lives
    :func:`data_root` is ``$SWIFTLIC_DATA`` when set, else ``../shared/data`` beside the repository (or the current
    directory) when it exists. Every loader takes an explicit ``path`` too; ``None`` means the standard sub-folder
    of ``data_root()`` (``mnist``, ``cifar-10-batches-bin``, ``kodak``).

Loaders
    :class:`ImageFolder`   random crops of photos → NCHW float32 batches (RGB or YCbCr), background prefetch,
                           in-memory uint8 cache, deterministic given ``seed``, exact resume with
                           ``batches(start=step)``.
    :class:`MNIST`         standard IDX files, gzip or not → ``images`` uint8 N×28×28, ``labels``, ``as_float()``,
                           shuffled mini-batches with ``epoch()``.
    :class:`CIFAR10`       standard binary batches (1 label byte + 3072 pixel bytes per record), gzip or not,
                           any subset of ``data_batch_1..5`` / ``test_batch`` → NHWC uint8 ``images``, ``labels``.
                           Without ``test_batch`` the test split is the last 1000 records of the last training
                           batch present, and the train split leaves them out.
    :class:`Kodak`         ``(name, H×W×3 uint8)`` of the Kodak test set (evaluation only).

Errors (both are :class:`swiftlic.SwiftLICError`)
    :class:`DataNotFoundError` (also a ``FileNotFoundError``): a missing folder or file, or a folder with no usable
    image. :class:`DataFormatError` (an :class:`swiftlic.InvalidArgumentError`, hence a ``ValueError``): a file not in
    its standard format — wrong magic number, truncated, wrong sizes, labels out of range, undecodable image. Bad
    arguments raise :class:`swiftlic.InvalidArgumentError`. No loader unpickles anything.

Example::

    from swiftlic.data import ImageFolder, MNIST, data_root
    train = ImageFolder(data_root() / "train", patch=128, batch_size=16, colorspace="ycbcr", seed=7)
    with train.batches(start=resume_step) as stream:
        for step, x in zip(range(resume_step, total_steps), stream):   # x: float32 (16, 3, 128, 128)
            ...
    for x, y in MNIST(split="train").epoch(128, number=epoch, flat=True):  # x: float32 (128, 784)
        ...
"""

from __future__ import annotations

from ._common import DataFormatError, DataNotFoundError, data_root
from .arrays import ArrayDataset
from .cifar import CIFAR10, read_cifar_batch
from .folder import IMAGE_EXTENSIONS, ImageFolder, load_rgb
from .kodak import Kodak
from .mnist import MNIST, read_idx
from .prefetch import Prefetcher

__all__ = [
    "data_root",
    "DataNotFoundError",
    "DataFormatError",
    "ImageFolder",
    "IMAGE_EXTENSIONS",
    "load_rgb",
    "MNIST",
    "read_idx",
    "CIFAR10",
    "read_cifar_batch",
    "Kodak",
    "ArrayDataset",
    "Prefetcher",
]
