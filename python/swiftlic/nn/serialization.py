"""Weights as ``.safetensors`` files that name their architecture, so a file alone rebuilds its model.

A model factory is registered under a name (e.g. a paper key, ``"cheng2018-cae"``); ``build(name, config)``
calls it with the JSON-able keyword config and stamps the model with both, and ``save`` writes them into the
file's metadata beside the parameters. ``load(path)`` reads them back, rebuilds the model through the registry
and loads the weights.

Metadata keys (all strings, as safetensors requires): ``swiftlic.format`` ("1"), ``swiftlic.architecture``,
``swiftlic.config`` (JSON), and the caller's own entries (non-string values stored as JSON).

>>> import tempfile, os, numpy as np
>>> from swiftlic.nn import Linear, register_architecture, build, save, load
>>> @register_architecture("doc-linear")
... def _make(n_in=2, n_out=3):
...     return Linear(n_in, n_out, rng=0)
>>> m = build("doc-linear", {"n_in": 4, "n_out": 2})
>>> path = os.path.join(tempfile.mkdtemp(), "m.safetensors")
>>> save(m, path, {"epochs": 3})
>>> m2 = load(path); np.array_equal(m2.weight.data, m.weight.data), m2.config
(True, {'n_in': 4, 'n_out': 2})
"""

from __future__ import annotations

import json
import os
from typing import Callable

import numpy as np

from ..errors import CorruptStreamError, InvalidArgumentError
from .module import Module

__all__ = ["register_architecture", "build", "architectures", "save", "load", "load_weights", "read_metadata"]

FORMAT_VERSION = "1"
_ARCH_KEY = "swiftlic.architecture"
_CONFIG_KEY = "swiftlic.config"
_FORMAT_KEY = "swiftlic.format"

_REGISTRY: dict[str, Callable[..., Module]] = {}


def register_architecture(name: str):
    """Decorator registering ``factory(**config) -> Module`` under ``name``."""
    if not isinstance(name, str) or not name:
        raise InvalidArgumentError(f"register_architecture: expected a non-empty name, got {name!r}")

    def decorate(factory: Callable[..., Module]):
        previous = _REGISTRY.get(name)
        if previous is not None and previous is not factory and getattr(previous, "__qualname__", None) != getattr(
                factory, "__qualname__", None):
            raise InvalidArgumentError(f"register_architecture: {name!r} is already registered to {previous!r}")
        _REGISTRY[name] = factory
        return factory

    return decorate


def architectures() -> list[str]:
    """Registered architecture names."""
    return sorted(_REGISTRY)


def build(name: str, config: dict | None = None) -> Module:
    """The model ``name`` built from ``config``; it remembers both (``model.architecture``, ``model.config``)."""
    if name not in _REGISTRY:
        raise InvalidArgumentError(f"unknown architecture {name!r}; registered: {architectures()}")
    config = dict(config or {})
    try:
        json.dumps(config)
    except (TypeError, ValueError) as e:
        raise InvalidArgumentError(f"build {name!r}: config must be JSON-serialisable ({e})") from None
    model = _REGISTRY[name](**config)
    if not isinstance(model, Module):
        raise InvalidArgumentError(f"architecture {name!r} built a {type(model).__name__}, not a Module")
    object.__setattr__(model, "architecture", name)
    object.__setattr__(model, "config", config)
    return model


def save(model: Module, path, metadata: dict | None = None, *, architecture: str | None = None,
         config: dict | None = None) -> None:
    """Writes the model's parameters and metadata to ``path`` (safetensors). The architecture and config default
    to those ``build`` stamped on the model; a model without them is saved with weights only (``load_weights``
    reads it; ``load`` cannot rebuild it)."""
    from safetensors.numpy import save_file

    architecture = architecture or getattr(model, "architecture", None)
    config = config if config is not None else getattr(model, "config", None)
    meta = {_FORMAT_KEY: FORMAT_VERSION}
    if architecture is not None:
        meta[_ARCH_KEY] = str(architecture)
        meta[_CONFIG_KEY] = json.dumps(config or {}, sort_keys=True)
    for key, value in (metadata or {}).items():
        if key.startswith("swiftlic."):
            raise InvalidArgumentError(f"save: metadata key {key!r} is reserved")
        meta[str(key)] = value if isinstance(value, str) else json.dumps(value)
    tensors = {name: np.ascontiguousarray(t) for name, t in model.state_dict().items()}
    tmp = f"{os.fspath(path)}.tmp"
    save_file(tensors, tmp, metadata=meta)
    os.replace(tmp, path)  # never leave a half-written checkpoint under the real name


def _open(path):
    from safetensors import safe_open

    try:
        return safe_open(os.fspath(path), framework="np")
    except FileNotFoundError:
        raise
    except Exception as e:  # safetensors raises its own error types for malformed headers
        raise CorruptStreamError(f"{path}: not a readable safetensors file ({e})") from None


def read_metadata(path) -> dict:
    """The file's metadata: ``architecture`` and ``config`` (decoded) plus the caller's entries (strings as saved;
    JSON values decoded when they parse)."""
    with _open(path) as f:
        raw = dict(f.metadata() or {})
    out: dict = {}
    if _ARCH_KEY in raw:
        out["architecture"] = raw.pop(_ARCH_KEY)
        try:
            out["config"] = json.loads(raw.pop(_CONFIG_KEY, "{}"))
        except json.JSONDecodeError as e:
            raise CorruptStreamError(f"{path}: architecture config is not valid JSON ({e})") from None
    raw.pop(_FORMAT_KEY, None)
    for key, value in raw.items():
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def load_weights(path) -> dict[str, np.ndarray]:
    """Parameter arrays by name (float32)."""
    with _open(path) as f:
        return {name: np.asarray(f.get_tensor(name), dtype=np.float32) for name in f.keys()}


def load(path, model: Module | None = None, strict: bool = True) -> Module:
    """Rebuilds the model named in the file (or fills ``model`` when given) and loads its weights."""
    if model is None:
        meta = read_metadata(path)
        if "architecture" not in meta:
            raise InvalidArgumentError(f"{path}: names no architecture; pass the model to load into")
        model = build(meta["architecture"], meta["config"])
    model.load_state_dict(load_weights(path), strict=strict)
    return model
