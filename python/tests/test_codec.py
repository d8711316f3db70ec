"""swiftlic.compress / decompress and the compress/decompress/info CLI, end to end on the shipped model."""

import numpy as np
import pytest

import swiftlic
from swiftlic import codec, latent, metrics, models
from swiftlic.cli import main


@pytest.fixture(scope="module")
def image():
    # A smooth, photo-like test image with an edge (no data files needed); odd size exercises the padding.
    h, w = 61, 83
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    r = 128 + 100 * np.sin(x / 9) * np.cos(y / 13)
    g = 90 + 60 * np.cos((x + y) / 17) + 40 * (x > w / 2)
    b = 60 + 0.8 * x + 0.5 * y
    rng = np.random.default_rng(0)
    img = np.stack([r, g, b], -1) + rng.normal(0, 3, (h, w, 3))
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def test_round_trip_shape_and_quality(image):
    data = swiftlic.compress(image)
    rec = swiftlic.decompress(data)
    assert rec.shape == image.shape and rec.dtype == np.uint8
    assert metrics.psnr(image, rec) > 30


def test_rate_is_the_real_length_and_meets_the_target(image):
    pixels = image.shape[0] * image.shape[1]
    psnrs = []
    for bpp in (0.5, 1.0, 2.0):
        data = swiftlic.compress(image, bpp=bpp)
        assert 8 * len(data) / pixels <= bpp
        assert 8 * len(data) / pixels > 0.8 * bpp
        psnrs.append(metrics.psnr(image, swiftlic.decompress(data)))
    assert psnrs == sorted(psnrs)


def test_decoding_is_deterministic(image):
    data = swiftlic.compress(image, bpp=1.0)
    assert data == swiftlic.compress(image, bpp=1.0)
    np.testing.assert_array_equal(swiftlic.decompress(data), swiftlic.decompress(data))


def test_accepts_pil_images_and_paths(image, tmp_path):
    from PIL import Image

    path = tmp_path / "x.png"
    Image.fromarray(image).save(path)
    a = swiftlic.compress(image, bpp=1.0)
    assert swiftlic.compress(Image.fromarray(image), bpp=1.0) == a
    assert swiftlic.compress(path, bpp=1.0) == a


@pytest.mark.parametrize("bad, match", [
    (np.zeros((8, 8), np.uint8), r"H×W×3 uint8 image, got uint8 of shape \(8, 8\)"),
    (np.zeros((8, 8, 3), np.float32), "got float32"),
    (np.zeros((0, 8, 3), np.uint8), "non-empty"),
])
def test_bad_images_raise_clear_errors(bad, match):
    with pytest.raises(swiftlic.InvalidArgumentError, match=match):
        swiftlic.compress(bad)


def test_bad_rate_and_model_raise(image):
    with pytest.raises(swiftlic.InvalidArgumentError, match="positive rate"):
        swiftlic.compress(image, bpp=-1)
    with pytest.raises(swiftlic.InvalidArgumentError, match="unknown model"):
        swiftlic.compress(image, model="no-such-model")
    with pytest.raises(swiftlic.InvalidArgumentError, match="expected bytes"):
        swiftlic.decompress("not bytes")


def test_corruption_is_detected_not_decoded(image):
    data = swiftlic.compress(image, bpp=1.0)
    rng = np.random.default_rng(1)
    for pos in rng.choice(len(data), 25, replace=False):
        bad = bytearray(data)
        bad[pos] ^= 1 << int(rng.integers(8))
        with pytest.raises(swiftlic.CorruptStreamError):
            swiftlic.decompress(bytes(bad))
    for cut in (1, 10, len(data) // 2, len(data) - 1):
        with pytest.raises(swiftlic.CorruptStreamError):
            swiftlic.decompress(data[:cut])


def test_stream_names_its_model_and_other_weights_are_refused(image):
    data = swiftlic.compress(image, bpp=1.0)
    inf = codec.info(data)
    assert inf.model_id == codec.DEFAULT_MODEL and inf.image_size == image.shape[:2]
    _, shipped = codec.load_model()
    other = models.create(shipped.name, **shipped.config)
    other.load_state_dict(shipped.state_dict())
    first = next(iter(other.parameters()), None)
    if first is not None:
        first.data.flat[0] += 1.0
    else:  # a model without weights (the plain wavelet): other transform settings
        other = models.create(shipped.name, **{**shipped.config, "latent_scale": 2 * shipped.config["latent_scale"]})
    with pytest.raises(swiftlic.ModelMismatchError):
        swiftlic.decompress(data, model=other)
    for name in codec.available_models():  # every shipped model decodes its own streams and refuses the others'
        own = swiftlic.compress(image, bpp=1.0, model=name)
        assert metrics.psnr(image, swiftlic.decompress(own)) > 25
        if name != codec.DEFAULT_MODEL:
            with pytest.raises(swiftlic.ModelMismatchError):
                swiftlic.decompress(own, model=codec.DEFAULT_MODEL)


def test_layered_stream_truncates_to_a_valid_lower_rate(image):
    data = swiftlic.compress(image, bpp=2.0, layers=4)
    short = latent.truncate(data, len(data) // 2)
    assert len(short) <= len(data) // 2
    hi, lo = swiftlic.decompress(data), swiftlic.decompress(short)
    assert metrics.psnr(image, lo) <= metrics.psnr(image, hi)


def test_cli_compress_info_decompress(image, tmp_path, capsys):
    from PIL import Image

    src = tmp_path / "in.png"
    Image.fromarray(image).save(src)
    assert main(["compress", str(src), "-o", str(tmp_path / "a.slic"), "--bpp", "1"]) == 0
    assert main(["info", str(tmp_path / "a.slic")]) == 0
    assert main(["decompress", str(tmp_path / "a.slic"), "-o", str(tmp_path / "out.png")]) == 0
    out = capsys.readouterr().out
    assert codec.DEFAULT_MODEL in out and "bpp" in out
    assert "post-filter strengths" in out  # the default model has a post-filter
    assert main(["compress", str(src), "-o", str(tmp_path / "g.slic"), "--bpp", "1", "--gate", "--layers", "2"]) == 0
    assert main(["info", str(tmp_path / "g.slic")]) == 0
    out = capsys.readouterr().out
    assert "post-filter strengths" not in out and "2/2 quality layers" in out
    rec = np.asarray(Image.open(tmp_path / "out.png"))
    assert rec.shape == image.shape
    (tmp_path / "bad.slic").write_bytes(b"not a stream at all")
    assert main(["decompress", str(tmp_path / "bad.slic")]) == 1
    assert "CorruptStreamError" in capsys.readouterr().err
