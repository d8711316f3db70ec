"""swiftlic.metrics against the field's reference implementations (skimage, pytorch_msssim, bjontegaard)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import swiftlic
from swiftlic import metrics

SAMPLES = Path(swiftlic.__file__).with_name("samples")


def _photo(name="landscape.jpg"):
    from PIL import Image

    return np.asarray(Image.open(SAMPLES / name).convert("RGB"))


def _degrade(img, rng, sigma=12.0):
    noisy = img.astype(np.float64) + rng.normal(0, sigma, img.shape)
    return np.clip(np.round(noisy), 0, 255).astype(np.uint8)


def _pairs():
    """(reference, distorted) pairs: noise on a photo, blur-like smoothing, random images of odd sizes."""
    rng = np.random.default_rng(3)
    photo = _photo()
    blurred = ((photo[:-1, :-1].astype(np.uint16) + photo[1:, 1:]) // 2).astype(np.uint8)
    yield photo, _degrade(photo, rng)
    yield photo[:-1, :-1], blurred
    a = rng.integers(0, 256, (197, 173, 3), dtype=np.uint8)
    yield a, _degrade(a, rng, 30)
    g = rng.integers(0, 256, (181, 211), dtype=np.uint8)
    yield g, _degrade(g, rng, 5)


# ------------------------------------------------------------------------------------------------------------- PSNR

def test_psnr_of_identical_images_is_inf():
    img = _photo()
    assert metrics.psnr(img, img.copy()) == math.inf
    assert metrics.psnr_ycbcr(img, img.copy()) == math.inf


def test_psnr_matches_its_definition():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (31, 17, 3), dtype=np.uint8)
    b = _degrade(a, rng, 9)
    mse = np.mean((a.astype(np.float64) - b) ** 2)
    assert metrics.psnr(a, b) == pytest.approx(10 * np.log10(255**2 / mse), abs=1e-12)
    assert metrics.psnr(a, b) == pytest.approx(metrics.psnr(a.astype(np.float32), b.astype(np.int64)), abs=1e-9)


def test_psnr_mismatched_shapes_raise_naming_both():
    a = np.zeros((8, 9, 3), np.uint8)
    b = np.zeros((9, 8, 3), np.uint8)
    with pytest.raises(swiftlic.InvalidArgumentError, match=r"\(8, 9, 3\).*\(9, 8, 3\)"):
        metrics.psnr(a, b)
    for fn in (metrics.psnr_ycbcr, metrics.ssim, metrics.ms_ssim):
        with pytest.raises(swiftlic.InvalidArgumentError):
            fn(a, b)


def _ycbcr_reference(img):
    """JPEG full-range BT.601 in float64, values on [0, 1]."""
    x = img.astype(np.float64) / 255
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    y = 0.299 * r + 0.587 * g + 0.114 * b
    cb = -0.168735892 * r - 0.331264108 * g + 0.5 * b + 0.5
    cr = 0.5 * r - 0.418687589 * g - 0.081312411 * b + 0.5
    return np.stack([y, cb, cr])


@pytest.mark.parametrize("weights", [(6, 1, 1), (1, 0, 0), (1, 1, 1)])
def test_psnr_ycbcr_matches_a_float64_reference(weights):
    rng = np.random.default_rng(1)
    a = _photo()
    b = _degrade(a, rng, 7)
    pa, pb = _ycbcr_reference(a), _ycbcr_reference(b)
    per = [10 * np.log10(1 / np.mean((pa[k] - pb[k]) ** 2)) for k in range(3)]
    expected = sum(w * p for w, p in zip(weights, per)) / sum(weights)
    assert metrics.psnr_ycbcr(a, b, weights=weights) == pytest.approx(expected, abs=2e-3)


def test_psnr_ycbcr_rejects_non_rgb_uint8():
    a = np.zeros((8, 8), np.uint8)
    with pytest.raises(swiftlic.InvalidArgumentError, match="uint8 RGB"):
        metrics.psnr_ycbcr(a, a)
    with pytest.raises(swiftlic.InvalidArgumentError, match="weights"):
        metrics.psnr_ycbcr(np.zeros((4, 4, 3), np.uint8), np.ones((4, 4, 3), np.uint8), weights=(1, 1))


# ------------------------------------------------------------------------------------------------------------- SSIM

def test_ssim_matches_skimage():
    from skimage.metrics import structural_similarity

    for a, b in _pairs():
        ref = structural_similarity(a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                                    data_range=255, channel_axis=-1 if a.ndim == 3 else None)
        assert metrics.ssim(a, b) == pytest.approx(ref, abs=1e-5)


def test_ssim_of_identical_images_is_one_and_small_images_raise():
    img = _photo()
    assert metrics.ssim(img, img) == pytest.approx(1.0, abs=1e-12)
    with pytest.raises(swiftlic.InvalidArgumentError, match="11"):
        metrics.ssim(img[:10], img[:10])


def test_ms_ssim_single_scale_is_ssim():
    for a, b in _pairs():
        assert metrics.ms_ssim(a, b, weights=(1.0,)) == pytest.approx(max(metrics.ssim(a, b), 0.0), abs=1e-12)


def test_ms_ssim_last_scale_is_ssim_of_the_pooled_images():
    """Weights on the coarsest scale only: SSIM (skimage) of the images 2×2-average-pooled four times."""
    from skimage.metrics import structural_similarity

    a = _photo()
    b = _degrade(a, np.random.default_rng(5), 20)
    x, y = a.astype(np.float64), b.astype(np.float64)
    for _ in range(4):  # 256×384 stays even down to 16×24
        x = x.reshape(x.shape[0] // 2, 2, x.shape[1] // 2, 2, 3).mean(axis=(1, 3))
        y = y.reshape(y.shape[0] // 2, 2, y.shape[1] // 2, 2, 3).mean(axis=(1, 3))
    ref = structural_similarity(x, y, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                                data_range=255, channel_axis=-1)
    assert metrics.ms_ssim(a, b, weights=(0, 0, 0, 0, 1)) == pytest.approx(ref, abs=1e-5)


def test_ms_ssim_orders_distortions_and_needs_160_pixels():
    a = _photo()
    rng = np.random.default_rng(2)
    mild, strong = _degrade(a, rng, 4), _degrade(a, rng, 25)
    assert metrics.ms_ssim(a, a) == pytest.approx(1.0, abs=1e-12)
    assert 1 > metrics.ms_ssim(a, mild) > metrics.ms_ssim(a, strong) > 0
    assert metrics.ms_ssim_db(a, mild) == pytest.approx(-10 * np.log10(1 - metrics.ms_ssim(a, mild)))
    with pytest.raises(swiftlic.InvalidArgumentError, match="160"):
        metrics.ms_ssim(a[:160], a[:160])


def test_ms_ssim_matches_pytorch_msssim():
    torch = pytest.importorskip("torch")
    pm = pytest.importorskip("pytorch_msssim")
    for a, b in _pairs():
        if a.ndim == 2:
            a, b = a[..., None], b[..., None]
        ta = torch.from_numpy(a.astype(np.float64)).permute(2, 0, 1)[None]
        tb = torch.from_numpy(b.astype(np.float64)).permute(2, 0, 1)[None]
        ref_ms = float(pm.ms_ssim(ta, tb, data_range=255, size_average=True))
        ref_s = float(pm.ssim(ta, tb, data_range=255, size_average=True))
        assert metrics.ms_ssim(a, b) == pytest.approx(ref_ms, abs=1e-5)
        assert metrics.ssim(a, b) == pytest.approx(ref_s, abs=1e-5)


# -------------------------------------------------------------------------------------------------------------- bpp

def test_bpp_counts_the_real_bytes():
    from PIL import Image

    img = np.zeros((10, 20, 3), np.uint8)
    data = bytes(range(25))
    assert metrics.bpp(data, img) == 8 * 25 / 200
    assert metrics.bpp(bytearray(data), Image.fromarray(img)) == 8 * 25 / 200
    assert metrics.bpp(memoryview(data), (10, 20)) == 8 * 25 / 200
    with pytest.raises(swiftlic.InvalidArgumentError):
        metrics.bpp(data, (0, 20))


# ------------------------------------------------------------------------------------------------------ Bjøntegaard

def _curves(seed):
    rng = np.random.default_rng(seed)
    r_a = np.sort(rng.uniform(0.1, 2.5, 5))
    d_a = 28 + 6 * np.log2(r_a / 0.1) ** 0.8 + rng.normal(0, 0.1, 5)
    r_t = np.sort(r_a * rng.uniform(0.7, 1.2, 5))
    d_t = 28 + 6 * np.log2(r_t / 0.09) ** 0.82 + rng.normal(0, 0.1, 5)
    return r_a, np.sort(d_a), r_t, np.sort(d_t)


@pytest.mark.parametrize("method", ["pchip", "cubic"])
@pytest.mark.parametrize("seed", range(6))
def test_bd_matches_the_bjontegaard_package(method, seed):
    bjontegaard = pytest.importorskip("bjontegaard")
    r_a, d_a, r_t, d_t = _curves(seed)
    kw = dict(method=method, require_matching_points=False, min_overlap=0)
    assert metrics.bd_rate(r_a, d_a, r_t, d_t, method=method) == pytest.approx(
        bjontegaard.bd_rate(r_a, d_a, r_t, d_t, **kw), abs=1e-9)
    assert metrics.bd_psnr(r_a, d_a, r_t, d_t, method=method) == pytest.approx(
        bjontegaard.bd_psnr(r_a, d_a, r_t, d_t, **kw), abs=1e-9)


@pytest.mark.parametrize("method", ["pchip", "cubic"])
def test_bd_of_a_scaled_or_shifted_curve_is_exact(method):
    r = np.array([0.12, 0.25, 0.5, 1.0, 2.0])
    d = np.array([25.0, 27.6, 30.9, 34.2, 38.0])
    assert metrics.bd_rate(r, d, 0.8 * r, d, method=method) == pytest.approx(-20.0, abs=1e-9)
    assert metrics.bd_psnr(r, d, r, d + 0.5, method=method) == pytest.approx(0.5, abs=1e-9)
    # order of the points does not matter
    assert metrics.bd_rate(r[::-1], d[::-1], 0.8 * r, d, method=method) == pytest.approx(-20.0, abs=1e-9)


def test_bd_edge_cases():
    r = [0.25, 0.5, 1.0, 2.0]
    assert math.isnan(metrics.bd_rate(r, [20, 21, 22, 23], r, [30, 31, 32, 33]))  # no quality overlap
    with pytest.raises(swiftlic.InvalidArgumentError, match="4 points"):
        metrics.bd_rate(r[:3], [20, 22, 24], r[:3], [21, 23, 25], method="cubic")
    with pytest.raises(swiftlic.InvalidArgumentError, match="positive"):
        metrics.bd_rate([0, 1, 2, 3], [20, 21, 22, 23], r, [20, 21, 22, 23])
    with pytest.raises(swiftlic.InvalidArgumentError, match="method"):
        metrics.bd_psnr(r, [20, 21, 22, 23], r, [20, 21, 22, 23], method="akima")
    with pytest.raises(swiftlic.InvalidArgumentError, match="distinct"):
        metrics.bd_rate(r, [20, 20, 22, 23], r, [20, 21, 22, 23])
