# swiftlic — all set-up is here: `make demo` and `make test` work on a fresh clone.
PYTHON ?= python3
SWIFT ?= $(shell command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)
VENV := .venv
VPY := $(VENV)/bin/python
export SWIFT
# The local builds (make build/test/demo/bench) target this machine's CPU: AVX-512 where it has it (setup.py).
# `pip install .` and `python -m build` default to haswell (AVX2 + FMA), a library any recent x86-64 runs.
SWIFTLIC_TARGET_CPU ?= native
export SWIFTLIC_TARGET_CPU

.PHONY: all venv build test test-swift test-python demo bench clean

all: build

# A local virtual environment with the package (editable) and its test dependencies.
$(VENV)/.installed: pyproject.toml setup.py
	test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install -q --upgrade pip "setuptools>=77" wheel "numpy>=2.0"
	$(VPY) -m pip install -q --no-build-isolation -e ".[test]"
	touch $@

venv: $(VENV)/.installed

# Rebuild libswiftlic.so (release, static Swift runtime) and the extension in place.
build: venv
	$(VPY) setup.py -q build_ext --inplace

test-swift:
	$(SWIFT) test --disable-swift-testing $(shell SWIFTLIC_TARGET_CPU=$(SWIFTLIC_TARGET_CPU) $(PYTHON) setup.py --swift-flags)

test-python: build
	$(VPY) -m pytest -q

test: test-swift test-python

demo: build
	$(VPY) -m swiftlic demo

bench: build
	$(VPY) benchmarks/gemm.py
	$(VPY) benchmarks/kernels.py
	$(VPY) benchmarks/entropy.py
	$(VPY) benchmarks/wavelet.py
	$(VPY) benchmarks/winograd.py

clean:
	rm -rf .build .build-release build dist *.egg-info python/*.egg-info
	rm -f python/swiftlic/*.so
