"""A rate-input post-filter's starting point from a trained dwt97-cae post-filter
(:func:`swiftlic.models.wavelet.with_rate_input`): the same weights, the rate plane's first-layer weights zero,
so that it decodes exactly as the source filter does at gain 1 (its gate is dropped).

    .venv/bin/python tools/rate_input_init.py python/swiftlic/weights/dwt97-pf-wide.safetensors \\
        runs/pf-wide-rate-init.safetensors

The output is an exported model, for ``train.init`` of a recipe with ``postfilter_rate_input = true``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from swiftlic import models
from swiftlic.models.wavelet import with_rate_input


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("source", help="a dwt97-cae model or checkpoint with a post-filter")
    ap.add_argument("out")
    a = ap.parse_args()
    m = with_rate_input(models.load(Path(a.source)))
    models.save(m, a.out, metadata={"note": f"rate-input post-filter started from {Path(a.source).name}"})
    print("wrote", a.out)


if __name__ == "__main__":
    main()
