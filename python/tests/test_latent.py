"""Binding and behaviour tests of swiftlic.latent (the algorithms themselves are tested in Swift)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest

import swiftlic
from swiftlic import latent
from swiftlic.errors import (CorruptStreamError, InvalidArgumentError, LimitExceededError, ModelMismatchError,
                             UnsupportedVersionError)

GOLDEN = Path(__file__).parent / "data" / "latent_golden.json"


def laplace(shape, scale=0.05, seed=0):
    return (np.random.default_rng(seed).laplace(size=shape) * scale).astype(np.float32)


def correlated(shape, seed=0):
    """Channels that share structure, so PCA has something to find."""
    c, h, w = shape
    rng = np.random.default_rng(seed)
    base = rng.laplace(size=(4, h, w))
    mix = rng.normal(size=(c, 4))
    return (np.einsum("ck,khw->chw", mix, base) * 0.05 + rng.normal(size=shape) * 0.002).astype(np.float32)


def quantized(y, bits=12, step=1.0, channel_steps=None):
    """What a full-rate decode must return, computed independently in NumPy (half-to-even rounding)."""
    s = np.float32(step) * (np.ones(y.shape[0], np.float32) if channel_steps is None
                            else np.asarray(channel_steps, np.float32))
    scale = (np.float32(2 ** (bits - 1)) / s).astype(np.float32)[:, None, None]
    inv = (s / np.float32(2 ** (bits - 1))).astype(np.float32)[:, None, None]
    q = np.clip(np.rint(y * scale), -(2**30 - 1), 2**30 - 1)
    return (q.astype(np.float32) * inv).astype(np.float32)


@pytest.mark.parametrize("bits,step,shape", [(12, 1.0, (8, 16, 16)), (8, 0.5, (3, 7, 5)), (16, 3.0, (1, 1, 1)),
                                             (1, 1.0, (2, 9, 4))])
def test_full_rate_round_trip_is_exact(bits, step, shape):
    y = laplace(shape, scale=0.3)
    data = latent.encode(y, bits=bits, step=step)
    y_hat, header = latent.decode(data)
    assert y_hat.dtype == np.float32 and y_hat.shape == shape
    np.testing.assert_array_equal(y_hat, quantized(y, bits, step))
    assert header.bits == bits and header.step == step and header.shape == shape


def test_channel_steps_round_trip_and_header():
    y = laplace((5, 8, 8), scale=0.2)
    steps = np.array([0.5, 1, 2, 4, 8], np.float32)
    data = latent.encode(y, bits=10, channel_steps=steps)
    y_hat, header = latent.decode(data)
    np.testing.assert_array_equal(y_hat, quantized(y, 10, 1.0, steps))
    np.testing.assert_array_equal(header.channel_steps, steps)


def test_per_image_pca_error_is_bounded_by_the_quantizer():
    y = correlated((16, 12, 12))
    data = latent.encode(y, pca="image")
    y_hat, header = latent.decode(data)
    assert header.pca == "image" and header.basis_bits == 6
    # The rotation is orthonormal, so the total squared error is at most that of the rounding: N·(Δ/2)².
    delta = 1 / 2**11
    assert float(((y_hat - y).astype(np.float64) ** 2).sum()) <= y.size * (delta / 2) ** 2 * 1.01


def test_pca_compacts_energy_on_correlated_channels():
    y = correlated((16, 32, 32))
    plain = len(latent.encode(y, bits=10))
    rotated = len(latent.encode(y, bits=10, pca="image"))
    assert rotated < plain


def test_fixed_pca_needs_the_same_transform():
    y = correlated((6, 10, 10))
    c = y.shape[0]
    cov = np.cov(y.reshape(c, -1))
    _, vecs = np.linalg.eigh(cov)
    basis = vecs[:, ::-1].T.astype(np.float32)
    mean = y.reshape(c, -1).mean(axis=1).astype(np.float32)
    data = latent.encode(y, pca="fixed", pca_basis=basis, pca_mean=mean)
    y_hat, header = latent.decode(data, pca_basis=basis, pca_mean=mean)
    assert header.pca == "fixed"
    assert float(np.abs(y_hat - y).max()) < 1e-3
    with pytest.raises(ModelMismatchError):
        latent.decode(data, pca_basis=basis[::-1].copy(), pca_mean=mean)
    with pytest.raises(InvalidArgumentError):
        latent.decode(data)
    with pytest.raises(InvalidArgumentError):
        latent.encode(y, pca="fixed")


def test_header_fields_and_model_check():
    y = laplace((4, 6, 8))
    data = latent.encode(y, model_id="cheng2018-cae/λ=0.01", model_hash=2**64 - 5, image_size=(48, 64),
                         color_mode="ycbcr")
    h = latent.read_header(data)
    assert (h.model_id, h.model_hash, h.image_size, h.color_mode) == ("cheng2018-cae/λ=0.01", 2**64 - 5, (48, 64),
                                                                        "ycbcr")
    assert h.stream_bytes == len(data) and h.version == 4
    latent.decode(data, model_hash=2**64 - 5)
    with pytest.raises(ModelMismatchError, match="cheng2018-cae"):
        latent.decode(data, model_hash=1)


def test_filter_strengths_ride_in_the_header_and_survive_truncation():
    y = laplace((4, 12, 10))
    plain = latent.encode(y, target_bytes=400, layers=3)
    data = latent.encode(y, target_bytes=400, layers=3, filter_strengths=np.array([0, 128, 255], np.uint8))
    assert latent.read_header(plain).filter_strengths is None
    h = latent.read_header(data)
    assert h.filter_strengths == (0, 128, 255) and h.header_bytes == latent.read_header(plain).header_bytes + 3
    assert len(data) <= 400
    cut = latent.truncate(data, len(data) - 1)
    assert latent.read_header(cut).filter_strengths == (0, 128, 255) and latent.read_header(cut).layers_present == 2
    full = latent.encode(y, filter_strengths=[7])  # full rate: the same latent as without
    np.testing.assert_array_equal(latent.decode(full)[0], latent.decode(latent.encode(y))[0])
    for bad in ([1, 2], [-1, 0, 0], [0, 0, 256], [0.0, 1.0, 2.0], "abc", [[0, 1, 2]]):
        with pytest.raises(InvalidArgumentError, match="filter_strengths"):
            latent.encode(y, target_bytes=400, layers=3, filter_strengths=bad)


def test_target_bytes_is_respected_and_rate_control_works():
    y = laplace((8, 24, 24), scale=0.1)
    full = latent.encode(y)
    errors = []
    for target in [200, 400, 800, 1600, len(full)]:
        data = latent.encode(y, target_bytes=target)
        assert len(data) <= target
        y_hat, _ = latent.decode(data)
        errors.append(float(((y_hat - y) ** 2).mean()))
    assert errors[0] > errors[2] > errors[-1]
    # Separate encodes at growing budgets: the greedy PCRD fill is not nested by construction (layers are), but
    # distortion never rose in 702 budgets over 3 seeds when measured; pin it on a fixed input.
    previous = np.inf
    for target in range(150, 3000, 60):
        y_hat, _ = latent.decode(latent.encode(y, target_bytes=target))
        err = float(((y_hat - y).astype(np.float64) ** 2).sum())
        assert err <= previous
        previous = err
    # Step size is the other rate knob.
    assert len(latent.encode(y, step=4.0)) < len(latent.encode(y, step=1.0))


def test_layers_are_embedded_and_truncate_gives_valid_lower_rate_streams():
    y = laplace((8, 24, 24), scale=0.1)
    data = latent.encode(y, target_bytes=3000, layers=8)
    header = latent.read_header(data)
    assert header.layers == 8 and header.layers_present == 8
    previous_len, previous_err = -1, np.inf
    for target in range(header.header_bytes, len(data) + 1, 37):
        cut = latent.truncate(data, target)
        assert len(cut) <= target and data.startswith(cut)
        y_hat, h = latent.decode(cut)
        err = float(((y_hat - y).astype(np.float64) ** 2).sum())
        assert len(cut) >= previous_len
        assert err <= previous_err or len(cut) == previous_len
        previous_len, previous_err = len(cut), err
    # A full decode from the complete stream equals the encoder's own decode at that budget.
    np.testing.assert_array_equal(latent.decode(latent.truncate(data, len(data)))[0], latent.decode(data)[0])
    with pytest.raises(InvalidArgumentError):
        latent.truncate(data, header.header_bytes - 1)


def test_full_rate_with_layers_is_still_exact_and_embedded():
    y = laplace((6, 10, 12), scale=0.2)
    data = latent.encode(y, bits=10, layers=5)
    np.testing.assert_array_equal(latent.decode(data)[0], quantized(y, 10))
    header = latent.read_header(data)
    assert header.layers_present == 5
    sizes = sorted(layer_boundaries(data))
    assert len(sizes) >= 3  # header alone, some intermediate layers, the full stream
    errors = [float(((latent.decode(data[:n])[0] - y).astype(np.float64) ** 2).sum()) for n in sizes]
    assert all(a >= b for a, b in zip(errors, errors[1:]))


def test_results_do_not_depend_on_thread_count():
    y = correlated((12, 20, 20))
    before = swiftlic.get_num_threads()
    try:
        out = []
        for n in (1, 2, 3):
            swiftlic.set_num_threads(n)
            data = latent.encode(y, pca="image", target_bytes=1500, layers=3)
            out.append((data, latent.decode(data)[0]))
        for data, y_hat in out[1:]:
            assert data == out[0][0]
            np.testing.assert_array_equal(y_hat, out[0][1])
    finally:
        swiftlic.set_num_threads(before)


def golden_inputs():
    """Inputs from integer arithmetic only, so they are identical on every machine and NumPy version."""
    def lcg(n, seed):
        x = np.empty(n, np.int64)
        s = seed
        for i in range(n):
            s = (s * 6364136223846793005 + 1442695040888963407) % 2**64
            x[i] = (s >> 40) % 2049 - 1024
        return x
    small = (lcg(3 * 8 * 8, 1).astype(np.float32) / np.float32(4096)).reshape(3, 8, 8)
    corr = (lcg(6 * 10 * 10, 2).astype(np.float32) / np.float32(8192)).reshape(6, 10, 10)
    corr = corr + corr[:1]
    return {
        "full-12bit": (small, {}),
        "target-300-layers-3": (small, {"target_bytes": 300, "layers": 3}),
        "bits-8-step-2": (small, {"bits": 8, "step": 2.0}),
        "pca-image": (corr, {"pca": "image", "model_id": "golden", "model_hash": 12345}),
    }


def test_golden_streams():
    got = {name: hashlib.md5(latent.encode(y, **kw)).hexdigest() for name, (y, kw) in golden_inputs().items()}
    if os.environ.get("SWIFTLIC_REGEN_GOLDEN") == "1":
        GOLDEN.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n")
    expected = json.loads(GOLDEN.read_text())
    assert got == expected, "stream bytes changed: a format change must bump the version (SWIFTLIC_REGEN_GOLDEN=1)"


@pytest.mark.parametrize("fraction", [0.03, 0.2, 0.6])
def test_rate_targeted_encode_matches_its_exhaustive_twin(fraction):
    rng = np.random.default_rng(8)
    y = (laplace((8, 24, 20), scale=0.05, seed=9) * (2.0 ** rng.integers(0, 5, size=(8, 1, 1)))).astype(np.float32)
    full = len(latent.encode(y))
    target = int(full * fraction)
    fast = latent.encode(y, target_bytes=target, layers=2)
    slow = latent.encode(y, target_bytes=target, layers=2, exhaustive=True)
    assert len(fast) <= target and len(slow) <= target and len(fast) > 0.9 * len(slow)
    err = [float(np.sum((latent.decode(d)[0].astype(np.float64) - y) ** 2)) for d in (fast, slow)]
    # A block stops where allocation leaves part of its hull out; a later segment could have been steeper (here
    # ×1.025 at 3 %, with 2 layers: still 4 % below format 3's targeted encode of the same latent).
    assert err[0] <= err[1] * 1.03 + 1e-12, err


def small_stream():
    return latent.encode(laplace((3, 6, 5), scale=0.05, seed=4), bits=8, target_bytes=160, layers=3,
                         pca="image", basis_bits=6)


def check_damaged(damaged, boundaries):
    try:
        y_hat, _ = latent.decode(damaged)
    except CorruptStreamError:
        return
    except UnsupportedVersionError:  # a flipped version byte
        return
    assert len(damaged) in boundaries, f"decoded a damaged stream of {len(damaged)} bytes"
    assert np.isfinite(y_hat).all()


def layer_boundaries(data):
    h = latent.read_header(data)
    return {len(latent.truncate(data, t)) for t in range(h.header_bytes, len(data) + 1)}


def test_every_truncation_is_rejected_or_a_valid_lower_rate_stream():
    data = small_stream()
    boundaries = layer_boundaries(data)
    assert len(boundaries) >= 2
    for n in range(len(data)):
        check_damaged(data[:n], boundaries)


def flip_sweep(data, positions):
    for i in positions:
        for bit in range(8):
            damaged = bytearray(data)
            damaged[i] ^= 1 << bit
            with pytest.raises((CorruptStreamError, UnsupportedVersionError)):
                latent.decode(bytes(damaged))


def test_sampled_bit_flips_are_detected():
    data = small_stream()
    rng = np.random.default_rng(1)
    flip_sweep(data, sorted(set(rng.integers(0, len(data), 40).tolist()) | {0, 4, len(data) - 1}))


@pytest.mark.slow
def test_every_bit_flip_is_detected():
    data = small_stream()
    flip_sweep(data, range(len(data)))


def test_bad_input_gives_clear_errors():
    with pytest.raises(InvalidArgumentError, match="C×h×w"):
        latent.encode(np.zeros((4, 4), np.float32))
    y = laplace((2, 3, 3))
    y[1, 1, 1] = np.nan
    with pytest.raises(InvalidArgumentError, match="finite"):
        latent.encode(y)
    with pytest.raises(InvalidArgumentError, match="bits"):
        latent.encode(laplace((2, 3, 3)), bits=30)
    with pytest.raises(InvalidArgumentError, match="pca"):
        latent.encode(laplace((2, 3, 3)), pca="svd")
    with pytest.raises(CorruptStreamError, match="magic"):
        latent.decode(b"JUNKJUNKJUNK")
    with pytest.raises(CorruptStreamError):
        latent.decode(b"")
    data = latent.encode(laplace((2, 16, 16)), image_size=(128, 128))
    with pytest.raises(LimitExceededError, match="max_pixels"):
        latent.decode(data, max_pixels=1000)
    with pytest.raises(InvalidArgumentError, match="out"):
        latent.decode(data, out=np.empty((2, 16, 15), np.float32))


def test_blocks_no_layer_includes_cost_no_bitplane_byte_and_decode_to_zeros():
    rng = np.random.default_rng(11)
    y = np.zeros((40, 16, 16), np.float32)
    y[0] = rng.laplace(size=(16, 16)) * 20  # one block with content, 39 empty ones
    data = latent.encode(y, bits=8)
    h = latent.read_header(data)
    # The 39 empty blocks cost only their inclusion bits (4 more bytes of bitmap than a 1-channel stream).
    assert h.layers_present == 1 and len(data) == len(latent.encode(y[:1], bits=8)) + 4
    out, _ = latent.decode(data)
    np.testing.assert_array_equal(out[1:], 0)
    np.testing.assert_allclose(out[0], y[0], atol=0.5 / 2**7)


def test_a_forged_bitplane_count_is_corruption():
    import zlib

    y = np.random.default_rng(12).laplace(size=(3, 8, 8)).astype(np.float32)
    data = bytearray(latent.encode(y, bits=8))
    at = latent.read_header(bytes(data)).header_bytes
    assert data[at] == 0b111  # all three blocks in layer 0; block 0's planes byte follows
    for planes in (0, 31, 255):
        bad = bytearray(data)
        bad[at + 1] = planes
        bad[-4:] = zlib.crc32(bytes(bad[at:-4])).to_bytes(4, "little")
        with pytest.raises(CorruptStreamError, match="bitplanes"):
            latent.decode(bytes(bad))


def load_fuzzer():
    import importlib.util

    path = Path(__file__).resolve().parents[2] / "tools" / "fuzz_stream.py"
    spec = importlib.util.spec_from_file_location("fuzz_stream", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_fuzzed_streams_with_repaired_crcs_decode_or_raise_swiftlic_errors():
    # Structure-aware mutations whose CRCs are repaired reach the layer checks and the bitplane decoder: each
    # must decode to a finite latent of the header's shape or raise a SwiftLICError (tools/fuzz_stream.py runs
    # the same cases for minutes, in child processes that also catch crashes and hangs).
    fz = load_fuzzer()
    findings = [f for f in (fz.check_case(seed) for seed in range(1500)) if f]
    assert not findings, findings[:3]


def test_the_fuzzer_reaches_both_decoded_and_rejected_outcomes():
    # The mutations must not all be caught at one check: some streams decode, others fail at several
    # different checks (a fuzzer stopped at the CRC would test nothing).
    fz = load_fuzzer()
    decoded, messages = 0, set()
    for seed in range(400):
        data = fz.mutated(np.random.default_rng(seed), fz.sources(seed)[0])
        try:
            latent.decode(data, max_pixels=1 << 22)
            decoded += 1
        except swiftlic.SwiftLICError as e:
            messages.add(str(e).split(":")[0].split(" ")[0])
    assert 40 <= decoded <= 360 and len(messages) >= 4, (decoded, messages)
