#!/usr/bin/env bash
# The GPU check, in one run of about 8 minutes, on a machine with an NVIDIA
# GPU, CUDA, CMake, a C++ compiler and a Python whose PyTorch has CUDA, and
# the bundle of scripts/gpu-bundle.sh beside the sources (README: Building
# for a GPU):
#
#   scripts/gpu-check.sh OUTDIR
#
#  1. stops at once, saying why, when there is no usable GPU;
#  2. unpacks the bundle into a prefix (never over /): the build libraries
#     in PREFIX/build, gnuplot in PREFIX/gnuplot behind a wrapper;
#  3. configures against PyTorch's CUDA LibTorch and that prefix, and builds
#     attnlab, its unit and LibTorch tests and its micro-benchmarks;
#  4. runs the `cuda` tests;
#  5. runs bench/reference/compare.py --device cuda: attnlab bench train and
#     the PyTorch-Python reference side by side for the default model (also
#     on two CPU threads), for GRU 1024 at batch 256, and for that in bf16;
#  6. runs the default study, one seed, on the CPU and the GPU into one
#     database, with its report;
#  7. runs the unit tests, and prints the backtrace of up to three that
#     failed (cuda-gdb);
#  8. prints where each minute went.
#
# OUTDIR receives gpu-check.log (everything printed), HOST-DATE-cuda.json
# (step 5), study.tar.gz (step 6: database, report, logs) and
# ctest-logs.tar.gz. A stage that fails is recorded and the next one runs;
# a stage that would outlast the budget (ATTNLAB_GPU_BUDGET seconds, 480 by
# default; each stage's limit is its share of it) is cut short or skipped. Exit code: 0 when every stage passed,
# 1 when one failed, 2 for no GPU or no bundle.
#
# Settings (environment): ATTNLAB_GPU_BUNDLE (default .gpu-bundle),
# ATTNLAB_GPU_PREFIX (default /tmp/attnlab-gpu), ATTNLAB_GPU_BUILD (default
# build-gpu), PYTHON (default python3), ATTNLAB_GPU_BUDGET.
set -uo pipefail

if [ $# -ne 1 ] || [ "${1#-}" != "$1" ]; then
  echo "usage: scripts/gpu-check.sh OUTDIR" >&2
  exit 2
fi
mkdir -p "$1" || exit 2
out=$(cd "$1" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
bundle=${ATTNLAB_GPU_BUNDLE:-$root/.gpu-bundle}
prefix=${ATTNLAB_GPU_PREFIX:-/tmp/attnlab-gpu}
build=${ATTNLAB_GPU_BUILD:-$root/build-gpu}
python=${PYTHON:-python3}
budget=${ATTNLAB_GPU_BUDGET:-480}
jobs=$(nproc)
exec > >(tee -a "$out/gpu-check.log") 2>&1

say() { echo "gpu-check [$(printf '%3d' "$SECONDS") s]: $*"; }

# 1. A GPU, and a PyTorch that sees it.
if ! nvidia-smi -L >/dev/null 2>&1; then
  say "no NVIDIA GPU here (nvidia-smi -L failed or is missing): this script is for a GPU" \
    "machine; on this one build with make and use device=cpu"
  exit 2
fi
if ! torch_prefix=$("$python" -c 'import torch, sys
print(torch.utils.cmake_prefix_path)
sys.exit(0 if torch.cuda.is_available() else 3)' 2>&1); then
  say "the PyTorch of $python sees no GPU or is missing ($torch_prefix); set PYTHON to a" \
    "Python whose PyTorch has CUDA"
  exit 2
fi
if [ ! -d "$bundle/build" ] || [ ! -d "$bundle/gnuplot" ]; then
  say "no bundle in $bundle: make it with scripts/gpu-bundle.sh $bundle on Debian 12 and" \
    "carry it here (or set ATTNLAB_GPU_BUNDLE)"
  exit 2
fi
case "$prefix" in
  / | /usr | /usr/* | /bin* | /lib* | /etc*)
    say "ATTNLAB_GPU_PREFIX=$prefix would unpack over the system; choose an own folder"
    exit 2
    ;;
esac
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | sed 's/^/  GPU: /'
"$python" -c 'import torch; print("  PyTorch", torch.__version__, "CUDA", torch.version.cuda)'
echo "  $(nproc) cores; $(c++ --version | head -1); $(cmake --version | head -1)"

names=() seconds=() results=()
failed=0
# stage NAME LIMIT COMMAND...: runs COMMAND for at most LIMIT seconds (less
# when the budget has less left) and records how long it took and how it ended.
stage() {
  local name=$1 limit=$2
  shift 2
  limit=$((limit * budget / 480))  # the limits below are shares of the default budget
  local left=$((budget - SECONDS))
  if ((left < 15)); then
    names+=("$name") seconds+=(0) results+=("skipped: budget spent")
    failed=1
    say "$name skipped: the ${budget} s budget is spent"
    return 1
  fi
  ((limit > left)) && limit=$left
  say "$name (at most $limit s)"
  local start=$SECONDS rc
  timeout --kill-after=10 "$limit" "$@"
  rc=$?
  local result="ok"
  if ((rc == 124 || rc == 137)); then
    result="cut at $limit s"
  elif ((rc != 0)); then
    result="failed (exit $rc)"
  fi
  ((rc == 0)) || failed=1
  names+=("$name") seconds+=($((SECONDS - start))) results+=("$result")
  say "$name: $result in $((SECONDS - start)) s"
  return $rc
}

# 2. The bundle, unpacked into the prefix (dpkg-deb -x, or ar and tar where
# dpkg is missing).
extract() {  # DEB FOLDER
  if command -v dpkg-deb >/dev/null; then
    dpkg-deb -x "$1" "$2"
  else
    mkdir -p "$2" && ar p "$1" "$(ar t "$1" | grep '^data\.tar')" | tar -xJf - -C "$2"
  fi
}
unpack() {
  rm -rf "$prefix" && mkdir -p "$prefix/bin" "$prefix/blas" || return 1
  local deb
  for deb in "$bundle"/build/*.deb; do extract "$deb" "$prefix/build" || return 1; done
  for deb in "$bundle"/gnuplot/*.deb; do extract "$deb" "$prefix/gnuplot" || return 1; done
  # dpkg-deb runs no maintainer scripts, so the alternatives Debian would set
  # are made here: cblas.h (beside the headers it includes) and libblas for
  # OpenBLAS.
  local arch=x86_64-linux-gnu
  ln -s cblas-netlib.h "$prefix/build/usr/include/$arch/cblas.h"
  ln -s "$prefix/build/usr/lib/$arch/openblas-openmp/libblas.so.3" "$prefix/blas/libblas.so"
  ln -s "$prefix/build/usr/lib/$arch/openblas-openmp/libblas.so.3" "$prefix/blas/libblas.so.3"
  # gnuplot with its own libraries and fonts, for gnuplot alone.
  cat >"$prefix/gnuplot/fonts.conf" <<EOF
<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig><dir>$prefix/gnuplot/usr/share/fonts</dir><cachedir>$prefix/gnuplot/cache</cachedir></fontconfig>
EOF
  cat >"$prefix/bin/gnuplot" <<EOF
#!/bin/sh
export LD_LIBRARY_PATH="$prefix/gnuplot/usr/lib/$arch:$prefix/gnuplot/lib/$arch"
export FONTCONFIG_FILE="$prefix/gnuplot/fonts.conf"
exec "$prefix/gnuplot/usr/bin/gnuplot-nox" "\$@"
EOF
  chmod +x "$prefix/bin/gnuplot"
  du -sh "$prefix" | sed 's/^/  unpacked: /'
  echo 'set terminal pngcairo; set output "/dev/null"; plot x' | "$prefix/bin/gnuplot" &&
    echo "  gnuplot draws (pngcairo)"
}

# 3. Configure and build. The executables find the bundle's libraries, and
# those libraries' own dependencies, through an RPATH (not RUNPATH, which
# a library's dependencies do not see); nothing else is redirected.
configure() {
  local generator=()
  command -v ninja >/dev/null && generator=(-G Ninja)
  [ -d /usr/local/cuda/bin ] && export PATH="$PATH:/usr/local/cuda/bin"
  rm -rf "$build"
  cmake -S "$root" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
    -DATTNLAB_TESTS=ON -DATTNLAB_BENCH=ON \
    -DCMAKE_PREFIX_PATH="$prefix/build/usr;$torch_prefix" \
    -DICU_ROOT="$prefix/build/usr" \
    -DATTNLAB_BLAS_LIBRARY="$prefix/blas/libblas.so" \
    -DATTNLAB_CBLAS_INCLUDE_DIR="$prefix/build/usr/include/x86_64-linux-gnu" \
    -DCMAKE_EXE_LINKER_FLAGS="-Wl,--disable-new-dtags" \
    -DCMAKE_POLICY_VERSION_MINIMUM=3.5
}
compile() {
  local keep_going=()
  [ -f "$build/build.ninja" ] && keep_going=(-- -k 0)
  cmake --build "$build" -j "$jobs" --target attnlab attnlab_core_tests attnlab_torch_tests \
    attnlab_bench "${keep_going[@]}"
}

# 6. The default study, one seed, on both devices, into one database.
study() {
  local dir=$out/study
  mkdir -p "$dir" && cd "$root" || return 1
  "$build/attnlab" --db "$dir/attnlab.db" sweep length_generalization seed=1 \
    device=cpu,cuda --jobs "$jobs"
  local rc=$?
  "$build/attnlab" --db "$dir/attnlab.db" query --format csv "SELECT device, engine,
    count(*) AS runs, round(avg(wall_seconds), 1) AS mean_wall_seconds FROM runs
    WHERE status = 'finished' GROUP BY device, engine"
  cp -r reports/length_generalization "$dir/report"
  return $rc
}

export root prefix build python torch_prefix out jobs bundle
export -f extract unpack configure compile study
export PYTHONUNBUFFERED=1 PATH="$prefix/bin:$PATH" TORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST:-9.0}"

stage "unpack the bundle" 60 bash -c unpack
stage "configure" 90 bash -c configure &&
  stage "build" 300 bash -c compile
if [ -x "$build/attnlab" ] && [ -x "$build/tests/attnlab_torch_tests" ]; then
  stage "cuda tests" 120 ctest --test-dir "$build" -L cuda --output-on-failure
fi
if [ -x "$build/attnlab" ]; then
  stage "bench: attnlab and PyTorch-Python on the GPU" 200 \
    "$python" "$root/bench/reference/compare.py" --device cuda --python "$python" \
    --attnlab "$build/attnlab" --rounds 2 --repeats 3 \
    --out "$out/$(hostname)-$(date -u +%F)-cuda.json"
  stage "study: length_generalization, seed 1, cpu and cuda" 150 bash -c study
  tar -C "$out" -czf "$out/study.tar.gz" study && rm -rf "$out/study"
fi
if [ -x "$build/tests/attnlab_core_tests" ]; then
  stage "unit tests" 120 ctest --test-dir "$build" -L unit -j "$jobs" --timeout 60 \
    --output-on-failure
fi
# A test that crashed: its backtrace, from cuda-gdb (which also debugs
# programs without GPU code; the image has no gdb).
backtraces() {
  local failed=$build/Testing/Temporary/LastTestsFailed.log name binary
  [ -f "$failed" ] && command -v cuda-gdb >/dev/null || return 0
  cut -d: -f2 "$failed" | sed 's/\.\(cuda\|training\)$//' | head -3 | while read -r name; do
    for binary in "$build"/tests/attnlab_torch_tests "$build"/tests/attnlab_core_tests; do
      "$binary" --gtest_list_tests --gtest_filter="$name" | grep -q '^  ' || continue
      echo "--- $name"
      cuda-gdb -batch -ex run -ex bt --args "$binary" --gtest_filter="$name" 2>&1 | tail -40
    done
  done
}
export -f backtraces
stage "backtraces of failed tests" 40 bash -c backtraces
[ -d "$build/Testing" ] && tar -C "$build" -czf "$out/ctest-logs.tar.gz" Testing

echo
echo "where the time went ($SECONDS s of a ${budget} s budget):"
for i in "${!names[@]}"; do
  printf '  %-55s %4d s  %s\n' "${names[$i]}" "${seconds[$i]}" "${results[$i]}"
done
exit $failed
