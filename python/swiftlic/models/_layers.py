"""The layers the model zoo is built from: swiftlic.nn's native ones, or a marked NumPy stand-in where missing.

``SWIFTLIC_STANDIN_LAYERS=1`` forces the stand-ins (to compare, or to run where the native library lacks a layer).
Models never pass an RNG to a layer constructor; they (re)initialise every weight with :func:`init_parameters`
from their own seed, so a model is reproducible whichever implementation backs it.
"""

from __future__ import annotations

import os

import numpy as np

from . import _standin

__all__ = list(_standin.__all__) + ["init_parameters", "native_layers"]

_sources = []
if os.environ.get("SWIFTLIC_STANDIN_LAYERS", "0") != "1":
    for _mod in ("layers", "layers_extra"):
        try:
            _sources.append(__import__(f"swiftlic.nn.{_mod}", fromlist=["_"]))
        except ImportError:
            pass

native_layers: dict[str, bool] = {}
for _name in _standin.__all__:
    _cls = next((getattr(s, _name) for s in _sources if hasattr(s, _name)), None)
    native_layers[_name] = _cls is not None
    globals()[_name] = _cls if _cls is not None else getattr(_standin, _name)


def init_parameters(model, rng: np.random.Generator, gain: float = 2.0) -> None:
    """He-uniform initialisation of every ≥2-D ``weight`` (fan-in = product of its trailing dims), zero biases.

    Parameters named otherwise (PReLU slopes, GDN β/γ, entropy-model parameters) keep their constructor values.
    """
    for mname, m in model.named_modules():
        w = m._parameters.get("weight")
        if w is not None and w.data.ndim >= 2:
            fan_in = int(np.prod(w.data.shape[1:]))
            bound = np.sqrt(3.0 * gain / fan_in)
            w.data[...] = rng.uniform(-bound, bound, size=w.data.shape)
            b = m._parameters.get("bias")
            if b is not None:
                b.data[...] = 0


class standin_layers:
    """Context manager: models built inside it use the NumPy stand-ins (which also run in float64, so tests can
    check a model's backward by finite differences in float64)."""

    def __enter__(self):
        self._saved = {n: globals()[n] for n in _standin.__all__}
        globals().update({n: getattr(_standin, n) for n in _standin.__all__})
        return self

    def __exit__(self, *exc):
        globals().update(self._saved)
        return False
