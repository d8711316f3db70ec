"""The `swiftlic` command: demo (and, as they land, compress, decompress, info, eval, train)."""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

__all__ = ["main"]


def _demo(args) -> int:
    import swiftlic

    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, size=(512, 768, 3), dtype=np.uint8)
    planes = swiftlic.rgb_to_ycbcr(img, planar=True)
    back = swiftlic.ycbcr_to_rgb(planes, planar=False)
    print(f"colour round trip 768×512: max error {int(np.abs(back.astype(int) - img).max())} levels")
    for n in (512, 1024):
        a = rng.standard_normal((n, n), dtype=np.float32)
        b = rng.standard_normal((n, n), dtype=np.float32)
        swiftlic.gemm(a, b)
        t = time.perf_counter()
        swiftlic.gemm(a, b)
        dt = time.perf_counter() - t
        t = time.perf_counter()
        a @ b
        dn = time.perf_counter() - t
        print(f"GEMM {n}³: swiftlic {2 * n**3 / dt / 1e9:.1f} GFLOP/s, numpy {2 * n**3 / dn / 1e9:.1f} GFLOP/s")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="swiftlic", description="Learned lossy image compression.")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run the demo on the bundled samples")
    demo.set_defaults(func=_demo)
    from .eval import add_eval_parser; add_eval_parser(sub)  # noqa: E702
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
