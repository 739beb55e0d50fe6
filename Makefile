# The front door. `make run` and `make test` are the two commands in the README.
BUILD_DIR ?= build
PRESET    ?= release
JOBS      ?= $(shell nproc)
ATTNLAB   := $(BUILD_DIR)/attnlab
CMAKE_EXTRA := $(if $(filter true,$(CI)),-DATTNLAB_WERROR=ON,)

.PHONY: deps build run test bench bench-reference format clean

deps:
	@scripts/install-deps.sh

build: deps
	@cmake --preset $(PRESET) $(CMAKE_EXTRA) >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# The default experiment: the reverse task with and without attention.
run: build
	$(ATTNLAB) sweep length_generalization --jobs $(JOBS)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

# Micro-benchmarks (Google Benchmark), then attnlab against the PyTorch-Python
# reference on the same models (bench/README.md).
bench: build
	$(BUILD_DIR)/attnlab_bench

bench-reference: build
	@scripts/install-deps.sh --bench
	bench/reference/compare.py

format:
	@git ls-files '*.h' '*.cpp' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR)
