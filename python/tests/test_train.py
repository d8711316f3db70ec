"""The trainer: exact resume, a tiny CAE overfitting one batch, recipes, checkpoints, the `train` command."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from safetensors.numpy import load_file, save_file

import swiftlic
from swiftlic import models
from swiftlic.cli import main as cli_main

# The module (``swiftlic.train`` may be re-exported as the function of the same name by the package).
T = importlib.import_module("swiftlic.train")

ROOT = Path(__file__).resolve().parents[2]

TINY_CHENG = {"id": "cheng2018-cae",
              "config": {"channels": [2, 2, 3, 3, 3], "latent_channels": 2, "linear_path": "none", "seed": 3}}


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    """A folder of small generated photos (smooth gradients plus noise)."""
    root = tmp_path_factory.mktemp("photos")
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:40, 0:48]
    for i in range(5):
        base = np.stack([(xx * (i + 1)) % 256, (yy * 3 + 40 * i) % 256, (xx + yy) % 256], -1)
        img = np.clip(base + rng.normal(0, 8, base.shape), 0, 255).astype(np.uint8)
        Image.fromarray(img).save(root / f"p{i}.png")
    return root


def _recipe(photos, **train):
    return {"name": "tiny", "model": TINY_CHENG,
            "data": {"kind": "images", "path": str(photos), "patch": 16, "batch_size": 2, "cache": True},
            "train": {"steps": 4, "lr": 1e-2, "warmup": 2, "clip": 0.5, "lmbda": 0.05, "rate_proxy": "entropy",
                      "quantizer": "noise", "seed": 11, "log_every": 1, "checkpoint_every": 100, **train},
            "validate": {"every": 0}}


def _tensors(run_dir):
    return load_file(str(Path(run_dir) / "checkpoint.safetensors"))


@pytest.mark.parametrize("proxy, quantizer", [("entropy", "noise"), ("l1", "ste"), ("entropy", "mixed"), ("none", "binary"),
                                             ("none", "codec")])
def test_resume_reproduces_an_uninterrupted_run_exactly(photos, tmp_path, proxy, quantizer):
    recipe = _recipe(photos, rate_proxy=proxy, quantizer=quantizer)
    T.train(recipe, out_dir=tmp_path / "straight", steps=4, progress=False)
    T.train(recipe, out_dir=tmp_path / "split", steps=2, progress=False)
    half = _tensors(tmp_path / "split")
    T.train(recipe, out_dir=tmp_path / "split", steps=4, progress=False)   # resumes from step 2
    a, b = _tensors(tmp_path / "straight"), _tensors(tmp_path / "split")
    assert sorted(a) == sorted(b)
    assert any(k.startswith("optim.m.") for k in a)
    assert proxy != "entropy" or any(k.startswith("entropy.") for k in a)
    for k in a:
        assert np.array_equal(a[k], b[k]), k
    # …and training really moved the parameters between step 2 and step 4.
    assert any(not np.array_equal(half[k], a[k]) for k in a if k.startswith("model."))


def test_codec_quantizer_feeds_the_decoder_what_the_codec_decodes(monkeypatch):
    """quantizer="codec": every batch item goes through the real stream (encode with a byte budget, decode)."""
    from swiftlic import codec, latent

    rng = np.random.default_rng(5)
    y = rng.normal(0, 3, (3, 4, 2, 3)).astype(np.float32)
    seen = []
    real = codec.latent_roundtrip

    def spy(yi, bpp, size, model_id="", code_block=None):
        seen.append(bpp)
        return real(yi, bpp, size, model_id, code_block)

    monkeypatch.setattr(codec, "latent_roundtrip", spy)
    out, rates = T._codec_quantize(y, (16, 24), (0.2, 3.0), np.random.default_rng([1, 2]))
    assert len(seen) == 3 and all(0.2 <= b <= 3.0 for b in seen) and len(set(seen)) == 3
    for i, b in enumerate(seen):
        data = latent.encode(y[i], bits=codec.BITS, step=codec._STEP, target_bytes=int(b * 16 * 24 / 8),
                             image_size=(16, 24), color_mode="ycbcr")
        assert np.array_equal(out[i], latent.decode(data)[0])
        assert rates[i] == 8 * len(data) / (16 * 24)  # the stream's real rate, what a decoder sees
    # The rates come from the generator: the same draws give the same latents.
    again, _ = T._codec_quantize(y, (16, 24), (0.2, 3.0), np.random.default_rng([1, 2]))
    assert np.array_equal(out, again)


def test_a_rate_input_post_filter_trains_on_each_patchs_real_stream_rate(photos, tmp_path, monkeypatch):
    """quantizer="codec" with a post-filter that sees the rate: each batch item's plane holds its own stream's
    rate, and the rate plane's weights (zero at the start) train."""
    from swiftlic.models.wavelet import RateInput, rate_feature

    model = {"id": "dwt97-cae", "config": {"levels": 2, "code_block": 8, "postfilter_channels": [3],
                                           "postfilter_rate_input": True, "seed": 2}}
    recipe = _recipe(photos, rate_proxy="none", quantizer="codec", freeze="encoder", codec_bpp=[0.5, 1.5], steps=2)
    recipe = {**recipe, "model": model, "data": {**recipe["data"], "patch": 32}}
    seen, real = [], T._codec_quantize

    def spy(*args, **kw):
        out, rates = real(*args, **kw)
        seen.append(rates)
        return out, rates

    planes = []
    forward = RateInput.forward

    def record(self, x):
        planes.append(self.rate.copy())
        return forward(self, x)

    monkeypatch.setattr(T, "_codec_quantize", spy)
    monkeypatch.setattr(RateInput, "forward", record)
    T.train(recipe, out_dir=tmp_path, steps=2, progress=False)
    assert len(seen) == 2 and len(planes) == 2
    for rates, plane in zip(seen, planes):
        assert rates.shape == (2,) and len(set(rates)) == 2
        np.testing.assert_array_equal(plane, rate_feature(rates))
    first = [v for k, v in _tensors(tmp_path).items() if k.startswith("model.decoder.1.f.f.0.weight")]
    assert len(first) == 1 and np.abs(first[0][:, 3]).max() > 0


def test_frozen_encoder_keeps_its_weights_and_the_decoder_trains(photos, tmp_path):
    recipe = _recipe(photos, rate_proxy="none", quantizer="codec", freeze="encoder", codec_bpp=[0.5, 4.0])
    before = models.create(TINY_CHENG["id"], **TINY_CHENG["config"]).state_dict()
    T.train(recipe, out_dir=tmp_path, steps=3, progress=False)
    after = _tensors(tmp_path)
    assert not any(k.startswith("optim.m.model.encoder.") for k in after)
    for k, v in before.items():
        same = np.array_equal(after["model." + k], v)
        assert same if k.startswith("encoder.") else True, k
    assert any(not np.array_equal(after["model." + k], v) for k, v in before.items() if k.startswith("decoder."))


@pytest.mark.parametrize("kind", ["mse", "log_mse"])
@pytest.mark.parametrize("space", ["input", "rgb"])
def test_distortion_terms_and_their_gradients(kind, space):
    rng = np.random.default_rng(8)
    x = rng.random((3, 3, 4, 5)).astype(np.float32)
    xh = (x + rng.normal(0, 1, x.shape) * np.array([0.01, 0.1, 0.3])[:, None, None, None]).astype(np.float32)
    mse, dist, g = T._distortion(xh, x, kind, space)
    d = xh.astype(np.float64) - x
    if space == "rgb":
        d = np.einsum("rc,nchw->nrhw", swiftlic.color.ycbcr_to_rgb_affine()[0], d)
        assert swiftlic.color.ycbcr_to_rgb_affine()[0][0, 0] == pytest.approx(1.0, abs=1e-3)   # R = Y + …
    assert mse == pytest.approx(np.mean(d * d), rel=1e-5)
    per = np.mean(d * d, axis=(1, 2, 3))
    assert dist == pytest.approx(mse if kind == "mse" else np.mean(10 * np.log10(per)), rel=1e-5)
    check_gradient(xh, x, kind, space, g)


def check_gradient(xh, x, kind, space, g, eps=1e-3, at=((0, 0, 1, 1), (1, 2, 3, 4), (2, 1, 0, 2))):
    for idx in at:
        a, b = xh.astype(np.float64), xh.astype(np.float64)
        a[idx] += eps
        b[idx] -= eps
        numeric = (T._distortion(a.astype(np.float32), x, kind, space)[1]
                   - T._distortion(b.astype(np.float32), x, kind, space)[1]) / (2 * eps)
        assert g[idx] == pytest.approx(numeric, rel=2e-3, abs=1e-6)


def test_binary_cross_entropy_term_and_its_gradient():
    rng = np.random.default_rng(9)
    x = rng.random((2, 1, 4, 5)).astype(np.float32)
    x[0, 0, 0] = 0.0  # black and white pixels, as in MNIST
    x[1, 0, 1] = 1.0
    xh = np.clip(x + rng.normal(0, 0.2, x.shape), 0.05, 0.95).astype(np.float32)
    mse, dist, g = T._distortion(xh, x, "bce", "input")
    p, t = xh.astype(np.float64), x.astype(np.float64)
    assert mse == pytest.approx(np.mean((p - t) ** 2), rel=1e-5)
    assert dist == pytest.approx(np.mean(-t * np.log(p) - (1 - t) * np.log(1 - p)), rel=1e-6)
    check_gradient(xh, x, "bce", "input", g, eps=1e-4, at=((0, 0, 0, 0), (1, 0, 1, 2), (0, 0, 3, 4), (1, 0, 2, 3)))
    # Through the sigmoid (x̂ = σ(z)) the gradient is (x̂ − t) / n, finite even where x̂ saturates.
    sat = np.array([[[[1.0, 0.0, 0.5]]]], np.float32)
    _, _, gs = T._distortion(sat, np.array([[[[0.0, 1.0, 0.5]]]], np.float32), "bce", "input")
    assert np.all(np.isfinite(gs)) and gs[0, 0, 0, 0] > 0 > gs[0, 0, 0, 1] and gs[0, 0, 0, 2] == 0
    with pytest.raises(swiftlic.InvalidArgumentError, match="bce"):
        T.load_recipe({"model": {"id": "ee276-cnn"}, "data": {"kind": "mnist"},
                       "train": {"distortion": "bce", "loss_space": "rgb"}})


def test_cosine_schedule_decays_to_lr_min_at_the_recipe_steps(photos, tmp_path):
    recipe = _recipe(photos, steps=6, lr=1e-2, warmup=1, lr_schedule="cosine", lr_min=1e-4, log_every=1)
    T.train(recipe, out_dir=tmp_path, steps=8, progress=False)
    lrs = [r["lr"] for r in map(json.loads, (tmp_path / "log.jsonl").read_text().splitlines()) if "lr" in r]
    # warm-up ends at step 1; the decay spans steps 1…6 of the recipe; `steps=8` goes on at lr_min.
    assert lrs[0] == lrs[1] == pytest.approx(1e-2)
    assert all(a > b for a, b in zip(lrs[1:7], lrs[2:7]))
    assert lrs[6:] == [pytest.approx(1e-4)] * 2


def test_checkpoint_metadata_and_exported_model(photos, tmp_path):
    T.train(_recipe(photos), out_dir=tmp_path, steps=3, progress=False)
    from safetensors import safe_open

    with safe_open(str(tmp_path / "checkpoint.safetensors"), framework="numpy") as f:
        meta = f.metadata()
    assert meta["step"] == "3" and meta["swiftlic.architecture"] == "cheng2018-cae"
    assert json.loads(meta["recipe"])["train"]["seed"] == 11
    assert json.loads(meta["rng"])["seed"] == 11
    m = models.load(tmp_path / "model.safetensors")
    run = T.load_checkpoint(tmp_path / "checkpoint.safetensors")
    for (k, v), (k2, v2) in zip(m.state_dict().items(), run.model.state_dict().items()):
        assert k == k2 and np.array_equal(v, v2)
    lines = [json.loads(s) for s in (tmp_path / "log.jsonl").read_text().splitlines()]
    steps = [r for r in lines if "loss" in r]
    assert [r["step"] for r in steps] == [1, 2, 3]
    assert all({"mse", "rate", "lr", "steps_per_s"} <= set(r) for r in steps)
    assert steps[0]["lr"] == pytest.approx(0.5e-2)                # warm-up: lr·(step+1)/warmup
    T.train(_recipe(photos), out_dir=tmp_path, steps=2, resume=False, progress=False)   # afresh: a fresh log
    starts = [s for s in (tmp_path / "log.jsonl").read_text().splitlines() if '"start"' in s]
    assert len(starts) == 1 and json.loads(starts[0])["step"] == 0


class _OneBatch:
    def __init__(self, x):
        self.x = x

    def batches(self, start=0):
        while True:
            yield self.x


def test_tiny_cheng_cae_overfits_one_batch(tmp_path):
    y, x = np.mgrid[0:16, 0:16] / 16.0
    batch = np.stack([np.stack([x, y, x * y]), np.stack([1 - x, y * y, 0.5 + 0 * x])]).astype(np.float32)
    recipe = {"name": "overfit",
              "model": {"id": "cheng2018-cae", "config": {"channels": [8, 8, 8, 8, 8], "latent_channels": 8,
                                                          "linear_path": "none", "seed": 0}},
              "train": {"steps": 300, "lr": 3e-3, "warmup": 10, "clip": 1.0, "lmbda": 0.0, "rate_proxy": "none",
                        "quantizer": "none", "log_every": 1, "checkpoint_every": 1000},
              "validate": {"every": 0}}
    T.train(recipe, out_dir=tmp_path, data=_OneBatch(batch), progress=False)
    mse = [json.loads(s)["mse"] for s in (tmp_path / "log.jsonl").read_text().splitlines() if '"mse"' in s]
    assert mse[-1] < 0.05 * mse[0], (mse[0], mse[-1])
    assert mse[-1] < 2e-3


def test_rate_term_lowers_the_rate(tmp_path):
    """One fixed batch, block-PCA linear model: λ = 0.5 ends at a lower rate (and higher MSE) than λ = 0."""
    rng = np.random.default_rng(0)
    q, _ = np.linalg.qr(rng.standard_normal((192, 192)))
    basis = tmp_path / "b.safetensors"
    save_file({"mean": np.full(192, 0.5, np.float32), "basis": q.T.astype(np.float32).copy()}, str(basis))
    yy, xx = np.mgrid[0:16, 0:16] / 16.0
    batch = np.stack([np.stack([xx, yy, xx * yy]), np.stack([1 - xx, yy * yy, 0.5 + 0 * xx])]).astype(np.float32)
    batch += rng.normal(0, 0.05, batch.shape).astype(np.float32)
    rate, mse = [], []
    for lam in (0.0, 0.5):
        out = tmp_path / f"l{lam}"
        recipe = {"model": {"id": "cheng2018-cae", "config": {"latent_channels": 8, "cae": False,
                                                              "latent_scale": 20.0, "basis": str(basis)}},
                  "train": {"steps": 150, "lr": 1e-2, "lmbda": lam, "warmup": 1, "log_every": 1,
                            "checkpoint_every": 1000}, "validate": {"every": 0}}
        T.train(recipe, out_dir=out, progress=False, data=_OneBatch(batch))
        rows = [json.loads(s) for s in (out / "log.jsonl").read_text().splitlines() if '"rate"' in s]
        rate.append(np.mean([r["rate"] for r in rows[-10:]]))
        mse.append(np.mean([r["mse"] for r in rows[-10:]]))
    assert rate[1] < 0.97 * rate[0] and mse[1] > mse[0], (rate, mse)


def test_random_shift_translates_each_image_and_fills_zeros():
    rng = np.random.default_rng(0)
    x = rng.random((6, 2, 5, 7), dtype=np.float32) + 1.0  # no zeros, so filled pixels are recognisable
    out = T.random_shift(x, 2, np.random.default_rng(9))
    d = np.random.default_rng(9).integers(-2, 3, size=(6, 2))
    for i, (dy, dx) in enumerate(d):  # the obvious twin: out[y, x] = x[y − dy, x − dx] where that is inside
        for yy in range(5):
            for xx in range(7):
                sy, sx = yy - dy, xx - dx
                want = x[i, :, sy, sx] if 0 <= sy < 5 and 0 <= sx < 7 else 0.0
                assert np.array_equal(out[i, :, yy, xx], want * np.ones(2, np.float32)), (i, yy, xx)
    assert (d != 0).any()


def test_shifted_array_batches_resume_exactly(tmp_path):
    class _Digits:
        def __init__(self):
            self.images = np.random.default_rng(1).random((40, 1, 6, 6), dtype=np.float32)

        def __len__(self):
            return len(self.images)

        def epoch(self, batch_size, number, seed, drop_last, **_):
            order = np.random.default_rng([seed, number]).permutation(len(self))
            for s in range(0, len(self) - batch_size + 1, batch_size):
                yield self.images[order[s:s + batch_size]], None

    ds = _Digits()
    straight = [b for _, b in zip(range(9), T._array_stream(ds, 8, 3, 0, shift=1))]
    resumed = [b for _, b in zip(range(5), T._array_stream(ds, 8, 3, 4, shift=1))]
    for a, b in zip(straight[4:], resumed):
        assert np.array_equal(a, b)
    plain = [b for _, b in zip(range(9), T._array_stream(ds, 8, 3, 0))]
    assert not np.array_equal(straight[0], plain[0]) and straight[0].shape == plain[0].shape


def test_weight_decay_shrinks_the_weights_of_the_model_only(photos, tmp_path):
    def norm(wd):
        recipe = _recipe(photos, lr=1e-3, weight_decay=wd, clip=0.0, warmup=0)
        T.train(recipe, out_dir=tmp_path / f"wd{wd}", steps=3, progress=False, validate=False)
        t = _tensors(tmp_path / f"wd{wd}")
        return sum(float(np.sum(v.astype(np.float64) ** 2)) for k, v in t.items() if k.startswith("model."))
    n0, n1 = norm(0.0), norm(50.0)
    assert n1 < 0.9 * n0, (n0, n1)
    run = T._Run(T.load_recipe(_recipe(photos, weight_decay=0.5, decoupled=False)))
    (_, model_adam, _), (_, entropy_adam, _) = run.opt.groups["model"], run.opt.groups["entropy"]
    assert (model_adam.weight_decay, model_adam.decoupled) == (0.5, False)
    assert entropy_adam.weight_decay == 0.0   # an entropy model's parameters are not decayed


def test_dense_autoencoder_code_activation():
    x = np.random.default_rng(0).random((5, 1, 28, 28), dtype=np.float32)
    relu, linear = models.create("ee276-dense", seed=1), models.create("ee276-dense", seed=1, code_activation="linear")
    a, b = relu.encoder.forward(x), linear.encoder.forward(x)
    assert a.shape == b.shape == (5, 32) and a.min() >= 0 and b.min() < 0
    assert np.allclose(a, np.maximum(b, 0), atol=1e-6)   # same weights: the ReLU code is the linear one clipped
    assert "code_activation" not in relu.config and linear.config["code_activation"] == "linear"
    with pytest.raises(swiftlic.InvalidArgumentError, match="code_activation"):
        models.create("ee276-dense", code_activation="tanh")


def test_recipes_in_the_repository_are_valid():
    recipes = sorted((ROOT / "training").glob("*.toml"))
    assert recipes
    ids = set()
    for path in recipes:
        r = T.load_recipe(path)
        assert r["model"]["id"] in models.available(), path
        ids.add(r["model"]["id"])
    assert {"cheng2018-cae", "ee276-dense", "ee276-cnn", "ee276-unet", "balle2017-gdn", "theis2017-cae"} <= ids


def test_bad_recipes_raise_clear_errors(tmp_path):
    with pytest.raises(swiftlic.InvalidArgumentError, match="rate_proxy"):
        T.load_recipe({"train": {"rate_proxy": "bits"}})
    with pytest.raises(swiftlic.InvalidArgumentError, match="lr_schedule"):
        T.load_recipe({"train": {"lr_schedule": "linear"}})
    with pytest.raises(swiftlic.InvalidArgumentError, match="freeze"):
        T.load_recipe({"train": {"freeze": "decoder"}})
    with pytest.raises(swiftlic.InvalidArgumentError, match="distortion"):
        T.load_recipe({"train": {"distortion": "ssim"}})
    with pytest.raises(swiftlic.InvalidArgumentError, match="loss_space"):
        T.load_recipe({"train": {"loss_space": "rgb"}, "data": {"colorspace": "rgb"}})
    with pytest.raises(swiftlic.InvalidArgumentError, match="codec_bpp"):
        T.load_recipe({"train": {"codec_bpp": [2.0, 1.0]}})
    with pytest.raises(swiftlic.InvalidArgumentError, match="codec_bpp"):
        T.load_recipe({"train": {"codec_bpp": [0.1, 1.0, 2.0]}})
    with pytest.raises(swiftlic.InvalidArgumentError, match="data.shift"):
        T.load_recipe({"data": {"kind": "mnist", "shift": -1}})
    with pytest.raises(swiftlic.InvalidArgumentError, match="data.shift"):
        T.load_recipe({"data": {"kind": "images", "shift": 2}})
    with pytest.raises(swiftlic.InvalidArgumentError, match="weight_decay"):
        T.load_recipe({"train": {"weight_decay": -0.1}})
    with pytest.raises(swiftlic.InvalidArgumentError, match="does not exist"):
        T.load_recipe(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("name = [")
    with pytest.raises(swiftlic.InvalidArgumentError, match="not valid TOML"):
        T.load_recipe(bad)


def test_train_command_runs_a_recipe_with_overrides(photos, tmp_path, capsys):
    recipe = tmp_path / "r.toml"
    recipe.write_text(f"""
name = "cli"
[model]
id = "cheng2018-cae"
config = {{ channels = [2, 2, 2, 2, 2], latent_channels = 2, linear_path = "none" }}
[data]
path = "{photos}"
patch = 16
batch_size = 2
[train]
steps = 50
""")
    rc = cli_main(["train", str(recipe), "--steps", "2", "--out", str(tmp_path / "run"), "--quiet",
                   "--no-validate", "--set", "train.lr=0.002", "--set", "train.seed=5"])
    assert rc == 0
    assert json.loads(capsys.readouterr().out)["step"] == 2
    run = T.load_checkpoint(tmp_path / "run" / "checkpoint.safetensors")
    assert run.recipe["train"]["lr"] == 0.002 and run.recipe["train"]["seed"] == 5


def test_array_validation_measures_the_training_records_too(tmp_path):
    """`validate.train_records`: the seed report's "training loss" (L2 on training digits, eval mode) beside the
    test L2; each equals the squared error of the model's own reconstruction of those records."""
    rng = np.random.default_rng(5)
    for prefix, n in (("train", 9), ("t10k", 4)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        header = (2051).to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in (n, 28, 28))
        (tmp_path / f"{prefix}-images-idx3-ubyte").write_bytes(header + images.tobytes())
        labels = (2049).to_bytes(4, "big") + n.to_bytes(4, "big") + bytes(n)
        (tmp_path / f"{prefix}-labels-idx1-ubyte").write_bytes(labels)
    model = models.create("ee276-cnn", channels=[2, 3, 3], hidden=5, seed=1)

    def squared_error(split, count):
        x = swiftlic.data.MNIST(tmp_path, split).as_float()[:count]
        return float(np.mean((model.decode(model.encode(x)).astype(np.float64) - x) ** 2))

    out = T.evaluate(model, kind="mnist", path=str(tmp_path), images=0, train_records=6)
    assert out["records"] == 4 and out["train_records"] == 6
    assert out["mse"] == pytest.approx(squared_error("test", 4), rel=1e-6)
    assert out["train_mse"] == pytest.approx(squared_error("train", 6), rel=1e-6)
    assert out["train_mse"] != pytest.approx(squared_error("train", 9), rel=1e-9)  # only the first 6 records
    assert "train_mse" not in T.evaluate(model, kind="mnist", path=str(tmp_path), images=0)


def test_init_starts_a_fresh_run_from_given_weights_and_a_resumed_run_ignores_it(photos, tmp_path):
    T.train(_recipe(photos), out_dir=tmp_path / "a", progress=False)
    source = tmp_path / "a" / "model.safetensors"
    trained = models.load(source).state_dict()
    T.train(_recipe(photos, init=str(source)), out_dir=tmp_path / "b", steps=0, progress=False)
    started = models.load(tmp_path / "b" / "model.safetensors").state_dict()  # step 0: the weights as loaded
    fresh = T._Run(T.load_recipe(_recipe(photos))).model.state_dict()
    for name, value in started.items():
        assert np.array_equal(value, trained[name]), name
    assert any(not np.array_equal(v, trained[k]) for k, v in fresh.items())
    log = [json.loads(line) for line in open(tmp_path / "b" / "log.jsonl")]
    assert log[0]["event"] == "start" and log[0]["init"] == str(source)
    # Resuming keeps the checkpoint's weights: init is for a run's first start only.
    T.train(_recipe(photos, init=str(source), steps=1), out_dir=tmp_path / "c", progress=False)
    T.train(_recipe(photos, init=str(tmp_path / "nowhere.safetensors"), steps=2), out_dir=tmp_path / "c",
            progress=False)
    assert T.load_checkpoint(tmp_path / "c" / "checkpoint.safetensors").step == 2
    # Another architecture, or the same one with other shapes, is refused by name.
    models.save(models.create("ee276-dense"), tmp_path / "dense.safetensors")
    with pytest.raises(swiftlic.ModelMismatchError, match="ee276-dense"):
        T.train(_recipe(photos, init=str(tmp_path / "dense.safetensors")), out_dir=tmp_path / "d", progress=False)
    wide = {**TINY_CHENG["config"], "latent_channels": 3}
    models.save(models.create(TINY_CHENG["id"], **wide), tmp_path / "wide.safetensors")
    with pytest.raises(swiftlic.ModelMismatchError, match="does not fit"):
        T.train(_recipe(photos, init=str(tmp_path / "wide.safetensors")), out_dir=tmp_path / "e", progress=False)
    with pytest.raises(swiftlic.InvalidArgumentError, match="train.init"):
        T.load_recipe(_recipe(photos, init=3))
