"""Structure-aware fuzzing of the stream decoders: mutated streams whose CRCs are repaired, so the damage reaches
the structural checks and the bitplane decoder instead of stopping at a CRC.

A decode of a mutated stream may succeed (the result must then be finite and of the shape the header names) or
raise a `swiftlic.SwiftLICError` subclass; anything else is a finding: another exception type, a crash of the
process (a Swift trap), a hang (no answer within --timeout seconds) or a result that breaks those rules. Cases
run in a child process, a batch of seeds at a time; when a child dies, the batch is rerun one seed per child to
name the seed. Every case is reproducible from its seed:

    python tools/fuzz_stream.py --minutes 20              # latent streams, then image streams (shipped model)
    python tools/fuzz_stream.py --replay 12345 --verbose  # one case, in this process

Mutations (each case applies 1–4, then repairs the header CRC and every layer CRC that still parses):
- payload bytes of a code-block changed at random (most often), the block's structure kept;
- a layer field rewritten: inclusion bits, a planes byte, a segment or byte count (varint), data moved with it;
- header fields rewritten: sizes, channels, bits, step, flags (channel steps, post-filter strengths), PCA mode and
  side information, layers, model id;
- bytes inserted, deleted or overwritten anywhere, a layer dropped, duplicated or truncated.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import struct
import sys
import time
import traceback
import zlib

import numpy as np

import swiftlic
from swiftlic import latent


def varint(buf: bytes, i: int) -> tuple[int, int]:
    v = shift = 0
    for k in range(5):
        if i + k >= len(buf):
            raise ValueError("varint past the end")
        b = buf[i + k]
        v |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return v, i + k + 1
    raise ValueError("varint too long")


def put_varint(v: int) -> bytes:
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


class Layer:
    """One parsed layer: per included block (block, planes or None, segments added, data)."""

    def __init__(self, blocks):
        self.blocks = blocks

    def serialize(self, channels: int) -> bytes:
        inclusion = bytearray((channels + 7) // 8)
        fields = bytearray()
        for b, planes, segments, data in self.blocks:
            if b // 8 < len(inclusion):
                inclusion[b // 8] |= 1 << (b % 8)
            if planes is not None:
                fields.append(planes & 0xFF)
            fields += put_varint(segments) + put_varint(len(data))
        body = bytes(inclusion) + bytes(fields) + b"".join(d for *_, d in self.blocks)
        return body + struct.pack("<I", zlib.crc32(body))


def parse(stream: bytes):
    """Header bytes, channel count and layers of a valid stream (None where the structure does not parse)."""
    info = latent.read_header(stream)
    c = info.shape[0]
    i, layers, seen = info.header_bytes, [], set()
    while i < len(stream):
        n = (c + 7) // 8
        inc = stream[i:i + n]
        j = i + n
        blocks = []
        for b in range(c):
            if inc[b // 8] >> (b % 8) & 1:
                planes = None
                if b not in seen:
                    planes = stream[j]
                    j += 1
                    seen.add(b)
                segments, j = varint(stream, j)
                size, j = varint(stream, j)
                blocks.append([b, planes, segments, size])
        for blk in blocks:
            blk[3], j = stream[j:j + blk[3]], j + blk[3]
        layers.append(Layer(blocks))
        i = j + 4
    return stream[:info.header_bytes], c, layers


def fix_header_crc(header: bytearray) -> bytes:
    header[-4:] = struct.pack("<I", zlib.crc32(bytes(header[:-4])))
    return bytes(header)


def mutate_layers(rng, c: int, layers: list[Layer]) -> None:
    kind = rng.integers(10)
    if not layers:
        return
    layer = layers[rng.integers(len(layers))]
    if kind < 5 and any(len(d) for *_, d in layer.blocks):  # payload bytes of one block
        blk = [b for b in layer.blocks if len(b[3])][rng.integers(sum(1 for b in layer.blocks if len(b[3])))]
        data = bytearray(blk[3])
        for _ in range(rng.integers(1, 9)):
            p = rng.integers(len(data))
            data[p] = rng.integers(256) if rng.random() < 0.5 else data[p] ^ (1 << rng.integers(8))
        if rng.random() < 0.2:
            data = data[:rng.integers(len(data) + 1)]
        blk[3] = bytes(data)
    elif kind == 5 and layer.blocks:  # planes byte
        blk = layer.blocks[rng.integers(len(layer.blocks))]
        blk[1] = int(rng.choice([0, 1, 2, 29, 30, 31, 255, rng.integers(256)]))
    elif kind == 6 and layer.blocks:  # segment count
        blk = layer.blocks[rng.integers(len(layer.blocks))]
        blk[2] = int(rng.choice([0, 1, blk[2] + 1, blk[2] * 2, 4 * (3 * 30 - 2), 2**32 - 1, rng.integers(1, 400)]))
    elif kind == 7:  # inclusion: a block added (maybe out of range) or removed
        if layer.blocks and rng.random() < 0.5:
            layer.blocks.pop(rng.integers(len(layer.blocks)))
        else:
            b = int(rng.integers(c + 8))
            if all(x[0] != b for x in layer.blocks):
                layer.blocks.append([b, int(rng.integers(1, 31)) if rng.random() < 0.7 else None,
                                     int(rng.integers(1, 20)), bytes(rng.integers(0, 256, rng.integers(0, 64),
                                                                                  dtype=np.uint8))])
                layer.blocks.sort(key=lambda x: x[0])
    elif kind == 8:  # planes moved between first and later inclusions
        for blk in layer.blocks:
            if rng.random() < 0.3:
                blk[1] = None if blk[1] is not None else int(rng.integers(1, 31))
    else:  # layers dropped, duplicated, reordered
        r = rng.integers(3)
        if r == 0 and len(layers) > 1:
            layers.pop(rng.integers(len(layers)))
        elif r == 1:
            layers.insert(rng.integers(len(layers) + 1), layers[rng.integers(len(layers))])
        else:
            rng.shuffle(layers)


HEADER_FIELDS = {  # offset, struct format (see docs/FORMAT.md)
    "version": (4, "B"), "flags": (5, "B"), "color": (6, "B"), "pca": (7, "B"), "image_h": (8, "<I"),
    "image_w": (12, "<I"), "channels": (16, "<H"), "h": (18, "<I"), "w": (22, "<I"), "bits": (26, "B"),
    "step": (27, "<f"),
}


def mutate_header(rng, header: bytearray) -> None:
    name = list(HEADER_FIELDS)[rng.integers(len(HEADER_FIELDS))]
    off, fmt = HEADER_FIELDS[name]
    if off + struct.calcsize(fmt) > len(header) - 4:
        return
    if fmt == "<f":
        value = float(rng.choice([0.0, -1.0, float("nan"), float("inf"), 1e-30, 1e30, rng.normal()]))
    else:
        top = 2 ** (8 * struct.calcsize(fmt))
        old = struct.unpack_from(fmt, header, off)[0]
        value = int(rng.choice([0, 1, 2, old - 1, old + 1, old * 2, top - 1, rng.integers(top)])) % top
    struct.pack_into(fmt, header, off, value)


def mutate_bytes(rng, stream: bytearray) -> bytearray:
    r = rng.integers(4)
    p = int(rng.integers(len(stream) + 1))
    if r == 0:
        return stream[:p] + bytearray(rng.integers(0, 256, rng.integers(1, 9), dtype=np.uint8)) + stream[p:]
    if r == 1:
        return stream[:p] + stream[p + int(rng.integers(1, 9)):]
    if r == 2 and p < len(stream):
        stream[p] = int(rng.integers(256))
        return stream
    return stream[:p]


def mutated(rng, stream: bytes) -> bytes:
    header, c, layers = parse(stream)
    header = bytearray(header)
    raw = False
    for _ in range(rng.integers(1, 5)):
        u = rng.random()
        if u < 0.7:
            mutate_layers(rng, c, layers)
        elif u < 0.9:
            mutate_header(rng, header)
        else:
            raw = True
    out = bytearray(fix_header_crc(header) + b"".join(layer.serialize(c) for layer in layers))
    if raw:
        out = mutate_bytes(rng, out)
    return bytes(out)


def sources(seed: int):
    """The valid streams a case starts from: small latents in several configurations (deterministic)."""
    rng = np.random.default_rng(1000 + seed % 7)
    kinds = [
        dict(shape=(3, 16, 16), kw=dict(bits=8)),
        dict(shape=(4, 24, 20), kw=dict(bits=12, target_bytes=300, layers=3, filter_strengths=[3, 0, 255])),
        dict(shape=(8, 8, 8), kw=dict(bits=10, pca="image", basis_bits=6)),
        dict(shape=(2, 33, 17), kw=dict(bits=16, step=0.5, channel_steps=[1.0, 2.0], layers=2, target_bytes=500)),
        dict(shape=(5, 12, 12), kw=dict(bits=6, model_id="fuzz", model_hash=12345, image_size=(96, 96),
                                        filter_strengths=[40])),
        dict(shape=(1, 64, 64), kw=dict(bits=12, target_bytes=200)),
        dict(shape=(6, 10, 14), kw=dict(bits=24, layers=4, target_bytes=2000)),
    ]
    k = kinds[seed % len(kinds)]
    y = (rng.laplace(size=k["shape"]) * rng.uniform(0.05, 3)).astype(np.float32)
    if rng.random() < 0.2:
        y[rng.random(y.shape) < 0.7] = 0  # sparse
    return latent.encode(y, **k["kw"]), k["shape"]


def check_case(seed: int, verbose: bool = False) -> str | None:
    """Runs one case; returns a description of a finding, or None."""
    rng = np.random.default_rng(seed)
    stream, _ = sources(seed)
    data = mutated(rng, stream)
    try:
        y, header = latent.decode(data, max_pixels=1 << 22)
    except swiftlic.SwiftLICError as e:
        if verbose:
            print(f"seed {seed}: {type(e).__name__}: {e}")
        return None
    except Exception as e:  # noqa: BLE001 - any other type is what we look for
        return f"seed {seed}: {type(e).__name__} (not a SwiftLICError): {e}\n{traceback.format_exc()}"
    if y.shape != header.shape or not np.isfinite(y).all():
        return f"seed {seed}: decoded shape {y.shape} vs header {header.shape}, finite {np.isfinite(y).all()}"
    if verbose:
        print(f"seed {seed}: decoded {y.shape}, {len(data)} bytes (source {len(stream)})")
    return None


_IMAGE = None


def check_image_case(seed: int, verbose: bool = False) -> str | None:
    """A case on a compressed image (shipped default model) through `swiftlic.decompress`, whose checks go
    beyond the latent's: image size against latent shape, model id and hash."""
    global _IMAGE
    if _IMAGE is None:
        from swiftlic import codec
        g = np.random.default_rng(0)
        img = (np.clip(np.cumsum(g.normal(size=(48, 64, 3)), axis=1) * 8 + 128, 0, 255)).astype(np.uint8)
        _IMAGE = [codec.compress(img, bpp) for bpp in (0.25, 1.0)] + [codec.compress(img, 0.5, layers=3)]
    rng = np.random.default_rng(seed)
    data = mutated(rng, _IMAGE[seed % len(_IMAGE)])
    try:
        x = swiftlic.decompress(data)
    except swiftlic.SwiftLICError as e:
        if verbose:
            print(f"image seed {seed}: {type(e).__name__}: {e}")
        return None
    except Exception as e:  # noqa: BLE001
        return f"image seed {seed}: {type(e).__name__} (not a SwiftLICError): {e}\n{traceback.format_exc()}"
    if x.dtype != np.uint8 or x.ndim != 3 or x.shape[2] != 3:
        return f"image seed {seed}: decoded {x.dtype} {x.shape}"
    if verbose:
        print(f"image seed {seed}: decoded {x.shape}")
    return None


def _worker(kind: str, seeds, queue) -> None:
    swiftlic.set_num_threads(1 + seeds[0] % 2)
    check = check_image_case if kind == "image" else check_case
    for s in seeds:
        finding = check(s)
        if finding:
            queue.put(finding)
    queue.put(None)


def run_batch(kind: str, seeds, timeout: float) -> list[str]:
    """Findings of a batch; a crash or hang of the child is reported per seed by rerunning them one at a time."""
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=_worker, args=(kind, list(seeds), q))
    p.start()
    findings, done = [], False
    deadline = time.monotonic() + timeout * len(seeds)
    while time.monotonic() < deadline:
        try:
            item = q.get(timeout=0.2)
        except Exception:  # noqa: BLE001 - queue.Empty
            if not p.is_alive() and q.empty():
                break
            continue
        if item is None:
            done = True
            break
        findings.append(item)
    p.join(1)
    if p.is_alive():
        p.kill()
        p.join()
    if done:
        return findings
    if len(seeds) == 1:
        why = "hang (killed after %.0f s)" % timeout if p.exitcode in (None, -9) else f"crash (exit {p.exitcode})"
        return [f"{kind} seed {seeds[0]}: {why}"]
    out = []
    for s in seeds:
        out += run_batch(kind, [s], timeout)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=5.0, help="time budget (split between latent and image cases)")
    ap.add_argument("--seed", type=int, default=0, help="first seed")
    ap.add_argument("--batch", type=int, default=200)
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds per case before it counts as a hang")
    ap.add_argument("--no-image", action="store_true", help="latent streams only (no model needed)")
    ap.add_argument("--replay", type=int, help="run one seed in this process and print what happens")
    ap.add_argument("--image", action="store_true", help="with --replay: the image case")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    if args.replay is not None:
        finding = (check_image_case if args.image else check_case)(args.replay, verbose=True)
        print(finding or "no finding")
        sys.exit(1 if finding else 0)
    kinds = ["latent"] if args.no_image else ["latent", "image"]
    findings = []
    for kind in kinds:
        end = time.monotonic() + 60 * args.minutes / len(kinds)
        seed, cases, t0 = args.seed, 0, time.monotonic()
        while time.monotonic() < end:
            batch = range(seed, seed + (args.batch if kind == "latent" else args.batch // 10))
            new = run_batch(kind, list(batch), args.timeout)
            for f in new:
                print(f, flush=True)
            findings += new
            cases += len(batch)
            seed += len(batch)
        rate = cases / (time.monotonic() - t0)
        print(f"{kind}: {cases} cases (seeds {args.seed}…{seed - 1}), {rate:.0f}/s, {len(findings)} findings so far",
              flush=True)
    sys.exit(1 if findings else 0)


if __name__ == "__main__":
    main()
