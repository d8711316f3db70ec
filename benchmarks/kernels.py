"""Speed of the nn kernels on a Cheng-style convolutional autoencoder, against PyTorch CPU in the same run.

Model (Cheng et al. 2018 style, widened to 64–128 channels): encoder conv3×3+PReLU at full resolution, then three
down units [conv3×3 stride 2 + PReLU, conv3×3 + PReLU] to 1/8 resolution and a 32-channel latent; the decoder
mirrors it with stride-2 transposed convolutions (k=3, padding 1, output_padding 1).

Measures, at 1 and 2 threads (swiftlic.set_num_threads / torch.set_num_threads):
  1. forward (inference, conv+PReLU fused) on one 3×512×768 image;
  2. a training step on 16 × 3×128×128: forward + MSE gradient + backward + Adam
     (swiftlic.nn.optim.Adam when it exists, else a NumPy SGD step, noted in the table).
Prints best-of-N time, GFLOP/s, % of the FMA peak (measured in the same run by `swiftlic.linalg.fma_peak` at that
thread count; direct-convolution FLOPs, so Winograd layers can pass 100 %) and the time ratio
swiftlic / PyTorch (≤ 1.0 means swiftlic is at least as fast), in wall time and in process CPU time (the steadier
of the two when other jobs share the machine).

    .venv/bin/python benchmarks/kernels.py [--repeat 3] [--threads 1 2] [--quick]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

import swiftlic
from swiftlic.nn import Conv2d, ConvTranspose2d, PReLU, Sequential, fuse

# (kind, cin, cout, stride); every layer is 3×3 with padding 1 and followed by PReLU except the last of each half.
ENCODER = [("conv", 3, 64, 1), ("conv", 64, 64, 2), ("conv", 64, 64, 1), ("conv", 64, 128, 2),
           ("conv", 128, 128, 1), ("conv", 128, 128, 2), ("conv", 128, 32, 1)]
DECODER = [("conv", 32, 128, 1), ("deconv", 128, 128, 2), ("conv", 128, 128, 1), ("deconv", 128, 64, 2),
           ("conv", 64, 64, 1), ("deconv", 64, 64, 2), ("conv", 64, 3, 1)]
SPEC = ENCODER + DECODER


def build_swiftlic(seed=0):
    rng = np.random.default_rng(seed)
    layers = []
    for i, (kind, cin, cout, s) in enumerate(SPEC):
        if kind == "conv":
            layers.append(Conv2d(cin, cout, 3, stride=s, padding=1, rng=rng))
        else:
            layers.append(ConvTranspose2d(cin, cout, 3, stride=s, padding=1, output_padding=1, rng=rng))
        if i not in (len(ENCODER) - 1, len(SPEC) - 1):
            layers.append(PReLU(cout))
    return Sequential(*layers)


def build_torch(torch):
    nn = torch.nn
    layers = []
    for i, (kind, cin, cout, s) in enumerate(SPEC):
        if kind == "conv":
            layers.append(nn.Conv2d(cin, cout, 3, stride=s, padding=1))
        else:
            layers.append(nn.ConvTranspose2d(cin, cout, 3, stride=s, padding=1, output_padding=1))
        if i not in (len(ENCODER) - 1, len(SPEC) - 1):
            layers.append(nn.PReLU(cout))
    return nn.Sequential(*layers)


def forward_flops(batch, h, w):
    """Multiply-adds ×2 of every convolution (bias and PReLU not counted)."""
    total = 0
    for kind, cin, cout, s in SPEC:
        if kind == "conv":
            h, w = (h + 2 - 3) // s + 1, (w + 2 - 3) // s + 1
            total += 2 * cin * cout * 9 * h * w * batch
        else:
            total += 2 * cin * cout * 9 * h * w * batch  # per input pixel
            h, w = (h - 1) * s - 2 + 3 + 1, (w - 1) * s - 2 + 3 + 1
    return total


def timed(fn, repeat):
    """(best wall, median wall, best process CPU time) over `repeat` runs after a warm-up. On a shared machine the
    CPU time (all threads of this process) is the steadier number: other jobs stretch wall time, not CPU time."""
    fn()  # warm-up (allocations, thread pool)
    walls, cpus = [], []
    for _ in range(repeat):
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return min(walls), statistics.median(walls), min(cpus)


def swiftlic_optimizer(model):
    try:
        from swiftlic.nn.optim import Adam  # the layers helper's fused Adam, when merged
        opt = Adam(model.parameters(), lr=1e-4)
        return opt.step, "Adam"
    except ImportError:
        params = model.parameters()

        def sgd():
            for p in params:
                p.data -= 1e-4 * p.grad
        return sgd, "SGD (numpy)"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    ap.add_argument("--no-torch", action="store_true")
    args = ap.parse_args()

    H, W = (128, 192) if args.quick else (512, 768)
    B, P = (4, 64) if args.quick else (16, 128)
    rng = np.random.default_rng(0)
    image = rng.uniform(0, 1, (1, 3, H, W)).astype(np.float32)
    batch = rng.uniform(0, 1, (B, 3, P, P)).astype(np.float32)

    torch = None
    if not args.no_torch:
        try:
            import torch  # noqa: F811
        except ImportError:
            print("torch not installed: PyTorch columns skipped")

    ours = build_swiftlic()
    theirs = build_torch(torch) if torch else None
    if theirs is not None:
        from swiftlic.nn import load_torch_state_dict
        load_torch_state_dict(ours, theirs)

    # The FMA peak measured now at each thread count (swiftlic.linalg.fma_peak: FMAs of the GEMM kernel's width).
    # The convolutions' FLOPs are counted as direct ones: Winograd layers do fewer multiplications, so "% peak"
    # can pass 100.
    peaks = {n: swiftlic.linalg.fma_peak(n) for n in args.threads}
    f_fwd = forward_flops(1, H, W)
    f_train = 3 * forward_flops(B, P, P)  # forward + backward-data + backward-weight
    print(f"Cheng-style CAE, {len(SPEC)} convolutions; forward {f_fwd / 1e9:.1f} GFLOP on 1×3×{H}×{W}, "
          f"training step {f_train / 1e9:.1f} GFLOP on {B}×3×{P}×{P}")
    print("FMA peak, measured: " + ", ".join(f"{p:.1f} GFLOP/s on {n} thread{'s' if n > 1 else ''}"
                                            for n, p in peaks.items()) + "; "
          f"load average before {' '.join(f'{v:.2f}' for v in os.getloadavg())}; best of {args.repeat} "
          "(median in brackets)")

    step, opt_name = swiftlic_optimizer(ours)

    inference = fuse(ours).eval()  # conv → PReLU pairs in one pass each, sharing the trained weights

    def ours_forward():
        inference(image)

    def ours_train():
        ours.train()
        ours.zero_grad()
        y = ours(batch)
        ours.backward((2.0 / y.size) * (y - batch))
        step()

    if torch:
        tx_img = torch.from_numpy(image)
        tx_batch = torch.from_numpy(batch)
        topt = torch.optim.Adam(theirs.parameters(), lr=1e-4)

        def torch_forward():
            with torch.no_grad():
                theirs(tx_img)

        def torch_train():
            topt.zero_grad(set_to_none=False)
            y = theirs(tx_batch)
            loss = torch.nn.functional.mse_loss(y, tx_batch)
            loss.backward()
            topt.step()

    rows = []
    nan = (float("nan"),) * 3
    for n in args.threads:
        swiftlic.set_num_threads(n)
        if torch:
            torch.set_num_threads(n)
        peak = peaks[n]
        for name, flops, fn_ours, fn_torch in [
                ("forward 768×512" if not args.quick else "forward", f_fwd, ours_forward,
                 torch_forward if torch else None),
                (f"train step ({opt_name})", f_train, ours_train, torch_train if torch else None)]:
            best, med, cpu = timed(fn_ours, args.repeat)
            tbest, tmed, tcpu = timed(fn_torch, args.repeat) if fn_torch else nan
            gflops = flops / best / 1e9
            r = dict(n=n, name=name, best=best, med=med, cpu=cpu, gflops=gflops, pct=100 * gflops / peak,
                     tbest=tbest, tmed=tmed, tcpu=tcpu, tgflops=flops / tbest / 1e9, ratio=best / tbest,
                     cpu_ratio=cpu / tcpu)
            rows.append(r)
            print(f"  {n} thr  {name:<26} swiftlic {best:7.3f}s [{med:7.3f}] cpu {cpu:7.3f}s {gflops:6.1f} GFLOP/s "
                  f"{r['pct']:5.1f}% peak | torch {tbest:7.3f}s [{tmed:7.3f}] cpu {tcpu:7.3f}s "
                  f"{r['tgflops']:6.1f} GFLOP/s | ratio {r['ratio']:.2f} (cpu {r['cpu_ratio']:.2f})", flush=True)

    print()
    print("| threads | case | swiftlic s | GFLOP/s | % peak | torch s | torch GFLOP/s | ratio | CPU-time ratio |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['n']} | {r['name']} | {r['best']:.3f} | {r['gflops']:.1f} | {r['pct']:.1f}% | {r['tbest']:.3f} | "
              f"{r['tgflops']:.1f} | {r['ratio']:.2f} | {r['cpu_ratio']:.2f} |")
    print(f"load average after {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
