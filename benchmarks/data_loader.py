#!/usr/bin/env python3
"""ImageFolder throughput on the training photos against a naive peer measured in the same run.

Peer: what a loader without a cache does per sample — decode the JPEG with Pillow, crop, flip, convert to float.
Ours: swiftlic.data.ImageFolder after its cache is filled (preload), with the prefetch thread, RGB and YCbCr.

    .venv/bin/python benchmarks/data_loader.py [--batches 100] [--patch 128] [--batch-size 16]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from PIL import Image

from swiftlic.data import ImageFolder, data_root


def naive_batches(paths, patch, batch_size, count, seed=0):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        out = np.empty((batch_size, 3, patch, patch), np.float32)
        for j in range(batch_size):
            with Image.open(paths[rng.integers(len(paths))]) as im:
                img = np.asarray(im.convert("RGB"))
            y0 = rng.integers(0, img.shape[0] - patch + 1)
            x0 = rng.integers(0, img.shape[1] - patch + 1)
            crop = img[y0:y0 + patch, x0:x0 + patch]
            if rng.random() < 0.5:
                crop = crop[:, ::-1]
            out[j] = crop.transpose(2, 0, 1) / np.float32(255)
        yield out


def rate(iterator, count, batch_size):
    t = time.perf_counter()
    for _, x in zip(range(count), iterator):
        pass
    return count * batch_size / (time.perf_counter() - t)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batches", type=int, default=100)
    parser.add_argument("--patch", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=16)
    args = parser.parse_args()
    train = data_root() / "train"
    t = time.perf_counter()
    folder = ImageFolder(train, patch=args.patch, batch_size=args.batch_size)
    scan = time.perf_counter() - t
    t = time.perf_counter()
    folder.preload()
    print(f"{len(folder)} photos: scan {scan:.2f} s, preload (decode all, {folder.decoded_bytes / 2**20:.0f} MiB) "
          f"{time.perf_counter() - t:.2f} s")
    peer = rate(naive_batches(folder.paths, args.patch, args.batch_size, args.batches), args.batches,
                args.batch_size)
    print(f"{'peer: decode per sample':32s} {peer:8.0f} crops/s   1.00×")
    for cs in ("rgb", "ycbcr"):
        folder.colorspace = cs
        with folder.batches() as stream:
            ours = rate(stream, args.batches, args.batch_size)
        print(f"{'ImageFolder cached ' + cs:32s} {ours:8.0f} crops/s {ours / peer:6.1f}×")


if __name__ == "__main__":
    main()
