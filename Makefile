# The front door. `make run` and `make test` are the two commands in the README.
#
# Each target installs from Debian what it needs (scripts/install-deps.sh):
# run and build what building and running need; test adds GoogleTest,
# Chromium, Slurm, munge and clang-format, and Google Benchmark, since it
# builds the micro-benchmarks too (CI compiles them); bench adds Google
# Benchmark; bench-reference adds python3-torch.
PRESET    ?= release
# The folder CMakePresets.json gives PRESET: build/ for release, build-PRESET/
# for the others (dev, asan, fuzz).
BUILD_DIR := $(if $(filter release,$(PRESET)),build,build-$(PRESET))
JOBS      ?= $(shell nproc)
ATTNLAB   := $(BUILD_DIR)/attnlab
CMAKE_EXTRA := $(if $(filter true,$(CI)),-DATTNLAB_WERROR=ON,)

# $(call configure_and_build,INSTALL_DEPS_OPTIONS,CMAKE_OPTIONS): installs
# what is missing, configures PRESET's folder and builds it. Without CMake
# options, ATTNLAB_TESTS and ATTNLAB_BENCH keep their cached values (AUTO on a
# first configure: built when their packages are found).
define configure_and_build
@scripts/install-deps.sh $(1)
@cmake --preset $(PRESET) $(CMAKE_EXTRA) $(2) >/dev/null
@cmake --build $(BUILD_DIR) -j $(JOBS)
endef

.PHONY: deps build run test bench bench-reference format clean

deps:
	@scripts/install-deps.sh

build:
	$(call configure_and_build,,)

# The default experiment: the reverse task with and without attention.
run: build
	$(ATTNLAB) sweep length_generalization --jobs $(JOBS)

# The whole suite, and the micro-benchmarks built beside it: a missing
# GoogleTest or Google Benchmark stops the configuration instead of leaving
# them out.
test:
	$(call configure_and_build,--test --bench,-DATTNLAB_TESTS=ON -DATTNLAB_BENCH=ON)
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

# Micro-benchmarks (Google Benchmark), then attnlab against the PyTorch-Python
# reference on the same models (bench/README.md).
bench:
	$(call configure_and_build,--bench,-DATTNLAB_BENCH=ON)
	$(BUILD_DIR)/attnlab_bench

bench-reference: build
	@scripts/install-deps.sh --bench-reference
	bench/reference/compare.py --attnlab $(abspath $(ATTNLAB))

format:
	@command -v clang-format >/dev/null || { echo "make format needs clang-format" \
	  "(Debian's clang-format; make test installs it)" >&2; exit 1; }
	@git ls-files '*.h' '*.cpp' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR)
