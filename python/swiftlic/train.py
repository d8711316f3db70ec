"""Training from a recipe: rate–distortion loss, Adam with warm-up and clipping, logs, checkpoints, exact resume.

A recipe is a dict (or a TOML file, see training/*.toml) with four tables::

    name = "cheng2018-cae-lambda0.01"        # run folder: runs/<name>/ unless out_dir is given
    [model]    id = "cheng2018-cae"; config = { latent_channels = 32 }
    [data]     kind = "images" | "mnist" | "cifar10"; path = "train" (under swiftlic.data.data_root());
               patch = 128; batch_size = 16; colorspace = "ycbcr"
    [train]    steps, lr, lr_schedule = "constant" | "cosine" (to lr_min at steps), lr_min, lr_entropy, warmup,
               clip, lmbda, rate_proxy = "entropy" | "l1" | "none",
               quantizer = "noise" | "ste" | "mixed" | "binary" | "none" | "codec" (default: the model's), seed,
               log_every, checkpoint_every, codec_bpp = [lo, hi], freeze = "" | "encoder",
               distortion = "mse" | "log_mse" | "bce", loss_space = "input" | "rgb",
               init = "" | shipped model name | path to a .safetensors model or checkpoint (weights to start from)
    [validate] path = "kodak", every, images, crop (images); images (mnist, cifar10: records of the test split),
               train_records (mnist, cifar10: also the MSE on the first that many training records, ``train_mse``:
               the seed report's "training loss", measured in eval mode on fixed records rather than per batch)

Loss: L = D + λ·R with D = MSE(x, x̂) (``distortion="log_mse"``: the batch mean of 10·log₁₀ of each item's MSE,
i.e. −PSNR up to a constant, so a patch coded at a low rate does not outweigh one coded at a high rate; then λ is
in dB per bpp; ``"bce"``: binary cross-entropy −t·ln x̂ − (1 − t)·ln(1 − x̂) per pixel, for sigmoid outputs and
targets in [0, 1] such as MNIST, whose gradient through the sigmoid is x̂ − t and does not vanish where the output
saturates as the squared error's does; it is minimal at x̂ = t, and the MSE is still what is logged and
validated). ``loss_space="rgb"`` measures the error of YCbCr data after the linear map to RGB, where the PSNR
is reported. R is in bits per pixel: the learned factorized Laplacian estimate of −log₂ p(ỹ)
(``rate_proxy="entropy"``, its parameters trained with ``lr_entropy``) or Cheng's amplitude Σ|ỹ| per pixel
(``"l1"``). Validation reports RGB PSNR of the rounded and of the noisy latent, and the rate: the real coded size
through ``swiftlic.latent`` when that module exists (``rate_kind="real"``), else the entropy model's estimate
(``rate_kind="estimated"``).

Exact resume: every random draw of step k (data order and crops, quantization noise, dropout masks) is a pure
function of (seed, k), and a checkpoint stores parameters, Adam moments, the step and the recipe, so stopping and
resuming gives bit-identical parameters to an uninterrupted run.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import sys
import time
from itertools import islice
from pathlib import Path

import numpy as np

from . import color, models
from .codec import code_block_size
from ._heap import retained_heap
from .errors import InvalidArgumentError, ModelMismatchError
from .models.base import QUANTIZERS, quantize, quantize_backward
from .models.entropy import FactorizedLaplace
from .nn.optim import clip_grad_norm, warmup_lr

__all__ = ["train", "load_recipe", "load_checkpoint", "evaluate", "export", "add_train_parser", "DEFAULTS"]

DEFAULTS = {
    "name": "run",
    "model": {"id": "cheng2018-cae", "config": {}},
    "data": {"kind": "images", "path": "train", "patch": 128, "batch_size": 16, "colorspace": "ycbcr", "shift": 0},
    "train": {"steps": 1000, "lr": 1e-3, "lr_entropy": 1e-2, "warmup": 100, "clip": 1.0, "lmbda": 0.01,
              "rate_proxy": "entropy", "quantizer": None, "seed": 0, "log_every": 10, "checkpoint_every": 100,
              "entropy_init_scale": 1.0, "lr_schedule": "constant", "lr_min": 0.0, "codec_bpp": [0.1, 2.5],
              "freeze": "", "distortion": "mse", "loss_space": "input", "weight_decay": 0.0, "decoupled": True,
              "init": ""},
    "validate": {"path": "kodak", "every": 500, "images": 4, "crop": 256, "bpp": 0.5},
}
# "codec": the decoder is trained on what the real codec decodes (swiftlic.codec.latent_roundtrip of each batch
# item at a rate drawn log-uniformly from codec_bpp: PCRD truncation, bitplane precision and all), the encoder gets
# the straight-through gradient and the rate term (if any) sees y + u as with "mixed".
TRAIN_QUANTIZERS = QUANTIZERS + ("codec",)
RATE_PROXIES = ("entropy", "l1", "none")


# -- recipes -----------------------------------------------------------------------------------------------------
def _merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) and k != "config" else v
    return out


def load_recipe(recipe) -> dict:
    """A recipe dict with every default filled in, from a dict or a .toml path."""
    if isinstance(recipe, (str, os.PathLike)):
        import tomllib

        path = Path(recipe)
        if not path.exists():
            raise InvalidArgumentError(f"recipe {str(path)!r} does not exist")
        with open(path, "rb") as f:
            try:
                recipe = tomllib.load(f)
            except tomllib.TOMLDecodeError as exc:
                raise InvalidArgumentError(f"recipe {str(path)!r} is not valid TOML: {exc}") from None
        recipe.setdefault("name", path.stem)
    if not isinstance(recipe, dict):
        raise InvalidArgumentError(f"recipe: expected a dict or a .toml path, got {type(recipe).__name__}")
    r = _merge(DEFAULTS, recipe)
    t = r["train"]
    if t["rate_proxy"] not in RATE_PROXIES:
        raise InvalidArgumentError(f"train.rate_proxy: expected one of {RATE_PROXIES}, got {t['rate_proxy']!r}")
    if t["lr_schedule"] not in ("constant", "cosine"):
        raise InvalidArgumentError(f"train.lr_schedule: expected 'constant' or 'cosine', got {t['lr_schedule']!r}")
    if t["quantizer"] is not None and t["quantizer"] not in TRAIN_QUANTIZERS:
        raise InvalidArgumentError(f"train.quantizer: expected one of {TRAIN_QUANTIZERS}, got {t['quantizer']!r}")
    if t["freeze"] not in ("", "encoder"):
        raise InvalidArgumentError(f"train.freeze: expected '' or 'encoder', got {t['freeze']!r}")
    if t["distortion"] not in ("mse", "log_mse", "bce"):
        raise InvalidArgumentError(f"train.distortion: expected 'mse', 'log_mse' or 'bce', got {t['distortion']!r}")
    if t["distortion"] == "bce" and t["loss_space"] != "input":
        raise InvalidArgumentError("train.distortion: 'bce' needs loss_space 'input' (outputs and targets in [0, 1])")
    if t["loss_space"] not in ("input", "rgb") or (t["loss_space"] == "rgb" and r["data"].get("colorspace") != "ycbcr"):
        raise InvalidArgumentError(f"train.loss_space: expected 'input', or 'rgb' with YCbCr data, got "
                                   f"{t['loss_space']!r} with colorspace {r['data'].get('colorspace')!r}")
    try:
        lo, hi = (float(b) for b in t["codec_bpp"])
    except (TypeError, ValueError):
        lo = hi = math.nan
    if not 0 < lo <= hi:
        raise InvalidArgumentError(f"train.codec_bpp: expected [lo, hi] with 0 < lo <= hi, got {t['codec_bpp']}")
    if r["data"]["kind"] not in ("images", "mnist", "cifar10"):
        raise InvalidArgumentError(f"data.kind: expected 'images', 'mnist' or 'cifar10', got {r['data']['kind']!r}")
    shift = r["data"]["shift"]
    if isinstance(shift, bool) or not isinstance(shift, int) or shift < 0 or (shift and r["data"]["kind"] == "images"):
        raise InvalidArgumentError(f"data.shift: expected an integer >= 0 (MNIST / CIFAR-10 only; image folders crop "
                                   f"at random already), got {shift!r} for data.kind {r['data']['kind']!r}")
    if not isinstance(t["init"], str):
        raise InvalidArgumentError(f"train.init: expected a model name or a path (a string), got {t['init']!r}")
    wd = t["weight_decay"]
    if isinstance(wd, bool) or not isinstance(wd, (int, float)) or not wd >= 0:
        raise InvalidArgumentError(f"train.weight_decay: expected a number >= 0, got {wd!r}")
    return r


def _set_override(recipe: dict, assignment: str) -> None:
    """Applies ``section.key=value`` (value parsed as TOML, else kept as a string)."""
    import tomllib

    if "=" not in assignment:
        raise InvalidArgumentError(f"--set: expected section.key=value, got {assignment!r}")
    key, value = assignment.split("=", 1)
    try:
        value = tomllib.loads(f"v = {value}")["v"]
    except tomllib.TOMLDecodeError:
        pass
    node = recipe
    parts = key.strip().split(".")
    for p in parts[:-1]:
        node = node.setdefault(p, {})
    node[parts[-1]] = value


# -- data --------------------------------------------------------------------------------------------------------
def _array_stream(ds, batch_size: int, seed: int, start: int, shift: int = 0, **layout):
    """Endless shuffled mini-batches of an in-memory data set, beginning at batch ``start`` (exact resume).

    ``shift`` > 0 translates each image by a random whole number of pixels in [−shift, shift] along each axis
    (zeros shifted in), drawn from ``default_rng([seed, 4, batch index])`` so that a resumed run sees the same
    batches."""
    per_epoch = len(ds) // batch_size
    epoch, skip = divmod(start, per_epoch)
    index = start
    while True:
        it = ds.epoch(batch_size, number=epoch, seed=seed, drop_last=True, **layout)
        for x, _ in islice(it, skip, None):
            yield random_shift(x, shift, np.random.default_rng([seed, 4, index])) if shift else x
            index += 1
        epoch, skip = epoch + 1, 0


def random_shift(x: np.ndarray, shift: int, rng: np.random.Generator) -> np.ndarray:
    """Each N×C×H×W image translated by (dy, dx) drawn uniformly from [−shift, shift]², zero-filled."""
    n, _, h, w = x.shape
    d = rng.integers(-shift, shift + 1, size=(n, 2))
    out = np.zeros_like(x)
    for i, (dy, dx) in enumerate(d):
        out[i, :, max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
            x[i, :, max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
    return out


def _resolve(path) -> Path:
    from . import data as sdata

    return Path(path) if Path(path).is_absolute() else sdata.data_root() / path


def _array_dataset(kind: str, path, split: str):
    from . import data as sdata

    return (sdata.MNIST if kind == "mnist" else sdata.CIFAR10)(_resolve(path), split)


def _open_data(d: dict, seed: int):
    """(object with ``batches(start)``, description) for the recipe's data table."""
    from . import data as sdata

    kind = d["kind"]
    if kind == "images":
        root = _resolve(d["path"])
        folder = sdata.ImageFolder(root, patch=d["patch"], batch_size=d["batch_size"], colorspace=d["colorspace"],
                                   seed=seed, cache=d.get("cache", "auto"))
        return folder, f"{len(folder)} images in {root}"
    ds = _array_dataset(kind, d["path"], "train")

    class _Arrays:
        def batches(self, start=0):
            return _array_stream(ds, d["batch_size"], seed, start, d["shift"])

    return _Arrays(), f"{len(ds)} {kind} records"


# -- optimizer ---------------------------------------------------------------------------------------------------
class _Optimizer:
    """swiftlic.nn.optim.Adam per parameter group (each with its own learning-rate multiplier), checkpointed as
    tensors named ``optim.{m,v}.<group>.<parameter name>``."""

    def __init__(self, groups: dict[str, tuple[dict, float]], weight_decay: float = 0.0,
                 decoupled: bool = True) -> None:
        from .nn.optim import Adam

        # Weight decay applies to the model's group only (not to an entropy model's parameters).
        self.groups = {g: (list(named), Adam(list(named.values()), weight_decay=weight_decay if g == "model" else 0.0,
                                             decoupled=decoupled), mult)
                       for g, (named, mult) in groups.items()}

    @property
    def t(self) -> int:
        return next(iter(self.groups.values()))[1].step_count

    def step(self, lr: float) -> None:
        for _, adam, mult in self.groups.values():
            adam.lr = lr * mult
            adam.step()

    def state_tensors(self) -> dict[str, np.ndarray]:
        out = {}
        for g, (names, adam, _) in self.groups.items():
            for n, m, v in zip(names, adam.exp_avg, adam.exp_avg_sq):
                out[f"optim.m.{g}.{n}"], out[f"optim.v.{g}.{n}"] = m, v
        return out

    def load_state_tensors(self, tensors: dict, t: int) -> None:
        for g, (names, adam, _) in self.groups.items():
            for n, m, v in zip(names, adam.exp_avg, adam.exp_avg_sq):
                for key, store in ((f"optim.m.{g}.{n}", m), (f"optim.v.{g}.{n}", v)):
                    if key not in tensors or tensors[key].shape != store.shape:
                        raise ModelMismatchError(f"checkpoint lacks optimizer state {key} of shape {store.shape}")
                    store[...] = tensors[key]
            adam.step_count = int(t)


# -- the state of a run ------------------------------------------------------------------------------------------
class _Run:
    def __init__(self, recipe: dict) -> None:
        self.recipe = recipe
        t = recipe["train"]
        self.model = models.create(recipe["model"]["id"], **recipe["model"].get("config", {}))
        self.quantizer = t["quantizer"] or self.model.quantizer
        self.entropy = None
        # A frozen encoder keeps its weights and skips its backward pass (decoder-only fine-tuning).
        named = {k: v for k, v in self.model.named_parameters() if not k.startswith(t["freeze"] + ".")} \
            if t["freeze"] else dict(self.model.named_parameters())
        groups = {"model": (named, 1.0)}
        if t["rate_proxy"] == "entropy" and self.quantizer in ("noise", "ste", "mixed", "codec"):
            self.entropy = FactorizedLaplace(self.model.latent_channels, t["entropy_init_scale"])
            groups["entropy"] = (dict(self.entropy.named_parameters()), t["lr_entropy"] / t["lr"])
        self.opt = _Optimizer(groups, float(t["weight_decay"]), bool(t["decoupled"]))
        self.step = 0
        self.elapsed = 0.0

    # A checkpoint is one .safetensors file: model.*, entropy.*, optim.{m,v}.* tensors; recipe/step in metadata.
    def save(self, path: Path) -> None:
        from safetensors.numpy import save_file

        tensors = {f"model.{k}": v for k, v in self.model.state_dict().items()}
        if self.entropy is not None:
            tensors.update({f"entropy.{k}": v for k, v in self.entropy.state_dict().items()})
        tensors.update(self.opt.state_tensors())
        meta = {"swiftlic.architecture": self.model.name,
                "swiftlic.config": json.dumps(self.model.config, sort_keys=True),
                "recipe": json.dumps(self.recipe, sort_keys=True), "step": str(self.step),
                "optim_t": str(self.opt.t), "elapsed_s": f"{self.elapsed:.3f}",
                "rng": json.dumps({"seed": self.recipe["train"]["seed"],
                                   "scheme": "every draw of step k uses numpy default_rng([seed, purpose, k])"})}
        tmp = path.with_suffix(".tmp")
        save_file({k: np.ascontiguousarray(v) for k, v in tensors.items()}, str(tmp), metadata=meta)
        os.replace(tmp, path)  # atomic: an interruption never leaves a half-written checkpoint

    def load(self, path: Path) -> None:
        from safetensors import safe_open

        with safe_open(str(path), framework="numpy") as f:
            meta = f.metadata()
            tensors = {k: f.get_tensor(k) for k in f.keys()}
        arch = meta.get("swiftlic.architecture", meta.get("architecture"))  # (early checkpoints: no prefix)
        if arch != self.model.name:
            raise ModelMismatchError(f"{path}: checkpoint of {arch}, recipe trains {self.model.name}")
        self.model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
        if self.entropy is not None:
            self.entropy.load_state_dict({k[8:]: v for k, v in tensors.items() if k.startswith("entropy.")})
        self.opt.load_state_tensors(tensors, int(meta["optim_t"]))
        self.step = int(meta["step"])
        self.elapsed = float(meta.get("elapsed_s", 0))

    def init_weights(self, source: str) -> None:
        """The model's weights from ``source`` (a shipped model name, an exported model or a training checkpoint
        of the same architecture): fine-tuning or a warm restart. The optimizer starts fresh."""
        from .codec import load_model

        _, other = load_model(source)
        if other.name != self.model.name:
            raise ModelMismatchError(f"train.init: {source!r} is a {other.name} model, the recipe trains "
                                     f"{self.model.name}")
        try:
            self.model.load_state_dict(other.state_dict())
        except InvalidArgumentError as exc:
            raise ModelMismatchError(f"train.init: {source!r} does not fit the recipe's model: {exc}") from None

    def seed_step(self, step: int) -> None:
        seed = self.recipe["train"]["seed"]
        object.__setattr__(self.model, "rng", np.random.default_rng([seed, 2, step]))
        for i, (_, m) in enumerate(self.model.named_modules()):
            if type(m).__name__ == "Dropout":
                if hasattr(m, "load_rng_state"):  # native: a Philox stream (seed, offset)
                    m.load_rng_state({"seed": int(np.random.default_rng([seed, 3, step, i]).integers(2**31)),
                                      "offset": 0})
                else:
                    m.rng = np.random.default_rng([seed, 3, step, i])

    def train_step(self, x: np.ndarray, step: int) -> dict:
        t = self.recipe["train"]
        model = self.model
        model.train()
        self.seed_step(step)
        model.zero_grad()
        if self.entropy is not None:
            self.entropy.zero_grad()
        y = model.encoder.forward(x)
        if self.quantizer == "codec":
            yq, rates = _codec_quantize(y, x.shape[2:], t["codec_bpp"], model.rng,
                                        code_block_size(model, *y.shape[2:]))
            qcache = None
            if hasattr(model, "set_rate"):  # a post-filter that sees the rate sees each patch's real stream rate
                model.set_rate(rates)
        else:
            yq, qcache = quantize(y, self.quantizer, True, model.rng)
        xh = model.decoder.forward(yq)
        mse, dist, gxh = _distortion(xh, x, t["distortion"], t["loss_space"])
        pixels = x.shape[0] * x.shape[2] * x.shape[3]
        rate, grate = 0.0, None
        # "mixed": the rate sees y + u while the decoder saw round(y).
        mixed = self.quantizer in ("mixed", "codec")
        yr = y + model.rng.uniform(-0.5, 0.5, size=y.shape).astype(np.float32) if mixed else yq
        if self.entropy is not None:
            rate = self.entropy.forward(yr) / pixels
            # The entropy model minimises the bits whatever λ is (so its estimate stays honest at λ = 0);
            # the transform sees λ·∂R/∂ỹ.
            grate = np.float32(t["lmbda"]) * self.entropy.backward(1.0 / pixels)
        elif t["rate_proxy"] == "l1" and self.quantizer != "none":
            rate = float(np.abs(yr).sum(dtype=np.float64)) / pixels
            grate = (np.float32(t["lmbda"] / pixels) * np.sign(yr)).astype(np.float32)
        gyq = model.decoder.backward(gxh.astype(np.float32))
        if grate is not None:
            gyq = gyq + grate
        if t["freeze"] != "encoder":
            model.encoder.backward(quantize_backward(gyq, self.quantizer, qcache))
        lam = t["lmbda"] if grate is not None else 0.0
        gnorm = clip_grad_norm(self.opt.groups["model"][1].params, t["clip"]) if t["clip"] else 0.0
        # "cosine" decays to lr_min at the recipe's own step count, so `--steps` can stop early or go on at lr_min.
        horizon = int(t["steps"]) if t["lr_schedule"] == "cosine" else None
        lr = warmup_lr(step, t["lr"], t["warmup"], horizon, t["lr_min"])
        self.opt.step(lr)
        return {"loss": dist + lam * rate, "mse": mse, "rate": rate, "grad_norm": gnorm, "lr": lr}


def _mix_channels(M: np.ndarray, x: np.ndarray) -> np.ndarray:
    """out[:, r] = Σ_c M[r, c]·x[:, c] for an N×C×H×W batch, in plain NumPy loops: as a BLAS call (einsum with
    optimize=True) it left OpenBLAS's thread spinning after every step, ~12 % of a training run's CPU samples on
    2 cores, taken from the native thread pool."""
    out = np.empty((x.shape[0], M.shape[0]) + x.shape[2:], np.float32)
    for r in range(M.shape[0]):
        np.multiply(x[:, 0], M[r, 0], out=out[:, r])
        for c in range(1, M.shape[1]):
            out[:, r] += M[r, c] * x[:, c]
    return out


def _distortion(xh: np.ndarray, x: np.ndarray, kind: str, space: str) -> tuple[float, float, np.ndarray]:
    """(MSE, distortion term, its gradient with respect to x̂) for a batch; see the module docstring."""
    diff = xh - x
    M = None
    if space == "rgb":  # the offset of the affine YCbCr → RGB map cancels in a difference
        M = color.ycbcr_to_rgb_affine()[0].astype(np.float32)
        diff = _mix_channels(M, diff)
    mse = float(np.mean(diff * diff, dtype=np.float64))
    if kind == "mse":
        dist, g = mse, (2.0 / diff.size) * diff
    elif kind == "bce":
        # p(1 − p) is floored so that a saturated output (p = 0 or 1 in float32) gives a finite gradient, which the
        # sigmoid's own derivative p(1 − p) then scales back to ≈ p − t.
        p = np.clip(xh.astype(np.float64), 1e-7, 1 - 1e-7)
        t = x.astype(np.float64)
        dist = float(np.mean(-t * np.log(p) - (1 - t) * np.log1p(-p)))
        g = (xh.astype(np.float64) - t) / (np.maximum(p * (1 - p), 1e-7) * diff.size)
    else:
        per = np.mean(diff * diff, axis=(1, 2, 3), dtype=np.float64) + 1e-12
        dist = float(np.mean(10 * np.log10(per)))
        scale = (10 / math.log(10)) * 2.0 / (per * diff[0].size * diff.shape[0])
        g = diff * scale.astype(np.float32)[:, None, None, None]
    if M is not None:
        g = _mix_channels(M.T, g)
    return mse, dist, np.ascontiguousarray(g, dtype=np.float32)


def _codec_quantize(y: np.ndarray, size, bpp_range, rng: np.random.Generator,
                    code_block=None) -> tuple[np.ndarray, np.ndarray]:
    """(ŷ, rates): each batch item through the real codec (:func:`swiftlic.codec.latent_roundtrip`) at a rate
    drawn log-uniformly from ``bpp_range`` (from ``rng``, so a resumed run draws the same rates), and the real rate
    of each item's stream (8·bytes / pixels of ``size``), the one a decoder would see."""
    from .codec import latent_roundtrip

    lo, hi = (math.log(float(b)) for b in bpp_range)
    out = np.empty_like(y)
    rates = np.empty(y.shape[0])
    for i in range(y.shape[0]):
        out[i], nbytes = latent_roundtrip(y[i], math.exp(rng.uniform(lo, hi)), tuple(size), code_block=code_block)
        rates[i] = 8 * nbytes / (size[0] * size[1])
    return out, rates


# -- validation --------------------------------------------------------------------------------------------------
def _psnr(a, b, peak=255.0) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * math.log10(peak * peak / mse)


def _real_bytes(y) -> int | None:
    """Length of the real stream of latent ``y`` (1×C×h×w) through swiftlic.latent, quantized with unit step
    (bits=1, step=1: ŷ = round(y), as in training), or None where that module does not exist."""
    try:
        from . import latent
    except ImportError:
        return None
    return len(latent.encode(np.ascontiguousarray(y[0], dtype=np.float32), bits=1, step=1.0))


def evaluate(model, entropy=None, *, kind="images", path="kodak", images=4, crop=256, quantizer=None, seed=0,
             data_kind=None, codec_bpp: float = 0.5, train_records: int = 0) -> dict:
    """Validation metrics of ``model`` (eval mode).

    Images: the first ``images`` Kodak-like images (``crop`` > 0: their centre crop of that size, else the whole
    image, reflect-padded to the model's stride), YCbCr in, RGB PSNR out, for the rounded latent (``psnr``) and the
    noisy one (``psnr_noisy``, the training proxy); ``bpp`` is real when swiftlic.latent exists, else estimated by
    ``entropy`` (``rate_kind`` says which). ``quantizer="codec"``: ``psnr``/``bpp`` are those of the real codec
    at the target rate ``codec_bpp``. MNIST/CIFAR-10: MSE on the first ``images`` test records and, when
    ``train_records`` > 0, on the first that many training records too (``train_mse``).
    """
    from . import color, data as sdata

    model.eval()
    q = quantizer or model.quantizer
    rng = np.random.default_rng([seed, 4])
    if kind in ("mnist", "cifar10"):
        def mse(x):
            errs = []
            for i in range(0, len(x), 256):
                xb = x[i:i + 256]
                yq, _ = quantize(model.encode(xb), q, False, rng)
                errs.append(float(np.sum((model.decode(yq) - xb) ** 2, dtype=np.float64)))
            return sum(errs) / x.size

        x = _array_dataset(kind, path, "test").as_float()[: images or None]
        out = {"mse": mse(x), "records": int(len(x))}
        if train_records:
            xt = _array_dataset(kind, path, "train").as_float()[:train_records]
            out.update(train_mse=mse(xt), train_records=int(len(xt)))
        model.train()
        return out
    kodak = sdata.Kodak(_resolve(path))
    s = model.stride
    psnr, psnr_noisy, bpp, real = [], [], [], True
    for name, rgb in kodak[: images or len(kodak)]:
        h, w = rgb.shape[:2]
        if crop:
            c = min(crop, h, w) // s * s
            rgb = rgb[(h - c) // 2:(h - c) // 2 + c, (w - c) // 2:(w - c) // 2 + c]
            h, w = c, c
        x = color.rgb_to_ycbcr(np.ascontiguousarray(rgb), planar=True)
        ph, pw = -h % s, -w % s
        x = np.pad(x, ((0, 0), (0, ph), (0, pw)), mode="reflect")[None]
        y = model.encode(np.ascontiguousarray(x))
        coded = None
        if q == "codec":
            from .codec import latent_roundtrip

            yhat, coded = latent_roundtrip(y[0], codec_bpp, (h, w), code_block=code_block_size(model, *y.shape[2:]))
            yq = yhat[None]
        else:
            yq, _ = quantize(y, q, False, rng)
        # A post-filter that follows the rate gets the stream's (or, without a stream, 0.5 bpp's).
        rate_kw = {"bpp": 8 * coded / (h * w) if coded else 0.5} if hasattr(model, "set_rate") else {}
        for rec, target in ((yq, psnr), (y + rng.uniform(-0.5, 0.5, y.shape).astype(np.float32), psnr_noisy)):
            xh = np.clip(model.decode(rec, **rate_kw)[0, :, :h, :w], 0, 1)
            out = color.ycbcr_to_rgb(np.ascontiguousarray(xh, dtype=np.float32), planar=False)
            target.append(_psnr(out, rgb))
        nbytes = coded if coded is not None else _real_bytes(y) if q in ("noise", "ste", "mixed") else None
        if nbytes is not None:
            bpp.append(8 * nbytes / (h * w))
        else:
            real = False
            bpp.append((entropy.bits(yq) if entropy is not None else float("nan")) / (h * w))
    model.train()
    return {"psnr": float(np.mean(psnr)), "psnr_noisy": float(np.mean(psnr_noisy)), "bpp": float(np.mean(bpp)),
            "rate_kind": "real" if real else "estimated", "images": len(psnr)}


# -- the loop ----------------------------------------------------------------------------------------------------
def load_checkpoint(path) -> "_Run":
    """The run state stored in a checkpoint (model, entropy model, optimizer, step, recipe)."""
    from safetensors import safe_open

    with safe_open(str(path), framework="numpy") as f:
        recipe = json.loads(f.metadata()["recipe"])
    run = _Run(recipe)
    run.load(Path(path))
    return run


def _validate(run: _Run) -> dict:
    v, d = run.recipe["validate"], run.recipe["data"]
    kind = d["kind"]
    return evaluate(run.model, run.entropy, kind=kind, path=d["path"] if kind != "images" else v["path"], images=v["images"], crop=v.get("crop", 0),
                    quantizer=run.quantizer, seed=run.recipe["train"]["seed"], codec_bpp=v.get("bpp", 0.5),
                    train_records=v.get("train_records", 0))


def train(recipe, *, out_dir=None, steps: int | None = None, resume: bool = True, progress: bool = True,
          data=None, validate: bool = True) -> dict:
    """Trains ``recipe`` (dict or .toml path) to ``steps`` (default: the recipe's), resuming from
    ``out_dir/checkpoint.safetensors`` when it exists and ``resume``. Returns a summary dict.

    ``data`` replaces the recipe's data source by any object with ``batches(start) -> iterator of NCHW float32``.
    Writes ``log.jsonl`` (one JSON object per logged step or validation), ``checkpoint.safetensors`` (every
    ``checkpoint_every`` steps and at the end) and ``model.safetensors`` (the weights alone, ``models.load``-able).
    """
    recipe = load_recipe(recipe)
    t = recipe["train"]
    total = int(steps if steps is not None else t["steps"])
    out = Path(out_dir) if out_dir is not None else Path("runs") / recipe["name"]
    out.mkdir(parents=True, exist_ok=True)
    ckpt = out / "checkpoint.safetensors"
    run = _Run(recipe)
    if resume and ckpt.exists():
        run.load(ckpt)
    elif t["init"]:
        run.init_weights(t["init"])  # only a run starting at step 0; a resumed one has its own weights
    # A resumed run appends to its log; a run starting at step 0 starts a fresh one.
    log = open(out / "log.jsonl", "a" if run.step > 0 else "w", buffering=1)
    source = data
    if source is None:
        source, desc = _open_data(recipe["data"], t["seed"])
    start = run.step
    log.write(json.dumps({"event": "start", "step": start, "steps": total, "model": run.model.name,
                          "parameters": run.model.num_parameters(), "time": time.time(),
                          **({"init": t["init"]} if start == 0 and t["init"] else {})}) + "\n")
    stream = source.batches(start)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=total, initial=start, desc=recipe["name"], unit="step", dynamic_ncols=True, file=sys.stderr)
    v = recipe["validate"]
    last = {}
    t0, done = time.perf_counter(), 0
    # Freed buffers are reused by the next step, not unmapped and faulted in again (see _heap.py).
    with retained_heap():
        try:
            while run.step < total:
                x = next(stream)
                stats = run.train_step(x, run.step)
                run.step += 1
                done += 1
                dt = time.perf_counter() - t0
                stats["steps_per_s"] = done / dt
                stats["pixels_per_s"] = done * x.shape[0] * x.shape[2] * x.shape[3] / dt
                last = stats
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(loss=f"{stats['loss']:.4g}", mse=f"{stats['mse']:.3g}", bpp=f"{stats['rate']:.3f}",
                                    px_s=f"{stats['pixels_per_s']:.3g}")
                if not math.isfinite(stats["loss"]):
                    raise FloatingPointError(f"step {run.step}: loss is {stats['loss']}")
                if run.step % t["log_every"] == 0 or run.step == total:
                    log.write(json.dumps({"step": run.step, **{k: round(float(s), 6) for k, s in stats.items()},
                                          "elapsed_s": round(run.elapsed + dt, 1)}) + "\n")
                if validate and v["every"] and run.step % v["every"] == 0:
                    log.write(json.dumps({"step": run.step, "val": _validate(run)}) + "\n")
                if run.step % t["checkpoint_every"] == 0 or run.step == total:
                    base = run.elapsed
                    run.elapsed = base + (time.perf_counter() - t0)
                    run.save(ckpt)
                    run.elapsed = base
        finally:
            if bar is not None:
                bar.close()
            if hasattr(stream, "close"):
                stream.close()
    run.elapsed += time.perf_counter() - t0
    summary = {"step": run.step, "last": last, "elapsed_s": run.elapsed}
    if validate and v["every"] and done:
        summary["val"] = _validate(run)
        log.write(json.dumps({"step": run.step, "val": summary["val"], "final": True}) + "\n")
    models.save(run.model, out / "model.safetensors", metadata={"step": run.step, "recipe": recipe})
    if run.entropy is not None:
        from safetensors.numpy import save_file

        save_file(run.entropy.state_dict(), str(out / "entropy.safetensors"))
    log.close()
    return summary


def export(checkpoint, path) -> None:
    """Writes the model of a checkpoint (weights + architecture/config metadata only) to ``path``."""
    run = load_checkpoint(checkpoint)
    models.save(run.model, path, metadata={"step": run.step, "recipe": run.recipe})


# -- command line ------------------------------------------------------------------------------------------------
def _cmd_train(args) -> int:
    recipe = load_recipe(args.recipe)
    for a in args.set or []:
        _set_override(recipe, a)
    recipe = load_recipe(recipe)
    if args.threads is not None:
        from . import threads

        threads.set_num_threads(args.threads)
    summary = train(recipe, out_dir=args.out, steps=args.steps, resume=not args.no_resume,
                    progress=not args.quiet, validate=not args.no_validate)
    print(json.dumps(summary, indent=1, default=float))
    return 0


def add_train_parser(sub) -> argparse.ArgumentParser:
    """Adds ``swiftlic train RECIPE`` to an argparse sub-parser set."""
    p = sub.add_parser("train", help="train a model from a recipe (training/*.toml)",
                       description="Train a model from a recipe; resumes from OUT/checkpoint.safetensors.")
    p.add_argument("recipe", help="recipe .toml file")
    p.add_argument("--steps", type=int, help="train up to this step (default: the recipe's)")
    p.add_argument("--out", help="run folder (default: runs/<recipe name>)")
    p.add_argument("--set", action="append", metavar="SECTION.KEY=VALUE", help="override a recipe value")
    p.add_argument("--no-resume", action="store_true", help="start afresh even if a checkpoint exists")
    p.add_argument("--no-validate", action="store_true", help="skip periodic validation")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--threads", type=int, help="native threads (default: all cores)")
    p.set_defaults(func=_cmd_train)
    return p


class _CallableModule(__import__("types").ModuleType):
    """Makes ``swiftlic.train(...)`` call :func:`train` although ``swiftlic.train`` is also this module."""

    def __call__(self, *args, **kwargs):
        return train(*args, **kwargs)


__import__("sys").modules[__name__].__class__ = _CallableModule
