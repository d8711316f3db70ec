"""Loading PyTorch weights into swiftlic models (optional; torch is imported only when given torch tensors).

swiftlic layers use PyTorch's parameter names and layouts (Conv2d/ConvTranspose2d/Linear ``weight``/``bias``,
PReLU ``weight``), and ``Sequential`` names children "0", "1", … like ``torch.nn.Sequential``, so a model built with
the same structure takes a PyTorch state dict as it is; ``rename`` maps names where the structures differ.

>>> import numpy as np
>>> from swiftlic.nn import Linear
>>> m = Linear(2, 1, rng=0)
>>> load_torch_state_dict(m, {"weight": np.ones((1, 2)), "bias": np.zeros(1)})
>>> m.weight.data.tolist()
[[1.0, 1.0]]
"""

from __future__ import annotations

from typing import Callable, Mapping

import numpy as np

from ..errors import InvalidArgumentError
from .module import Module

__all__ = ["load_torch_state_dict", "to_torch_state_dict"]

# Buffers PyTorch keeps in state dicts that have no counterpart here.
_IGNORED_SUFFIXES = ("num_batches_tracked",)


def _to_numpy(value) -> np.ndarray:
    if hasattr(value, "detach"):  # a torch.Tensor
        value = value.detach().cpu().float().numpy()
    return np.ascontiguousarray(value, dtype=np.float32)


def load_torch_state_dict(model: Module, state_dict, strict: bool = True,
                          rename: Mapping[str, str] | Callable[[str], str | None] | None = None) -> None:
    """Copies a PyTorch ``state_dict`` (or a ``torch.nn.Module``) into ``model``'s parameters, in place.

    ``rename`` maps a PyTorch name to a swiftlic name (a dict, or a function returning None to skip a tensor).
    With ``strict``, every parameter must be covered and nothing left over, and shapes must match.
    """
    if hasattr(state_dict, "state_dict") and callable(state_dict.state_dict):
        state_dict = state_dict.state_dict()
    converted: dict[str, np.ndarray] = {}
    for name, value in state_dict.items():
        if name.endswith(_IGNORED_SUFFIXES):
            continue
        if rename is not None:
            name = rename(name) if callable(rename) else rename.get(name, name)
            if name is None:
                continue
        if name in converted:
            raise InvalidArgumentError(f"load_torch_state_dict: two tensors map to {name!r}")
        converted[name] = _to_numpy(value)
    model.load_state_dict(converted, strict=strict)


def to_torch_state_dict(model: Module) -> dict:
    """The model's parameters as a dict of torch tensors (needs torch)."""
    import torch

    return {name: torch.from_numpy(value.copy()) for name, value in model.state_dict().items()}
