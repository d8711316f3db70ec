"""Grows a trained dwt97-cae post-filter (:func:`swiftlic.models.wavelet.extend_postfilter`): a rate input
(the stream's rate as one more input plane) and/or a coarse branch (layers at 1/factor of the resolution), every
new weight that feeds the output zero, so the result decodes exactly as the source does at gain 1 (its gate is
dropped). The output is an exported model, for ``train.init`` of a recipe with the same model config.

    .venv/bin/python tools/extend_postfilter.py python/swiftlic/weights/dwt97-pf-wide.safetensors \\
        runs/pf-wide-rate-init.safetensors --rate-input
    .venv/bin/python tools/extend_postfilter.py runs/dwt97-cae-postfilter-wide-rate/checkpoint.safetensors \\
        runs/pf-wide-coarse-init.safetensors --coarse 48,48,48 --factor 4
"""

from __future__ import annotations

import argparse
from pathlib import Path

from swiftlic import models
from swiftlic.models.wavelet import extend_postfilter


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("source", help="a dwt97-cae model or checkpoint with a post-filter")
    ap.add_argument("out")
    ap.add_argument("--rate-input", action="store_true", help="add the rate plane")
    ap.add_argument("--coarse", default=None, help="widths of a coarse branch to add, e.g. 48,48,48")
    ap.add_argument("--factor", type=int, default=None, help="the coarse branch's downscale factor (default 4)")
    a = ap.parse_args()
    coarse = None if a.coarse is None else [int(v) for v in a.coarse.split(",")]
    m = extend_postfilter(models.load(Path(a.source)), rate_input=True if a.rate_input else None,
                          coarse_channels=coarse, coarse_factor=a.factor)
    models.save(m, a.out, metadata={"note": f"post-filter of {Path(a.source).name} extended: {m.config}"})
    print("wrote", a.out, m.config)


if __name__ == "__main__":
    main()
