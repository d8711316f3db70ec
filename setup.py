"""Builds libswiftlic.so with SwiftPM (release, static Swift runtime, FMA-capable CPU target) and the thin
CPython extension swiftlic._native linked against it with an $ORIGIN rpath, so the installed package needs no
Swift toolchain at run time.

Environment:
  SWIFT                 the swift driver (default: `swift` on PATH, else /opt/swift/usr/bin/swift)
  SWIFTLIC_TARGET_CPU   -target-cpu for swiftc (default: haswell, i.e. AVX2 + FMA, a library that runs on any
                        x86-64 CPU of the last decade; `native` for this machine, as the Makefile's builds use)
  SWIFTLIC_AVX512       1/0: build the AVX-512 GEMM micro-kernel (-D SWIFTLIC_AVX512) or not (default: when
                        SWIFTLIC_TARGET_CPU is `native` and this CPU has AVX-512F, or names a CPU with AVX-512)

`python setup.py --swift-flags` prints the -Xswiftc flags (target CPU, AVX-512 kernel) for other swift commands.
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

# CPUs to which LLVM gives AVX-512F; for `native` the flags in /proc/cpuinfo decide.
AVX512_CPUS = {"skylake-avx512", "cascadelake", "cooperlake", "cannonlake", "icelake-client", "icelake-server",
               "tigerlake", "sapphirerapids", "emeraldrapids", "graniterapids", "znver4", "znver5"}


def target_cpu() -> str:
    return os.environ.get("SWIFTLIC_TARGET_CPU", "haswell")


def has_avx512(cpu: str) -> bool:
    forced = os.environ.get("SWIFTLIC_AVX512")
    if forced is not None:
        return forced.strip() not in ("", "0", "no", "false")
    if cpu == "native":
        try:
            with open("/proc/cpuinfo") as f:
                return any(line.startswith("flags") and " avx512f" in line for line in f)
        except OSError:
            return False
    return cpu in AVX512_CPUS


def swift_flags() -> list:
    cpu = target_cpu()
    flags = ["-Xswiftc", "-target-cpu", "-Xswiftc", cpu]
    if has_avx512(cpu):
        flags += ["-Xswiftc", "-DSWIFTLIC_AVX512"]
    return flags


if __name__ == "__main__" and sys.argv[1:] == ["--swift-flags"]:
    print(" ".join(swift_flags()))
    sys.exit(0)

import numpy
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
SCRATCH = ROOT / ".build-release"


def swift_driver():
    found = os.environ.get("SWIFT") or shutil.which("swift")
    if found:
        return found
    if Path("/opt/swift/usr/bin/swift").exists():
        return "/opt/swift/usr/bin/swift"
    sys.exit("swiftlic: no Swift toolchain found (set SWIFT=/path/to/swift)")


def _replace_file(src, dest) -> None:
    """Copies src over dest atomically (new inode + rename): a process that has dest mapped (a training run using
    the in-place build) keeps its old copy instead of crashing on a file truncated under it."""
    tmp = Path(f"{dest}.tmp{os.getpid()}")
    shutil.copy2(src, tmp)
    os.replace(tmp, dest)


class BuildSwiftThenExt(build_ext):
    def copy_file(self, infile, outfile, *args, **kwargs):
        if self.inplace and not self.dry_run:  # --inplace: outfile may be loaded by a running process
            _replace_file(infile, outfile)
            return outfile, 1
        return super().copy_file(infile, outfile, *args, **kwargs)

    def run(self):
        cmd = [swift_driver(), "build", "-c", "release", "--product", "swiftlic",
               "--package-path", str(ROOT), "--scratch-path", str(SCRATCH),
               "-Xswiftc", "-static-stdlib", *swift_flags(), "-Xswiftc", "-enforce-exclusivity=unchecked"]
        print("swiftlic:", " ".join(cmd), flush=True)
        subprocess.check_call(cmd)
        libdir = SCRATCH / "release"
        lib = libdir / "libswiftlic.so"
        for ext in self.extensions:
            ext.library_dirs.append(str(libdir))
        super().run()
        # The extension finds libswiftlic.so beside itself ($ORIGIN rpath).
        dest = Path(self.get_ext_fullpath("swiftlic._native")).parent
        dest.mkdir(parents=True, exist_ok=True)
        _replace_file(lib, dest / "libswiftlic.so")


native = Extension(
    "swiftlic._native",
    sources=[f"python/swiftlic/_native{s}.c" for s in ("", "_core", "_nn", "_layers", "_codec")],
    include_dirs=["include", "python/swiftlic", numpy.get_include()],
    libraries=["swiftlic"],
    runtime_library_dirs=["$ORIGIN"],
    extra_compile_args=["-O2", "-std=c11", "-Wall", "-Wno-unused-parameter"],
    depends=["include/swiftlic.h", "python/swiftlic/_native.h"],
)

setup(ext_modules=[native], cmdclass={"build_ext": BuildSwiftThenExt})
