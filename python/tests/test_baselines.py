"""swiftlic.baselines and swiftlic.fmm: round trips, rate targeting, the codec interface, stream validation."""

from __future__ import annotations

import math
import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, features

import swiftlic
from swiftlic import baselines, fmm, metrics

SAMPLES = Path(swiftlic.__file__).with_name("samples")
RATE_CODECS = ["jpeg", "jpeg444", "jpeg2000", "webp", "avif"]


def _sample(name):
    return baselines.as_rgb(SAMPLES / name)


@pytest.fixture(scope="module")
def photo512():
    img = _sample("leaves.jpg")
    assert img.shape == (512, 512, 3)
    return img


@pytest.fixture(scope="module")
def small():
    return _sample("landscape.jpg")


def _need(codec):
    if codec not in baselines.available():
        pytest.skip(f"{codec} is not available in this Pillow build")


@pytest.mark.parametrize("codec", RATE_CODECS + ["fmm"])
def test_every_codec_round_trips(codec, small):
    _need(codec)
    r = baselines.encode(codec, small, bpp=1.0)
    assert r.codec == codec
    assert r.decoded.shape == small.shape and r.decoded.dtype == np.uint8
    assert r.bpp == pytest.approx(8 * len(r.data) / (small.shape[0] * small.shape[1]))
    assert r.encode_s > 0 and r.decode_s > 0
    # decoding the file again gives the same image, and the image resembles the input
    again = baselines.get(codec).decode(r.data)
    np.testing.assert_array_equal(again, r.decoded)
    floor = 12 if codec == "fmm" else 30
    assert metrics.psnr(small, r.decoded) > floor


@pytest.mark.parametrize("target", [0.25, 0.5, 1.0])
@pytest.mark.parametrize("codec", RATE_CODECS)
def test_real_bpp_within_5_percent_of_the_target(codec, target, photo512):
    _need(codec)
    r = baselines.encode(codec, photo512, bpp=target)
    assert abs(r.bpp - target) <= 0.05 * target, f"{codec} at {target}: real {r.bpp:.4f} bpp"


def test_quality_rises_with_rate(small):
    for codec in ("jpeg", "jpeg2000", "webp"):
        p = [metrics.psnr(small, baselines.encode(codec, small, bpp=t).decoded) for t in (0.25, 1.0, 2.0)]
        assert p[0] < p[1] < p[2], (codec, p)


def test_search_picks_the_closest_setting(small):
    """Bisection agrees with an exhaustive scan of JPEG qualities."""
    codec = baselines.get("jpeg")
    rates = {q: metrics.bpp(codec.encode_at(small, q), small) for q in codec.settings}
    for target in (0.3, 0.77, 1.9):
        q, data = codec.search(small, target)
        best = min(abs(r - target) for r in rates.values())
        assert abs(metrics.bpp(data, small) - target) == pytest.approx(best, abs=1e-12)
        assert rates[q] == metrics.bpp(data, small)


def test_unreachable_targets_give_the_nearest_end(small):
    r = baselines.encode("jpeg", small, bpp=0.001)
    assert r.setting == 1
    r = baselines.encode("jpeg", small, bpp=50.0)
    assert r.setting == 100


def test_jpeg2000_stream_is_a_raw_codestream_with_the_97_wavelet(small):
    data = baselines.encode("jpeg2000", small, bpp=0.5).data
    assert data[:4] == b"\xff\x4f\xff\x51"  # SOC, SIZ: a J2K codestream, not a JP2 box file
    cod = data.index(b"\xff\x52")  # COD marker segment
    scod, prog, layers, mct, levels, cbw, cbh, style, transform = struct.unpack_from(">BBHBBBBBB", data, cod + 4)
    assert mct == 1 and transform == 0  # colour transform on, 9/7 irreversible wavelet


def test_jpeg_subsampling_modes(small):
    import io

    from PIL import JpegImagePlugin

    for name, sampling in (("jpeg", 2), ("jpeg444", 0)):  # Pillow's codes: 2 = 4:2:0, 0 = 4:4:4
        with Image.open(io.BytesIO(baselines.encode(name, small, bpp=1.0).data)) as im:
            assert JpegImagePlugin.get_sampling(im) == sampling


def test_avif_absence_is_reported_clearly(monkeypatch, small):
    monkeypatch.setattr(features, "check", lambda name: False if name == "avif" else True)
    assert "avif" not in baselines.available()
    with pytest.raises(swiftlic.InvalidArgumentError, match="avif"):
        baselines.get("avif")


# ------------------------------------------------------------------------------------------------------ interface

class Subsample:
    """A user codec: halve the resolution, store as PNG, upsample on decode (ignores the target)."""

    name = "halfpng"

    def encode(self, image, bpp):
        import io

        buf = io.BytesIO()
        Image.fromarray(image[::2, ::2]).save(buf, "PNG")
        self.shape = image.shape
        return buf.getvalue()

    def decode(self, data):
        import io

        with Image.open(io.BytesIO(data)) as im:
            half = np.asarray(im.convert("RGB"))
        return np.repeat(np.repeat(half, 2, axis=0), 2, axis=1)[: self.shape[0], : self.shape[1]]


def test_user_codecs_plug_in_by_object_and_by_name(small):
    assert isinstance(Subsample(), baselines.Codec)
    r = baselines.encode(Subsample(), small, bpp=1.0)
    assert r.codec == "halfpng" and r.setting is None and r.decoded.shape == small.shape
    baselines.register("halfpng", Subsample)
    try:
        assert "halfpng" in baselines.available()
        assert baselines.encode("halfpng", small, bpp=1.0).bpp == r.bpp
    finally:
        baselines._REGISTRY.pop("halfpng")


def test_bad_inputs_raise_clear_errors(small):
    with pytest.raises(swiftlic.InvalidArgumentError, match="unknown codec 'nope'"):
        baselines.get("nope")
    with pytest.raises(swiftlic.InvalidArgumentError, match="name/encode/decode"):
        baselines.get(42)
    with pytest.raises(swiftlic.InvalidArgumentError, match=r"float64 of shape \(4, 4\)"):
        baselines.encode("jpeg", np.zeros((4, 4)), bpp=1.0)
    for bad in (0, -1, math.nan, math.inf):
        with pytest.raises(swiftlic.InvalidArgumentError, match="target bpp"):
            baselines.encode("jpeg", small, bpp=bad)
    with pytest.raises(swiftlic.InvalidArgumentError, match="could not read"):
        baselines.as_rgb(SAMPLES / "missing.png")


def test_swiftlic_codec_is_listed_only_when_compress_exists(monkeypatch):
    assert ("swiftlic" in baselines.available()) == callable(getattr(swiftlic, "compress", None))
    monkeypatch.setattr(swiftlic, "compress", lambda image, bpp, model=None: b"x" * 10, raising=False)
    monkeypatch.setattr(swiftlic, "decompress", lambda data, model=None: np.zeros((4, 4, 3), np.uint8), raising=False)
    assert "swiftlic" in baselines.available()
    r = baselines.encode("swiftlic", np.zeros((4, 4, 3), np.uint8), bpp=1.0)
    assert r.bpp == 8 * 10 / 16


def test_swiftlic_with_another_model_file(tmp_path):
    from swiftlic import models

    path = tmp_path / "mine.safetensors"
    models.save(models.create("cheng2018-cae", latent_channels=24, cae=False, latent_scale=4.0), path)
    codec = baselines.get(f"swiftlic:{path}")
    assert codec.name == "swiftlic:mine"
    img = np.asarray(baselines.as_rgb(SAMPLES / "leaves.jpg"))[:64, :96]
    r = baselines.encode(codec, np.ascontiguousarray(img), bpp=1.0)
    assert r.bpp <= 1.0 and swiftlic.codec.info(r.data).model_id == "mine"
    assert r.decoded.shape == img.shape and np.abs(r.decoded.astype(int) - img).mean() < 30
    with pytest.raises(swiftlic.InvalidArgumentError, match="unknown model"):
        baselines.get("swiftlic:no-such-model")


# ------------------------------------------------------------------------------------------------------------- FMM

def test_fmm_paper_point_is_the_nearest_multiple_of_five():
    v = np.arange(256, dtype=np.uint8)
    img = np.stack([v, v[::-1], np.roll(v, 7)], -1)[None]
    out = fmm.decode(fmm.encode(img))
    expect = np.minimum(np.floor(img / 5 + 0.5) * 5, 255)
    np.testing.assert_array_equal(out, expect)
    assert out.max() == 255 and np.all(out % 5 == 0)


@pytest.mark.parametrize("m", [1, 2, 3, 5, 16, 100, 255])
def test_fmm_round_trips_every_modulus(m):
    rng = np.random.default_rng(m)
    img = rng.integers(0, 256, (23, 37, 3), dtype=np.uint8)
    out = fmm.decode(fmm.encode(img, m))
    np.testing.assert_array_equal(out, np.minimum(np.floor(img / m + 0.5) * m, 255).astype(np.uint8))
    grey = img[..., 0]
    np.testing.assert_array_equal(fmm.decode(fmm.encode(grey, m))[..., 0], out[..., 0])


def test_fmm_noise_is_stored_packed_in_six_bits():
    img = np.random.default_rng(0).integers(0, 256, (64, 48, 3), dtype=np.uint8)
    data = fmm.encode(img)
    assert data[:4] == fmm.MAGIC and data[5] == 0  # packed mode
    assert len(data) == 16 + math.ceil(64 * 48 * 3 * 6 / 8)


def test_fmm_smooth_images_are_deflated(small):
    data = fmm.encode(small)
    assert data[5] == 1 and len(data) < 16 + small.size * 6 // 8


def test_fmm_rejects_damaged_streams(small):
    good = fmm.encode(small[:32, :32])
    for bad in (good[:10], b"XXXX" + good[4:], good[:-1], good + b"\0", good[:6] + b"\0" + good[7:],
                good[:16] + b"\xff" * (len(good) - 16)):
        with pytest.raises(swiftlic.SwiftLICError):
            fmm.decode(bad)
    with pytest.raises(swiftlic.UnsupportedVersionError):
        fmm.decode(good[:4] + b"\x09" + good[5:])
    noise = fmm.encode(np.random.default_rng(0).integers(0, 256, (8, 8, 3), dtype=np.uint8))
    with pytest.raises(swiftlic.CorruptStreamError, match="exceeds"):
        fmm.decode(noise[:16] + b"\xff" * (len(noise) - 16))  # 63 > 51 for modulus 5
    with pytest.raises(swiftlic.InvalidArgumentError, match="modulus"):
        fmm.encode(small, 0)
