#!/usr/bin/env bash
# Gathers, as Debian 12 packages, what attnlab needs to build and test on a
# GPU machine that has CUDA, CMake, ninja, a compiler and a Python with a
# CUDA PyTorch, but none of attnlab's other libraries and no network
# (README: Building for a GPU). Run it here, on Debian 12; carry DIR to the
# GPU machine; scripts/gpu-check.sh unpacks it there into a prefix.
#
#   scripts/gpu-bundle.sh DIR        (DIR inside the repository: .gpu-bundle
#                                     is ignored by git)
#
# DIR/build/    the libraries attnlab compiles and links against, with
#               their own run-time dependencies: yaml-cpp, SQLite, CLI11,
#               nlohmann-json, ICU, OpenBLAS (cblas for the fused engine),
#               GoogleTest/GoogleMock, Google Benchmark
# DIR/gnuplot/  gnuplot with its cairo terminals, its libraries and the
#               DejaVu fonts, run from its own folder so that its older
#               libraries never shadow the GPU machine's for anything else
# DIR/MANIFEST  every package, its version and size, and what is left out
#
# Left out on purpose: the C library, the C++ runtime and the compiler's
# (the GPU machine's own are newer and must be the ones used); Debian's
# LibTorch (the GPU machine's PyTorch brings a CUDA one); Chromium (the
# browser tests), Slurm and munge (the Slurm tests), clang-format (the
# format test), festlex-cmu (the tests read tests/data/corpora). The tests
# that need those skip or are not run there.
set -euo pipefail

if [ $# -ne 1 ] || [ "${1#-}" != "$1" ]; then
  echo "usage: scripts/gpu-bundle.sh DIR" >&2
  exit 2
fi
dir=$1
if ! command -v apt-get >/dev/null || ! grep -q 'VERSION_ID="12"' /etc/os-release 2>/dev/null; then
  echo "gpu-bundle: needs Debian 12 (bookworm) and apt-get: the packages must match the" \
    "ones attnlab is built and tested with" >&2
  exit 2
fi

build_packages=(
  libyaml-cpp-dev libsqlite3-dev libcli11-dev nlohmann-json3-dev libicu-dev
  libblas-dev libopenblas0-openmp
  libgtest-dev libbenchmark-dev
)
gnuplot_packages=(gnuplot-nox fonts-dejavu-core)
# Present on any machine that can run a compiler, and newer there.
base='^(libc6|libc6-dev|libc-dev-bin|linux-libc-dev|libcrypt1|libcrypt-dev|libtirpc.*|libnsl.*|libstdc\+\+6|libgcc-s1|libgomp1|gcc-12-base|libssl3|libkrb5.*|libk5crypto3|libgssapi-krb5-2|libkeyutils1|libcom-err2|rpcsvc-proto)$'

# Every package `apt-get install` would bring onto an empty system, minus
# the base above.
closure() {
  local status
  status=$(mktemp)
  apt-get -s -o Dir::State::status="$status" install --no-install-recommends "$@" 2>/dev/null |
    awk '/^Inst /{print $2}' | grep -Ev "$base" || true
  rm -f "$status"
}

download() {  # FOLDER PACKAGE...
  local folder=$1
  shift
  mkdir -p "$folder"
  local wanted
  mapfile -t wanted < <(closure "$@")
  if [ ${#wanted[@]} -eq 0 ]; then
    echo "gpu-bundle: apt-get resolved no packages for $*; are the package lists there?" \
      "(sudo apt-get update)" >&2
    exit 1
  fi
  local sandbox=()  # as root, apt would warn that its _apt user cannot write here
  [ "$(id -u)" -eq 0 ] && sandbox=(-o APT::Sandbox::User=root)
  (cd "$folder" && rm -f ./*.deb && apt-get download -qq "${sandbox[@]}" "${wanted[@]}") || {
    echo "gpu-bundle: apt-get download failed (sudo apt-get update, then try again)" >&2
    exit 1
  }
  echo "gpu-bundle: ${#wanted[@]} packages in $folder"
}

download "$dir/build" "${build_packages[@]}"
download "$dir/gnuplot" "${gnuplot_packages[@]}"

{
  echo "# attnlab GPU bundle, made $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(hostname) (Debian $(cat /etc/debian_version))"
  echo "# asked for: build: ${build_packages[*]}; gnuplot: ${gnuplot_packages[*]}"
  echo "# left out: the C library, C++ runtime and compiler libraries; Debian's LibTorch;"
  echo "# chromium, slurm and munge, clang-format, festlex-cmu (tests that need them skip)"
  for deb in "$dir"/build/*.deb "$dir"/gnuplot/*.deb; do
    printf '%s\t%s\t%s\t%s\n' "$(basename "$(dirname "$deb")")" \
      "$(dpkg-deb -f "$deb" Package)" "$(dpkg-deb -f "$deb" Version)" "$(stat -c %s "$deb")"
  done
} >"$dir/MANIFEST"
total=$(du -sm "$dir" | cut -f1)
echo "gpu-bundle: $total MiB in $dir (the device tool carries at most 64 MiB with the tree)"
