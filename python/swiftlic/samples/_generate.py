"""Regenerates the bundled sample images (procedural, so free of any licence): `python _generate.py`.

- leaves.jpg (512×512): a "dead leaves" scene — occluding discs with power-law sizes, the classic synthetic model
  with natural-image statistics (scale invariance, sharp occlusion edges) — with shading, 1/f texture, lens blur
  and sensor grain.
- landscape.jpg (384×256): sky gradient, fractal clouds, two fractal mountain ridges and textured ground.
Deterministic (fixed seeds); the repository keeps the files, this script documents how they were made.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage


def pink_noise(rng, h, w, beta=2.0):
    """Zero-mean, unit-std noise with power spectrum ~ 1/f^beta."""
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.rfftfreq(w)[None, :]
    f = np.sqrt(fx * fx + fy * fy)
    f[0, 0] = 1.0
    spec = (rng.standard_normal((h, w // 2 + 1)) + 1j * rng.standard_normal((h, w // 2 + 1))) / f ** (beta / 2)
    spec[0, 0] = 0
    x = np.fft.irfft2(spec, s=(h, w))
    return x / x.std()


def hsv_to_rgb(h, s, v):
    return np.asarray(Image.fromarray(np.uint8(np.stack([h, s, v], -1) * 255)[None], "HSV").convert("RGB"))[0] / 255.0


def leaves(size=512, seed=7):
    rng = np.random.default_rng(seed)
    h = w = size
    img = np.zeros((h, w, 3))
    yy, xx = np.mgrid[0:h, 0:w]
    n = 1200
    u = rng.random(n)
    rmin, rmax = 10.0, 220.0
    radii = 1.0 / np.sqrt(1 / rmin**2 - u * (1 / rmin**2 - 1 / rmax**2))  # pdf ~ r^-3
    hsv = np.stack([rng.choice([0.05, 0.09, 0.14, 0.25, 0.33, 0.58], n) + rng.normal(0, 0.03, n),
                    rng.uniform(0.25, 0.8, n), rng.uniform(0.2, 0.95, n)], -1)
    cols = hsv_to_rgb(np.mod(hsv[:, 0], 1), hsv[:, 1], hsv[:, 2])
    for i in range(n):  # painter's order: later leaves occlude earlier ones
        r = radii[i]
        cy, cx = rng.uniform(-r / 2, h + r / 2), rng.uniform(-r / 2, w + r / 2)
        y0, y1 = int(max(cy - r, 0)), int(min(cy + r + 1, h))
        x0, x1 = int(max(cx - r, 0)), int(min(cx + r + 1, w))
        if y0 >= y1 or x0 >= x1:
            continue
        ey = (yy[y0:y1, x0:x1] - cy) / r
        ex = (xx[y0:y1, x0:x1] - cx) / (r * rng.uniform(0.6, 1.0))
        m = ey * ey + ex * ex <= 1
        shade = 1.0 + 0.25 * (ey * rng.normal() + ex * rng.normal())
        img[y0:y1, x0:x1][m] = (cols[i] * shade[..., None])[m]
    tex = pink_noise(rng, h, w, 2.6)
    img *= (1 + 0.06 * tex)[..., None]
    img = ndimage.gaussian_filter(img, (0.8, 0.8, 0))
    img = img * 255 + rng.normal(0, 0.5, img.shape)
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def landscape(h=256, w=384, seed=11):
    rng = np.random.default_rng(seed)
    y = np.linspace(0, 1, h)[:, None, None]
    sky = (1 - y) * np.array([0.35, 0.55, 0.9]) + y * np.array([0.85, 0.88, 0.95])
    clouds = np.clip(pink_noise(rng, h, w, 2.7) * 0.6 + 0.1, 0, 1)[..., None]
    img = sky * (1 - 0.8 * clouds * (1 - y)) + 0.8 * clouds * (1 - y) * np.ones(3)
    img = np.broadcast_to(img, (h, w, 3)).copy()
    xs = np.arange(w)
    for base, amp, col, beta in ((0.45, 0.12, (0.42, 0.45, 0.55), 2.2), (0.62, 0.08, (0.25, 0.35, 0.2), 1.8)):
        ridge = pink_noise(rng, 8, w, beta)[0]
        top = ((base + amp * ridge / np.abs(ridge).max()) * h).astype(int)
        rows = np.arange(h)[:, None]
        m = rows >= top[None, :]
        tex = 1 + 0.12 * pink_noise(rng, h, w, 2.3)
        depth = np.clip((rows - top[None, :]) / (0.3 * h), 0, 1)
        layer = np.array(col)[None, None, :] * (tex * (1 - 0.3 * depth))[..., None]
        img[m] = layer[m]
    img = ndimage.gaussian_filter(img, (0.6, 0.6, 0))
    img = img * 255 + rng.normal(0, 0.5, img.shape)
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


if __name__ == "__main__":
    here = Path(__file__).parent
    # Stored as JPEG (quality 95, 4:4:4): a lossless PNG of a smooth 512×512 photo costs ~300 KB of rounding
    # noise alone. The decoded pixels are the reference images; nothing measures against the generator's floats.
    for name, img in (("leaves", leaves()), ("landscape", landscape())):
        Image.fromarray(img).save(here / f"{name}.jpg", quality=95, subsampling=0, optimize=True)
    for p in sorted(here.glob("*.jpg")):
        print(p.name, p.stat().st_size)
