"""The model zoo: shapes, gradients (finite differences), the block-PCA initialisation, save/load, errors."""

from __future__ import annotations

import numpy as np
import pytest
from safetensors.numpy import save_file

import swiftlic
from swiftlic import models
from swiftlic.models import _layers as L
from swiftlic.models import _standin as S
from swiftlic.models.entropy import FactorizedLaplace

# Tiny instances: (config, input shape, latent shape).
TINY = {
    "ee276-dense": ({"hidden": [6, 5], "code": 3}, (2, 1, 28, 28), (2, 3)),
    "ee276-cnn": ({"channels": [2, 3, 3], "hidden": 5, "code": 4}, (2, 1, 28, 28), (2, 4)),
    "ee276-unet": ({"channels": [2, 3, 3, 4], "dropout": 0.0}, (2, 3, 16, 16), (2, 4, 1, 1)),
    "balle2017-gdn": ({"channels": 3, "latent_channels": 4}, (1, 3, 16, 16), (1, 4, 1, 1)),
    "theis2017-cae": ({"channels": [3, 4], "latent_channels": 3, "blocks": 1}, (1, 3, 16, 16), (1, 3, 2, 2)),
    "cheng2018-cae": ({"channels": [3, 3, 4, 4, 4], "latent_channels": 3, "linear_path": "none"}, (2, 3, 16, 16),
                      (2, 3, 2, 2)),
    "dwt97-cae": ({"levels": 2, "postfilter_channels": [3]}, (2, 3, 16, 12), (2, 3, 16, 12)),
}
# float32-only layers (the native wavelet): their gradients are checked in float32 in test_wavelet.py.
FLOAT32_ONLY = {"dwt97-cae"}


@pytest.fixture(scope="module")
def basis_file(tmp_path_factory):
    """A random orthonormal 192×192 'block PCA' (rows = components) with a mean."""
    rng = np.random.default_rng(7)
    q, _ = np.linalg.qr(rng.standard_normal((192, 192)))
    path = tmp_path_factory.mktemp("pca") / "blockpca8.safetensors"
    save_file({"mean": rng.uniform(0.3, 0.7, 192).astype(np.float32), "basis": q.T.astype(np.float32).copy()},
              str(path))
    return str(path)


def _rand(shape, seed=0):
    return np.random.default_rng(seed).uniform(0, 1, shape).astype(np.float32)


def test_registry_lists_every_seed_model():
    assert set(TINY) <= set(models.available())
    with pytest.raises(swiftlic.InvalidArgumentError, match="unknown model"):
        models.create("nope")


@pytest.mark.parametrize("name", sorted(TINY))
def test_forward_backward_shapes(name):
    config, xshape, yshape = TINY[name]
    m = models.create(name, **config)
    x = _rand(xshape)
    assert m.encode(x).shape == yshape
    xh = m.forward(x)
    assert xh.shape == xshape and xh.dtype == np.float32
    m.zero_grad()
    gx = m.backward(np.ones_like(xh))
    assert gx.shape == xshape
    assert all(np.isfinite(p.grad).all() for p in m.parameters())
    assert any(np.abs(p.grad).sum() > 0 for p in m.parameters())
    assert m.decode(m.encode(x)).shape == xshape


def _directional_check(module, x, seed=0, eps=1e-6, tol=1e-5):
    """Compares backward's gradient (input and parameters) with a central finite difference along a random
    direction, all in float64 (parameters are switched to float64 for the check and restored after)."""
    rng = np.random.default_rng(seed)
    params = module.parameters()
    saved = [(p.data, p.grad) for p in params]
    for p in params:  # jittered so no activation sits exactly on a kink (zero biases after a dead ReLU would)
        p.data = p.data.astype(np.float64) + 0.01 * rng.standard_normal(p.data.shape)
        p.grad = np.zeros(p.data.shape)
    x = np.asarray(x, np.float64)
    try:
        _check64(module, x, rng, eps, tol)
    finally:
        for p, (d, g) in zip(params, saved):
            p.data, p.grad = d, g


def _check64(module, x, rng, eps, tol):
    y = module.forward(x)
    w = rng.standard_normal(y.shape)
    module.zero_grad()
    gx = module.backward(w)
    params = module.parameters()
    dx = rng.standard_normal(x.shape)
    dps = [rng.standard_normal(p.data.shape) for p in params]
    analytic = float(np.sum(gx * dx)) + sum(float(np.sum(p.grad * d)) for p, d in zip(params, dps))
    base = [p.data.copy() for p in params]

    def loss(t):
        for p, b, d in zip(params, base, dps):
            p.data[...] = b + t * d
        return float(np.sum(w * module.forward(x + t * dx)))

    numeric = (loss(eps) - loss(-eps)) / (2 * eps)
    assert abs(analytic - numeric) <= tol * max(1.0, abs(numeric)), (analytic, numeric)


@pytest.mark.parametrize("name", sorted(set(TINY) - FLOAT32_ONLY))
def test_gradient_check_encoder_and_decoder(name):
    """The model's composition (forward/backward wiring) in float64 on the NumPy stand-in layers."""
    config, xshape, _ = TINY[name]
    with L.standin_layers():
        m = models.create(name, **config)
    x = _rand(xshape, 1)
    # float64 with 1e-6 steps: crossing a ReLU/max-pool kink is then vanishingly unlikely.
    _directional_check(m.encoder, x, seed=2)
    _directional_check(m.decoder, m.encode(x), seed=3)


@pytest.mark.parametrize("name", sorted(set(TINY) - {"balle2017-gdn"}))  # native GDN stores β, γ reparametrised
def test_layers_in_use_match_the_checked_standins(name):
    """The model on the layers it really uses (native float32 where they exist) computes the same output, input
    gradient and parameter gradients as the same weights on the stand-ins, whose gradients the float64 check above
    verifies."""
    config, xshape, _ = TINY[name]
    real = models.create(name, **config)
    with L.standin_layers():
        ref = models.create(name, **config)
    ref.load_state_dict(real.state_dict())
    x = _rand(xshape, 1)
    y_real, y_ref = real.forward(x), ref.forward(x)
    np.testing.assert_allclose(y_real, y_ref, rtol=1e-4, atol=1e-5)
    g = np.random.default_rng(0).standard_normal(y_real.shape).astype(np.float32)
    real.zero_grad()
    ref.zero_grad()
    np.testing.assert_allclose(real.backward(g), ref.backward(g), rtol=1e-3, atol=1e-5)
    for (k, a), (_, b) in zip(real.named_parameters(), ref.named_parameters()):
        np.testing.assert_allclose(a.grad, b.grad, rtol=1e-3, atol=1e-4 * max(1.0, float(np.abs(b.grad).max())),
                                   err_msg=k)


@pytest.mark.parametrize("layer, shape", [
    (lambda: S.Conv2d(3, 4, 3, 2, 1), (2, 3, 7, 6)),
    (lambda: S.Conv2d(2, 3, 3, 1, 2, padding_mode="reflect"), (1, 2, 5, 6)),
    (lambda: S.ConvTranspose2d(3, 2, 3, 2, 1, 1), (2, 3, 4, 5)),
    (lambda: S.Linear(5, 3), (4, 5)),
    (lambda: S.PReLU(3), (2, 3, 4, 4)),
    (lambda: S.GDN(3), (2, 3, 3, 3)),
    (lambda: S.IGDN(3), (2, 3, 3, 3)),
    (lambda: S.MaxPool2d(2), (1, 2, 4, 6)),
    (lambda: S.Upsample(2), (1, 2, 3, 3)),
    (lambda: S.PixelUnshuffle(2), (1, 2, 4, 6)),
    (lambda: S.PixelShuffle(2), (1, 8, 2, 3)),
    (lambda: S.Sigmoid(), (2, 5)),
])
def test_standin_layer_gradients(layer, shape):
    m = layer()
    for p in m.parameters():  # non-trivial values (PReLU slopes, GDN β/γ) so every term is exercised
        p.data[...] += np.random.default_rng(4).uniform(0.05, 0.2, p.data.shape).astype(np.float32)
    x = np.random.default_rng(5).standard_normal(shape).astype(np.float32)
    _directional_check(m, x, seed=6)


def _naive_conv(x, w, b, stride, pad, mode):
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (pad, pad), (pad, pad)),
                mode="reflect" if mode == "reflect" else "constant")
    n, _, hp, wp = xp.shape
    co, ci, k, _ = w.shape
    ho, wo = (hp - k) // stride + 1, (wp - k) // stride + 1
    y = np.zeros((n, co, ho, wo))
    for i in range(ho):
        for j in range(wo):
            patch = xp[:, :, i * stride:i * stride + k, j * stride:j * stride + k]
            y[:, :, i, j] = np.einsum("ncij,ocij->no", patch, w) + b
    return y


@pytest.mark.parametrize("stride, pad, mode", [(1, 1, "zeros"), (2, 1, "zeros"), (2, 2, "reflect"), (1, 0, "zeros")])
def test_standin_conv_matches_naive_reference(stride, pad, mode):
    m = S.Conv2d(3, 5, 3, stride, pad, padding_mode=mode, rng=np.random.default_rng(1))
    m.bias.data[...] = np.arange(5, dtype=np.float32)
    x = np.random.default_rng(2).standard_normal((2, 3, 9, 7)).astype(np.float32)
    np.testing.assert_allclose(m.forward(x), _naive_conv(x, m.weight.data, m.bias.data, stride, pad, mode),
                               rtol=1e-4, atol=1e-4)


def test_conv_transpose_is_the_adjoint_of_conv():
    conv = S.Conv2d(3, 4, 3, 2, 1, bias=False, rng=np.random.default_rng(0))
    convt = S.ConvTranspose2d(4, 3, 3, 2, 1, 1, bias=False)
    convt.weight.data[...] = conv.weight.data
    x = np.random.default_rng(1).standard_normal((1, 3, 8, 6)).astype(np.float32)
    y = np.random.default_rng(2).standard_normal((1, 4, 4, 3)).astype(np.float32)
    assert convt.forward(y).shape == x.shape
    np.testing.assert_allclose(np.sum(conv.forward(x) * y), np.sum(x * convt.forward(y)), rtol=1e-4)


def test_pixel_unshuffle_order_is_pytorchs():
    x = np.arange(2 * 4 * 4, dtype=np.float32).reshape(1, 2, 4, 4)
    u = S.PixelUnshuffle(2).forward(x)
    # channel c·r² + i·r + j holds x[c, i::r, j::r]
    assert np.array_equal(u[0, 1 * 4 + 1 * 2 + 0], x[0, 1, 1::2, 0::2])
    assert np.array_equal(S.PixelShuffle(2).forward(u), x)


def test_entropy_model_is_a_distribution_and_its_gradient_checks():
    e = FactorizedLaplace(2)
    e.loc.data[...] = [0.3, -1.2]
    e.log_scale.data[...] = np.log([0.7, 3.0])
    ints = np.arange(-60, 61, dtype=np.float32)[None, None, :].repeat(2, 1)
    p, _ = e.likelihood(ints + e.loc.data[None, :, None] * 0)
    np.testing.assert_allclose(p.sum(-1), 1.0, atol=1e-6)
    y = np.random.default_rng(0).normal(0, 2, (3, 2, 4)).astype(np.float32)
    bits = e.forward(y)
    e.zero_grad()
    gy = e.backward(1.0)
    rng = np.random.default_rng(1)
    dy, dl, ds = rng.standard_normal(y.shape), rng.standard_normal(2), rng.standard_normal(2)
    analytic = np.sum(gy * dy) + np.sum(e.loc.grad * dl) + np.sum(e.log_scale.grad * ds)
    l0, s0 = e.loc.data.copy(), e.log_scale.data.copy()

    def f(t):
        e.loc.data[...] = l0 + t * dl
        e.log_scale.data[...] = s0 + t * ds
        return e.bits((y + t * dy).astype(np.float64))

    eps = 1e-4
    numeric = (f(eps) - f(-eps)) / (2 * eps)
    assert bits > 0
    assert abs(analytic - numeric) < 1e-3 * max(1, abs(numeric))


def test_block_pca_path_starts_as_the_pca_transform(basis_file):
    x = _rand((2, 3, 16, 16), 3)
    full = models.create("cheng2018-cae", channels=[3, 3, 4, 4, 4], latent_channels=12, basis=basis_file,
                         latent_scale=4.0)
    lin = models.create("cheng2018-cae", latent_channels=12, basis=basis_file, latent_scale=4.0, cae=False)
    y = full.encode(x)
    assert y.shape == (2, 12, 2, 2)
    np.testing.assert_allclose(y, lin.encode(x), atol=1e-5)          # the residual CAE starts at exactly zero
    np.testing.assert_allclose(full.decode(y), lin.decode(y), atol=1e-5)
    # Encoder = scaled projection on the first components; all 192 components reconstruct exactly.
    allc = models.create("cheng2018-cae", latent_channels=192, basis=basis_file, latent_scale=4.0, cae=False)
    np.testing.assert_allclose(allc.decode(allc.encode(x)), x, atol=1e-4)
    # Training can move it: the zero-initialised last layers still receive gradient.
    full.zero_grad()
    full.backward(np.ones_like(full.forward(x)))
    last = list(full.decoder.b)[-1]
    assert np.abs(last.weight.grad).sum() > 0


def test_grow_encoder_codes_as_its_source_until_trained(basis_file, tmp_path):
    from swiftlic.models.cheng2018 import grow_encoder

    dec = models.create("cheng2018-cae", channels=[3, 3, 4, 4, 4], latent_channels=12, basis=basis_file, seed=4,
                        cae="decoder")
    for p in dec.parameters():          # trained-looking weights everywhere, the decoder's last layer included
        p.data += 0.01
    grown = grow_encoder(dec, seed=7)
    assert grown.config["cae"] is True and grown.config["seed"] == 7
    x = _rand((2, 3, 16, 16), 6)
    y = dec.encode(x)
    np.testing.assert_array_equal(grown.encode(x), y)
    np.testing.assert_array_equal(grown.decode(y), dec.decode(y))
    # The new analysis branch learns: its zero last layer receives gradient.
    grown.zero_grad()
    grown.backward(np.ones_like(grown.forward(x)))
    assert np.abs(list(grown.encoder.b)[-1].weight.grad).sum() > 0
    models.save(grown, tmp_path / "g.safetensors")
    again = models.load(tmp_path / "g.safetensors")
    np.testing.assert_array_equal(again.encode(x), y)
    with pytest.raises(swiftlic.InvalidArgumentError, match="grow_encoder"):
        grow_encoder(grown)


def test_decoder_only_residual_has_a_pure_pca_analysis(basis_file, tmp_path):
    both = models.create("cheng2018-cae", channels=[3, 3, 4, 4, 4], latent_channels=12, basis=basis_file, seed=4)
    dec = models.create("cheng2018-cae", channels=[3, 3, 4, 4, 4], latent_channels=12, basis=basis_file, seed=4,
                        cae="decoder")
    lin = models.create("cheng2018-cae", latent_channels=12, basis=basis_file, cae=False)
    enc = [k for k in dec.state_dict() if k.startswith("encoder.")]
    assert enc == ["encoder.1.weight", "encoder.1.bias"]          # the 1×1 PCA convolution alone
    for p in both.decoder.parameters():          # a trained synthesis residual (non-zero last layer)
        p.data += 0.01
    state = both.state_dict()
    dec.load_state_dict({k: state[k.replace("encoder.", "encoder.a.")] for k in dec.state_dict()})
    x = _rand((1, 3, 16, 16), 5)
    y = dec.encode(x)
    np.testing.assert_array_equal(y, lin.encode(x))
    np.testing.assert_allclose(dec.decode(y), both.decode(y), atol=1e-6)
    models.save(dec, tmp_path / "d.safetensors")
    assert models.load(tmp_path / "d.safetensors").config["cae"] == "decoder"
    with pytest.raises(swiftlic.InvalidArgumentError, match="cae"):
        models.create("cheng2018-cae", cae="encoder")
    with pytest.raises(swiftlic.InvalidArgumentError, match="block-PCA"):
        models.create("cheng2018-cae", cae="decoder", linear_path="none")


def test_per_component_arrangement_shares_one_single_channel_cae():
    m = models.create("cheng2018-cae", channels=[2, 2, 2, 2, 2], latent_channels=2, linear_path="none",
                      per_component=True)
    x = _rand((1, 3, 16, 16))
    y = m.encode(x)
    assert y.shape == (1, 6, 2, 2)
    single = m.encoder.net.forward(x[:, 1:2].copy())
    np.testing.assert_allclose(y[:, 2:4], single, atol=1e-6)


def test_save_load_round_trip(tmp_path, basis_file):
    m = models.create("cheng2018-cae", channels=[3, 3, 4, 4, 4], latent_channels=6, basis=basis_file)
    for p in m.parameters():
        p.data += 0.01
    path = tmp_path / "m.safetensors"
    models.save(m, path)
    back = models.load(path, expect="cheng2018-cae")
    assert back.config == m.config
    for (k, a), (k2, b) in zip(m.state_dict().items(), back.state_dict().items()):
        assert k == k2 and np.array_equal(a, b)
    x = _rand((1, 3, 16, 16))
    np.testing.assert_array_equal(back.encode(x), m.eval().encode(x))
    with pytest.raises(swiftlic.ModelMismatchError, match="expected a ee276-dense"):
        models.load(path, expect="ee276-dense")


def test_bad_inputs_raise_clear_errors():
    m = models.create("cheng2018-cae", channels=[2, 2, 2, 2, 2], latent_channels=2, linear_path="none")
    with pytest.raises(swiftlic.InvalidArgumentError, match="multiples of 8"):
        m.encode(_rand((1, 3, 12, 16)))
    with pytest.raises(swiftlic.InvalidArgumentError, match="float32"):
        m.encode(np.zeros((1, 3, 16, 16)))
    with pytest.raises(swiftlic.InvalidArgumentError, match="channels"):
        m.encode(_rand((1, 1, 16, 16)))
    with pytest.raises(swiftlic.InvalidArgumentError, match="block-PCA basis"):
        models.create("cheng2018-cae", basis="/nonexistent.safetensors")
    with pytest.raises(swiftlic.InvalidArgumentError, match="5 positive widths"):
        models.create("cheng2018-cae", channels=[1, 2], linear_path="none")


def test_layers_resolve_to_native_or_marked_standin():
    for name, native in L.native_layers.items():
        cls = getattr(L, name)
        assert (cls.__module__ != S.__name__) == native
