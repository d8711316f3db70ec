"""`swiftlic demo`: the shipped codec on the bundled sample images, beside JPEG and JPEG 2000 at the same rate."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

__all__ = ["run"]

SAMPLES = Path(__file__).resolve().parent / "samples"


def run(out="demo-out", bpps=(0.25, 0.5, 1.0), model=None, images=None) -> list[dict]:
    """Compresses each sample at each rate, decodes it, measures it; writes reconstructions and a table to ``out``."""
    from PIL import Image

    from . import baselines, codec, metrics

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = sorted(SAMPLES.glob("*.jpg")) + sorted(SAMPLES.glob("*.png")) if images is None else [Path(p) for p in images]
    if not paths:
        from .errors import InvalidArgumentError

        raise InvalidArgumentError("demo: no images to compress")
    model_id, _ = codec.load_model(model)
    print(f"model {model_id}; samples: {', '.join(p.name for p in paths)}")
    rows = []
    header = f"{'image':<14}{'codec':<10}{'target':>7}{'bpp':>8}{'PSNR':>8}{'MS-SSIM dB':>11}{'enc s':>8}{'dec s':>8}"
    print(header)
    print("-" * len(header))
    for path in paths:
        img = np.asarray(Image.open(path).convert("RGB"))
        for target in bpps:
            t0 = time.perf_counter()
            data = codec.compress(img, bpp=target, model=model)
            t1 = time.perf_counter()
            rec = codec.decompress(data, model=model)
            t2 = time.perf_counter()
            results = [("swiftlic", data, rec, t1 - t0, t2 - t1)]
            Image.fromarray(rec).save(out / f"{path.stem}-swiftlic-{target:g}bpp.png")
            for name in ("jpeg", "jpeg2000"):
                r = baselines.encode(name, img, bpp=target)
                results.append((name, r.data, r.decoded, r.encode_s, r.decode_s))
            for name, data, rec, te, td in results:
                row = dict(image=path.stem, codec=name, target_bpp=target, bpp=metrics.bpp(data, img),
                           psnr=metrics.psnr(img, rec), ms_ssim_db=metrics.ms_ssim_db(img, rec), encode_s=te,
                           decode_s=td)
                rows.append(row)
                print(f"{row['image']:<14}{name:<10}{target:>7g}{row['bpp']:>8.3f}{row['psnr']:>8.2f}"
                      f"{row['ms_ssim_db']:>11.2f}{te:>8.3f}{td:>8.3f}")
    _check_corruption(paths[0], model)
    import json

    (out / "demo.json").write_text(json.dumps(rows, indent=1))
    print(f"reconstructions and demo.json written to {out}/")
    return rows


def _check_corruption(path, model) -> None:
    from PIL import Image

    from . import codec
    from .errors import CorruptStreamError

    data = bytearray(codec.compress(np.asarray(Image.open(path).convert("RGB")), bpp=0.5, model=model))
    data[len(data) // 2] ^= 0x10
    try:
        codec.decompress(bytes(data), model=model)
    except CorruptStreamError as e:
        print(f"a flipped bit is detected, not decoded into noise: CorruptStreamError: {e}")
    else:
        raise AssertionError("a corrupted stream decoded without error")
