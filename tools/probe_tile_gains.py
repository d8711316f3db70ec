"""Offline probe (session 19): how much would finer post-filter gains give on Kodak (dwt97-pf-wide)? Per image (what
compress now chooses), per plane (3 gains), per tile (T×T pixel tiles, one gain each), against the gate. PSNR on uint8
RGB, signalling not counted. Usage: python tools/probe_tile_gains.py [MODEL]"""
import sys, numpy as np, swiftlic, swiftlic.codec as codec
from swiftlic import latent
from PIL import Image
from pathlib import Path
model = sys.argv[1] if len(sys.argv) > 1 else "dwt97-pf-wide"
_, m = codec.load_model(model)
M, off = (v.astype(np.float32) for v in swiftlic.color.ycbcr_to_rgb_affine())
files = sorted(Path("/work/shared/data/kodak").glob("*.png"))
rates = [0.125, 0.25, 0.5, 1, 2]
def psnr(x, img): return 10*np.log10(255**2/np.mean((x.astype(np.float64)-img)**2))
res = {r: [] for r in rates}
for fpath in files:
    img = np.asarray(Image.open(fpath).convert("RGB")); h, w = img.shape[:2]
    for r in rates:
        data = swiftlic.compress(img, bpp=r, model=m, adapt_postfilter=False)
        rate = 8*len(data)/(h*w)
        shape = codec._latent_shape(m, (h, w))
        y = codec.from_code_blocks(latent.decode(data)[0], shape, codec.code_block_size(m, *shape[1:]))
        base = m.decode(y[None], bpp=rate, strength=0); f = m.postfilter_residual(base, rate)
        b, fr = base[0][:, :h, :w], f[0][:, :h, :w]
        def out(gmap):  # gmap: 3×h×w or broadcastable gains per plane/pixel
            return swiftlic.ycbcr_to_rgb(np.ascontiguousarray(b + gmap.astype(np.float32) * fr), planar=False)
        d = np.einsum("ij,jhw->ihw", M, fr); e = img.transpose(2,0,1)/255 - (np.einsum("ij,jhw->ihw", M, b) + off[:, None, None])
        g1 = np.clip(np.rint(32*(e*d).sum()/(d*d).sum()), 0, 255)/32
        row = [psnr(swiftlic.decompress(data), img), psnr(out(np.float32(g1)), img)]
        # per plane: d_c = M[:, c] f_c; solve 3x3 LS
        D = np.stack([np.einsum("i,hw->ihw", M[:, c], fr[c]) for c in range(3)])  # 3(plane) × 3(rgb) × h × w
        A = np.einsum("aihw,bihw->ab", D, D); bb = np.einsum("aihw,ihw->a", D, e)
        g3 = np.clip(np.rint(32*np.linalg.solve(A + 1e-9*np.eye(3), bb)), 0, 255)/32
        row.append(psnr(out(g3[:, None, None]), img))
        for T in (128, 64, 32):
            gm = np.zeros((h, w), np.float32); nt = 0
            for y0 in range(0, h, T):
                for x0 in range(0, w, T):
                    dd = d[:, y0:y0+T, x0:x0+T]; ee = e[:, y0:y0+T, x0:x0+T]
                    den = (dd*dd).sum(); g = (ee*dd).sum()/den if den > 0 else 0
                    gm[y0:y0+T, x0:x0+T] = np.clip(np.rint(32*g), 0, 255)/32; nt += 1
            row.append(psnr(out(gm[None]), img)); row.append(8*nt/(h*w))  # bpp of one byte per tile
        res[r].append(row)
    print(fpath.name, flush=True)
print("rate: gate | per-image | per-plane | tiles128 (+bpp) | tiles64 (+bpp) | tiles32 (+bpp), mean dB over images")
for r in rates:
    a = np.array(res[r]).mean(0)
    print(f"{r}: {a[0]:.3f} | {a[1]-a[0]:+.3f} | {a[2]-a[0]:+.3f} | {a[3]-a[0]:+.3f} ({a[4]:.4f}) | {a[5]-a[0]:+.3f} ({a[6]:.4f}) | {a[7]-a[0]:+.3f} ({a[8]:.4f})")
