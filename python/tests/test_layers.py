"""Bindings and layers of the layer kernels (swiftlic.nn.ops_layers / layers_extra / optim / losses).

The kernels' arithmetic is tested in Swift against reference twins; here we check the layer protocol (forward,
backward by finite differences, parameter-gradient accumulation), the random-stream contract, the optimizer and
losses against NumPy, error messages, and parity with PyTorch when it is installed.
"""

from __future__ import annotations

import numpy as np
import pytest

import swiftlic
from swiftlic.errors import InvalidArgumentError
from swiftlic.nn import ops_layers as F
from swiftlic.nn.layers_extra import (DWT97, GDN, IGDN, Dropout, InverseDWT97, MaxPool2d, PixelShuffle,
                                      PixelUnshuffle, Quantizer, Upsample)
from swiftlic.nn.losses import L1Loss, MSELoss, l1, mse
from swiftlic.nn.module import Parameter, Sequential
from swiftlic.nn.optim import Adam, WarmupSchedule, clip_grad_norm, warmup_lr


def rand(*shape, seed=0, scale=1.0):
    return (scale * np.random.default_rng(seed).standard_normal(shape)).astype(np.float32)


def numeric_grad(f, x, eps=1e-2):
    """Central differences of the scalar f at x (float64 perturbations of a float32 array)."""
    g = np.zeros(x.shape, np.float64)
    flat = x.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        up = f()
        flat[i] = old - eps
        down = f()
        flat[i] = old
        g.reshape(-1)[i] = (up - down) / (2 * eps)
    return g


def check_layer_gradients(layer, x, *, tol=2e-2, eps=1e-2):
    """Backward of `layer` at x vs finite differences of L = <gy, forward(x)>, for x and every parameter."""
    gy = rand(*layer.forward(x).shape, seed=99)
    loss = lambda: float(np.sum(gy.astype(np.float64) * layer.forward(x)))  # noqa: E731
    layer.zero_grad()
    layer.forward(x)
    gx = layer.backward(gy)
    np.testing.assert_allclose(gx, numeric_grad(loss, x, eps), rtol=tol, atol=tol)
    for name, p in layer.named_parameters():
        analytic = p.grad.copy()
        np.testing.assert_allclose(analytic, numeric_grad(loss, p.data, eps), rtol=tol, atol=tol, err_msg=name)


# -- layers: forward formulas and finite-difference gradients ----------------------------------------------
@pytest.mark.parametrize("inverse", [False, True])
def test_gdn_forward_formula_and_gradients(inverse):
    layer = GDN(3, inverse=inverse)
    rng = np.random.default_rng(1)
    # Move the parameters away from initialisation (and off the lower bound) so every term matters.
    layer.beta.data[:] = rng.uniform(0.8, 1.3, 3)
    layer.gamma.data[:] = rng.uniform(0.1, 0.6, (3, 3))
    x = rand(2, 3, 3, 2, seed=2)
    beta, gamma = layer.effective_params()
    norm = beta[None, :, None, None] + np.einsum("ij,njhw->nihw", gamma.astype(np.float64), x.astype(np.float64) ** 2)
    expected = x * np.sqrt(norm) if inverse else x / np.sqrt(norm)
    np.testing.assert_allclose(layer.forward(x), expected, rtol=1e-5, atol=1e-6)
    check_layer_gradients(layer, x)


def test_gdn_parameter_grads_accumulate():
    layer = GDN(2)
    x, gy = rand(1, 2, 2, 2, seed=3), rand(1, 2, 2, 2, seed=4)
    layer.forward(x)
    layer.backward(gy)
    once = layer.gamma.grad.copy()
    layer.forward(x)
    layer.backward(gy)
    np.testing.assert_allclose(layer.gamma.grad, 2 * once, rtol=1e-6)
    assert np.any(once != 0)


def test_gdn_effective_params_stay_nonnegative():
    layer = IGDN(4)
    beta, gamma = layer.effective_params()
    np.testing.assert_allclose(beta, 1, rtol=1e-6)
    np.testing.assert_allclose(gamma, 0.1 * np.eye(4), atol=1e-6)
    layer.beta.data[:] = -5
    layer.gamma.data[:] = -5
    beta, gamma = layer.effective_params()
    assert np.all(beta >= 1e-6 * 0.999) and np.all(gamma >= 0)


@pytest.mark.parametrize("layer,shape", [
    (MaxPool2d(2), (2, 2, 5, 4)),
    (Upsample(2, "nearest"), (2, 1, 3, 2)),
    (Upsample(2, "bilinear"), (1, 2, 3, 4)),
    (PixelShuffle(2), (2, 8, 2, 3)),
    (PixelUnshuffle(2), (1, 2, 4, 6)),
    (DWT97(2), (1, 2, 5, 6)),
    (InverseDWT97(2), (2, 1, 6, 5)),
])
def test_resampling_layer_gradients(layer, shape):
    check_layer_gradients(layer, rand(*shape, seed=5), tol=1e-2)


def test_maxpool_tie_rule_and_odd_sizes():
    x = np.array([[[[1, 3, 0], [3, 2, 0], [9, 9, 9]]]], np.float32)
    layer = MaxPool2d()
    assert layer.forward(x).tolist() == [[[[3.0]]]]
    assert layer.backward(np.ones((1, 1, 1, 1), np.float32))[0, 0].tolist() == [[0, 1, 0], [0, 0, 0], [0, 0, 0]]


def test_pixel_shuffle_roundtrip():
    x = rand(2, 18, 3, 5, seed=6)
    np.testing.assert_array_equal(F.pixel_unshuffle(F.pixel_shuffle(x, 3), 3), x)


def test_dwt97_inverts_and_its_adjoints_are_transposes():
    x, g = rand(2, 3, 37, 50, seed=7), rand(2, 3, 37, 50, seed=8)
    for levels in (0, 1, 5):
        y = F.dwt97(x, levels)
        np.testing.assert_allclose(F.dwt97(y, levels, "synthesis"), x, atol=2e-5)
        for op, adj in (("analysis", "analysis_adjoint"), ("synthesis", "synthesis_adjoint")):
            lhs = np.vdot(F.dwt97(x, levels, op).astype(np.float64), g)
            rhs = np.vdot(x.astype(np.float64), F.dwt97(g, levels, adj))
            assert abs(lhs - rhs) <= 1e-4 * abs(lhs) + 1e-3
    # Subbands weighted by their synthesis norms: away from the borders, the synthesis of a unit coefficient has
    # unit energy (±10 %).
    for pos in ((4, 4), (12, 4), (24, 40), (45, 50)):  # interior of LL3, LH3, HH2, HH1
        e = np.zeros((1, 1, 64, 64), np.float32)
        e[0, 0][pos] = 1
        assert 0.9 < float(np.sum(F.dwt97(e, 3, "synthesis") ** 2)) < 1.1, pos


def test_dwt97_bad_input():
    x = rand(1, 1, 16, 16)
    with pytest.raises(InvalidArgumentError, match="op"):
        F.dwt97(x, 1, "forward")
    with pytest.raises(InvalidArgumentError, match=r"5 levels need a plane of at least 17×17, got 16×16"):
        F.dwt97(x, 5)
    with pytest.raises(InvalidArgumentError, match="levels in 0...10"):
        F.dwt97(x, 11)
    with pytest.raises(InvalidArgumentError, match="levels"):
        DWT97(-1)
    with pytest.raises(TypeError, match="float32"):
        swiftlic._native.dwt97(0, 1, 1, 16, 16, x, np.zeros((1, 1, 16, 16), np.float64))
    with pytest.raises(InvalidArgumentError, match="y shares memory with x"):
        swiftlic._native.dwt97(0, 1, 1, 16, 16, x, x)


def test_dropout_train_and_eval():
    x = rand(4, 3, 16, 16, seed=7)
    layer = Dropout(0.25, seed=11)
    y = layer.forward(x)
    kept = y != 0
    assert abs(kept.mean() - 0.75) < 0.03
    np.testing.assert_allclose(y[kept], x[kept] / 0.75, rtol=1e-6)
    g = layer.backward(np.ones_like(x))
    np.testing.assert_array_equal(g != 0, kept)
    np.testing.assert_allclose(g[kept], 1 / 0.75, rtol=1e-6)
    # Next call draws fresh counters; eval is the identity.
    assert not np.array_equal(layer.forward(x) != 0, kept)
    layer.eval()
    np.testing.assert_array_equal(layer.forward(x), x)
    np.testing.assert_array_equal(layer.backward(x), x)


# -- quantizer and the random stream ------------------------------------------------------------------------
def philox4x32_10(counter, key):
    """Pure-Python Philox4x32-10 (Salmon et al. 2011), an independent twin of the Swift generator."""
    m0, m1, w0, w1, mask = 0xD2511F53, 0xCD9E8D57, 0x9E3779B9, 0xBB67AE85, 0xFFFFFFFF
    c0, c1, c2, c3 = counter
    k0, k1 = key
    for r in range(10):
        if r:
            k0, k1 = (k0 + w0) & mask, (k1 + w1) & mask
        p0, p1 = m0 * c0, m1 * c2
        c0, c1, c2, c3 = (p1 >> 32) ^ c1 ^ k0, p1 & mask, (p0 >> 32) ^ c3 ^ k1, p0 & mask
    return c0, c1, c2, c3


def test_noise_stream_matches_python_philox():
    seed, offset, n = 0x1234_5678_9ABC_DEF0, 6, 11
    got = F.uniform_noise(np.zeros(n, np.float32), seed, offset)
    expected = []
    for i in range(offset, offset + n):
        block = philox4x32_10((i >> 2 & 0xFFFFFFFF, i >> 34, 0, 0), (seed & 0xFFFFFFFF, seed >> 32))
        expected.append(0.5 - (block[i & 3] >> 8) * 2.0 ** -24)
    np.testing.assert_array_equal(got, np.array(expected, np.float32))


def test_quantizer_noise_mode():
    x = rand(2, 3, 8, 8, seed=8, scale=3)
    q = Quantizer("noise", seed=5)
    y = q.forward(x)
    d = y.astype(np.float64) - x
    assert np.all(d > -0.5 - 1e-6) and np.all(d <= 0.5 + 1e-6)
    assert q.offset == x.size
    q2 = Quantizer("noise", seed=5)
    np.testing.assert_array_equal(q2.forward(x), y)
    assert not np.array_equal(Quantizer("noise", seed=6).forward(x), y)
    assert not np.array_equal(q.forward(x), y)          # next draw uses fresh counters
    np.testing.assert_array_equal(q.backward(x), x)      # identity gradient
    q.eval()
    np.testing.assert_array_equal(q.forward(x), np.rint(x))


def test_quantizer_ste_and_round_modes():
    x = np.array([0.5, 1.5, 2.5, -0.5, -1.7, 3.2], np.float32)
    for mode, expected_grad in [("ste", np.ones_like(x)), ("round", np.zeros_like(x))]:
        q = Quantizer(mode)
        np.testing.assert_array_equal(q.forward(x), [0, 2, 2, -0.0, -2, 3])
        np.testing.assert_array_equal(q.backward(np.ones_like(x)), expected_grad)
        assert q.offset == 0


def test_quantizer_binary_mode():
    n = 200_000
    for v in (-0.6, 0.0, 0.3):
        q = Quantizer("binary", seed=3)
        y = q.forward(np.full(n, v, np.float32))
        assert set(np.unique(y).tolist()) <= {-1.0, 1.0}
        assert abs(y.mean() - v) < 0.01
    g = rand(n, seed=1)
    np.testing.assert_array_equal(q.backward(g), g)
    q.eval()
    np.testing.assert_array_equal(q.forward(np.array([-0.2, 0, 0.7], np.float32)), [-1, 1, 1])


def test_rng_state_resume():
    q = Quantizer("noise", seed=9)
    x = rand(100, seed=2)
    q.forward(x)
    state = q.rng_state()
    nxt = q.forward(x)
    r = Quantizer("noise", seed=0)
    r.load_rng_state(state)
    np.testing.assert_array_equal(r.forward(x), nxt)


def test_random_results_independent_of_thread_count():
    x = rand(3, 5, 64, 65, seed=10)
    old = swiftlic.get_num_threads()
    try:
        outs = []
        for t in (1, 2):
            swiftlic.set_num_threads(t)
            outs.append([F.uniform_noise(x, 1, 3), F.binarize(np.tanh(x), 1, 3), F.dropout(x, 0.4, 1, 3),
                         np.array([F.mse_loss(x, 0 * x), F.l1_loss(x, 1 + x), F.sum_of_squares(x)])])
        for a, b in zip(*outs):
            np.testing.assert_array_equal(a, b)
    finally:
        swiftlic.set_num_threads(old)


# -- optimizer -------------------------------------------------------------------------------------------
def adam_reference(p, g, m, v, t, lr, b1, b2, eps, wd, decoupled):
    p, g = p.astype(np.float64), g.astype(np.float64)
    if decoupled:
        p = p * (1 - lr * wd)
    else:
        g = g + wd * p
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    p = p - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
    return p, m, v


@pytest.mark.parametrize("wd,decoupled", [(0.0, False), (0.1, False), (0.05, True)])
def test_adam_matches_numpy_reference(wd, decoupled):
    w = Parameter(rand(5, 7, seed=1))
    opt = Adam([w], lr=0.01, betas=(0.9, 0.99), eps=1e-8, weight_decay=wd, decoupled=decoupled)
    p, m, v = w.data.astype(np.float64), 0.0, 0.0
    for t in range(1, 7):
        g = rand(5, 7, seed=10 + t)
        w.grad[...] = g
        opt.step()
        p, m, v = adam_reference(p, g, m, v, t, 0.01, 0.9, 0.99, 1e-8, wd, decoupled)
    np.testing.assert_allclose(w.data, p, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(opt.exp_avg_sq[0], v, rtol=1e-5, atol=1e-9)


def test_adam_state_dict_resume_is_exact():
    def make():
        ps = [Parameter(rand(3, 4, seed=1)), Parameter(rand(6, seed=2))]
        return ps, Adam(ps, lr=0.05, weight_decay=0.01)

    grads = [[rand(3, 4, seed=20 + k), rand(6, seed=40 + k)] for k in range(6)]

    def run(ps, opt, steps):
        for gs in steps:
            for p, g in zip(ps, gs):
                p.grad[...] = g
            opt.step()

    ps, opt = make()
    run(ps, opt, grads[:3])
    saved_params = [p.data.copy() for p in ps]
    saved = opt.state_dict()
    run(ps, opt, grads[3:])
    qs, opt2 = make()
    for q, s in zip(qs, saved_params):
        q.data[...] = s
    opt2.load_state_dict(saved)
    run(qs, opt2, grads[3:])
    for p, q in zip(ps, qs):
        np.testing.assert_array_equal(p.data, q.data)


def test_adam_rejects_bad_state_and_hyperparameters():
    w = Parameter(np.zeros(3, np.float32))
    with pytest.raises(InvalidArgumentError, match="betas"):
        Adam([w], betas=(0.9, 1.0))
    opt = Adam([w])
    bad = opt.state_dict()
    bad["exp_avg"] = [np.zeros(4, np.float32)]
    with pytest.raises(InvalidArgumentError, match=r"exp_avg\[0\] has shape \(4,\), expected \(3,\)"):
        opt.load_state_dict(bad)


def test_clip_grad_norm():
    ps = [Parameter(np.zeros(3, np.float32)), Parameter(np.zeros((2, 2), np.float32))]
    ps[0].grad[:] = [3, 0, 0]
    ps[1].grad[:] = [[0, 4], [0, 0]]
    assert clip_grad_norm(ps, 10.0) == pytest.approx(5.0)
    assert ps[0].grad.tolist() == [3, 0, 0]
    assert clip_grad_norm(ps, 1.0) == pytest.approx(5.0)
    total = np.sqrt(sum(float(np.sum(p.grad.astype(np.float64) ** 2)) for p in ps))
    assert total == pytest.approx(1.0, rel=1e-5)


def test_warmup_schedule():
    assert [warmup_lr(s, 1.0, 2) for s in range(3)] == [0.5, 1.0, 1.0]
    assert warmup_lr(10, 1.0, 0, total_steps=10, min_lr=0.1) == pytest.approx(0.1)
    opt = Adam([Parameter(np.zeros(1, np.float32))], lr=0.2)
    sched = WarmupSchedule(opt, warmup_steps=2, total_steps=4)
    assert [round(sched.step(), 6) for _ in range(4)] == [0.1, 0.2, 0.2, 0.1]
    assert opt.lr == pytest.approx(0.1)


def test_gdn_trains_towards_target():
    """A tiny model learns: GDN parameters fit the output of another GDN; the loss falls by 10×."""
    teacher = GDN(3)
    teacher.beta.data[:] = [1.2, 0.9, 1.1]
    teacher.gamma.data[:] = np.sqrt(np.array([[0.5, 0.1, 0.0], [0.2, 0.3, 0.1], [0.0, 0.4, 0.6]]))
    x = rand(4, 3, 6, 6, seed=12, scale=2)
    target = teacher.forward(x)
    model = Sequential(GDN(3))
    opt, loss = Adam(model, lr=0.02), MSELoss()
    first = None
    for _ in range(150):
        opt.zero_grad()
        value = loss(model.forward(x), target)
        first = value if first is None else first
        model.backward(loss.backward())
        opt.step()
    assert value < first / 10


# -- losses ----------------------------------------------------------------------------------------------
def test_losses_match_numpy():
    p, t = rand(3, 4, 5, seed=1), rand(3, 4, 5, seed=2)
    d = p.astype(np.float64) - t
    assert mse(p, t) == pytest.approx(np.mean(d * d), rel=1e-12)
    assert l1(p, t) == pytest.approx(np.mean(np.abs(d)), rel=1e-12)
    m, a = MSELoss(), L1Loss()
    m(p, t)
    a(p, t)
    np.testing.assert_allclose(m.backward(), 2 * d / d.size, rtol=1e-6)
    np.testing.assert_allclose(a.backward(), np.sign(d) / d.size, rtol=1e-6)


# -- errors ----------------------------------------------------------------------------------------------
def test_bad_input_raises_clear_errors():
    with pytest.raises(InvalidArgumentError, match="expected x as an N×C×H×W array"):
        F.gdn(np.zeros((3, 4), np.float32), np.ones(3), np.eye(3))
    with pytest.raises(InvalidArgumentError, match="gamma holds 4 values, expected 9"):
        F.gdn(np.zeros((1, 3, 2, 2), np.float32), np.ones(3), np.eye(2))
    with pytest.raises(InvalidArgumentError, match="expected 4 channels"):
        GDN(4).forward(np.zeros((1, 3, 2, 2), np.float32))
    with pytest.raises(InvalidArgumentError, match="H ≥ 2"):
        F.max_pool2x2(np.zeros((1, 1, 1, 5), np.float32))
    with pytest.raises(InvalidArgumentError, match="divisible by r²=4"):
        F.pixel_shuffle(np.zeros((1, 6, 2, 2), np.float32), 2)
    with pytest.raises(InvalidArgumentError, match="mode"):
        Upsample(2, "bicubic")
    with pytest.raises(InvalidArgumentError, match="p in"):
        F.dropout(np.zeros(3, np.float32), 1.5, 0)
    with pytest.raises(InvalidArgumentError, match="pred has shape"):
        mse(np.zeros(3, np.float32), np.zeros(4, np.float32))
    with pytest.raises(InvalidArgumentError, match="Quantizer: expected mode"):
        Quantizer("floor")
    with pytest.raises(InvalidArgumentError, match="grad holds 2 values"):
        F.adam_step(np.zeros(3, np.float32), np.zeros(2, np.float32), np.zeros(3, np.float32),
                    np.zeros(3, np.float32), step=1)
    with pytest.raises(TypeError, match="writable C-contiguous"):
        F.adam_step(np.zeros(3), np.zeros(3, np.float32), np.zeros(3, np.float32), np.zeros(3, np.float32), step=1)


# -- PyTorch parity (optional) ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


@pytest.mark.parametrize("inverse", [False, True])
def test_gdn_matches_torch(torch, inverse):
    layer = GDN(5, inverse=inverse)
    rng = np.random.default_rng(3)
    layer.gamma.data[:] = rng.uniform(0.0, 0.5, (5, 5))
    x, gy = rand(2, 5, 7, 6, seed=4), rand(2, 5, 7, 6, seed=5)
    y = layer.forward(x)
    gx = layer.backward(gy)
    beta, gamma = layer.effective_params()
    tx = torch.tensor(x, requires_grad=True)
    tb = torch.tensor(beta, requires_grad=True)
    tg = torch.tensor(gamma, requires_grad=True)
    norm = torch.nn.functional.conv2d(tx**2, tg[:, :, None, None], tb)
    ty = tx * torch.sqrt(norm) if inverse else tx * torch.rsqrt(norm)
    ty.backward(torch.tensor(gy))
    np.testing.assert_allclose(y, ty.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(gx, tx.grad.numpy(), rtol=1e-4, atol=1e-4)
    _, gb, gg = F.gdn_backward(x, beta, gamma, gy, inverse=inverse)
    np.testing.assert_allclose(gb, tb.grad.numpy(), rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(gg, tg.grad.numpy(), rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("name", ["maxpool", "nearest", "bilinear", "shuffle", "unshuffle"])
def test_resampling_matches_torch(torch, name):
    tf = torch.nn.functional
    shapes = {"maxpool": (2, 3, 9, 8), "nearest": (2, 3, 5, 4), "bilinear": (2, 3, 5, 7), "shuffle": (2, 12, 3, 5),
              "unshuffle": (2, 3, 6, 4)}
    ours = {"maxpool": MaxPool2d(2), "nearest": Upsample(2, "nearest"), "bilinear": Upsample(2, "bilinear"),
            "shuffle": PixelShuffle(2), "unshuffle": PixelUnshuffle(2)}[name]
    theirs = {"maxpool": lambda t: tf.max_pool2d(t, 2),
              "nearest": lambda t: tf.interpolate(t, scale_factor=2, mode="nearest"),
              "bilinear": lambda t: tf.interpolate(t, scale_factor=2, mode="bilinear", align_corners=False),
              "shuffle": lambda t: tf.pixel_shuffle(t, 2), "unshuffle": lambda t: tf.pixel_unshuffle(t, 2)}[name]
    x = rand(*shapes[name], seed=6)
    y = ours.forward(x)
    gy = rand(*y.shape, seed=7)
    gx = ours.backward(gy)
    tx = torch.tensor(x, requires_grad=True)
    ty = theirs(tx)
    ty.backward(torch.tensor(gy))
    np.testing.assert_allclose(y, ty.detach().numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(gx, tx.grad.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("wd,decoupled", [(0.0, False), (0.1, False), (0.05, True)])
def test_adam_matches_torch(torch, wd, decoupled):
    w = Parameter(rand(4, 9, seed=1))
    tw = torch.tensor(w.data.copy(), requires_grad=True)
    cls = torch.optim.AdamW if decoupled else torch.optim.Adam
    topt = cls([tw], lr=0.01, betas=(0.9, 0.99), eps=1e-8, weight_decay=wd)
    opt = Adam([w], lr=0.01, betas=(0.9, 0.99), eps=1e-8, weight_decay=wd, decoupled=decoupled)
    for t in range(8):
        g = rand(4, 9, seed=30 + t)
        w.grad[...] = g
        tw.grad = torch.tensor(g)
        opt.step()
        topt.step()
    np.testing.assert_allclose(w.data, tw.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_losses_and_clipping_match_torch(torch):
    p, t = rand(2, 3, 4, seed=1), rand(2, 3, 4, seed=2)
    tp = torch.tensor(p, requires_grad=True)
    torch.nn.functional.mse_loss(tp, torch.tensor(t)).backward()
    m = MSELoss()
    assert m(p, t) == pytest.approx(float(torch.nn.functional.mse_loss(torch.tensor(p), torch.tensor(t))), rel=1e-6)
    np.testing.assert_allclose(m.backward(), tp.grad.numpy(), rtol=1e-6)
    tq = torch.tensor(p, requires_grad=True)
    torch.nn.functional.l1_loss(tq, torch.tensor(t)).backward()
    a = L1Loss()
    a(p, t)
    np.testing.assert_allclose(a.backward(), tq.grad.numpy(), rtol=1e-6)
    w = Parameter(np.zeros_like(p))
    w.grad[...] = p
    tw = torch.zeros_like(tp, requires_grad=True)
    tw.grad = torch.tensor(p)
    assert clip_grad_norm([w], 0.5) == pytest.approx(float(torch.nn.utils.clip_grad_norm_([tw], 0.5)), rel=1e-6)
    np.testing.assert_allclose(w.grad, tw.grad.numpy(), rtol=1e-6)


def test_round_matches_numpy_rint_and_uniform_range():
    x = np.concatenate([np.arange(-8, 8, 0.5, dtype=np.float32), rand(1000, seed=3, scale=50)])
    np.testing.assert_array_equal(F.round_half_even(x), np.rint(x))
    u = F.random_uniform(10_000, seed=4, offset=2)
    assert u.min() >= 0 and u.max() < 1 and abs(u.mean() - 0.5) < 0.01
    np.testing.assert_array_equal(F.random_uniform(9_998, seed=4, offset=4), u[2:])
