"""swiftlic.nn layers, composition, serialization and PyTorch parity (kernels themselves are tested in Swift)."""

from __future__ import annotations

import numpy as np
import pytest

import swiftlic
from swiftlic import InvalidArgumentError
from swiftlic.nn import (Concat, Conv2d, FusedConv, fuse, ConvTranspose2d, Flatten, Identity, Linear, Module, Parameter, PReLU,
                         ReLU, Reshape, Residual, Sequential, Sigmoid, Sum, Tanh, build, load, load_torch_state_dict,
                         read_metadata, register_architecture, save)
from swiftlic.nn import functional as F


def _params(model: Module):
    return [p for p in model.parameters()]


def grad_check(model: Module, x: np.ndarray, *, eps: float = 1e-2, tol: float = 2e-3, samples: int = 12,
               seed: int = 0) -> None:
    """Compares analytic input and parameter gradients of L = ⟨model(x), r⟩ with central differences, evaluated
    in float64 from float32 forward passes at a few random coordinates of each tensor."""
    rng = np.random.default_rng(seed)
    model.train()
    model.zero_grad()
    y = model(x)
    r = rng.standard_normal(y.shape).astype(np.float32)
    gx = model.backward(r.copy())
    assert gx.shape == x.shape

    def loss() -> float:
        return float(np.sum(model(x).astype(np.float64) * r))

    tensors = [("x", x, gx)] + [(f"param{i}", p.data, p.grad.copy()) for i, p in enumerate(_params(model))]
    for name, t, g in tensors:
        flat, gflat = t.reshape(-1), np.asarray(g).reshape(-1)
        for i in rng.choice(flat.size, size=min(samples, flat.size), replace=False):
            old = flat[i]
            flat[i] = old + eps
            up = loss()
            flat[i] = old - eps
            down = loss()
            flat[i] = old
            numeric = (up - down) / (2 * eps)
            scale = max(1.0, abs(numeric))
            assert abs(gflat[i] - numeric) <= tol * scale, f"{name}[{i}]: analytic {gflat[i]}, numeric {numeric}"


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


# -- layers: finite differences ------------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs", [
    dict(kernel_size=3, padding=1),
    dict(kernel_size=3, stride=2, padding=1, padding_mode="reflect"),
    dict(kernel_size=5, stride=2, padding=2, padding_mode="reflect"),
    dict(kernel_size=1),
    dict(kernel_size=4, stride=3, padding=2, bias=False),
])
def test_conv2d_gradients(kwargs):
    layer = Conv2d(3, 4, rng=1, **kwargs)
    grad_check(layer, rand(2, 3, 7, 6))


@pytest.mark.parametrize("padding_mode", ["zeros", "reflect"])
@pytest.mark.parametrize("channels", [(8, 5), (4, 9), (9, 8)])
def test_conv2d_gradients_through_winograd(padding_mode, channels):
    # 3×3, stride 1, padding 1: the forward is Winograd's from 8 input channels on, and with zero padding so is
    # the backward-data from 8 output channels on (a convolution of the output gradient); the rest unrolled.
    cin, cout = channels
    layer = Conv2d(cin, cout, kernel_size=3, padding=1, padding_mode=padding_mode, rng=3)
    grad_check(layer, rand(2, cin, 7, 6))


def test_conv2d_winograd_matches_unrolled_and_auto_takes_it():
    x, w, b = rand(2, 9, 7, 10, seed=1), rand(6, 9, 3, 3, seed=2), rand(6, seed=3)
    for mode in ("zeros", "reflect"):
        unrolled = F.conv2d(x, w, b, padding=1, padding_mode=mode, algorithm="unrolled")
        winograd = F.conv2d(x, w, b, padding=1, padding_mode=mode, algorithm="winograd")
        np.testing.assert_allclose(winograd, unrolled, rtol=1e-5, atol=1e-5)
        assert not np.array_equal(winograd, unrolled)  # other arithmetic: the switch took effect
        np.testing.assert_array_equal(F.conv2d(x, w, b, padding=1, padding_mode=mode), winograd)
    # Shapes Winograd does not take stay unrolled under "auto"; forcing it is an error that names the reason.
    np.testing.assert_array_equal(F.conv2d(x, w, b, stride=2, padding=1),
                                  F.conv2d(x, w, b, stride=2, padding=1, algorithm="unrolled"))
    with pytest.raises(InvalidArgumentError, match="winograd needs a 3×3, stride-1"):
        F.conv2d(x, w, b, stride=2, padding=1, algorithm="winograd")
    with pytest.raises(InvalidArgumentError, match="winograd needs"):
        F.conv2d(x[:, :4], w[:, :4], b, padding=1, algorithm="winograd")  # 4 input channels
    with pytest.raises(InvalidArgumentError, match="algorithm must be one of"):
        F.conv2d(x, w, b, padding=1, algorithm="fft")


@pytest.mark.parametrize("kwargs", [
    dict(kernel_size=3, stride=2, padding=1, output_padding=1),
    dict(kernel_size=5, stride=2, padding=2, output_padding=1),
    dict(kernel_size=2, stride=2),
    dict(kernel_size=3, stride=1, padding=1, bias=False),
])
def test_conv_transpose2d_gradients(kwargs):
    grad_check(ConvTranspose2d(3, 2, rng=2, **kwargs), rand(2, 3, 4, 5))


def test_conv_transpose2d_gradients_through_winograd():
    # 3×3, stride 1, padding 1 with 9 → 8 channels: the transposed convolution's forward (a convolution's
    # backward-data), its backward-data (a forward) and its weight gradient all take the Winograd kernels.
    layer = ConvTranspose2d(9, 8, kernel_size=3, stride=1, padding=1, rng=4)
    grad_check(layer, rand(2, 9, 6, 7))


def test_linear_and_activation_gradients():
    grad_check(Sequential(Flatten(), Linear(12, 5, rng=3), Tanh(), Linear(5, 4, rng=4), Sigmoid(),
                          Reshape(2, 2)), rand(3, 3, 2, 2))
    x = rand(2, 3, 4, 4)
    x[np.abs(x) < 0.05] = 0.3  # keep finite differences away from the ReLU/PReLU kink
    grad_check(ReLU(), x)
    grad_check(PReLU(3), x)
    grad_check(PReLU(), x)


def test_prelu_learns_its_slope():
    layer = PReLU(2, init=0.1)
    x = np.array([[[-1.0, 2.0]], [[-3.0, -4.0]]], np.float32).reshape(1, 2, 1, 2)
    y = layer(x)
    np.testing.assert_allclose(y.ravel(), [-0.1, 2.0, -0.3, -0.4], rtol=1e-6)
    gx = layer.backward(np.ones_like(y))
    np.testing.assert_allclose(gx.ravel(), [0.1, 1.0, 0.1, 0.1], rtol=1e-6)
    np.testing.assert_allclose(layer.weight.grad, [-1.0, -7.0])


def test_fused_activation_matches_separate_layers():
    x = rand(2, 3, 9, 8)
    conv = Conv2d(3, 5, 3, padding=1, rng=5)
    slopes = np.linspace(-0.5, 0.5, 5).astype(np.float32)
    z = conv(x)
    for act, ref in [("relu", np.maximum(z, 0)), ("prelu", F.prelu(z, slopes)), ("sigmoid", F.sigmoid(z)),
                     ("tanh", np.tanh(z))]:
        y = F.conv2d(x, conv.weight.data, conv.bias.data, padding=1, activation=act,
                     slopes=slopes if act == "prelu" else None)
        np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-6, err_msg=act)


# -- composition ---------------------------------------------------------------------------------------------------

def test_residual_block_gradients():
    # Smooth activations: a weight step moves many pre-activations, and a kink between them spoils differences.
    block = Residual(Sequential(Conv2d(4, 4, 3, padding=1, rng=6), Tanh(), Conv2d(4, 4, 3, padding=1, rng=7)))
    grad_check(block, rand(2, 4, 6, 5))
    projected = Residual(Sequential(Conv2d(3, 4, 3, stride=2, padding=1, rng=8), Tanh()),
                         shortcut=Conv2d(3, 4, 1, stride=2, rng=9))
    grad_check(projected, rand(1, 3, 7, 7))


def unet_like(rng=0, smooth=False):
    g = np.random.default_rng(rng)
    inner = Sequential(Conv2d(4, 6, 3, stride=2, padding=1, rng=g), Tanh() if smooth else ReLU(),
                       Residual(Sequential(Conv2d(6, 6, 3, padding=1, rng=g), Tanh())),
                       ConvTranspose2d(6, 4, 3, stride=2, padding=1, output_padding=1, rng=g))
    return Sequential(Conv2d(2, 4, 3, padding=1, padding_mode="reflect", rng=g), Sigmoid() if smooth else PReLU(4),
                      Concat(Identity(), inner), Conv2d(8, 2, 3, padding=1, rng=g),
                      Sum(Sigmoid(), Identity()))


def test_unet_like_graph_gradients():
    model = unet_like(smooth=True)
    x = rand(2, 2, 8, 6)
    assert model(x).shape == (2, 2, 8, 6)
    grad_check(model, x, samples=8)


def test_composition_rejects_reused_instances():
    conv = Conv2d(2, 2, 3, padding=1)
    with pytest.raises(InvalidArgumentError, match="twice"):
        Sum(conv, Sequential(ReLU(), conv))
    with pytest.raises(InvalidArgumentError, match="differ"):
        Concat(Identity(), Conv2d(2, 2, 3, rng=0))(rand(1, 2, 5, 5))


# -- Module API ----------------------------------------------------------------------------------------------------

def test_module_api():
    model = unet_like(1)
    names = [n for n, _ in model.named_parameters()]
    assert len(names) == len(set(names)) == len(model.parameters())
    assert "2.1.0.weight" in names and "1.weight" in names
    x = rand(1, 2, 8, 6)
    model.zero_grad()
    y = model(x)
    model.backward(np.ones_like(y))
    first = [p.grad.copy() for p in model.parameters()]
    assert any(np.abs(g).sum() > 0 for g in first)
    model(x)
    model.backward(np.ones_like(y))  # gradients accumulate
    for p, g in zip(model.parameters(), first):
        np.testing.assert_allclose(p.grad, 2 * g, rtol=1e-5, atol=1e-6)
    model.zero_grad()
    assert all(not p.grad.any() for p in model.parameters())

    state = model.state_dict()
    other = unet_like(2)
    assert not np.array_equal(other(x), model(x))
    other.load_state_dict(state)
    np.testing.assert_array_equal(other(x), model(x))
    with pytest.raises(InvalidArgumentError, match="missing"):
        other.load_state_dict({k: v for k, v in state.items() if k != "1.weight"})

    model.eval()
    assert not model.training and not model[0].training
    y_eval = model(x)
    with pytest.raises(InvalidArgumentError, match="training mode"):
        model.backward(np.ones_like(y_eval))
    model.train()
    assert model[2].training


def test_init_is_seedable_and_pytorch_like():
    a, b = Conv2d(16, 8, 3, rng=42), Conv2d(16, 8, 3, rng=42)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    bound = 1 / np.sqrt(16 * 9)
    assert np.abs(a.weight.data).max() <= bound and np.abs(a.weight.data).max() > 0.8 * bound
    t = ConvTranspose2d(16, 8, 3, rng=0)
    assert t.weight.shape == (16, 8, 3, 3) and np.abs(t.weight.data).max() <= 1 / np.sqrt(8 * 9)


def test_bad_input_raises_clear_errors():
    conv = Conv2d(3, 4, 3)
    with pytest.raises(InvalidArgumentError, match="expects 3"):
        conv(rand(1, 2, 5, 5))
    with pytest.raises(InvalidArgumentError, match="4-D"):
        conv(rand(3, 5, 5))
    with pytest.raises(InvalidArgumentError, match="larger than the padded input"):
        conv(rand(1, 3, 2, 5))
    with pytest.raises(InvalidArgumentError, match="reflect"):
        Conv2d(1, 1, 5, padding=3, padding_mode="reflect")(rand(1, 1, 3, 3))
    with pytest.raises(InvalidArgumentError, match="padding_mode"):
        Conv2d(1, 1, 3, padding_mode="circular")
    with pytest.raises(InvalidArgumentError, match="output_padding"):
        ConvTranspose2d(1, 1, 3, stride=2, output_padding=2)
    with pytest.raises(InvalidArgumentError, match="features"):
        Linear(4, 2)(rand(3, 5))
    with pytest.raises(InvalidArgumentError, match="slopes"):
        PReLU(3)(rand(2, 4, 2))
    with pytest.raises(InvalidArgumentError, match="grad_output"):
        conv.backward(rand(1, 4, 2, 2)) if conv(rand(1, 3, 5, 5)) is not None else None
    with pytest.raises(InvalidArgumentError, match="activation"):
        F.conv2d(rand(1, 1, 3, 3), rand(1, 1, 3, 3), activation="gelu")


def test_results_do_not_depend_on_thread_count():
    model = unet_like(3)
    x = rand(3, 2, 16, 12)
    saved = swiftlic.get_num_threads()
    outs = []
    try:
        for n in (1, 2):
            swiftlic.set_num_threads(n)
            model.zero_grad()
            y = model(x)
            gx = model.backward(np.ones_like(y))
            outs.append([y, gx] + [p.grad.copy() for p in model.parameters()])
    finally:
        swiftlic.set_num_threads(saved)
    for a, b in zip(*outs):
        np.testing.assert_array_equal(a, b)


# -- serialization -------------------------------------------------------------------------------------------------

@register_architecture("test-nn-unet-like")
def _unet_factory(seed: int = 0):
    return unet_like(seed)


def test_save_load_rebuilds_identical_model(tmp_path):
    model = build("test-nn-unet-like", {"seed": 4})
    for p in model.parameters():  # weights differ from what the factory would make
        p.data += 0.01
    path = tmp_path / "m.safetensors"
    save(model, path, {"epochs": 7, "note": "hello"})
    meta = read_metadata(path)
    assert meta["architecture"] == "test-nn-unet-like" and meta["config"] == {"seed": 4}
    assert meta["epochs"] == 7 and meta["note"] == "hello"
    again = load(path)
    x = rand(1, 2, 8, 6)
    np.testing.assert_array_equal(again(x), model(x))
    for (n1, a), (n2, b) in zip(model.state_dict().items(), again.state_dict().items()):
        assert n1 == n2
        np.testing.assert_array_equal(a, b)


def test_load_errors(tmp_path):
    bare = tmp_path / "bare.safetensors"
    save(Linear(2, 2, rng=0), bare)
    with pytest.raises(InvalidArgumentError, match="names no architecture"):
        load(bare)
    m = Linear(2, 2, rng=1)
    load(bare, m)
    np.testing.assert_array_equal(m.weight.data, Linear(2, 2, rng=0).weight.data)
    with pytest.raises(InvalidArgumentError, match="unknown architecture"):
        build("no-such-model")
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00not json at all!")
    with pytest.raises(swiftlic.CorruptStreamError):
        load(junk)


# -- training ------------------------------------------------------------------------------------------------------

def test_tiny_model_overfits_a_fixed_batch():
    rng = np.random.default_rng(0)
    model = Sequential(Conv2d(3, 8, 3, padding=1, rng=rng), PReLU(8),
                       Conv2d(8, 8, 3, stride=2, padding=1, rng=rng), PReLU(8),
                       ConvTranspose2d(8, 8, 3, stride=2, padding=1, output_padding=1, rng=rng), PReLU(8),
                       Conv2d(8, 3, 3, padding=1, rng=rng))
    x = rng.uniform(0, 1, (4, 3, 8, 8)).astype(np.float32)
    losses = []
    params = model.parameters()
    m1 = [np.zeros_like(p.data) for p in params]
    m2 = [np.zeros_like(p.data) for p in params]
    lr, b1, b2 = 1e-2, 0.9, 0.999
    for t in range(1, 301):
        model.zero_grad()
        y = model(x)
        diff = y - x
        losses.append(float(np.mean(diff ** 2)))
        model.backward((2 / diff.size) * diff)  # ∂ mean((y−x)²) / ∂y
        for p, m, v in zip(params, m1, m2):  # a plain NumPy Adam (the native one lives elsewhere)
            m += (1 - b1) * (p.grad - m)
            v += (1 - b2) * (p.grad ** 2 - v)
            p.data -= lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + 1e-8)
    assert losses[-1] < losses[0] / 10, f"loss {losses[0]:.4g} → {losses[-1]:.4g}"


# -- PyTorch parity ------------------------------------------------------------------------------------------------

def _torch_parity(ours: Module, theirs, x: np.ndarray, rtol=1e-4, atol=1e-5):
    torch = pytest.importorskip("torch")
    load_torch_state_dict(ours, theirs)
    ours.zero_grad()
    y = ours(x)
    tx = torch.tensor(x, requires_grad=True)
    ty = theirs(tx)
    np.testing.assert_allclose(y, ty.detach().numpy(), rtol=rtol, atol=atol)
    r = np.random.default_rng(1).standard_normal(y.shape).astype(np.float32)
    gx = ours.backward(r)
    ty.backward(torch.tensor(r))
    np.testing.assert_allclose(gx, tx.grad.numpy(), rtol=rtol, atol=atol)
    theirs_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, theirs_params[name].grad.numpy(), rtol=rtol, atol=atol * 10,
                                   err_msg=name)


def test_torch_parity_conv2d():
    torch = pytest.importorskip("torch")
    for kw in [dict(kernel_size=3, padding=1), dict(kernel_size=3, stride=2, padding=1, padding_mode="reflect"),
               dict(kernel_size=5, stride=2, padding=2), dict(kernel_size=1, bias=False)]:
        _torch_parity(Conv2d(3, 5, **kw), torch.nn.Conv2d(3, 5, **kw), rand(2, 3, 11, 9))


def test_torch_parity_conv_transpose2d():
    torch = pytest.importorskip("torch")
    for kw in [dict(kernel_size=3, stride=2, padding=1, output_padding=1), dict(kernel_size=5, stride=2, padding=2,
               output_padding=1), dict(kernel_size=4, stride=2, padding=1, bias=False)]:
        _torch_parity(ConvTranspose2d(4, 3, **kw), torch.nn.ConvTranspose2d(4, 3, **kw), rand(2, 4, 5, 7))


def test_torch_parity_linear_and_activations():
    torch = pytest.importorskip("torch")
    nn = torch.nn
    _torch_parity(Linear(7, 5), nn.Linear(7, 5), rand(3, 7))
    x = rand(2, 3, 5, 4)
    for ours, theirs in [(ReLU(), nn.ReLU()), (Sigmoid(), nn.Sigmoid()), (Tanh(), nn.Tanh()),
                         (PReLU(3), nn.PReLU(3)), (PReLU(), nn.PReLU())]:
        _torch_parity(ours, theirs, x)


def test_torch_parity_sequential_model():
    torch = pytest.importorskip("torch")
    nn = torch.nn
    theirs = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, padding_mode="reflect"), nn.PReLU(8),
                           nn.Conv2d(8, 8, 3, stride=2, padding=1), nn.PReLU(8),
                           nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1, output_padding=1), nn.Tanh(),
                           nn.Flatten(), nn.Linear(4 * 8 * 6, 3))
    ours = Sequential(Conv2d(3, 8, 3, padding=1, padding_mode="reflect"), PReLU(8),
                      Conv2d(8, 8, 3, stride=2, padding=1), PReLU(8),
                      ConvTranspose2d(8, 4, 3, stride=2, padding=1, output_padding=1), Tanh(),
                      Flatten(), Linear(4 * 8 * 6, 3))
    _torch_parity(ours, theirs, rand(2, 3, 8, 6))


def test_fuse_matches_unfused_inference():
    model = unet_like(5)
    model.train()
    x = rand(2, 2, 8, 6)
    fused = fuse(model)
    assert any(isinstance(m, FusedConv) for _, m in fused.named_modules())
    assert model.training and not any(isinstance(m, FusedConv) for _, m in model.named_modules())
    model.eval(), fused.eval()
    np.testing.assert_allclose(fused(x), model(x), rtol=1e-5, atol=1e-6)
    shared = PReLU()  # one slope broadcast over all channels
    seq = Sequential(ConvTranspose2d(2, 3, 3, stride=2, padding=1, output_padding=1, rng=0), shared).eval()
    np.testing.assert_allclose(fuse(seq)(x), seq(x), rtol=1e-5, atol=1e-6)
    with pytest.raises(InvalidArgumentError, match="inference"):
        fuse(seq).backward(np.ones((2, 3, 16, 12), np.float32))


def test_native_binding_validates_buffers():
    from swiftlic import _native
    x, w = rand(1, 2, 5, 5), rand(3, 2, 3, 3)
    y = np.zeros((1, 3, 3, 4), np.float32)  # 36 values where 1×3×3×3 = 27 are expected
    with pytest.raises(InvalidArgumentError, match="output holds 36 values"):
        _native.conv2d_forward(x, w, None, y, 1, 2, 5, 5, 3, 3, 1, 0, 0, 0, None, 0)
    with pytest.raises(InvalidArgumentError, match="padding mode"):
        _native.conv2d_forward(x, w, None, y[..., :3].copy(), 1, 2, 5, 5, 3, 3, 1, 0, 7, 0, None, 0)
    with pytest.raises(InvalidArgumentError, match="prelu needs 3 slopes"):
        _native.conv2d_forward(x, w, None, np.zeros((1, 3, 3, 3), np.float32), 1, 2, 5, 5, 3, 3, 1, 0, 0, 2, None, 0)
    with pytest.raises(TypeError, match="writable C-contiguous"):
        _native.conv2d_forward(x, w, None, np.zeros((1, 3, 3, 3)), 1, 2, 5, 5, 3, 3, 1, 0, 0, 0, None, 0)
    with pytest.raises(InvalidArgumentError, match="algorithm must be 0 \\(auto\\)"):
        _native.conv2d_forward(x, w, None, np.zeros((1, 3, 3, 3), np.float32), 1, 2, 5, 5, 3, 3, 1, 0, 0, 0, None, 5)
    buf = np.zeros(100, np.float32)  # output overlapping an input
    with pytest.raises(InvalidArgumentError, match="shares memory"):
        _native.linear_forward(buf[:6], rand(2, 3), None, buf[4:8], 2, 3, 2)
    with pytest.raises(InvalidArgumentError, match="expected activation .* got 9"):
        _native.activation_forward(9, x, np.zeros_like(x))


def test_torch_state_dict_rename_and_strictness():
    model = Sequential(Conv2d(2, 3, 3, rng=0), PReLU(3))
    state = {"enc.conv.weight": np.ones((3, 2, 3, 3)), "enc.conv.bias": np.zeros(3), "enc.act.weight": np.ones(3),
             "enc.bn.num_batches_tracked": np.zeros(())}
    mapping = {"enc.conv.weight": "0.weight", "enc.conv.bias": "0.bias", "enc.act.weight": "1.weight"}
    load_torch_state_dict(model, state, rename=mapping)
    assert model[0].weight.data.sum() == 54 and model[1].weight.data.tolist() == [1, 1, 1]
    with pytest.raises(InvalidArgumentError, match="missing"):
        load_torch_state_dict(model, {"0.weight": np.ones((3, 2, 3, 3))})
    with pytest.raises(InvalidArgumentError, match="shape"):
        load_torch_state_dict(model, {"0.weight": np.ones((3, 2, 5, 5)), "0.bias": np.zeros(3),
                                      "1.weight": np.ones(3)})
    load_torch_state_dict(model, {k: v for k, v in state.items() if "act" not in k},
                          rename=lambda k: mapping.get(k), strict=False)


def test_large_native_buffers_are_recycled_safely():
    from swiftlic import _native
    f32 = np.dtype(np.float32).num
    a = _native.empty((1 << 20,), f32)  # 4 MiB: large enough to be kept after it dies
    a[:] = 1
    b = _native.empty((1 << 20,), f32)
    assert a.ctypes.data != b.ctypes.data  # a live block is never handed out twice
    old = a.ctypes.data
    del a
    c = _native.empty((900_000,), f32)  # fits the freed block
    assert c.ctypes.data == old and c.ctypes.data % 64 == 0
    b[:] = 3
    c[:] = 2
    assert np.all(b == 3)
    small = _native.empty((3,), f32)
    assert small.ctypes.data % 64 == 0
