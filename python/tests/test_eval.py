"""swiftlic eval end to end on tiny settings (bundled samples, two fast codecs) and the Python API."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest

import swiftlic
from swiftlic import cli
from swiftlic import eval as ev

SAMPLES = Path(swiftlic.__file__).with_name("samples")


def test_cli_eval_writes_rows_summary_and_plots(tmp_path, capsys):
    out = tmp_path / "run"
    rc = cli.main(["eval", "--dataset", str(SAMPLES), "--codecs", "jpeg,webp", "--bpp", "0.25,0.5,1,2",
                   "--anchor", "jpeg", "--out", str(out), "--quiet"])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "BD-rate PSNR" in printed and "| webp |" in printed

    images = ev.list_images(SAMPLES)
    with (out / "rows.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(images) * 2 * 4
    assert {r["codec"] for r in rows} == {"jpeg", "webp"}
    for r in rows:
        assert abs(float(r["bpp"]) / float(r["target_bpp"]) - 1) < 0.25
        assert float(r["psnr"]) > 20 and 0 < float(r["ms_ssim"]) < 1 and float(r["encode_s"]) > 0
        assert r["error"] == ""

    summary = json.loads((out / "summary.json").read_text())  # strict JSON (no NaN)
    by = {s["codec"]: s for s in summary["summary"]}
    assert by["jpeg"]["bd_rate_psnr"] == pytest.approx(0, abs=1e-9)
    assert by["webp"]["bd_rate_psnr"] < 0 and by["webp"]["bd_psnr"] > 0  # WebP beats JPEG
    assert summary["config"]["anchor"] == "jpeg" and summary["config"]["images"] == len(images)
    assert len(json.loads((out / "rows.json").read_text())["rows"]) == len(rows)
    for stem in ("rd_psnr", "rd_msssim", "bd_rate_per_image", "crops"):
        for suffix in (".png", ".svg"):
            assert (out / f"{stem}{suffix}").stat().st_size > 1000
    assert "Mean PSNR" in (out / "summary.md").read_text()


def test_api_run_with_a_user_codec_and_a_limit():
    class Identity:
        name = "raw"

        def encode(self, image, bpp):
            self.shape = image.shape
            return image.tobytes()

        def decode(self, data):
            return np.frombuffer(data, np.uint8).reshape(self.shape)

    rep = ev.run(SAMPLES, codecs=[Identity(), "jpeg"], bpp=[0.5, 1.0], anchor="jpeg", limit=1, progress=False)
    assert rep.config["images"] == 1 and rep.files == []
    raw = [r for r in rep.rows if r["codec"] == "raw"]
    assert len(raw) == 2 and all(r["psnr"] == math.inf and r["bpp"] == 24.0 for r in raw)
    assert "| raw |" in rep.table()
    means = {(m["codec"], m["target_bpp"]): m for m in rep.means}
    assert means[("jpeg", 1.0)]["psnr"] > means[("jpeg", 0.5)]["psnr"]


def test_failures_are_recorded_not_fatal():
    class Broken:
        name = "broken"

        def encode(self, image, bpp):
            raise ValueError("cannot")

        def decode(self, data):
            raise AssertionError("unreachable")

    rep = ev.run(SAMPLES, codecs=["jpeg", Broken()], bpp=[0.5, 1.0], anchor="jpeg", limit=1, progress=False)
    bad = [r for r in rep.rows if r["codec"] == "broken"]
    assert all("cannot" in r["error"] and math.isnan(r["psnr"]) for r in bad)
    assert {s["codec"]: s["failed"] for s in rep.summary} == {"jpeg": 0, "broken": 2}


def test_cli_reports_bad_arguments(tmp_path, capsys):
    rc = cli.main(["eval", "--dataset", str(SAMPLES), "--codecs", "nope", "--out", str(tmp_path), "--quiet"])
    assert rc == 2 and "unknown codec 'nope'" in capsys.readouterr().err
    rc = cli.main(["eval", "--dataset", str(tmp_path / "none"), "--codecs", "jpeg", "--quiet"])
    assert rc == 2 and "does not exist" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["eval", "--bpp", "a,b"])
    with pytest.raises(swiftlic.InvalidArgumentError, match="anchor"):
        ev.run(SAMPLES, codecs=["jpeg"], anchor="webp", progress=False)
    with pytest.raises(swiftlic.InvalidArgumentError, match="positive"):
        ev.run(SAMPLES, codecs=["jpeg"], bpp=[0.5, -1], anchor="jpeg", progress=False)


def test_cli_lists_codecs(capsys):
    assert cli.main(["eval", "--list-codecs"]) == 0
    listed = capsys.readouterr().out.split()
    assert {"jpeg", "jpeg444", "jpeg2000", "fmm"} <= set(listed)


def test_default_dataset_follows_swiftlic_data(monkeypatch, tmp_path):
    monkeypatch.setenv("SWIFTLIC_DATA", str(tmp_path))
    assert ev.default_dataset() == tmp_path / "kodak"
    monkeypatch.delenv("SWIFTLIC_DATA")
    d = ev.default_dataset()
    assert d == SAMPLES or d.parts[-3:] == ("shared", "data", "kodak")


@pytest.mark.parametrize("module", ["metrics", "fmm", "baselines", "eval", "plots"])
def test_docstring_examples_run(module):
    import doctest
    import importlib

    mod = importlib.import_module(f"swiftlic.{module}")
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
