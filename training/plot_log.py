"""Plots a training log (runs/<name>/log.jsonl): training MSE (and rate) per step, validation points.

    python training/plot_log.py runs/ee276-dense/log.jsonl results/ee276/ee276-dense.png
"""

from __future__ import annotations

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(log_path: str, png_path: str) -> None:
    rows = [json.loads(line) for line in open(log_path) if line.strip()]
    train = [r for r in rows if "mse" in r and "val" not in r]
    val = [r for r in rows if "val" in r]
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    ax.plot([r["step"] for r in train], [r["mse"] for r in train], lw=0.6, alpha=0.7, label="train MSE")
    if val and "mse" in val[0]["val"]:
        ax.plot([r["step"] for r in val], [r["val"]["mse"] for r in val], "o-", label="test MSE")
    if val and "train_mse" in val[-1]["val"]:  # (validate.train_records: eval mode on fixed training records)
        tv = [r for r in val if "train_mse" in r["val"]]
        ax.plot([r["step"] for r in tv], [r["val"]["train_mse"] for r in tv], "s-", ms=4,
                label=f"train MSE, eval mode ({tv[-1]['val']['train_records']} records)")
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("MSE ([0, 1] pixels)")
    if any(r.get("rate") for r in train):
        ax2 = ax.twinx()
        ax2.plot([r["step"] for r in train], [r["rate"] for r in train], lw=0.6, color="C2", alpha=0.6)
        ax2.set_ylabel("rate proxy (bpp)", color="C2")
    if val and "psnr" in val[0]["val"]:
        txt = "\n".join(f"step {r['step']}: {r['val']['psnr']:.2f} dB @ {r['val']['bpp']:.3f} bpp "
                        f"({r['val']['rate_kind']})" for r in val[-4:])
        ax.text(0.02, 0.02, txt, transform=ax.transAxes, fontsize=7, va="bottom")
    ax.legend(loc="upper right", fontsize=8)
    ax.set_title(png_path.rsplit("/", 1)[-1].rsplit(".", 1)[0], fontsize=9)
    fig.tight_layout()
    fig.savefig(png_path, dpi=100)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
