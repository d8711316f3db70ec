"""Entropy-coding benchmark of swiftlic.latent on quantized latents of a real image.

Two kinds of latent. First a fixed linear analysis transform, the 8×8 orthonormal block DCT of each YCbCr plane of
a Kodak image, giving C = 192 channels at H/8 × W/8 (random Laplacian maps when the data is absent). For each
quantizer step the same integers are measured as
  - swiftlic (full rate, every pass) at each thread count of --threads,
  - zeroth-order empirical entropy, pooled over all channels and summed per channel,
  - zlib -9 and lzma (preset 9) on the int16 integers,
  - CompressAI's rANS coder when compressai is installed: its compiled `ans` module, fed per-channel 16-bit CDFs
    of the channel's own histogram (an oracle factorized prior, tables not counted), timed as the coder call alone
    on prepared Python lists. compressai 1.2.8 pins numpy < 2 and pulls torchvision/CUDA torch, which conflicts
    with swiftlic's numpy >= 2, so install it without its dependencies (the `ans` module needs none):
        .venv/bin/pip install --no-deps compressai
Then the shipped codec's own latent (the `dwt97` model's wavelet subbands of the image as 128×128 code-blocks):
the rate-targeted encode at 0.125–2 bpp against the exhaustive one (every pass coded, then allocated), and the
decode. Speeds are the median of --repeat runs after one warm-up call; "cpu" columns are the process CPU time
(honest on a loaded machine). For comparing two builds of the library, tools/ab_latent.py alternates them call by
call in one process, which this host's drift between runs otherwise swamps.

--kodak-sweep instead codes the codec's latents of all 24 Kodak images (the dwt97 and cheng2018-cae-pca192 models)
at each rate and prints the median and the slowest image.

    python benchmarks/entropy.py [--image kodim23.png] [--repeat 7] [--threads 1,2] [--no-pca] [--codec-only]
                                 [--kodak-sweep]
"""

from __future__ import annotations

import argparse
import importlib.machinery
import importlib.util
import lzma
import os
import time
import zlib
from pathlib import Path

import numpy as np

import swiftlic
from swiftlic import latent


def data_root() -> Path:
    env = os.environ.get("SWIFTLIC_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[1] / ".." / "shared" / "data"


def dct_matrix(n=8):
    k = np.arange(n)[:, None]
    x = np.arange(n)[None, :]
    m = np.cos(np.pi * (2 * x + 1) * k / (2 * n)) * np.sqrt(2 / n)
    m[0] /= np.sqrt(2)
    return m


def block_dct_latent(image: np.ndarray) -> np.ndarray:
    """H×W×3 uint8 → 192 × H/8 × W/8 float32: the 64 DCT coefficients of each YCbCr plane (values in [0, 1])."""
    ycc = swiftlic.rgb_to_ycbcr(image, planar=True).astype(np.float64)
    _, h, w = ycc.shape
    h8, w8 = h // 8, w // 8
    blocks = ycc[:, :h8 * 8, :w8 * 8].reshape(3, h8, 8, w8, 8)
    d = dct_matrix()
    coef = np.einsum("uy,vx,cjyix->cuvji", d, d, blocks)  # 3 × 8 × 8 × h8 × w8
    return coef.reshape(192, h8, w8).astype(np.float32)


def load_image(name: str):
    try:
        from PIL import Image
        return np.asarray(Image.open(data_root() / "kodak" / name).convert("RGB"))
    except (OSError, ImportError):
        return None


def space_to_depth_latent(image: np.ndarray) -> np.ndarray:
    """H×W×3 uint8 → 192 × H/8 × W/8: the raw YCbCr pixels of each 8×8 block (strongly correlated channels)."""
    ycc = swiftlic.rgb_to_ycbcr(image, planar=True)
    _, h, w = ycc.shape
    h8, w8 = h // 8, w // 8
    blocks = ycc[:, :h8 * 8, :w8 * 8].reshape(3, h8, 8, w8, 8)
    return np.ascontiguousarray(blocks.transpose(0, 2, 4, 1, 3).reshape(192, h8, w8), dtype=np.float32)


def load_latent(name: str):
    image = load_image(name)
    if image is not None:
        return block_dct_latent(image), f"{name} block-DCT"
    rng = np.random.default_rng(0)
    return (rng.laplace(size=(192, 64, 96)) * 0.02).astype(np.float32), "random Laplacian (no Kodak data)"


def entropy_bits(q: np.ndarray) -> float:
    _, counts = np.unique(q, return_counts=True)
    p = counts / counts.sum()
    return float(-(counts * np.log2(p)).sum())


def timed(fn, repeat):
    """Median wall time, after one untimed warm-up call when repeat > 1 (the first call after a change of thread
    count or of data pays for cold caches and waking threads); also stores the median process CPU time in
    timed.cpu (honest on a loaded machine)."""
    times, cpu = [], []
    if repeat > 1:
        fn()
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        out = fn()
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    timed.cpu = float(np.median(cpu))
    return out, float(np.median(times))


def load_rans():
    """CompressAI's compiled rANS module, or None. Loaded from its file: `import compressai` would run the package's
    __init__, which needs torchvision and more, none of which the coder uses."""
    try:
        spec = importlib.util.find_spec("compressai")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            path = os.path.join(folder, "ans" + suffix)
            if os.path.exists(path):
                try:
                    loader = importlib.machinery.ExtensionFileLoader("compressai.ans", path)
                    module = importlib.util.module_from_spec(importlib.util.spec_from_file_location(
                        "compressai.ans", path, loader=loader))
                    loader.exec_module(module)
                    return module
                except (ImportError, OSError):
                    return None
    return None


def rans_tables(q):
    """Per-channel CDFs (CompressAI layout: 16-bit, last symbol = escape, every frequency >= 1) of the channels' own
    histograms, with their lengths and offsets."""
    cdfs, lengths, offsets = [], [], []
    for k in range(q.shape[0]):
        lo, hi = int(q[k].min()), int(q[k].max())
        counts = np.append(np.bincount((q[k] - lo).ravel(), minlength=hi - lo + 1), 0).astype(np.int64)
        total = 1 << 16
        freq = 1 + counts * (total - counts.size) // max(1, int(counts.sum()))
        freq[np.argmax(freq)] += total - int(freq.sum())
        cdf = np.concatenate([[0], np.cumsum(freq)])
        cdfs.append(cdf.tolist())
        lengths.append(cdf.size)
        offsets.append(lo)
    return cdfs, lengths, offsets


def rans_row(ans, q, repeat):
    c, h, w = q.shape
    cdfs, lengths, offsets = rans_tables(q)
    symbols = q.ravel().tolist()
    indexes = np.repeat(np.arange(c), h * w).tolist()
    data, te = timed(lambda: ans.RansEncoder().encode_with_indexes(symbols, indexes, cdfs, lengths, offsets), repeat)
    cpu_e = timed.cpu
    out, td = timed(lambda: ans.RansDecoder().decode_with_indexes(data, indexes, cdfs, lengths, offsets), repeat)
    assert out == symbols, "rANS round trip failed"
    return ("compressai rANS", len(data) * 8 / q.size, te, td, cpu_e, timed.cpu)


def coder_table(y, source, repeat, threads, ans):
    c, h, w = y.shape
    n = y.size
    pixels = h * w * 64
    print(f"\nlatent: {source}, {c}×{h}×{w} = {n} coefficients")
    print(f"{'step(px)':>8} {'coder':<22} {'bits/coef':>9} {'bpp':>7} {'vs H0':>7} {'enc ms':>8} {'dec ms':>8} "
          f"{'enc Mc/s':>8} {'dec Mc/s':>8} {'enc cpu':>8} {'dec cpu':>8}")
    # Quantizer steps in 8-bit pixel units: bits=12 gives a base step of 1/2048 on the [0, 1] scale.
    for step_px in (2.0, 8.0, 24.0):
        step = float(step_px / 255 * 2048)
        q = np.rint(y * np.float32(2048 / np.float32(step))).astype(np.int64)
        h0 = entropy_bits(q) / n
        h0c = sum(entropy_bits(q[k]) for k in range(c)) / n
        raw = q.astype(np.int16).tobytes()
        rows = []
        before = swiftlic.get_num_threads()
        for t in threads:
            swiftlic.set_num_threads(t)
            data, te = timed(lambda: latent.encode(y, step=step), repeat)
            cpu_e = timed.cpu
            (y_hat, _), td = timed(lambda: latent.decode(data), repeat)
            cpu_d = timed.cpu
            assert np.array_equal(np.rint(y_hat * np.float32(2048 / np.float32(step))), q), "not exact"
            rows.append((f"swiftlic, {t} thread{'s' if t > 1 else ''}", len(data) * 8 / n, te, td, cpu_e, cpu_d))
        swiftlic.set_num_threads(before)
        rows.append(("H0 pooled", h0, None, None, None, None))
        rows.append(("H0 per channel", h0c, None, None, None, None))
        for label, fn in (("zlib -9", lambda: zlib.compress(raw, 9)), ("lzma -9", lambda: lzma.compress(raw, preset=9))):
            out, te = timed(fn, 1)
            rows.append((label, len(out) * 8 / n, te, None, timed.cpu, None))
        if ans is not None:
            rows.append(rans_row(ans, q, max(1, repeat // 2)))
        for label, bits, te, td, ce, cd in rows:
            def col(v, scale):
                return f" {v * scale:8.1f}" if v is not None else f" {'':>8}"
            times = col(te, 1e3) + col(td, 1e3)
            rates = "".join(f" {n / v / 1e6:8.1f}" if v is not None else f" {'':>8}" for v in (te, td))
            print(f"{step_px:8.1f} {label:<22} {bits:9.3f} {bits * n / pixels:7.3f} {bits / h0:7.3f}{times}{rates}"
                  f"{col(ce, 1e3)}{col(cd, 1e3)}")


def codec_table(name: str, repeat: int, threads, model: str = "dwt97"):
    """The shipped codec's own latent (the 9/7 wavelet's code-blocks of a Kodak image, 12-bit quantizer) coded to
    target rates the way `swiftlic.compress` does: the rate-targeted encoder, its exhaustive twin (every pass coded,
    then cut: what a full-rate encode costs) and the decoder of the cut stream. The cpu columns are the process CPU
    time of the targeted encode and of the decode (ms, median): on two threads about twice the wall time when both
    threads run at full speed, more when the host slows them down."""
    image = load_image(name)
    if image is None:
        print("\n(codec table skipped: no Kodak data)")
        return
    from swiftlic import codec

    _, m = codec.load_model(model)
    x = codec._pad(swiftlic.rgb_to_ycbcr(image, planar=True), m.stride)
    z = m.encode(x[None])[0]
    y = codec.to_code_blocks(z, codec.code_block_size(m, *z.shape[1:]))
    h, w = image.shape[:2]
    print(f"\ncodec latent: {model} on {name}, {y.shape[0]} code-blocks of {y.shape[1]}×{y.shape[2]} "
          f"= {y.size} coefficients, bits={codec.BITS}; ms, median of {repeat}")
    print(f"{'bpp':>6} {'threads':>7} {'targeted enc':>12} {'exhaustive enc':>14} {'ratio':>6} {'dec':>7} "
          f"{'same decode':>11} {'enc cpu':>8} {'dec cpu':>8}")
    before = swiftlic.get_num_threads()
    for bpp in (0.125, 0.25, 0.5, 1.0, 2.0):
        target = int(bpp * h * w / 8)
        for t in threads:
            swiftlic.set_num_threads(t)
            kw = dict(bits=codec.BITS, step=codec._STEP, target_bytes=target)
            fast, tf = timed(lambda: latent.encode(y, **kw), repeat)
            cpu_e = timed.cpu
            slow, ts = timed(lambda: latent.encode(y, exhaustive=True, **kw), max(1, repeat // 2))
            (y_hat, _), td = timed(lambda: latent.decode(fast), repeat)
            cpu_d = timed.cpu
            same = np.array_equal(y_hat, latent.decode(slow)[0])
            print(f"{bpp:6.3f} {t:7d} {tf * 1e3:12.1f} {ts * 1e3:14.1f} {ts / tf:6.2f} {td * 1e3:7.1f} {str(same):>11} "
                  f"{cpu_e * 1e3:8.1f} {cpu_d * 1e3:8.1f}")
    swiftlic.set_num_threads(before)


def kodak_sweep(repeat: int, threads, models=("dwt97", "cheng2018-cae-pca192")):
    """The codec's latent of every Kodak image, through each of `models`, coded the way `swiftlic.compress` codes
    it at 0.125–2 bpp and at full rate (every bitplane): median and slowest image of the targeted encode and of
    the decode (each image's time the median of `repeat` calls after a warm-up). One image can be a fast or a
    slow case for the coder; this shows the spread over the whole set."""
    root = data_root() / "kodak"
    names = sorted(p.name for p in root.glob("kodim*.png")) if root.is_dir() else []
    if not names:
        print("\n(Kodak sweep skipped: no Kodak data)")
        return
    from swiftlic import codec

    before = swiftlic.get_num_threads()
    for model in models:
        _, m = codec.load_model(model)
        latents = []
        for name in names:
            image = load_image(name)
            x = codec._pad(swiftlic.rgb_to_ycbcr(image, planar=True), m.stride)
            z = m.encode(x[None])[0]
            latents.append((name, codec.to_code_blocks(z, codec.code_block_size(m, *z.shape[1:])),
                            image.shape[0] * image.shape[1]))
        y0 = latents[0][1]
        print(f"\nKodak sweep: {model} latents of {len(names)} images ({y0.shape[0]} code-blocks of "
              f"{y0.shape[1]}×{y0.shape[2]}), bits={codec.BITS}; ms per image, median of {repeat} calls")
        print(f"{'bpp':>6} {'threads':>7} {'real bpp':>8} {'enc median':>10} {'enc max':>8} {'(image)':>12} "
              f"{'dec median':>10} {'dec max':>8} {'(image)':>12}")
        for bpp in (0.125, 0.5, 1.0, 2.0, None):
            for t in threads:
                swiftlic.set_num_threads(t)
                enc, dec, rate = [], [], []
                for name, y, pixels in latents:
                    kw = dict(bits=codec.BITS, step=codec._STEP,
                              target_bytes=None if bpp is None else int(bpp * pixels / 8))
                    data, te = timed(lambda: latent.encode(y, **kw), repeat)
                    _, td = timed(lambda: latent.decode(data), repeat)
                    enc.append(te * 1e3)
                    dec.append(td * 1e3)
                    rate.append(len(data) * 8 / pixels)
                e, d = int(np.argmax(enc)), int(np.argmax(dec))
                label = "full" if bpp is None else f"{bpp:.3f}"
                print(f"{label:>6} {t:7d} {np.mean(rate):8.3f} {np.median(enc):10.2f} {enc[e]:8.2f} "
                      f"{names[e][:-4]:>12} {np.median(dec):10.2f} {dec[d]:8.2f} {names[d][:-4]:>12}")
    swiftlic.set_num_threads(before)


def pca_table(name: str, fit_name: str):
    """Per-image PCA (by basis precision) vs none vs a fixed PCA fitted on another image, on raw 8×8 blocks."""
    image, other = load_image(name), load_image(fit_name)
    if image is None or other is None:
        print("\n(PCA table skipped: no Kodak data)")
        return
    y, y_fit = space_to_depth_latent(image), space_to_depth_latent(other)
    c, h, w = y.shape
    pixels = h * w * 64
    flat = y_fit.reshape(c, -1).astype(np.float64)
    vals, vecs = np.linalg.eigh(np.cov(flat))
    basis = np.ascontiguousarray(vecs[:, ::-1].T, dtype=np.float32)
    mean = flat.mean(axis=1).astype(np.float32)
    print(f"\nPCA on {name} raw 8×8 YCbCr blocks ({c}×{h}×{w}); fixed basis fitted on {fit_name}; PCRD cuts every")
    print("stream to the same budget (fine quantizer, step 1 px), so PSNR compares the modes at equal size")
    print(f"{'bpp':>6} {'mode':<18} {'bytes':>8} {'side B':>7} {'PSNR dB':>8}")
    step = float(1 / 255 * 2048)
    plain_header = latent.read_header(latent.encode(y[:, :2, :2], step=step)).header_bytes
    for bpp in (0.25, 0.5, 1.0, 2.0):
        target = int(bpp * pixels / 8)
        runs = [("none", {})] + [(f"image {b}-bit", {"pca": "image", "basis_bits": b}) for b in (4, 6, 8, 10, 12)]
        runs.append(("fixed", {"pca": "fixed", "pca_basis": basis, "pca_mean": mean}))
        for label, kw in runs:
            data = latent.encode(y, step=step, target_bytes=target, **kw)
            side = latent.read_header(data).header_bytes - plain_header
            dec_kw = {k: v for k, v in kw.items() if k in ("pca_basis", "pca_mean")}
            y_hat, _ = latent.decode(data, **dec_kw)
            mse = float(((y_hat.astype(np.float64) - y) ** 2).mean())
            print(f"{bpp:6.2f} {label:<18} {len(data):8d} {side:7d} {10 * np.log10(1 / mse):8.2f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--image", default="kodim23.png")
    ap.add_argument("--fit-image", default="kodim01.png", help="image the fixed PCA is fitted on")
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--threads", default=None,
                    help="comma-separated thread counts for swiftlic (default: SWIFTLIC_THREADS or all)")
    ap.add_argument("--no-pca", action="store_true", help="skip the PCA table (no timings in it)")
    ap.add_argument("--top64-only", action="store_true", help="only the Kodak-size 64-channel latent")
    ap.add_argument("--codec-only", action="store_true", help="only the shipped codec's latent at target rates")
    ap.add_argument("--kodak-sweep", action="store_true",
                    help="only the codec's latents of every Kodak image (dwt97 and cheng2018-cae-pca192): median "
                         "and slowest image per rate")
    args = ap.parse_args()
    if args.threads:
        threads = [int(t) for t in args.threads.split(",")]
    elif "SWIFTLIC_THREADS" in os.environ:
        threads = [int(os.environ["SWIFTLIC_THREADS"])]
    else:
        threads = [swiftlic.get_num_threads()]
    ans = load_rans()
    print("compressai: " + ("rANS coder loaded (compressai.ans)" if ans is not None else "not installed"))
    if args.codec_only:
        codec_table(args.image, args.repeat, threads)
        return
    if args.kodak_sweep:
        kodak_sweep(args.repeat, threads)
        return
    y, source = load_latent(args.image)
    if not args.top64_only:
        coder_table(y, source, args.repeat, threads, ans)
    # A CAE-sized latent (C = 64 at H/8 × W/8): the 64 DCT channels of highest energy.
    keep = np.sort(np.argsort(-(y.astype(np.float64) ** 2).sum(axis=(1, 2)))[:64])
    coder_table(np.ascontiguousarray(y[keep]), source + ", top-64 channels", args.repeat, threads, ans)
    codec_table(args.image, args.repeat, threads)
    if not args.no_pca:
        pca_table(args.image, args.fit_image)


if __name__ == "__main__":
    main()
