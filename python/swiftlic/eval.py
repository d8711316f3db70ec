"""Rate-distortion evaluation of codecs on an image folder: `swiftlic eval` and :func:`run`.

For every image × codec × target rate, :func:`swiftlic.baselines.encode` finds the setting whose real file is
closest to the target; the row records the real bpp, PSNR (RGB), PSNR-YCbCr (6:1:1), MS-SSIM, and the time of one
encode and one decode. From the rows come

- mean RD points per codec and target (mean real bpp, mean of per-image qualities, mean times),
- a summary per codec: BD-rate (PSNR and MS-SSIM dB) and BD-PSNR against the anchor, computed on the mean curves,
  plus the mean of the per-image BD-rates, and mean encode/decode seconds per image and point,
- per-image BD-rates (the bars of Cheng et al. 2018, Fig. 7),
- plots (PNG and SVG): RD curves, MS-SSIM curves, per-image BD-rate bars, and crops at one rate.

>>> import swiftlic.eval                                        # doctest: +SKIP
>>> report = swiftlic.eval.run(codecs=["jpeg", "webp"], bpp=[0.25, 0.5, 1], out="results/tmp/demo")  # doctest: +SKIP
>>> print(report.table())                                       # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import csv
import datetime as _dt
import json
import math
import os
import platform
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import baselines, metrics
from .errors import InvalidArgumentError, SwiftLICError

__all__ = ["run", "Report", "default_dataset", "list_images", "add_eval_parser", "DEFAULT_BPP", "CLASSIC_CODECS"]

DEFAULT_BPP = (0.125, 0.25, 0.5, 1.0, 2.0)
CLASSIC_CODECS = ("jpeg", "jpeg2000", "webp", "avif")
_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".ppm", ".bmp", ".tif", ".tiff", ".webp"}
_SAMPLES = Path(__file__).with_name("samples")


def default_dataset() -> Path:
    """``$SWIFTLIC_DATA/kodak`` when the variable is set; else ``../shared/data/kodak`` (from the working
    directory or the source checkout) when it exists; else the bundled sample images."""
    env = os.environ.get("SWIFTLIC_DATA")
    if env:
        return Path(env) / "kodak"
    for root in (Path.cwd(), Path(__file__).resolve().parents[2]):
        cand = root.parent / "shared" / "data" / "kodak"
        if cand.is_dir():
            return cand
    return _SAMPLES


def list_images(dataset) -> list[Path]:
    """The image files of a folder (png, jpg, ppm, bmp, tif, webp), sorted by name; a single file is a dataset too."""
    p = Path(dataset)
    if p.is_file():
        return [p]
    if not p.is_dir():
        raise InvalidArgumentError(f"dataset: expected a folder of images, {str(p)!r} does not exist")
    files = sorted(f for f in p.iterdir() if f.suffix.lower() in _IMAGE_SUFFIXES and f.is_file())
    if not files:
        raise InvalidArgumentError(f"dataset: no images ({', '.join(sorted(_IMAGE_SUFFIXES))}) in {str(p)!r}")
    return files


def _default_codecs() -> list[str]:
    have = baselines.available()
    return [c for c in ("swiftlic", *CLASSIC_CODECS) if c in have]


@dataclass
class Report:
    """Everything one evaluation produced; the lists hold plain dicts (one per CSV row)."""

    rows: list[dict]
    means: list[dict]
    summary: list[dict]
    per_image_bd: list[dict]
    anchor: str
    config: dict
    files: list[Path] = field(default_factory=list)

    def table(self) -> str:
        """The summary and the mean-PSNR-per-rate tables as Markdown."""
        return _format_tables(self)


# ------------------------------------------------------------------------------------------------------------ rows

def _measure(original: np.ndarray, res: baselines.EncodeResult) -> dict:
    dec = res.decoded
    try:
        ms = metrics.ms_ssim(original, dec)
    except InvalidArgumentError:  # image too small for 5 scales
        ms = math.nan
    return {
        "bpp": res.bpp,
        "bytes": len(res.data),
        "psnr": metrics.psnr(original, dec),
        "psnr_ycbcr": metrics.psnr_ycbcr(original, dec),
        "ms_ssim": ms,
        "ms_ssim_db": math.inf if ms >= 1 else (-10 * math.log10(1 - ms) if math.isfinite(ms) else math.nan),
        "encode_s": res.encode_s,
        "decode_s": res.decode_s,
        "setting": res.setting if res.setting is None or isinstance(res.setting, int) else float(res.setting),
    }


_NAN_ROW = {k: math.nan for k in ("bpp", "bytes", "psnr", "psnr_ycbcr", "ms_ssim", "ms_ssim_db", "encode_s",
                                   "decode_s")}


def _mean(vals: Iterable[float]) -> float:
    v = [x for x in vals if x is not None and math.isfinite(x)]
    return float(np.mean(v)) if v else math.nan


def _curve(rows: Sequence[dict], metric: str) -> tuple[list[float], list[float]]:
    """Distinct (bpp, quality) points of one curve; duplicate files (a codec at its limit) count once."""
    pts = sorted({(r["bpp"], r[metric]) for r in rows if math.isfinite(r["bpp"]) and math.isfinite(r[metric])})
    return [p[0] for p in pts], [p[1] for p in pts]


def _bd(anchor_rows, test_rows, metric: str, method: str, fn) -> float:
    ra, da = _curve(anchor_rows, metric)
    rt, dt = _curve(test_rows, metric)
    try:
        return fn(ra, da, rt, dt, method=method)
    except InvalidArgumentError:  # too few distinct points, repeated qualities, ...
        return math.nan


def _means(rows: list[dict], codecs: Sequence[str], targets: Sequence[float]) -> list[dict]:
    out = []
    for c in codecs:
        for t in targets:
            sel = [r for r in rows if r["codec"] == c and r["target_bpp"] == t and not r.get("error")]
            out.append({"codec": c, "target_bpp": t, "images": len(sel),
                        **{k: _mean(r[k] for r in sel) for k in
                           ("bpp", "psnr", "psnr_ycbcr", "ms_ssim", "ms_ssim_db", "encode_s", "decode_s")}})
    return out


def _summaries(rows, means, codecs, images, anchor, method):
    per_image = []
    for img in images:
        a_rows = [r for r in rows if r["image"] == img and r["codec"] == anchor]
        for c in codecs:
            t_rows = [r for r in rows if r["image"] == img and r["codec"] == c]
            per_image.append({
                "image": img, "codec": c,
                "bd_rate_psnr": _bd(a_rows, t_rows, "psnr", method, metrics.bd_rate),
                "bd_psnr": _bd(a_rows, t_rows, "psnr", method, metrics.bd_psnr),
                "bd_rate_ms_ssim": _bd(a_rows, t_rows, "ms_ssim_db", method, metrics.bd_rate),
            })
    summary = []
    a_means = [m for m in means if m["codec"] == anchor]
    for c in codecs:
        c_means = [m for m in means if m["codec"] == c]
        c_rows = [r for r in rows if r["codec"] == c and not r.get("error")]
        summary.append({
            "codec": c,
            "points": len(c_rows),
            "failed": sum(1 for r in rows if r["codec"] == c and r.get("error")),
            "bd_rate_psnr": _bd(a_means, c_means, "psnr", method, metrics.bd_rate),
            "bd_psnr": _bd(a_means, c_means, "psnr", method, metrics.bd_psnr),
            "bd_rate_ms_ssim": _bd(a_means, c_means, "ms_ssim_db", method, metrics.bd_rate),
            "bd_rate_psnr_per_image_mean": _mean(p["bd_rate_psnr"] for p in per_image if p["codec"] == c),
            "encode_s": _mean(r["encode_s"] for r in c_rows),
            "decode_s": _mean(r["decode_s"] for r in c_rows),
        })
    return summary, per_image


# ------------------------------------------------------------------------------------------------------------ output

def _fmt(v, spec: str) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    return format(v, spec)


def _format_tables(rep: Report) -> str:
    lines = [f"BD against {rep.anchor} on mean curves ({rep.config.get('bd_method', 'pchip')}), "
             f"{rep.config.get('images', '?')} images; time = mean seconds per image and point", "",
             "| codec | BD-rate PSNR | BD-PSNR | BD-rate MS-SSIM | mean per-image BD-rate | encode s | decode s | failed |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for s in rep.summary:
        lines.append(f"| {s['codec']} | {_fmt(s['bd_rate_psnr'], '+.1f')} % | {_fmt(s['bd_psnr'], '+.2f')} dB | "
                     f"{_fmt(s['bd_rate_ms_ssim'], '+.1f')} % | {_fmt(s['bd_rate_psnr_per_image_mean'], '+.1f')} % | "
                     f"{_fmt(s['encode_s'], '.3f')} | {_fmt(s['decode_s'], '.3f')} | {s['failed']} |")
    targets = list(dict.fromkeys(m["target_bpp"] for m in rep.means))
    lines += ["", "Mean PSNR RGB in dB (mean real bpp) per target rate", "",
              "| codec | " + " | ".join(f"{t:g} bpp" for t in targets) + " |",
              "|---|" + "---:|" * len(targets)]
    for c in dict.fromkeys(m["codec"] for m in rep.means):
        cells = []
        for t in targets:
            m = next(x for x in rep.means if x["codec"] == c and x["target_bpp"] == t)
            cells.append(f"{_fmt(m['psnr'], '.2f')} ({_fmt(m['bpp'], '.3f')})")
        lines.append(f"| {c} | " + " | ".join(cells) + " |")
    lines += ["", "Mean MS-SSIM in dB per target rate", "",
              "| codec | " + " | ".join(f"{t:g} bpp" for t in targets) + " |",
              "|---|" + "---:|" * len(targets)]
    for c in dict.fromkeys(m["codec"] for m in rep.means):
        cells = [_fmt(next(x for x in rep.means if x["codec"] == c and x["target_bpp"] == t)["ms_ssim_db"], ".2f")
                 for t in targets]
        lines.append(f"| {c} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _json_safe(v):
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: _json_safe(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_json_safe(x) for x in v]
    if isinstance(v, (np.integer, np.floating)):
        return _json_safe(v.item())
    return v


def _write_csv(path: Path, rows: list[dict]) -> Path:
    keys = list(dict.fromkeys(k for r in rows for k in r))
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys)
        w.writeheader()
        for r in rows:
            w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in r.items()})
    return path


def _write_json(path: Path, obj) -> Path:
    path.write_text(json.dumps(_json_safe(obj), indent=1, allow_nan=False) + "\n")
    return path


def _versions() -> dict:
    from PIL import __version__ as pil, features

    import scipy

    out = {"python": platform.python_version(), "numpy": np.__version__, "scipy": scipy.__version__,
           "pillow": pil, "machine": platform.machine(), "processor": platform.processor() or platform.machine()}
    for feat in ("jpg", "jpg_2000", "webp", "avif"):
        try:
            out[feat] = features.version(feat)
        except (ValueError, KeyError):
            out[feat] = None
    return out


# ------------------------------------------------------------------------------------------------------------ run

def run(dataset=None, *, codecs: Sequence | None = None, bpp: Sequence[float] = DEFAULT_BPP, out=None,
        anchor: str | None = "jpeg2000", method: str = "pchip", limit: int | None = None,
        crop_bpp: float | None = None, plots: bool = True, progress: bool = True) -> Report:
    """Evaluates ``codecs`` at the target rates ``bpp`` on every image of ``dataset``.

    ``dataset`` is a folder or file (default :func:`default_dataset`); ``codecs`` are names from
    :func:`swiftlic.baselines.available` or objects implementing :class:`swiftlic.baselines.Codec` (default: every
    available one of swiftlic, jpeg, jpeg2000, webp, avif); ``anchor`` is the BD reference (must be among the
    codecs; ``None`` → the first). ``limit`` keeps the first images only. With ``out`` the rows, means, summary
    and plots are written there; ``crop_bpp`` picks the rate of the crop figure (default: the target closest to
    0.25). Returns a :class:`Report`.
    """
    images = list_images(dataset if dataset is not None else default_dataset())
    if limit is not None:
        if limit < 1:
            raise InvalidArgumentError(f"limit: expected a positive image count, got {limit}")
        images = images[:limit]
    codec_objs = [baselines.get(c) for c in (codecs if codecs is not None else _default_codecs())]
    names = [c.name for c in codec_objs]
    if not codec_objs:
        raise InvalidArgumentError("codecs: expected at least one codec")
    if len(set(names)) != len(names):
        raise InvalidArgumentError(f"codecs: names must be distinct, got {names}")
    targets = sorted({float(t) for t in bpp})
    if not targets or any(not (math.isfinite(t) and t > 0) for t in targets):
        raise InvalidArgumentError(f"bpp: expected positive target rates, got {list(bpp)}")
    anchor = names[0] if anchor is None else anchor
    if anchor not in names:
        raise InvalidArgumentError(f"anchor: {anchor!r} is not among the codecs {names}")
    if method not in ("pchip", "cubic"):
        raise InvalidArgumentError(f"method: expected 'pchip' or 'cubic', got {method!r}")
    crop_t = min(targets, key=lambda t: abs(math.log(t / (crop_bpp or 0.25))))

    from tqdm import tqdm

    rows: list[dict] = []
    crop_images: dict[str, tuple[np.ndarray, str]] = {}
    first = None
    bar = tqdm(total=len(images) * len(codec_objs) * len(targets), disable=not progress, unit="pt",
               desc="eval", file=sys.stderr, dynamic_ncols=True)
    try:
        for path in images:
            original = baselines.as_rgb(path)
            if first is None:
                first = (path.stem, original)
            for codec in codec_objs:
                for t in targets:
                    bar.set_postfix_str(f"{path.stem} {codec.name} {t:g}", refresh=False)
                    row = {"image": path.stem, "codec": codec.name, "target_bpp": t,
                           "width": original.shape[1], "height": original.shape[0]}
                    try:
                        res = baselines.encode(codec, original, bpp=t)
                        row.update(_measure(original, res))
                        row["error"] = ""
                        if path.stem == first[0] and t == crop_t:
                            crop_images[codec.name] = (
                                res.decoded, f"{res.bpp:.3f} bpp, {row['psnr']:.2f} dB")
                    except (SwiftLICError, OSError, ValueError) as exc:
                        row.update(_NAN_ROW, setting=None, error=f"{type(exc).__name__}: {exc}")
                        bar.write(f"swiftlic eval: {path.name} {codec.name} @ {t:g} bpp failed: {row['error']}")
                    rows.append(row)
                    bar.update()
    finally:
        bar.close()

    image_names = [p.stem for p in images]
    means = _means(rows, names, targets)
    summary, per_image = _summaries(rows, means, names, image_names, anchor, method)
    config = {
        "dataset": str(Path(dataset).resolve()) if dataset is not None else str(default_dataset().resolve()),
        "images": len(images), "codecs": names, "targets_bpp": targets, "anchor": anchor, "bd_method": method,
        "date_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"), "versions": _versions(),
        "notes": "bpp from the real file length; PSNR on RGB (peak 255); means are per-image means; BD on the "
                 "mean curves; times are one encode and one decode at the chosen setting (search not timed)",
    }
    rep = Report(rows=rows, means=means, summary=summary, per_image_bd=per_image, anchor=anchor, config=config)
    if out is not None:
        _write_outputs(rep, Path(out), first, crop_images, crop_t, plots)
    return rep


def _write_outputs(rep: Report, out: Path, first, crop_images, crop_t: float, plots: bool) -> None:
    out.mkdir(parents=True, exist_ok=True)
    files = [
        _write_csv(out / "rows.csv", rep.rows),
        _write_json(out / "rows.json", {"config": rep.config, "rows": rep.rows}),
        _write_csv(out / "means.csv", rep.means),
        _write_csv(out / "summary.csv", rep.summary),
        _write_csv(out / "bd_per_image.csv", rep.per_image_bd),
        _write_json(out / "summary.json", {"config": rep.config, "summary": rep.summary, "means": rep.means,
                                           "bd_per_image": rep.per_image_bd}),
    ]
    table = out / "summary.md"
    table.write_text(rep.table() + "\n")
    files.append(table)
    if plots:
        from . import plots as P

        n = rep.config["images"]
        files += P.save(P.rd_curves(rep.means, "psnr", title=f"{n} images: mean RGB PSNR"), out / "rd_psnr")
        files += P.save(P.rd_curves(rep.means, "ms_ssim_db", title=f"{n} images: mean MS-SSIM"), out / "rd_msssim")
        files += P.save(P.bd_rate_bars(rep.per_image_bd, rep.anchor), out / "bd_rate_per_image")
        if first is not None and crop_images:
            name, original = first
            files += P.save(P.crops(original, crop_images, title=f"{name} at ≈{crop_t:g} bpp"), out / "crops")
    rep.files = files


# ------------------------------------------------------------------------------------------------------------ CLI

def _floats(text: str) -> list[float]:
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from None


def add_eval_parser(sub) -> argparse.ArgumentParser:
    """Adds the ``eval`` subcommand to the ``swiftlic`` argument parser's subparsers."""
    p = sub.add_parser(
        "eval", help="rate-distortion evaluation of codecs on an image folder",
        description="Codes every image at each target rate with each codec (real file sizes), writes per-image "
                    "rows (CSV, JSON), a summary with BD-rates against the anchor, and RD plots.")
    p.add_argument("--dataset", type=Path, default=None,
                   help="folder of images (default: $SWIFTLIC_DATA/kodak, ../shared/data/kodak, bundled samples)")
    p.add_argument("--codecs", default=None,
                   help=f"comma-separated codec names (default: available of swiftlic,{','.join(CLASSIC_CODECS)})")
    p.add_argument("--bpp", type=_floats, default=list(DEFAULT_BPP), help="comma-separated target rates")
    p.add_argument("--out", type=Path, default=None, help="output folder (default: results/<dataset name>)")
    p.add_argument("--anchor", default="jpeg2000", help="BD-rate reference codec (default jpeg2000)")
    p.add_argument("--method", choices=("pchip", "cubic"), default="pchip", help="BD interpolation")
    p.add_argument("--limit", type=int, default=None, help="use only the first N images")
    p.add_argument("--crop-bpp", type=float, default=None, help="rate of the crop figure (default ≈0.25)")
    p.add_argument("--no-plots", action="store_true", help="skip the figures")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--list-codecs", action="store_true", help="print the available codecs and exit")
    p.set_defaults(func=_cli)
    return p


def _cli(args) -> int:
    if args.list_codecs:
        print("\n".join(baselines.available()))
        return 0
    dataset = args.dataset if args.dataset is not None else default_dataset()
    codecs = [c.strip() for c in args.codecs.split(",") if c.strip()] if args.codecs else None
    out = args.out if args.out is not None else Path("results") / Path(dataset).name
    anchor = args.anchor
    if codecs is not None and anchor not in codecs:
        print(f"swiftlic eval: anchor {anchor!r} not in --codecs; using {codecs[0]!r}", file=sys.stderr)
        anchor = codecs[0]
    try:
        rep = run(dataset, codecs=codecs, bpp=args.bpp, out=out, anchor=anchor, method=args.method,
                  limit=args.limit, crop_bpp=args.crop_bpp, plots=not args.no_plots, progress=not args.quiet)
    except SwiftLICError as exc:
        print(f"swiftlic eval: error: {exc}", file=sys.stderr)
        return 2
    print(rep.table())
    print(f"\nwrote {len(rep.files)} files to {out}")
    return 0
