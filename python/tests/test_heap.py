"""retained_heap: freed memory is reused inside the block (no fresh page faults) and given back after it."""

import ctypes
import resource

import pytest

from swiftlic import _heap


def faults_to_fill(nbytes: int) -> int:
    """Minor page faults taken to malloc, write and free a buffer of nbytes. (Straight from libc: NumPy asks for
    transparent huge pages for its large arrays, 512 times fewer faults.)"""
    libc = _heap._glibc()
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    p = libc.malloc(nbytes)
    assert p
    ctypes.memset(p, 1, nbytes)
    libc.free(p)
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


def resident_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


@pytest.mark.skipif(_heap._glibc() is None, reason="glibc only, with malloc not tuned by the environment")
def test_freed_buffers_are_reused_inside_the_block_and_faulted_afresh_after():
    size = 48 << 20  # above glibc's largest mmap threshold (32 MB): always mmap'd by default
    pages = size // resource.getpagesize()
    assert faults_to_fill(size) > pages // 2  # default: a fresh mapping each time
    with _heap.retained_heap() as active:
        assert active
        faults_to_fill(size)
        assert faults_to_fill(size) < pages // 20  # the same heap memory again
        kept = resident_bytes()
    assert resident_bytes() < kept - size // 2  # the heap trimmed: memory given back on exit
    assert faults_to_fill(size) > pages // 2  # defaults restored


def test_retained_heap_does_nothing_where_malloc_is_tuned(monkeypatch):
    monkeypatch.setenv("MALLOC_MMAP_MAX_", "0")
    assert _heap._glibc() is None
    with _heap.retained_heap() as active:
        assert not active
