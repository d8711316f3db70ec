"""The wavelet model (dwt97-cae) and the codec's code blocks: transform, gradients, streams, damaged streams."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import swiftlic
from swiftlic import codec, metrics, models
from swiftlic.color import ycbcr_to_rgb_affine
from swiftlic.models.wavelet import extend_postfilter, plane_weights, rate_feature

SAMPLES = Path(swiftlic.__file__).with_name("samples")


@pytest.fixture(scope="module")
def image():
    h, w = 75, 101  # not multiples of the stride (32) nor of the code block (64)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    r = 120 + 90 * np.sin(x / 7) * np.cos(y / 11)
    g = 80 + 50 * np.cos((x - y) / 13) + 50 * (y > h / 2)
    b = 70 + 0.9 * x + 0.4 * y
    img = np.stack([r, g, b], -1) + np.random.default_rng(3).normal(0, 2, (h, w, 3))
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def plain():
    m = models.create("dwt97-cae", postfilter=False)
    m.eval()
    return m


def test_plane_weights_are_the_rgb_norms_of_each_plane():
    M = ycbcr_to_rgb_affine()[0]
    for c in range(3):
        e = np.zeros(3)
        e[c] = 1
        assert plane_weights()[c] == pytest.approx(np.linalg.norm(M @ e), rel=1e-6)


def test_untrained_postfilter_is_the_plain_wavelet_and_decoding_inverts(plain):
    x = np.random.default_rng(0).uniform(0, 1, (2, 3, 64, 96)).astype(np.float32)
    full = models.create("dwt97-cae")
    y = plain.encode(x)
    np.testing.assert_array_equal(full.encode(x), y)
    np.testing.assert_allclose(full.decode(y), plain.decode(y), atol=1e-6)
    np.testing.assert_allclose(plain.decode(y), x, atol=2e-6)
    # A unit latent error costs about (1/latent_scale)² of squared RGB error, whatever the plane.
    for c in range(3):
        e = np.zeros_like(y[:1])
        e[0, c, 20, 30] = 1
        d = plain.decode(y[:1] + e) - plain.decode(y[:1])
        rgb = np.einsum("rc,nchw->nrhw", ycbcr_to_rgb_affine()[0], d)
        assert float(np.sum(rgb ** 2)) * 64.0 ** 2 == pytest.approx(1.0, rel=0.1), c


def test_model_gradients_by_finite_differences():
    m = models.create("dwt97-cae", levels=2, postfilter_channels=[4], seed=1)
    for p in m.parameters():  # non-zero last layer, so every branch carries gradient
        p.data[...] += 0.05 * np.random.default_rng(2).standard_normal(p.data.shape).astype(np.float32)
    rng = np.random.default_rng(4)
    x = rng.uniform(0, 1, (1, 3, 12, 16)).astype(np.float32)
    for part, inp in ((m.encoder, x), (m.decoder, m.encode(x))):
        w = rng.standard_normal(part.forward(inp).shape).astype(np.float32)
        part.zero_grad()
        part.forward(inp)
        gx = part.backward(w)
        d = rng.standard_normal(inp.shape).astype(np.float32)
        eps = 1e-3 * float(np.abs(inp).max())  # small enough to cross no PReLU kink
        num = (np.sum(w * part.forward(inp + eps * d), dtype=np.float64)
               - np.sum(w * part.forward(inp - eps * d), dtype=np.float64)) / (2 * eps)
        ana = float(np.sum(gx * d, dtype=np.float64))
        assert ana == pytest.approx(num, rel=2e-3, abs=1e-3)


@pytest.mark.parametrize("shape, block", [((3, 75, 101), 64), ((2, 64, 128), 64), ((1, 5, 9), 8)])
def test_code_blocks_round_trip(shape, block):
    y = np.random.default_rng(5).standard_normal(shape).astype(np.float32)
    blocks = codec.to_code_blocks(y, block)
    th, tw = -(-shape[1] // block), -(-shape[2] // block)
    assert blocks.shape == (shape[0] * th * tw, block, block)
    np.testing.assert_array_equal(blocks[0, :min(block, shape[1]), :min(block, shape[2])],
                                  y[0, :block, :block])
    np.testing.assert_array_equal(codec.from_code_blocks(blocks, shape, block), y)
    with pytest.raises(swiftlic.CorruptStreamError, match="code blocks"):
        codec.from_code_blocks(blocks[1:], shape, block)
    assert codec.to_code_blocks(y, None) is y


def test_wavelet_codec_round_trip_meets_rates(image, plain):
    pixels = image.shape[0] * image.shape[1]
    psnrs = []
    for bpp in (0.5, 1.0, 2.0, 4.0):
        data = swiftlic.compress(image, bpp=bpp, model=plain)
        assert 0.8 * bpp < 8 * len(data) / pixels <= bpp
        inf = codec.info(data)
        b = plain.code_block_for(96, 128)  # 75×101 → padded 96×128 → 2×2 blocks of 64 per plane
        assert b == 64 and inf.latent_shape == (3 * 2 * 2, 64, 64)
        rec = swiftlic.decompress(data, model=plain)
        assert rec.shape == image.shape
        psnrs.append(metrics.psnr(image, rec))
    assert psnrs == sorted(psnrs) and psnrs[-1] > 40
    # Every bitplane: the codec's quantizer alone (step 1/8 of a latent unit = 1/512 of a weighted coefficient).
    assert metrics.psnr(image, swiftlic.decompress(swiftlic.compress(image, model=plain), model=plain)) > 50


def test_latent_roundtrip_matches_the_stream(image, plain):
    x = codec._pad(swiftlic.rgb_to_ycbcr(image, planar=True), plain.stride)
    y = plain.encode(x[None])[0]
    y_hat, n = codec.latent_roundtrip(y, 1.0, image.shape[:2], model_id="m",
                                      code_block=codec.code_block_size(plain, *y.shape[1:]))
    assert y_hat.shape == y.shape and 0 < n <= image.shape[0] * image.shape[1] / 8
    assert float(np.abs(y_hat - y).mean()) < float(np.abs(y).mean())


def test_damaged_wavelet_streams_are_detected(image, plain):
    data = swiftlic.compress(image, bpp=1.0, model=plain)
    rng = np.random.default_rng(6)
    for pos in rng.choice(len(data), 15, replace=False):
        bad = bytearray(data)
        bad[pos] ^= 1 << int(rng.integers(8))
        with pytest.raises(swiftlic.CorruptStreamError):
            swiftlic.decompress(bytes(bad), model=plain)
    # A well-formed stream of the wrong geometry (other image size, same model) is refused, not mis-tiled.
    other = swiftlic.compress(image[:40], bpp=1.0, model=plain)
    hd = swiftlic.latent.read_header(other)
    y_hat, _ = swiftlic.latent.decode(other)
    forged = swiftlic.latent.encode(y_hat, bits=hd.bits, step=hd.step, model_id=hd.model_id,
                                    model_hash=hd.model_hash, image_size=image.shape[:2], color_mode="ycbcr")
    with pytest.raises(swiftlic.CorruptStreamError, match="code blocks"):
        swiftlic.decompress(forged, model=plain)


def test_code_block_size_rule():
    m = models.create("dwt97-cae", postfilter=False)  # code_block 128
    assert m.code_block_for(512, 768) == 128  # 4×6 = 24 blocks per plane
    assert m.code_block_for(256, 256) == 64   # 128 would give 2×2
    assert m.code_block_for(32, 32) == 64     # never below 64
    assert models.create("dwt97-cae", code_block=16).code_block_for(512, 512) == 16
    assert codec.code_block_size(models.create("cheng2018-cae", linear_path="none"), 64, 96) is None


def test_bad_configs_raise():
    for bad in ({"levels": 0}, {"latent_scale": -1.0}, {"code_block": 4}, {"postfilter_channels": []}):
        with pytest.raises(swiftlic.InvalidArgumentError):
            models.create("dwt97-cae", **bad)


def test_streams_name_the_transform_not_only_the_weights(image, plain):
    data = swiftlic.compress(image, bpp=1.0, model=plain)
    for other in ({"levels": 4}, {"latent_scale": 32.0}):
        m = models.create("dwt97-cae", postfilter=False, **other)
        with pytest.raises(swiftlic.ModelMismatchError):
            swiftlic.decompress(data, model=m)


def _trained_like(gate=None):
    """A post-filter model with non-zero (random) filter weights, as after training."""
    m = models.create("dwt97-cae", postfilter_channels=[4], postfilter_gate=gate, seed=3)
    rng = np.random.default_rng(9)
    for p in m.parameters():
        p.data[...] += 0.05 * rng.standard_normal(p.data.shape).astype(np.float32)
    m.eval()
    return m


def test_decode_runs_a_fused_copy_with_the_unfused_bits_and_the_current_weights(image):
    from swiftlic.nn import Conv2d, FusedConv, Sequential

    m = _trained_like()
    y = m.encode(codec._pad(swiftlic.rgb_to_ycbcr(image, planar=True), m.stride)[None])

    def unfused():
        base = m.synthesis.forward(y)
        return base + m.postfilter.forward(base)

    np.testing.assert_array_equal(m.decode(y), unfused())
    np.testing.assert_array_equal(m.decode(y), m.decoder.forward(y))
    assert any(isinstance(f, FusedConv) for _, f in m.inference(m.postfilter).named_modules())
    # The copy shares the parameters: a new array (as an optimizer may assign) reaches the next decode.
    conv = next(c for _, c in m.postfilter.named_modules() if isinstance(c, Conv2d))
    before = m.decode(y)
    conv.weight.data = conv.weight.data * np.float32(1.5)
    after = m.decode(y)
    assert np.abs(after - before).max() > 1e-4
    np.testing.assert_array_equal(after, unfused())
    # A module whose children change is fused afresh.
    seq = Sequential(Conv2d(3, 3, 3, padding=1, rng=0))
    first = m.inference(seq)
    assert m.inference(seq) is first
    seq2 = Sequential(Conv2d(3, 3, 3, padding=1, rng=1))
    assert m.inference(seq2) is not first
    object.__setattr__(seq, "_modules", seq2._modules)  # (what a structural change amounts to)
    assert m.inference(seq) is not first


def test_postfilter_gate_interpolates_in_log_rate_and_scales_the_residual(image):
    m = _trained_like([[0.1, 1.0], [1.0, 0.0]])
    assert m.postfilter_gain(0.1) == 1.0 and m.postfilter_gain(1.0) == 0.0
    assert m.postfilter_gain(0.1 ** 0.5) == pytest.approx(0.5)
    assert m.postfilter_gain(0.01) == 1.0 and m.postfilter_gain(8.0) == 0.0   # clamped at the ends
    assert m.postfilter_gain(None) == 1.0 and models.create("dwt97-cae", postfilter=False).postfilter_gain(1) == 0
    x = codec._pad(swiftlic.rgb_to_ycbcr(image, planar=True), m.stride)[None]
    y = m.encode(x)
    base = m.synthesis.forward(y)
    np.testing.assert_array_equal(m.decode(y, bpp=1.0), base)                  # gain 0: the plain wavelet
    np.testing.assert_allclose(m.decode(y, bpp=0.1), m.decoder.forward(y), atol=1e-6)  # gain 1: the trained net
    half = m.decode(y, bpp=0.1 ** 0.5)
    np.testing.assert_allclose(half, base + 0.5 * (m.decoder.forward(y) - base), atol=1e-5)


def test_decompress_applies_the_gain_of_the_streams_own_rate(image):
    m = _trained_like([[0.5, 1.0], [2.0, 0.0]])
    for bpp, gain in ((0.5, 1.0), (2.0, 0.0)):
        data = swiftlic.compress(image, bpp=bpp, model=m, adapt_postfilter=False)
        assert codec.info(data).header.filter_strengths is None
        rate = 8 * len(data) / (image.shape[0] * image.shape[1])
        y_hat = codec.from_code_blocks(swiftlic.latent.decode(data)[0], codec._latent_shape(m, image.shape[:2]),
                                       64)
        base = m.synthesis.forward(y_hat[None])
        want = base + np.float32(m.postfilter_gain(rate)) * m.postfilter.forward(base)
        want = swiftlic.ycbcr_to_rgb(np.ascontiguousarray(want[0, :, :image.shape[0], :image.shape[1]]),
                                     planar=False)
        np.testing.assert_array_equal(swiftlic.decompress(data, model=m), want)
        assert m.postfilter_gain(rate) == pytest.approx(gain, abs=0.05)
    # The gate is part of the transform: another table is another model.
    other = _trained_like([[0.5, 1.0], [2.0, 0.5]])
    with pytest.raises(swiftlic.ModelMismatchError):
        swiftlic.decompress(swiftlic.compress(image, bpp=1.0, model=m), model=other)


def _decoder(m, data, hw):
    """What decompress should return for ``data`` (a stream of ``m`` for an image of ``hw``), as a function of the
    post-filter strength."""
    shape = codec._latent_shape(m, hw)
    y_hat = codec.from_code_blocks(swiftlic.latent.decode(data)[0], shape, codec.code_block_size(m, *shape[1:]))
    base = m.synthesis.forward(y_hat[None])
    m.set_rate(8 * len(data) / (hw[0] * hw[1]))  # (a filter that sees the rate sees the stream's)
    f = m.postfilter.forward(base)
    return lambda q: swiftlic.ycbcr_to_rgb(
        np.ascontiguousarray((base + np.float32(q / m.strength_scale) * f)[0, :, :hw[0], :hw[1]]), planar=False)


def test_encoder_chooses_the_postfilter_strength_per_layer_and_decompress_applies_it():
    from PIL import Image

    photo = np.asarray(Image.open(SAMPLES / "leaves.jpg").convert("RGB"))[:96, :130].copy()
    for name in ("dwt97-pf", "dwt97-pf-wide"):  # trained filters (the second sees the rate)
        _, m = codec.load_model(name)
        data = swiftlic.compress(photo, bpp=0.5, model=m, layers=2)
        strengths = codec.info(data).header.filter_strengths
        assert len(strengths) == 2
        for k, end in enumerate(codec._layer_ends(data)):
            cut = data[:end]
            assert swiftlic.latent.truncate(data, end) == cut
            decoded = _decoder(m, cut, photo.shape[:2])
            np.testing.assert_array_equal(swiftlic.decompress(cut, model=m), decoded(strengths[k]))
            # Within 0.1 % of the best of all 256 bytes (exact uint8 squared error), far better than no filter.
            errors = [float(np.square(decoded(q).astype(np.int64) - photo).sum()) for q in range(256)]
            assert errors[strengths[k]] <= 1.001 * min(errors) and errors[strengths[k]] < 0.95 * errors[0], (name, k)
        gate = swiftlic.compress(photo, bpp=0.5, model=m, layers=2, adapt_postfilter=False)
        assert codec.info(gate).header.filter_strengths is None
        assert metrics.psnr(photo, swiftlic.decompress(data)) > metrics.psnr(photo, swiftlic.decompress(gate))


def test_encoder_finds_a_known_gain(image, monkeypatch):
    """A filter whose correction is half of the coding error (an oracle): the best gain is 2, strength 64."""
    m = _trained_like()
    x = codec._pad(swiftlic.rgb_to_ycbcr(image, planar=True), m.stride)[None]
    monkeypatch.setattr(m, "postfilter_residual", lambda base, bpp=None: 0.5 * (x - base))
    data = swiftlic.compress(image, bpp=0.5, model=m)
    assert codec.info(data).header.filter_strengths == (2 * m.strength_scale,)


def test_strengths_are_validated_and_need_a_postfilter(image):
    m = _trained_like()
    y = m.encode(codec._pad(swiftlic.rgb_to_ycbcr(image, planar=True), m.stride)[None])
    for bad in (-1, 256, 1.5, "7"):
        with pytest.raises(swiftlic.InvalidArgumentError, match="strength"):
            m.decode(y, bpp=1.0, strength=bad)
    for bad in ([1, 2], [300], [0.5], [[1]]):
        with pytest.raises(swiftlic.InvalidArgumentError, match="filter_strengths"):
            swiftlic.latent.encode(y[0], filter_strengths=bad)
    # Streams of a model without a post-filter carry none; a crafted one that does is refused, not misread.
    _, plain_model = codec.load_model("dwt97")
    assert codec.info(swiftlic.compress(image, bpp=0.5, model=plain_model)).header.filter_strengths is None
    z = codec.to_code_blocks(plain_model.encode(codec._pad(swiftlic.rgb_to_ycbcr(image, planar=True), 32)[None])[0],
                             codec.code_block_size(plain_model, *y.shape[2:]))
    crafted = swiftlic.latent.encode(z, bits=codec.BITS, step=codec._STEP, target_bytes=600, model_id="dwt97",
                                     model_hash=codec._model_hash(plain_model), image_size=image.shape[:2],
                                     color_mode="ycbcr", filter_strengths=[64])
    with pytest.raises(swiftlic.ModelMismatchError, match="post-filter"):
        swiftlic.decompress(crafted)


@pytest.mark.parametrize("bad", [[], [[0.0, 1.0]], [[1.0, 1.0], [0.5, 1.0]], [[1.0, float("nan")]], "x", [[1.0]]])
def test_bad_gate_tables_raise(bad):
    with pytest.raises(swiftlic.InvalidArgumentError, match="postfilter_gate"):
        models.create("dwt97-cae", postfilter_gate=bad)


# -- a post-filter that sees the rate ------------------------------------------------------------------------------
def test_rate_input_filter_from_a_trained_one_decodes_as_it_until_trained(image):
    src = _trained_like()
    m = extend_postfilter(src, rate_input=True)
    assert m.config["postfilter_rate_input"] and m.postfilter.f.state_dict()  # the net, behind the rate plane
    x = codec._pad(swiftlic.rgb_to_ycbcr(image, planar=True), m.stride)[None]
    y = src.encode(x)
    for bpp in (0.07, 0.5, 3.0):
        np.testing.assert_array_equal(m.decode(y, bpp=bpp), src.decode(y))
    # Once its rate weights move, the rate changes the output, and a batch sees each item's own rate.
    first = next(p for p in m.postfilter.parameters() if p.data.ndim == 4)
    first.data[:, 3] = 0.2 * np.random.default_rng(1).standard_normal(first.data[:, 3].shape)
    lo, hi = m.decode(y, bpp=0.1), m.decode(y, bpp=2.0)
    assert np.abs(lo - hi).max() > 1e-3
    both = m.decode(np.concatenate([y, y]), bpp=[0.1, 2.0])
    np.testing.assert_allclose(both[0], lo[0], atol=1e-6)
    np.testing.assert_allclose(both[1], hi[0], atol=1e-6)
    # The rate plane's value: 0 at 0.25 bpp, ±½ per octave.
    np.testing.assert_allclose(rate_feature([0.25, 1.0, 0.0625]), [0.0, 1.0, -1.0])


def test_rate_input_filter_needs_a_rate_and_round_trips_through_files(image, tmp_path):
    m = extend_postfilter(_trained_like(), rate_input=True)
    y = m.encode(codec._pad(swiftlic.rgb_to_ycbcr(image, planar=True), m.stride)[None])
    with pytest.raises(swiftlic.InvalidArgumentError, match="bpp"):
        m.decode(y)
    for bad in (0.0, -1.0, float("nan"), [0.5, 0.5, 0.5]):
        with pytest.raises(swiftlic.InvalidArgumentError):
            m.decode(y, bpp=bad)
    with pytest.raises(swiftlic.InvalidArgumentError, match="extend_postfilter"):
        extend_postfilter(m, rate_input=False)
    models.save(m, tmp_path / "m.safetensors")
    again = models.load(tmp_path / "m.safetensors")
    np.testing.assert_array_equal(again.decode(y, bpp=0.3), m.decode(y, bpp=0.3))
    # It is another transform than the filter without the rate input: streams name it.
    data = swiftlic.compress(image, bpp=0.5, model=m)
    assert swiftlic.decompress(data, model=again).shape == image.shape
    with pytest.raises(swiftlic.ModelMismatchError):
        swiftlic.decompress(data, model=_trained_like())


# -- a coarse branch ------------------------------------------------------------------------------------------------
def test_coarse_branch_starts_where_the_filter_was_and_sees_far(image):
    src = extend_postfilter(_trained_like(), rate_input=True)
    first = next(p for p in src.postfilter.parameters() if p.data.ndim == 4)
    first.data[:, 3] = 0.1  # a rate input that does something
    m = extend_postfilter(src, coarse_channels=[5, 6], coarse_factor=4)
    assert m.config["postfilter_coarse_channels"] == [5, 6] and m.config["postfilter_rate_input"]
    x = codec._pad(swiftlic.rgb_to_ycbcr(image, planar=True), m.stride)[None]
    y = m.encode(x)
    for bpp in (0.1, 1.0):
        np.testing.assert_array_equal(m.decode(y, bpp=bpp), src.decode(y, bpp=bpp))
    # Trained (random) coarse weights: a change at one pixel moves the output 10 pixels away, which the two 3×3
    # convolutions at full resolution (a reach of 2 pixels) cannot; 20 pixels away is beyond the branch too.
    for p in m.postfilter.parameters():
        p.data[...] += 0.05 * np.random.default_rng(4).standard_normal(p.data.shape).astype(np.float32)
    base = m.synthesis.forward(y)
    m.set_rate(0.5)
    f0 = m.postfilter.forward(base)
    bumped = base.copy()
    bumped[0, 0, 40, 40] += 1
    f1 = m.postfilter.forward(bumped)
    assert np.abs(f1 - f0)[0, :, 40, 50].max() > 1e-6 and np.abs(f1 - f0)[0, :, 40, 60].max() == 0
    # Growing keeps what was there; removing or changing is refused; streams name the branch.
    np.testing.assert_array_equal(extend_postfilter(m).decode(y, bpp=0.3), m.decode(y, bpp=0.3))
    with pytest.raises(swiftlic.InvalidArgumentError, match="extend_postfilter"):
        extend_postfilter(m, coarse_channels=[5])
    data = swiftlic.compress(image, bpp=0.5, model=m)
    assert swiftlic.decompress(data, model=m).shape == image.shape
    with pytest.raises(swiftlic.ModelMismatchError):
        swiftlic.decompress(data, model=src)


@pytest.mark.parametrize("rate, coarse", [(True, []), (False, [4]), (True, [4])])
def test_postfilter_variants_gradients_by_finite_differences(rate, coarse):
    """The filter's wiring (rate plane, both branches, shuffles) in float64 on the NumPy stand-in layers."""
    from swiftlic.models import _layers as L

    with L.standin_layers():
        m = models.create("dwt97-cae", levels=2, postfilter_channels=[3], postfilter_coarse_channels=coarse,
                          postfilter_coarse_factor=2, postfilter_rate_input=rate, seed=1)
    rng = np.random.default_rng(7)
    f = m.postfilter
    for p in f.parameters():  # float64, jittered, the zero last layers included
        p.data = p.data.astype(np.float64) + 0.05 * rng.standard_normal(p.data.shape)
        p.grad = np.zeros(p.data.shape)
    if rate:
        f.set_rate([0.2, 1.5])
    x = rng.uniform(0, 1, (2, 3, 8, 12))
    w = rng.standard_normal(x.shape)
    f.zero_grad()
    f.forward(x)
    gx = f.backward(w)
    d = rng.standard_normal(x.shape)
    dp = [rng.standard_normal(p.data.shape) for p in f.parameters()]
    ana = float(np.sum(gx * d)) + sum(float(np.sum(p.grad * q)) for p, q in zip(f.parameters(), dp))
    base = [p.data.copy() for p in f.parameters()]
    eps = 1e-6

    def loss(t):
        for p, b, q in zip(f.parameters(), base, dp):
            p.data[...] = b + t * q
        return float(np.sum(w * f.forward(x + t * d)))

    num = (loss(eps) - loss(-eps)) / (2 * eps)
    assert ana == pytest.approx(num, rel=1e-6, abs=1e-6)


@pytest.mark.parametrize("bad", [{"postfilter_coarse_channels": [0]}, {"postfilter_coarse_channels": [4],
                                 "postfilter_coarse_factor": 3}, {"levels": 1, "postfilter_coarse_channels": [4]}])
def test_bad_coarse_branches_raise(bad):
    with pytest.raises(swiftlic.InvalidArgumentError, match="postfilter_coarse"):
        models.create("dwt97-cae", **bad)
