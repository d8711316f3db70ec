"""swiftlic.data on small files written here in the standard formats (never on ../shared/data)."""

from __future__ import annotations

import gc
import gzip
import os
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import swiftlic
from swiftlic import data
from swiftlic.data import CIFAR10, MNIST, DataFormatError, DataNotFoundError, ImageFolder, Kodak


# ---------------------------------------------------------------------------------------------------------- writers

def write(path: Path, payload: bytes, gz: bool) -> Path:
    path.write_bytes(gzip.compress(payload) if gz else payload)
    return path


def idx_bytes(magic: int, array: np.ndarray) -> bytes:
    header = magic.to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def make_mnist(folder: Path, n_train=7, n_test=5, seed=0):
    """train-* gzipped, t10k-* plain, as the official downloads and their unpacked copies are named."""
    rng = np.random.default_rng(seed)
    sets = {}
    for prefix, n, gz in (("train", n_train, True), ("t10k", n_test, False)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, n, dtype=np.uint8)
        suffix = ".gz" if gz else ""
        write(folder / f"{prefix}-images-idx3-ubyte{suffix}", idx_bytes(2051, images), gz)
        write(folder / f"{prefix}-labels-idx1-ubyte{suffix}", idx_bytes(2049, labels), gz)
        sets[prefix] = (images, labels)
    return sets


def cifar_bytes(images: np.ndarray, labels: np.ndarray) -> bytes:
    planes = images.transpose(0, 3, 1, 2).reshape(len(images), -1)  # R plane, G plane, B plane per record
    return np.concatenate([labels[:, None].astype(np.uint8), planes], axis=1).tobytes()


def random_cifar(n, rng):
    return rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8), rng.integers(0, 10, n, dtype=np.uint8)


def save_png(path: Path, array: np.ndarray, **kw) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path, **kw)
    return path


def coordinate_image(h, w, tag=0):
    """R = x, G = y, B = tag: every pixel says where it came from."""
    y, x = np.mgrid[0:h, 0:w]
    return np.stack([x, y, np.full_like(x, tag)], axis=-1).astype(np.uint8)


def take(iterator, n):
    with iterator:
        return [next(iterator) for _ in range(n)]


def to_u8(batch):
    """RGB float batch → N×H×W×3 uint8 (exact: values are k/255)."""
    return np.rint(batch.transpose(0, 2, 3, 1) * 255).astype(np.uint8)


# -------------------------------------------------------------------------------------------------------- data_root

def test_data_root_prefers_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SWIFTLIC_DATA", str(tmp_path))
    assert data.data_root() == tmp_path


def test_data_root_rejects_a_missing_environment_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("SWIFTLIC_DATA", str(tmp_path / "nope"))
    with pytest.raises(DataNotFoundError, match="nope"):
        data.data_root()


def test_data_root_falls_back_to_shared_data_and_names_both_places(tmp_path, monkeypatch):
    from swiftlic.data import _common
    monkeypatch.delenv("SWIFTLIC_DATA", raising=False)
    (tmp_path / "repo").mkdir()
    (tmp_path / "elsewhere" / "cwd").mkdir(parents=True)
    monkeypatch.setattr(_common, "_REPO", tmp_path / "repo")
    monkeypatch.chdir(tmp_path / "elsewhere" / "cwd")
    with pytest.raises(DataNotFoundError) as err:
        data.data_root()
    assert str(tmp_path / "shared" / "data") in str(err.value)
    assert str(tmp_path / "elsewhere" / "shared" / "data") in str(err.value)
    (tmp_path / "elsewhere" / "shared" / "data").mkdir(parents=True)
    assert data.data_root() == tmp_path / "elsewhere" / "shared" / "data"
    (tmp_path / "shared" / "data").mkdir(parents=True)
    assert data.data_root() == tmp_path / "shared" / "data"  # the repository's neighbour wins


def test_default_paths_come_from_data_root(tmp_path, monkeypatch):
    (tmp_path / "mnist").mkdir()
    make_mnist(tmp_path / "mnist")
    monkeypatch.setenv("SWIFTLIC_DATA", str(tmp_path))
    assert len(MNIST(split="test")) == 5
    with pytest.raises(DataNotFoundError, match="cifar-10-batches-bin"):
        CIFAR10()


# ------------------------------------------------------------------------------------------------------------ MNIST

def test_mnist_reads_gzip_and_plain_idx(tmp_path):
    sets = make_mnist(tmp_path)
    for split, prefix in (("train", "train"), ("test", "t10k")):
        ds = MNIST(tmp_path, split=split)
        images, labels = sets[prefix]
        assert ds.images.dtype == np.uint8 and ds.images.shape == images.shape
        np.testing.assert_array_equal(ds.images, images)
        np.testing.assert_array_equal(ds.labels, labels)
        image, label = ds[2]
        np.testing.assert_array_equal(image, images[2])
        assert label == labels[2]
        x = ds.as_float()
        assert x.dtype == np.float32 and x.shape == (len(images), 1, 28, 28)
        np.testing.assert_allclose(x[:, 0], images / 255.0, rtol=1e-6)
        np.testing.assert_array_equal(ds.as_float(flat=True), x.reshape(len(images), 784))


def test_mnist_accepts_the_dotted_file_names(tmp_path):
    make_mnist(tmp_path)
    for kind in ("images-idx3", "labels-idx1"):
        os.rename(tmp_path / f"t10k-{kind}-ubyte", tmp_path / f"t10k-{kind.replace('-', '.')}-ubyte")
    assert len(MNIST(tmp_path, "test")) == 5


@pytest.mark.parametrize("gz", [False, True])
def test_mnist_wrong_magic_number(tmp_path, gz):
    make_mnist(tmp_path)
    name = "t10k-images-idx3-ubyte"
    (tmp_path / name).unlink()
    # A labels file (magic 2049) where the images belong:
    write(tmp_path / (name + (".gz" if gz else "")), idx_bytes(2049, np.zeros(5, np.uint8)), gz)
    with pytest.raises(DataFormatError, match="expected IDX magic number 2051.*found 2049"):
        MNIST(tmp_path, "test")


def test_mnist_truncated_and_oversized_files(tmp_path):
    make_mnist(tmp_path)
    path = tmp_path / "t10k-images-idx3-ubyte"
    good = path.read_bytes()
    path.write_bytes(good[:-10])
    with pytest.raises(DataFormatError, match="truncated"):
        MNIST(tmp_path, "test")
    path.write_bytes(good[:10])
    with pytest.raises(DataFormatError, match="truncated IDX header"):
        MNIST(tmp_path, "test")
    path.write_bytes(good + b"\0")
    with pytest.raises(DataFormatError, match="need 3920 data bytes, found 3921"):
        MNIST(tmp_path, "test")


def test_mnist_truncated_gzip(tmp_path):
    make_mnist(tmp_path)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(DataFormatError, match="gzip"):
        MNIST(tmp_path, "train")


def test_mnist_inconsistent_files(tmp_path):
    make_mnist(tmp_path)
    labels = tmp_path / "t10k-labels-idx1-ubyte"
    labels.write_bytes(idx_bytes(2049, np.zeros(4, np.uint8)))
    with pytest.raises(DataFormatError, match="4 labels for 5 images"):
        MNIST(tmp_path, "test")
    labels.write_bytes(idx_bytes(2049, np.array([0, 1, 2, 10, 3], np.uint8)))
    with pytest.raises(DataFormatError, match="labels 0..9, found 10"):
        MNIST(tmp_path, "test")
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(idx_bytes(2051, np.zeros((5, 27, 28), np.uint8)))
    with pytest.raises(DataFormatError, match="28×28 images, found 27×28"):
        MNIST(tmp_path, "test")


def test_mnist_missing_files_and_bad_split(tmp_path):
    with pytest.raises(DataNotFoundError) as err:
        MNIST(tmp_path, "train")
    assert isinstance(err.value, FileNotFoundError) and isinstance(err.value, swiftlic.SwiftLICError)
    assert "train-images-idx3-ubyte.gz" in str(err.value)
    with pytest.raises(DataNotFoundError, match="does not exist"):
        MNIST(tmp_path / "missing", "train")
    with pytest.raises(swiftlic.InvalidArgumentError, match="'train' or 'test'"):
        MNIST(tmp_path, "validation")


def test_array_epochs_cover_every_record_once_and_follow_the_seed(tmp_path):
    make_mnist(tmp_path, n_train=23)
    ds = MNIST(tmp_path, "train")

    def firsts(**kw):
        return [(x.copy(), y.copy()) for x, y in ds.epoch(5, **kw)]

    batches = firsts(number=0, seed=3)
    assert [len(y) for _, y in batches] == [5, 5, 5, 5, 3]
    x = np.concatenate([b[0] for b in batches])
    assert x.shape == (23, 1, 28, 28)
    # every record once: match each batch row to its source image
    flat = ds.as_float().reshape(23, -1)
    rows = [int(np.flatnonzero((flat == r.reshape(1, -1)).all(axis=1))[0]) for r in x]
    assert sorted(rows) == list(range(23))
    np.testing.assert_array_equal(np.concatenate([b[1] for b in batches]), ds.labels[rows])
    again = firsts(number=0, seed=3)
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(batches, again))
    other = firsts(number=1, seed=3)
    assert not all(np.array_equal(a[0], b[0]) for a, b in zip(batches, other))
    assert [len(y) for _, y in ds.epoch(5, drop_last=True)] == [5, 5, 5, 5]
    plain = np.concatenate([y for _, y in ds.epoch(5, shuffle=False)])
    np.testing.assert_array_equal(plain, ds.labels)
    assert next(ds.epoch(4, flat=True))[0].shape == (4, 784)


# --------------------------------------------------------------------------------------------------------- CIFAR-10

def test_cifar_without_test_batch_holds_out_the_tail_of_the_last_batch(tmp_path):
    rng = np.random.default_rng(1)
    b1, b2 = random_cifar(5, rng), random_cifar(4, rng)
    write(tmp_path / "data_batch_1.bin", cifar_bytes(*b1), gz=False)
    write(tmp_path / "data_batch_3.bin.gz", cifar_bytes(*b2), gz=True)  # any subset of the batches
    train = CIFAR10(tmp_path, "train", holdout=2)
    test = CIFAR10(tmp_path, "test", holdout=2)
    assert train.images.shape == (7, 32, 32, 3) and train.images.dtype == np.uint8
    np.testing.assert_array_equal(train.images, np.concatenate([b1[0], b2[0][:2]]))
    np.testing.assert_array_equal(train.labels, np.concatenate([b1[1], b2[1][:2]]))
    np.testing.assert_array_equal(test.images, b2[0][2:])
    np.testing.assert_array_equal(test.labels, b2[1][2:])
    assert test.held_out_from == "data_batch_3.bin.gz" and train.classes is None
    x = train.as_float()
    assert x.shape == (7, 3, 32, 32) and x.flags.c_contiguous
    np.testing.assert_allclose(x, train.images.transpose(0, 3, 1, 2) / 255.0, rtol=1e-6)


def test_cifar_with_test_batch_and_meta(tmp_path):
    rng = np.random.default_rng(2)
    b1, b2, t = random_cifar(3, rng), random_cifar(2, rng), random_cifar(4, rng)
    write(tmp_path / "data_batch_1.bin.gz", cifar_bytes(*b1), gz=True)
    write(tmp_path / "data_batch_2.bin", cifar_bytes(*b2), gz=False)
    write(tmp_path / "test_batch.bin", cifar_bytes(*t), gz=False)
    names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    (tmp_path / "batches.meta.txt").write_text("\n".join(names) + "\n\n")
    train, test = CIFAR10(tmp_path, "train"), CIFAR10(tmp_path, "test")
    np.testing.assert_array_equal(train.images, np.concatenate([b1[0], b2[0]]))
    np.testing.assert_array_equal(test.images, t[0])
    np.testing.assert_array_equal(test.labels, t[1])
    assert train.held_out_from is None and test.classes == names
    image, label = test[1]
    np.testing.assert_array_equal(image, t[0][1])
    assert label == t[1][1]


def test_cifar_only_a_test_batch(tmp_path):
    rng = np.random.default_rng(3)
    write(tmp_path / "test_batch.bin.gz", cifar_bytes(*random_cifar(2, rng)), gz=True)
    assert len(CIFAR10(tmp_path, "test")) == 2
    with pytest.raises(DataNotFoundError, match="no CIFAR-10 training batch"):
        CIFAR10(tmp_path, "train")


@pytest.mark.parametrize("gz", [False, True])
def test_cifar_wrong_record_size(tmp_path, gz):
    rng = np.random.default_rng(4)
    payload = cifar_bytes(*random_cifar(2, rng))
    write(tmp_path / ("data_batch_1.bin" + (".gz" if gz else "")), payload[:-7], gz)
    with pytest.raises(DataFormatError, match="6139 bytes is not a whole number of 3073-byte"):
        CIFAR10(tmp_path, "train", holdout=1)


def test_cifar_empty_file_bad_label_and_too_small_holdout(tmp_path):
    path = tmp_path / "data_batch_1.bin"
    path.write_bytes(b"")
    with pytest.raises(DataFormatError, match="0 bytes"):
        CIFAR10(tmp_path)
    images, labels = random_cifar(3, np.random.default_rng(5))
    labels[1] = 11
    path.write_bytes(cifar_bytes(images, labels))
    with pytest.raises(DataFormatError, match="record 1 has label 11"):
        CIFAR10(tmp_path, holdout=1)
    labels[1] = 1
    path.write_bytes(cifar_bytes(images, labels))
    with pytest.raises(DataFormatError, match="cannot hold out the last 1000"):
        CIFAR10(tmp_path)
    with pytest.raises(swiftlic.InvalidArgumentError, match="holdout"):
        CIFAR10(tmp_path, holdout=0)


# -------------------------------------------------------------------------------------------------------- ImageFolder

@pytest.fixture
def photos(tmp_path):
    """Four lossless images of different formats and modes (one in a sub-folder) plus a text file."""
    root = tmp_path / "photos"
    save_png(root / "a.png", coordinate_image(40, 50, tag=1))
    save_png(root / "b.BMP", coordinate_image(48, 36, tag=2))
    save_png(root / "sub" / "c.tif", coordinate_image(36, 36, tag=3))
    save_png(root / "d.webp", coordinate_image(33, 60, tag=4), lossless=True)
    (root / "notes.txt").write_text("not an image")
    return root


def test_folder_batches_are_nchw_float32_crops(photos):
    folder = ImageFolder(photos, patch=32, batch_size=8, augment=False, seed=0, prefetch=0)
    assert len(folder) == 4 and folder.cache
    (x,) = take(folder.batches(), 1)
    assert x.shape == (8, 3, 32, 32) and x.dtype == np.float32 and x.flags.c_contiguous
    assert 0.0 <= x.min() and x.max() <= 1.0
    u8 = to_u8(x)
    np.testing.assert_allclose(u8.transpose(0, 3, 1, 2) / 255.0, x, atol=1e-7)
    sizes = {1: (40, 50), 2: (48, 36), 3: (36, 36), 4: (33, 60)}
    for crop in u8:
        tag = crop[0, 0, 2]
        h, w = sizes[tag]
        x0, y0 = int(crop[0, 0, 0]), int(crop[0, 0, 1])
        np.testing.assert_array_equal(crop, coordinate_image(h, w, tag)[y0:y0 + 32, x0:x0 + 32])


def test_folder_offsets_and_flips_vary(photos):
    folder = ImageFolder(photos, patch=32, batch_size=16, seed=5, prefetch=0)
    u8 = np.concatenate([to_u8(x) for x in take(folder.batches(), 4)])
    flipped = u8[:, 0, 0, 0] > u8[:, 0, -1, 0]
    assert 0 < flipped.sum() < len(u8)
    assert len({(c[0, :, 0].min(), c[:, 0, 1].min()) for c in u8}) > 10
    for crop in u8:  # every crop is a window of its image, mirrored or not
        base = crop[:, ::-1] if crop[0, 0, 0] > crop[0, -1, 0] else crop
        assert (np.diff(base[:, :, 0].astype(int), axis=1) == 1).all()
        assert (np.diff(base[:, :, 1].astype(int), axis=0) == 1).all()


def test_folder_vertical_flips_and_rotations(tmp_path):
    img = coordinate_image(32, 32, tag=7)
    save_png(tmp_path / "one.png", img)
    folder = ImageFolder(tmp_path, patch=32, batch_size=64, vflip=True, rot90=True, seed=0, prefetch=0)
    (x,) = take(folder.batches(), 1)
    dihedral = [np.rot90(f, k) for f in (img, img[:, ::-1], img[::-1], img[::-1, ::-1]) for k in range(4)]
    seen = set()
    for crop in to_u8(x):
        matches = [i for i, d in enumerate(dihedral) if np.array_equal(crop, d)]
        assert matches
        seen.add(tuple(crop[0, 0]) + tuple(crop[0, 1]))
    assert len(seen) == 8  # all eight symmetries of the square turn up in 64 draws


def test_folder_ycbcr_matches_native_conversion(photos):
    kw = dict(patch=32, batch_size=6, seed=9, prefetch=0)
    rgb = take(ImageFolder(photos, colorspace="rgb", **kw).batches(), 2)
    ycc = take(ImageFolder(photos, colorspace="ycbcr", **kw).batches(), 2)
    for a, b in zip(rgb, ycc):
        assert b.dtype == np.float32 and b.shape == a.shape
        expected = np.stack([swiftlic.rgb_to_ycbcr(c, planar=True) for c in to_u8(a)])
        np.testing.assert_array_equal(b, expected)


def test_folder_is_deterministic_given_seed_and_resumes(photos):
    def first(seed, prefetch, n=5, start=0):
        folder = ImageFolder(photos, patch=24, batch_size=4, seed=seed, prefetch=prefetch)
        return take(folder.batches(start=start), n)

    a, b = first(3, 0), first(3, 2)  # the thread does not change the sequence
    assert all(np.array_equal(p, q) for p, q in zip(a, b))
    c = first(4, 2)
    assert not all(np.array_equal(p, q) for p, q in zip(a, c))
    resumed = first(3, 1, n=2, start=3)
    assert np.array_equal(resumed[0], a[3]) and np.array_equal(resumed[1], a[4])


def test_folder_epoch_visits_every_image_once(tmp_path):
    for i in range(7):
        save_png(tmp_path / f"{i}.png", np.full((20, 30, 3), 10 * i, np.uint8))
    folder = ImageFolder(tmp_path, patch=16, batch_size=3, seed=2, prefetch=1)
    assert folder.batches_per_epoch == 3
    for number in (0, 1):
        with folder.epoch(number) as it:
            batches = list(it)
        assert [len(x) for x in batches] == [3, 3, 1]
        values = sorted(int(round(v * 255)) for x in batches for v in x[:, 0, 0, 0])
        assert values == [10 * i for i in range(7)]
    assert [len(x) for x in folder.epoch(0, drop_last=True)] == [3, 3]
    # epoch k is the k-th stretch of the infinite stream
    stream = np.concatenate(take(folder.batches(), 5))[:14]
    epochs = np.concatenate(list(folder.epoch(0)) + list(folder.epoch(1)))
    np.testing.assert_array_equal(stream, epochs)


def test_folder_converts_grey_palette_and_alpha_to_rgb(tmp_path):
    grey = np.arange(24 * 24, dtype=np.uint16).reshape(24, 24) % 256
    save_png(tmp_path / "g.png", grey.astype(np.uint8))
    Image.fromarray(np.full((24, 24, 4), 200, np.uint8), "RGBA").save(tmp_path / "a.png")
    Image.fromarray(np.full((24, 24, 3), 90, np.uint8)).convert("P").save(tmp_path / "p.gif")
    folder = ImageFolder(tmp_path, patch=24, batch_size=3, augment=False, prefetch=0)
    assert len(folder) == 3
    for i in range(3):
        assert folder.image(i).shape == (24, 24, 3) and folder.image(i).dtype == np.uint8
    np.testing.assert_array_equal(folder.image(1)[..., 0], grey)


def test_folder_skips_small_images_with_one_warning(tmp_path):
    save_png(tmp_path / "big.png", coordinate_image(40, 40))
    save_png(tmp_path / "small1.png", coordinate_image(31, 60))
    save_png(tmp_path / "small2.jpg", coordinate_image(60, 20))
    with pytest.warns(UserWarning, match=r"skipped 2 of 3 images smaller than the 32×32 patch") as record:
        folder = ImageFolder(tmp_path, patch=32, prefetch=0)
    assert len(record) == 1 and len(folder) == 1
    with pytest.warns(UserWarning), pytest.raises(DataNotFoundError, match="3 smaller than the 64×64 patch"):
        ImageFolder(tmp_path, patch=64)


def test_folder_skips_unreadable_files_with_a_warning(tmp_path):
    save_png(tmp_path / "good.png", coordinate_image(16, 16))
    (tmp_path / "bad.jpg").write_bytes(b"this is not a jpeg")
    with pytest.warns(UserWarning, match="skipped 1 of 2 files Pillow cannot read"):
        folder = ImageFolder(tmp_path, patch=16, prefetch=0)
    assert [p.name for p in folder.paths] == ["good.png"]


def test_folder_recursive_and_hidden(photos):
    save_png(photos / ".hidden" / "h.png", coordinate_image(40, 40))
    assert len(ImageFolder(photos, patch=32)) == 4
    assert sorted(p.name for p in ImageFolder(photos, patch=32, recursive=False).paths) == ["a.png", "b.BMP",
                                                                                          "d.webp"]


def test_folder_empty_missing_or_not_a_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataNotFoundError, match="no image files"):
        ImageFolder(tmp_path / "empty")
    (tmp_path / "empty" / "readme.txt").write_text("x")
    with pytest.raises(DataNotFoundError, match="no image files"):
        ImageFolder(tmp_path / "empty")
    with pytest.raises(DataNotFoundError, match="does not exist") as err:
        ImageFolder(tmp_path / "missing")
    assert isinstance(err.value, FileNotFoundError)
    with pytest.raises(DataNotFoundError, match="got the file"):
        ImageFolder(tmp_path / "empty" / "readme.txt")


@pytest.mark.parametrize("kw, match", [
    (dict(patch=0), "patch"), (dict(batch_size=2.5), "batch_size"), (dict(seed=-1), "seed"),
    (dict(prefetch=-1), "prefetch"), (dict(colorspace="hsv"), "colorspace"), (dict(cache="yes"), "cache"),
])
def test_folder_bad_arguments(photos, kw, match):
    with pytest.raises(swiftlic.InvalidArgumentError, match=match):
        ImageFolder(photos, **kw)


def test_folder_cache(photos):
    cached = ImageFolder(photos, patch=32, cache=True)
    assert cached.image(0) is cached.image(0)
    uncached = ImageFolder(photos, patch=32, cache=False)
    assert uncached.image(0) is not uncached.image(0)
    np.testing.assert_array_equal(uncached.image(0), cached.image(0))
    assert cached.decoded_bytes == 3 * (40 * 50 + 48 * 36 + 36 * 36 + 33 * 60)
    a = take(cached.batches(), 3)
    b = take(uncached.batches(), 3)
    assert all(np.array_equal(p, q) for p, q in zip(a, b))


def test_folder_preload_fills_the_cache_and_finds_broken_files(photos):
    folder = ImageFolder(photos, patch=32, cache=True).preload(workers=2)
    assert all(img is not None for img in folder._cached)
    np.testing.assert_array_equal(folder.image(0), coordinate_image(40, 50, tag=1))
    broken = ImageFolder(photos, patch=32, cache=False)
    path = broken.paths[0]
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(DataFormatError, match=path.name):
        broken.preload()


def test_folder_decode_error_reaches_the_consumer(tmp_path):
    path = save_png(tmp_path / "x.png", np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8))
    folder = ImageFolder(tmp_path, patch=32, prefetch=2)
    path.write_bytes(path.read_bytes()[:200])  # the header still says 64×64; the pixels are gone
    it = folder.batches()
    with pytest.raises(DataFormatError, match="x.png"):
        next(it)
    assert it.thread is not None
    it.thread.join(2)
    assert not it.thread.is_alive()
    with pytest.raises(StopIteration):
        next(it)


# --------------------------------------------------------------------------------------------- prefetch shutdown

def wait_dead(thread, seconds=5.0):
    deadline = time.monotonic() + seconds
    while thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    return not thread.is_alive()


def test_prefetch_thread_stops_on_close_del_and_exhaustion(photos):
    folder = ImageFolder(photos, patch=32, batch_size=2, prefetch=2)
    it = folder.batches()
    next(it)
    thread = it.thread
    assert thread.daemon and thread.is_alive()
    time.sleep(0.1)  # let it fill the queue and block on put
    it.close()
    assert not thread.is_alive()
    with pytest.raises(StopIteration):
        next(it)

    it = folder.batches()
    next(it)
    thread = it.thread
    del it
    gc.collect()
    assert wait_dead(thread)

    with folder.batches() as it:
        next(it)
        thread = it.thread
    assert not thread.is_alive()

    it = folder.epoch(0)
    assert len(list(it)) == folder.batches_per_epoch
    assert wait_dead(it.thread)


def test_prefetch_zero_runs_inline(photos):
    it = ImageFolder(photos, patch=32, prefetch=0).batches()
    assert it.thread is None
    assert next(it).shape == (16, 3, 32, 32)


def test_interpreter_exit_does_not_hang_on_a_running_prefetcher(photos):
    code = textwrap.dedent(f"""
        from swiftlic.data import ImageFolder
        folder = ImageFolder({str(photos)!r}, patch=32, batch_size=2, prefetch=3)
        it = folder.batches()
        next(it)
        keep = [folder.batches(), folder.epoch(0)]  # never closed, never consumed
        print("ok")
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


# ------------------------------------------------------------------------------------------------------------ Kodak

def test_kodak_lists_and_decodes_in_name_order(tmp_path):
    images = {f"kodim{i:02d}": coordinate_image(12, 16, tag=i) for i in (3, 1, 2)}
    for name, img in images.items():
        save_png(tmp_path / f"{name}.png", img)
    kodak = Kodak(tmp_path)
    assert len(kodak) == 3 and kodak.names == ["kodim01", "kodim02", "kodim03"]
    for name, img in kodak:
        np.testing.assert_array_equal(img, images[name])
    assert [n for n, _ in kodak[1:]] == ["kodim02", "kodim03"]
    assert kodak[-1][0] == "kodim03"


def test_kodak_empty_or_missing(tmp_path):
    with pytest.raises(DataNotFoundError, match="no image files"):
        Kodak(tmp_path)
    with pytest.raises(DataNotFoundError, match="does not exist"):
        Kodak(tmp_path / "nope")


def test_no_warning_for_a_clean_folder(photos):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ImageFolder(photos, patch=32)


# ------------------------------------------------------------------------------- block PCA (tools/fit_block_pca.py)

REPO = Path(__file__).resolve().parents[2]
BLOCKPCA = REPO / "python" / "swiftlic" / "weights" / "blockpca8.safetensors"


@pytest.fixture(scope="module")
def fit_tool():
    import importlib.util
    spec = importlib.util.spec_from_file_location("fit_block_pca", REPO / "tools" / "fit_block_pca.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_block_vectors_follow_pixel_unshuffle_order(fit_tool):
    x = np.arange(2 * 3 * 16 * 24, dtype=np.float32).reshape(2, 3, 16, 24)
    v = fit_tool.unshuffle(x)
    assert v.shape == (2 * 2 * 3, 192)
    n, by, bx, c, dy, dx = 1, 1, 2, 2, 3, 5  # image 1, block row 1, block column 2
    assert v[n * 6 + by * 3 + bx, c * 64 + dy * 8 + dx] == x[n, c, by * 8 + dy, bx * 8 + dx]
    np.testing.assert_array_equal(fit_tool.shuffle(v[6:], 16, 24), x[1])


def test_fit_recovers_a_known_basis_with_fixed_signs(fit_tool):
    rng = np.random.default_rng(0)
    basis, _ = np.linalg.qr(rng.standard_normal((192, 192)))
    basis = basis.T  # rows
    scales = np.concatenate([[40, 20, 10, 5], np.geomspace(1, 0.1, 188)])
    v = (rng.standard_normal((20000, 192)) * scales) @ basis + 0.5
    mean, components, eigenvalues = fit_tool.fit(v.sum(0), v.T @ v, len(v))
    np.testing.assert_allclose(mean, 0.5, atol=0.2)
    assert (np.diff(eigenvalues) <= 0).all()
    np.testing.assert_allclose(components @ components.T, np.eye(192), atol=1e-10)
    lead = components[np.arange(192), np.argmax(np.abs(components), axis=1)]
    assert (lead > 0).all()
    for k in range(4):  # the well-separated leading directions, up to sign
        assert abs(components[k] @ basis[k]) > 0.99


def test_entropy_bits_is_the_sum_of_per_index_entropies(fit_tool):
    q = np.array([[0, 5], [0, 5], [1, 5], [1, -3]])
    # index 0: two symbols at 1/2 → 1 bit each; index 1: 3/4, 1/4 → 0.8113 bits each
    expected = 4 * 1.0 + 4 * -(0.75 * np.log2(0.75) + 0.25 * np.log2(0.25))
    assert fit_tool.entropy_bits(q) == pytest.approx(expected)


def test_shipped_block_pca_is_an_orthonormal_sorted_basis():
    from safetensors import safe_open
    from safetensors.numpy import load_file
    tensors = load_file(str(BLOCKPCA))
    with safe_open(str(BLOCKPCA), "np") as f:
        meta = f.metadata()
    mean, components, eigenvalues = tensors["mean"], tensors["components"], tensors["eigenvalues"]
    assert mean.shape == (192,) and components.shape == (192, 192) and eigenvalues.shape == (192,)
    assert all(t.dtype == np.float32 for t in tensors.values())
    np.testing.assert_allclose(components.astype(np.float64) @ components.T, np.eye(192), atol=2e-5)
    assert (np.diff(eigenvalues) <= 0).all() and eigenvalues[-1] >= 0
    lead = components[np.arange(192), np.argmax(np.abs(components), axis=1)]
    assert (lead > 0).all()
    assert (components[0] > 0).all()  # natural photos: the first component is the block's brightness
    assert 0.2 < mean.mean() < 0.8
    assert meta["format"] == "swiftlic.blockpca/1" and meta["colorspace"] in ("rgb", "ycbcr")
    assert meta["layout"].startswith("vector index c*64 + dy*8 + dx")
