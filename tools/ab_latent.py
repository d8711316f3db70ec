"""A/B timing of the latent coder across builds, in one process: each build's libswiftlic.so is loaded through ctypes
(a library built with -static-stdlib carries its own Swift runtime, so copies coexist) and the builds take turns call
by call, so the host's drift (±10–40 % over seconds on this shared VM) hits them alike. Prints per build the min,
quartile and median times and, against the first build, the median of the paired ratios (call i of build k over
call i of build 0).

    # keep a copy of each build first, e.g.: mkdir -p /tmp/ab/base && cp -r python/swiftlic /tmp/ab/base/
    python tools/ab_latent.py LATENT.npy /tmp/ab/base/swiftlic /tmp/ab/new/swiftlic [--bpp 0.5 2] [--calls 60]

Listing the first build twice shows the method's own bias (the position in the turn order): 1–2 % on this VM, so
differences below ~2 % are not resolved.

LATENT.npy: a C × h × w float32 latent (for example `codec.to_code_blocks` of a Kodak image's wavelet latent, as
benchmarks/entropy.py builds it). The streams of all builds must be identical (checked), so this is for changes
that keep the format; `--different-streams` lifts the check for encoder-side changes that choose other truncation
points (each build then decodes its own stream, so the decode column compares different amounts of data).
"""

from __future__ import annotations

import argparse
import ctypes as C
import time

import numpy as np

P = C.POINTER


def encoder(lib, y: np.ndarray, step: float, bits: int):
    c, h, w = y.shape
    lib.slic_latent_encode.restype = C.c_int32
    lib.slic_latent_encode_bound.restype = C.c_int64
    capacity = lib.slic_latent_encode_bound(C.c_int64(c), C.c_int64(h), C.c_int64(w), C.c_int32(1), C.c_int64(0))
    out = np.empty(capacity, np.uint8)

    def encode(target_bytes: int) -> bytes:
        written = C.c_int64(0)
        # ABI 4 added the post-filter strengths (none here) before the flags.
        strengths = (None, C.c_int64(0)) if lib.slic_abi_version() >= 4 else ()
        status = lib.slic_latent_encode(
            y.ctypes.data_as(P(C.c_float)), C.c_int64(y.size), C.c_int64(c), C.c_int64(h), C.c_int64(w),
            C.c_int32(bits), C.c_float(step), None, C.c_int64(0), C.c_int64(target_bytes), C.c_int32(1),
            C.c_int32(0), C.c_int32(6), None, C.c_int64(0), None, C.c_int64(0), None, C.c_int64(0), C.c_uint64(0),
            C.c_int64(0), C.c_int64(0), C.c_int32(0), *strengths, C.c_int32(0), out.ctypes.data_as(P(C.c_uint8)),
            C.c_int64(capacity), C.byref(written))
        if status != 0:
            raise RuntimeError(f"slic_latent_encode: status {status}")
        return out[:written.value].tobytes()

    return encode


def decoder(lib, y: np.ndarray):
    lib.slic_latent_decode.restype = C.c_int32
    decoded = np.empty_like(y)

    def decode(stream: bytes) -> None:
        data = np.frombuffer(stream, np.uint8)
        status = lib.slic_latent_decode(
            data.ctypes.data_as(P(C.c_uint8)), C.c_int64(data.size), C.c_int64(1 << 28), C.c_int32(0),
            C.c_uint64(0), None, C.c_int64(0), None, C.c_int64(0), decoded.ctypes.data_as(P(C.c_float)),
            C.c_int64(decoded.size))
        if status != 0:
            raise RuntimeError(f"slic_latent_decode: status {status}")

    return decode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("latent")
    parser.add_argument("builds", nargs="+", help="directories holding a libswiftlic.so")
    parser.add_argument("--bpp", type=float, nargs="+", default=[0.5, 2.0],
                        help="targets in bits per pixel of a 3-channel image whose latent has C·h·w = 3 · pixels "
                             "coefficients (bytes = bpp · C·h·w / 24); 0: full rate")
    parser.add_argument("--step", type=float, default=256.0)
    parser.add_argument("--bits", type=int, default=12)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--calls", type=int, default=60, help="timed calls per build, target and thread count")
    parser.add_argument("--different-streams", action="store_true",
                        help="allow the builds' streams to differ (prints each stream's size)")
    args = parser.parse_args()
    y = np.ascontiguousarray(np.load(args.latent), dtype=np.float32)
    libs = [C.CDLL(f"{b.rstrip('/')}/libswiftlic.so") for b in args.builds]
    names = [b.rstrip("/").split("/")[-2] if b.rstrip("/").endswith("swiftlic") else b for b in args.builds]
    encoders = [encoder(lib, y, args.step, args.bits) for lib in libs]
    decoders = [decoder(lib, y) for lib in libs]
    for bpp in args.bpp:
        target = int(bpp * y.size / 24)  # a 3-channel image's latent: C·h·w = 3 · pixels (0: full rate)
        streams = [encode(target) for encode in encoders]
        if args.different_streams:
            print(f"{bpp:5.3g} bpp stream bytes: " + " | ".join(f"{n}: {len(s)}" for n, s in zip(names, streams)))
        elif any(s != streams[0] for s in streams):
            raise SystemExit(f"{bpp} bpp: the builds' streams differ; this compares builds of one format only")
        for threads in args.threads:
            for lib in libs:
                lib.slic_set_num_threads(C.c_int32(threads))
            for kind in ("encode", "decode"):
                t = np.zeros((len(libs), args.calls))
                for i in range(args.calls):
                    for k in range(len(libs)):
                        start = time.perf_counter()
                        if kind == "encode":
                            encoders[k](target)
                        else:
                            decoders[k](streams[k])
                        t[k, i] = 1e3 * (time.perf_counter() - start)
                cells = [f"{n}: min {a.min():6.2f} p25 {np.percentile(a, 25):6.2f} med {np.median(a):6.2f}"
                         for n, a in zip(names, t)]
                ratios = " ".join(f"{np.median(t[k] / t[0]):.3f}" for k in range(1, len(libs)))
                print(f"{bpp:5.3g} bpp {threads} thr {kind}: " + " | ".join(cells)
                      + (f" | paired ratio vs {names[0]}: {ratios}" if ratios else ""), flush=True)


if __name__ == "__main__":
    main()
