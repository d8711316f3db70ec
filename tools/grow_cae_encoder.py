"""Grows a decoder-only Cheng CAE (``cae="decoder"``) into one with a residual CAE beside its analysis as well
(:func:`swiftlic.models.cheng2018.grow_encoder`): the new branch's last layer is zero, so the result codes exactly
as the source does. The output is an exported model, for ``train.init`` of a recipe with ``cae = true``.

    .venv/bin/python tools/grow_cae_encoder.py training/resume/cheng2018-cae-pca192-codec-5.safetensors \\
        runs/cheng2018-cae-pca192-e2e-init.safetensors
"""

from __future__ import annotations

import argparse
from pathlib import Path

from swiftlic import models
from swiftlic.models.cheng2018 import grow_encoder


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("source", help="a cheng2018-cae model or training checkpoint with cae='decoder'")
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=None, help="initialisation of the new branch (default: the model's)")
    a = ap.parse_args()
    m = grow_encoder(models.load(Path(a.source)), seed=a.seed)
    models.save(m, a.out, metadata={"note": f"{Path(a.source).name} grown by an analysis CAE: {m.config}"})
    print("wrote", a.out, m.config)


if __name__ == "__main__":
    main()
