"""Offline probe (session 19): per-tile post-filter gains as 2- or 3-bit factors of the image's gain (dwt97-pf-wide,
Kodak). Usage: python tools/probe_tile_factors.py"""
import sys, numpy as np, swiftlic, swiftlic.codec as codec
from swiftlic import latent
from PIL import Image
from pathlib import Path
_, m = codec.load_model("dwt97-pf-wide")
M, off = (v.astype(np.float32) for v in swiftlic.color.ycbcr_to_rgb_affine())
files = sorted(Path("/work/shared/data/kodak").glob("*.png"))
rates = [0.125, 0.25, 0.5, 1, 2]
SETS = {"x{0.5,0.75,1,1.5}": [0.5, 0.75, 1.0, 1.5], "x{0,0.6,1,1.6}": [0.0, 0.6, 1.0, 1.6], "x{0.25..2}/8": [0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2.0]}
def psnr(x, img): return 10*np.log10(255**2/np.mean((x.astype(np.float64)-img)**2))
res = {r: [] for r in rates}
for fpath in files:
    img = np.asarray(Image.open(fpath).convert("RGB")); h, w = img.shape[:2]
    for r in rates:
        data = swiftlic.compress(img, bpp=r, model=m)
        g_img = codec.info(data).header.filter_strengths[0] / m.strength_scale
        rate = 8*len(data)/(h*w)
        shape = codec._latent_shape(m, (h, w))
        y = codec.from_code_blocks(latent.decode(data)[0], shape, codec.code_block_size(m, *shape[1:]))
        base = m.decode(y[None], bpp=rate, strength=0); f = m.postfilter_residual(base, rate)
        b, fr = base[0][:, :h, :w], f[0][:, :h, :w]
        out = lambda gmap: swiftlic.ycbcr_to_rgb(np.ascontiguousarray(b + gmap.astype(np.float32) * fr), planar=False)
        d = np.einsum("ij,jhw->ihw", M, fr); e = img.transpose(2,0,1)/255 - (np.einsum("ij,jhw->ihw", M, b) + off[:, None, None])
        row = [psnr(swiftlic.decompress(data), img)]
        for name, fac in SETS.items():
            for T in (64, 32):
                gm = np.zeros((h, w), np.float32); nt = 0
                for y0 in range(0, h, T):
                    for x0 in range(0, w, T):
                        dd = d[:, y0:y0+T, x0:x0+T]; ee = e[:, y0:y0+T, x0:x0+T]
                        # SSE(g) = |e|^2 - 2 g <e,d> + g^2 |d|^2, choose among the factors
                        ed, d2 = (ee*dd).sum(), (dd*dd).sum()
                        best = min(fac, key=lambda c: -2*c*g_img*ed + (c*g_img)**2*d2)
                        gm[y0:y0+T, x0:x0+T] = best*g_img; nt += 1
                row += [psnr(out(gm[None]), img), np.log2(len(fac))*nt/(h*w)]
        res[r].append(row)
    print(fpath.name, flush=True)
hdr = " | ".join(f"{n} T{T}" for n in SETS for T in (64, 32))
print("rate: per-image (shipped) | " + hdr + "   (dB over per-image, raw bpp of the map)")
for r in rates:
    a = np.array(res[r]).mean(0)
    cells = " | ".join(f"{a[1+2*i]-a[0]:+.3f} ({a[2+2*i]:.4f})" for i in range(len(SETS)*2))
    print(f"{r}: {a[0]:.3f} | {cells}")
