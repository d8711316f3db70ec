"""The binding only: buffers, errors, threads, memory. The algorithms are tested in Swift (swift test)."""

import gc
import subprocess
import sys
import textwrap
import threading
import time
import tracemalloc

import numpy as np
import pytest

import swiftlic
from swiftlic import _native


def test_output_is_written_in_place_without_copy():
    a = np.random.default_rng(0).standard_normal((33, 17), dtype=np.float32)
    b = np.random.default_rng(1).standard_normal((17, 9), dtype=np.float32)
    out = np.zeros((33, 9), np.float32)
    ptr = out.ctypes.data
    res = swiftlic.gemm(a, b, out=out)
    assert res is out and out.ctypes.data == ptr
    np.testing.assert_allclose(out, a @ b, rtol=1e-5, atol=1e-5)


def _traced_peak(fn):
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_contiguous_float32_inputs_are_borrowed_and_others_converted():
    # NumPy reports its data allocations to tracemalloc: a copy of an 8 MB input shows up in the peak.
    a = np.ones((1024, 2048), np.float32)
    b = np.ones((2048, 1), np.float32)
    out = np.empty((1024, 1), np.float32)
    borrowed = _traced_peak(lambda: swiftlic.gemm(a, b, out=out))
    converted = _traced_peak(lambda: swiftlic.gemm(a.astype(np.float64), b, out=out))
    assert borrowed < a.nbytes // 8
    assert converted >= a.nbytes


def test_swift_allocated_arrays_are_aligned_and_owned_by_a_capsule():
    arr = _native.empty((5, 7), np.dtype(np.float32).num)
    assert arr.shape == (5, 7) and arr.dtype == np.float32 and arr.flags.c_contiguous and arr.flags.writeable
    assert arr.ctypes.data % 64 == 0
    assert type(arr.base).__name__ == "PyCapsule"
    res = swiftlic.gemm(np.eye(3, dtype=np.float32), np.eye(3, dtype=np.float32))
    assert type(res.base).__name__ == "PyCapsule"
    np.testing.assert_array_equal(res, np.eye(3))


@pytest.mark.parametrize(
    "out, found",
    [
        (np.zeros((4, 4), np.float64), "float64"),
        (np.zeros((4, 8), np.float32)[:, ::2], "non-contiguous"),
        (np.zeros((4, 4), np.float32).T[::-1], "non-contiguous"),
        ([[0.0] * 4] * 4, "list"),
    ],
)
def test_bad_output_array_raises_type_error_naming_expected_and_found(out, found):
    a = np.ones((4, 4), np.float32)
    with pytest.raises(TypeError) as exc:
        _native.gemm(0, 0, 4, 4, 4, 1.0, a, 4, a, 4, 0.0, out, 4)
    assert "expected a writable C-contiguous float32 array" in str(exc.value)
    assert found in str(exc.value)


def test_read_only_output_raises():
    a = np.ones((4, 4), np.float32)
    out = np.zeros((4, 4), np.float32)
    out.flags.writeable = False
    with pytest.raises(TypeError, match="read-only"):
        swiftlic.gemm(a, a, out=out)


def test_shape_errors_come_from_swift_with_detail():
    a = np.ones(6, np.float32)
    with pytest.raises(swiftlic.InvalidArgumentError, match="A holds 6 values, needs 16"):
        _native.gemm(0, 0, 4, 4, 4, 1.0, a, 4, np.ones(16, np.float32), 4, 0.0, np.zeros(16, np.float32), 4)
    with pytest.raises(swiftlic.InvalidArgumentError, match=r"inner dimensions differ"):
        swiftlic.gemm(np.ones((2, 3), np.float32), np.ones((4, 2), np.float32))
    with pytest.raises(swiftlic.InvalidArgumentError, match=r"expected an H×W×3 uint8 image.*float64.*\(5, 5\)"):
        swiftlic.rgb_to_ycbcr(np.zeros((5, 5)))
    with pytest.raises(swiftlic.InvalidArgumentError, match="output holds"):
        _native.color(0, np.zeros((2, 2, 3), np.uint8), np.zeros((2, 3, 3), np.uint8), 4)


def test_errors_are_swiftlic_errors_and_builtin_kinds():
    with pytest.raises(swiftlic.SwiftLICError) as exc:
        swiftlic.set_num_threads(0)
    assert isinstance(exc.value, ValueError) and exc.value.status == 1
    assert "expected 1 to 1024 threads, got 0" in str(exc.value)
    assert _native.status_string(3) == "corrupt stream"


def test_set_num_threads_round_trip():
    before = swiftlic.get_num_threads()
    try:
        for n in (1, 2, 3):
            swiftlic.set_num_threads(n)
            assert swiftlic.get_num_threads() == n
    finally:
        swiftlic.set_num_threads(before)


def test_results_do_not_depend_on_thread_count():
    rng = np.random.default_rng(5)
    a = rng.standard_normal((150, 130), dtype=np.float32)
    b = rng.standard_normal((130, 170), dtype=np.float32)
    before = swiftlic.get_num_threads()
    try:
        outs = []
        for n in (1, 2):
            swiftlic.set_num_threads(n)
            outs.append(swiftlic.gemm(a, b).copy())
    finally:
        swiftlic.set_num_threads(before)
    np.testing.assert_array_equal(outs[0], outs[1])


def test_gil_is_released_during_native_calls():
    n = 1536
    a = np.ones((n, n), np.float32)
    out = np.empty((n, n), np.float32)
    done = threading.Event()
    ticks = 0

    def work():
        # At least 3 calls and 0.2 s of them: one 1536³ call takes ~15 ms on a fast AVX-512 core.
        t0, calls = time.perf_counter(), 0
        while calls < 3 or time.perf_counter() - t0 < 0.2:
            swiftlic.gemm(a, a, out=out)
            calls += 1
        done.set()

    t = threading.Thread(target=work)
    start = time.perf_counter()
    t.start()
    while not done.is_set():
        ticks += 1
        time.sleep(0.001)
    t.join()
    elapsed = time.perf_counter() - start
    # With the GIL held, this loop could not run at all until the call returned.
    assert elapsed > 0.05, "calls too fast to judge"
    assert ticks >= elapsed / 0.001 * 0.2


def _rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def test_no_memory_growth_over_many_calls():
    a = np.ones((64, 64), np.float32)
    img = np.zeros((64, 64, 3), np.uint8)
    for _ in range(200):  # warm up allocator pools
        swiftlic.gemm(a, a)
        swiftlic.rgb_to_ycbcr(img, planar=True)
    before = _rss_bytes()
    for _ in range(5000):
        swiftlic.gemm(a, a)  # Swift-allocated output freed through the capsule
        swiftlic.rgb_to_ycbcr(img, planar=True)
        try:
            swiftlic.set_num_threads(0)  # error path: detail message buffer reused
        except swiftlic.InvalidArgumentError:
            pass
    growth = _rss_bytes() - before
    assert growth < 8 * 2**20, f"RSS grew by {growth / 2**20:.1f} MiB over 5000 calls"


def test_abi_mismatch_raises_at_import():
    code = textwrap.dedent(
        """
        import sys, types
        fake = types.ModuleType("swiftlic._native")
        fake.abi_version = lambda: 999
        sys.modules["swiftlic._native"] = fake
        try:
            import swiftlic
        except ImportError as e:
            print(type(e).__name__, e)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.startswith("AbiMismatchError") and "version 999" in out


def test_colour_round_trip_through_planes():
    img = np.random.default_rng(3).integers(0, 256, (17, 23, 3), dtype=np.uint8)
    planes = swiftlic.rgb_to_ycbcr(img, planar=True)
    assert planes.shape == (3, 17, 23) and planes.dtype == np.float32
    np.testing.assert_array_equal(swiftlic.ycbcr_to_rgb(planes, planar=False), img)
    y = swiftlic.rgb_to_ycbcr(img)
    expected_y = np.clip(np.rint(img @ np.array([0.299, 0.587, 0.114])), 0, 255)
    assert np.abs(y[..., 0].astype(int) - expected_y).max() <= 1


def test_absurd_sizes_are_rejected_not_trapped():
    img = np.zeros((2, 2, 3), np.uint8)
    with pytest.raises(swiftlic.InvalidArgumentError, match="pixel count"):
        _native.color(0, img, np.zeros((2, 2, 3), np.uint8), 2**62)
    a = np.ones(16, np.float32)
    with pytest.raises(swiftlic.InvalidArgumentError, match="A holds"):
        _native.gemm(0, 0, 3, 4, 4, 1.0, a, 2**63 - 1, a, 4, 0.0, np.zeros(16, np.float32), 4)


def test_swift_arrays_need_a_numeric_dtype():
    with pytest.raises(TypeError, match="numeric dtype"):
        _native.empty((2,), 12345)
    with pytest.raises(TypeError, match="numeric dtype"):
        _native.empty((2,), np.dtype(object).num)


def test_colour_out_of_the_wrong_dtype_is_refused():
    img = np.zeros((4, 5, 3), np.uint8)
    with pytest.raises(swiftlic.InvalidArgumentError, match=r"expected float32 of shape \(3, 4, 5\), got uint8"):
        swiftlic.rgb_to_ycbcr(img, planar=True, out=np.zeros((3, 4, 5), np.uint8))


def test_gemm_kernel_names_the_build_setup_py_chose(tmp_path):
    kernel = swiftlic.linalg.gemm_kernel()
    assert kernel in ("12x32-avx512", "6x16-avx2")
    import os
    from pathlib import Path

    if "SWIFTLIC_TARGET_CPU" not in os.environ:
        pytest.skip("the build's target CPU is known only under the Makefile (SWIFTLIC_TARGET_CPU)")
    root = Path(swiftlic.__file__).resolve().parents[2]
    flags = subprocess.run([sys.executable, str(root / "setup.py"), "--swift-flags"], capture_output=True, text=True,
                           check=True, cwd=tmp_path).stdout
    assert (kernel == "12x32-avx512") == ("-DSWIFTLIC_AVX512" in flags), (kernel, flags)


def test_fma_probe_counts_and_runs_its_rounds():
    lanes = 16 if swiftlic.linalg.gemm_kernel().endswith("avx512") else 8
    chains = 24 if lanes == 16 else 12
    x = np.float32(1 - 1 / 1024)
    for n in (0, 1, 300):
        flops, checksum = _native.fma_probe(n)
        assert flops == n * chains * lanes * 2
        expected = sum(1 + (c - 1) * float(x) ** n for c in range(chains))
        assert checksum == pytest.approx(expected, rel=1e-5), n
    with pytest.raises(swiftlic.InvalidArgumentError, match="iterations ≥ 0, got -1"):
        _native.fma_probe(-1)
    with pytest.raises(swiftlic.InvalidArgumentError, match="overflow"):
        _native.fma_probe(2**62)


def test_fma_peak_measures_a_positive_rate_and_validates():
    assert swiftlic.linalg.fma_peak(1, seconds=0.01, repeat=1) > 0
    assert swiftlic.linalg.fma_peak(2, seconds=0.01, repeat=1) > 0
    for bad in ({"threads": 0}, {"threads": 1.5}, {"seconds": 0}, {"repeat": 0}):
        with pytest.raises(swiftlic.InvalidArgumentError, match="fma_peak"):
            swiftlic.linalg.fma_peak(**bad)
