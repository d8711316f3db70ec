"""Optimisation: Adam / AdamW with a fused native step, global gradient-norm clipping and a warm-up schedule.

The Adam step matches ``torch.optim.Adam`` (``decoupled=False``; weight decay added to the gradient) and
``torch.optim.AdamW`` (``decoupled=True``). ``state_dict()`` holds everything needed to resume training exactly:
the step count, the hyper-parameters and copies of both moment buffers.

>>> import numpy as np
>>> from swiftlic.nn.module import Parameter
>>> from swiftlic.nn.optim import Adam
>>> w = Parameter(np.array([1.0, -1.0], np.float32))
>>> opt = Adam([w], lr=0.1)
>>> w.grad[:] = [2.0, -3.0]; opt.step()
>>> [round(float(v), 4) for v in w.data]   # the first step moves each weight by lr against its gradient
[0.9, -0.9]
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import InvalidArgumentError
from . import ops_layers as F
from .module import Module, Parameter

__all__ = ["Adam", "clip_grad_norm", "WarmupSchedule", "warmup_lr"]


def _param_list(params) -> list[Parameter]:
    if isinstance(params, Module):
        params = params.parameters()
    params = list(params)
    for i, p in enumerate(params):
        if not isinstance(p, Parameter):
            raise InvalidArgumentError(f"expected Parameters, item {i} is a {type(p).__name__}")
    return params


class Adam:
    """Adam (Kingma & Ba) over ``params`` (a list of :class:`Parameter` or a Module), updated in place natively.

    ``weight_decay`` is L2 regularisation added to the gradient, or decoupled (AdamW, Loshchilov & Hutter) when
    ``decoupled=True``. ``lr`` may be changed between steps (see :class:`WarmupSchedule`).
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, decoupled: bool = False) -> None:
        self.params = _param_list(params)
        if not self.params:
            raise InvalidArgumentError("Adam: got an empty parameter list")
        b1, b2 = (float(b) for b in betas)
        if not (lr >= 0 and 0 <= b1 < 1 and 0 <= b2 < 1 and eps > 0 and weight_decay >= 0):
            raise InvalidArgumentError(
                f"Adam: expected lr ≥ 0, betas in [0, 1), eps > 0, weight_decay ≥ 0; got lr={lr}, betas={betas}, "
                f"eps={eps}, weight_decay={weight_decay}")
        self.lr, self.betas, self.eps = float(lr), (b1, b2), float(eps)
        self.weight_decay, self.decoupled = float(weight_decay), bool(decoupled)
        self.step_count = 0
        self.exp_avg = [np.zeros_like(p.data) for p in self.params]
        self.exp_avg_sq = [np.zeros_like(p.data) for p in self.params]

    def step(self) -> None:
        """Applies one update to every parameter from its accumulated ``grad``."""
        self.step_count += 1
        for p, m, v in zip(self.params, self.exp_avg, self.exp_avg_sq):
            F.adam_step(p.data, p.grad, m, v, step=self.step_count, lr=self.lr, betas=self.betas, eps=self.eps,
                        weight_decay=self.weight_decay, decoupled=self.decoupled)

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad.fill(0)

    def state_dict(self) -> dict:
        """Step count, hyper-parameters and copies of the moment buffers (in parameter order)."""
        return {
            "step": self.step_count, "lr": self.lr, "betas": self.betas, "eps": self.eps,
            "weight_decay": self.weight_decay, "decoupled": self.decoupled,
            "exp_avg": [m.copy() for m in self.exp_avg], "exp_avg_sq": [v.copy() for v in self.exp_avg_sq],
        }

    def load_state_dict(self, state: dict) -> None:
        """Restores a :meth:`state_dict` (moment buffers copied in place; shapes must match the parameters)."""
        for key in ("exp_avg", "exp_avg_sq"):
            bufs = state[key]
            if len(bufs) != len(self.params):
                raise InvalidArgumentError(f"Adam state: {key} has {len(bufs)} buffers, expected {len(self.params)}")
            for i, (own, new) in enumerate(zip(getattr(self, key), bufs)):
                new = np.asarray(new, dtype=np.float32)
                if new.shape != own.shape:
                    raise InvalidArgumentError(f"Adam state: {key}[{i}] has shape {new.shape}, expected {own.shape}")
        for key in ("exp_avg", "exp_avg_sq"):
            for own, new in zip(getattr(self, key), state[key]):
                own[...] = new
        self.step_count = int(state["step"])
        self.lr, self.eps = float(state["lr"]), float(state["eps"])
        self.betas = tuple(float(b) for b in state["betas"])
        self.weight_decay, self.decoupled = float(state["weight_decay"]), bool(state["decoupled"])


def clip_grad_norm(params, max_norm: float) -> float:
    """Scales all gradients by ``min(1, max_norm / (norm + 1e-6))`` where ``norm`` is their global L2 norm, as
    ``torch.nn.utils.clip_grad_norm_``; returns the norm before clipping. The norm is a float64 sum of per-array
    native sums of squares taken in parameter order, so it is the same for any thread count."""
    params = _param_list(params)
    total = math.sqrt(sum(F.sum_of_squares(p.grad) for p in params))
    coef = float(max_norm) / (total + 1e-6)
    if coef < 1.0:
        for p in params:
            np.multiply(p.grad, np.float32(coef), out=p.grad)
    return total


def warmup_lr(step: int, base_lr: float, warmup_steps: int = 0, total_steps: int | None = None,
              min_lr: float = 0.0) -> float:
    """Learning rate at ``step`` (0-based): linear warm-up from ``base_lr / warmup_steps`` to ``base_lr`` over
    ``warmup_steps`` steps, then constant, or a cosine decay to ``min_lr`` at ``total_steps`` when given."""
    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    if total_steps is None or total_steps <= warmup_steps:
        return base_lr
    t = min(1.0, (step - warmup_steps) / (total_steps - warmup_steps))
    return min_lr + 0.5 * (base_lr - min_lr) * (1 + math.cos(math.pi * t))


class WarmupSchedule:
    """Sets ``optimizer.lr`` from :func:`warmup_lr`; call :meth:`step` once per optimizer step, before it.

    >>> from swiftlic.nn.module import Parameter
    >>> opt = Adam([Parameter(np.zeros(1, np.float32))], lr=1.0)
    >>> sched = WarmupSchedule(opt, warmup_steps=4)
    >>> [sched.step() for _ in range(5)]
    [0.25, 0.5, 0.75, 1.0, 1.0]
    """

    def __init__(self, optimizer: Adam, warmup_steps: int = 0, total_steps: int | None = None,
                 min_lr: float = 0.0, base_lr: float | None = None) -> None:
        self.optimizer = optimizer
        self.base_lr = float(optimizer.lr if base_lr is None else base_lr)
        self.warmup_steps, self.total_steps, self.min_lr = int(warmup_steps), total_steps, float(min_lr)
        self.last_step = -1

    def step(self) -> float:
        self.last_step += 1
        lr = warmup_lr(self.last_step, self.base_lr, self.warmup_steps, self.total_steps, self.min_lr)
        self.optimizer.lr = lr
        return lr

    def state_dict(self) -> dict:
        return {"last_step": self.last_step, "base_lr": self.base_lr}

    def load_state_dict(self, state: dict) -> None:
        self.last_step, self.base_lr = int(state["last_step"]), float(state["base_lr"])
