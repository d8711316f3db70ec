"""The model zoo: every network of the seed documents, registered under its paper id.

Each model is a :class:`CompressionModel` (a swiftlic.nn Module) with ``encode(x) -> y``, ``decode(y) -> x̂``,
``forward(x)`` (encode, quantization proxy, decode: what training differentiates) and a ``config`` dict that
rebuilds it: ``create(model.name, **model.config)``.

>>> from swiftlic import models
>>> m = models.create("ee276-dense")
>>> m.encode(np.zeros((2, 1, 28, 28), np.float32)).shape
(2, 32)
"""

from __future__ import annotations

import json
import os
from typing import Callable

import numpy as np

from ..errors import InvalidArgumentError, ModelMismatchError
from .base import CompressionModel

__all__ = ["CompressionModel", "register", "create", "available", "save", "load"]

_REGISTRY: dict[str, Callable[..., CompressionModel]] = {}


def register(name: str):
    """Class decorator: makes ``create(name, **config)`` build the class (and nn.serialization know it, if present)."""

    def deco(cls):
        if name in _REGISTRY:
            raise InvalidArgumentError(f"model id {name!r} is registered twice")
        _REGISTRY[name] = cls
        cls.name = name
        try:  # the architecture registry of swiftlic.nn.serialization, once that module exists
            from ..nn import serialization as _ser
            _ser.register_architecture(name)(cls)
        except (ImportError, AttributeError):
            pass
        except Exception:  # already registered there (module reloaded): the zoo's own registry is authoritative
            pass
        return cls

    return deco


def available() -> list[str]:
    """The registered paper ids."""
    return sorted(_REGISTRY)


def create(name: str, **config) -> CompressionModel:
    """Builds model ``name`` with ``config`` overriding its defaults."""
    if name not in _REGISTRY:
        raise InvalidArgumentError(f"unknown model {name!r}; expected one of {available()}")
    return _REGISTRY[name](**config)


def save(model: CompressionModel, path, *, metadata: dict | None = None) -> None:
    """Writes the model's parameters with its architecture (paper id) and config (swiftlic.nn.serialization)."""
    from ..nn import serialization

    serialization.save(model, path, metadata, architecture=model.name, config=model.config)


def load(path, *, expect: str | None = None) -> CompressionModel:
    """Rebuilds the model saved by :func:`save`, or the model of a training checkpoint (its ``model.`` tensors)."""
    from ..nn import serialization

    path = os.fspath(path)
    if not os.path.exists(path):
        raise InvalidArgumentError(f"model file {path!r} does not exist")
    meta = serialization.read_metadata(path)
    if "architecture" not in meta or "config" not in meta:
        raise ModelMismatchError(f"{path}: expected architecture and config metadata, found {sorted(meta)}")
    name, config = meta["architecture"], meta["config"]
    if isinstance(config, str):  # a training checkpoint stores it as a JSON string
        config = json.loads(config)
    if expect is not None and name != expect:
        raise ModelMismatchError(f"{path}: expected a {expect} model, found {name}")
    if name not in _REGISTRY:
        raise ModelMismatchError(f"{path}: unknown architecture {name!r}; expected one of {available()}")
    cls = _REGISTRY[name]
    model = cls(**{**config, **getattr(cls, "load_overrides", {})})  # e.g. skip reading an init basis
    model.config = config
    tensors = serialization.load_weights(path)
    if any(k.startswith("model.") for k in tensors):
        tensors = {k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")}
    model.load_state_dict(tensors)
    return model.eval()


# The zoo (imported for their @register side effect).
from . import cheng2018, ee276, balle2017, theis2017, wavelet  # noqa: E402,F401
