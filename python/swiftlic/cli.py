"""The `swiftlic` command: demo, compress, decompress, info, eval, train."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["main"]


def _demo(args) -> int:
    from . import demo

    demo.run(out=args.out, bpps=args.bpp, model=args.model)
    return 0


def _floats(text: str) -> list[float]:
    return [float(t) for t in text.split(",") if t.strip()]


def _compress(args) -> int:
    from . import codec

    data = codec.compress(args.input, bpp=args.bpp, model=args.model, pca=args.pca, layers=args.layers,
                          adapt_postfilter=not args.gate)
    out = Path(args.output or Path(args.input).with_suffix(".slic"))
    out.write_bytes(data)
    inf = codec.info(data)
    print(f"{out}: {len(data)} bytes, {inf.bpp:.4f} bpp, {inf.image_size[1]}×{inf.image_size[0]}, model {inf.model_id}")
    return 0


def _decompress(args) -> int:
    from PIL import Image

    from . import codec

    data = Path(args.input).read_bytes()
    img = codec.decompress(data, model=args.model)
    out = Path(args.output or Path(args.input).with_suffix(".png"))
    Image.fromarray(img).save(out)
    print(f"{out}: {img.shape[1]}×{img.shape[0]}")
    return 0


def _info(args) -> int:
    from . import codec

    inf = codec.info(Path(args.input).read_bytes())
    hd = inf.header
    print(f"model      {inf.model_id} (weights hash {hd.model_hash:016x})")
    print(f"image      {inf.image_size[1]}×{inf.image_size[0]}, colour {hd.color_mode}")
    print(f"latent     {hd.shape[0]}×{hd.shape[1]}×{hd.shape[2]}, {hd.bits}-bit quantizer, PCA {hd.pca}")
    print(f"size       {inf.bytes} bytes = {inf.bpp:.4f} bpp, {hd.layers_present}/{hd.layers} quality layers")
    if hd.filter_strengths is not None:
        print(f"post-filter strengths {', '.join(map(str, hd.filter_strengths))} (one per layer, chosen by the encoder)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="swiftlic", description="Learned lossy image compression.")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="the shipped codec on the bundled samples, beside JPEG and JPEG 2000")
    demo.add_argument("--out", default="demo-out", help="folder for reconstructions and demo.json")
    demo.add_argument("--bpp", type=_floats, default=[0.25, 0.5, 1.0], help="target rates, comma-separated")
    demo.add_argument("--model", default=None, help="shipped model name or .safetensors path")
    demo.set_defaults(func=_demo)
    comp = sub.add_parser("compress", help="image → .slic stream")
    comp.add_argument("input")
    comp.add_argument("-o", "--output")
    comp.add_argument("--bpp", type=float, default=None, help="target bits per pixel (default: best quality)")
    comp.add_argument("--model", default=None)
    comp.add_argument("--pca", choices=["none", "image"], default="none", help="per-image PCA of the latent")
    comp.add_argument("--layers", type=int, default=1, help="quality layers (the stream can be cut at each)")
    comp.add_argument("--gate", action="store_true",
                      help="post-filter models: keep the gate's rate-based gain instead of choosing one for the image")
    comp.set_defaults(func=_compress)
    dec = sub.add_parser("decompress", help=".slic stream → PNG")
    dec.add_argument("input")
    dec.add_argument("-o", "--output")
    dec.add_argument("--model", default=None)
    dec.set_defaults(func=_decompress)
    inf = sub.add_parser("info", help="describe a .slic stream from its header")
    inf.add_argument("input")
    inf.set_defaults(func=_info)
    from .eval import add_eval_parser
    from .train import add_train_parser

    add_eval_parser(sub)
    add_train_parser(sub)
    args = parser.parse_args(argv)
    from .errors import SwiftLICError

    try:
        return args.func(args)
    except (SwiftLICError, OSError) as e:
        print(f"swiftlic {args.command}: error: {type(e).__name__}: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
