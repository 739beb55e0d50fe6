#!/usr/bin/env bash
# Installs, from Debian's packages, what attnlab needs and is missing.
#
#   scripts/install-deps.sh [--test] [--bench] [--bench-reference]
#
# Without options: what building attnlab and running it need (make run).
#   --test             adds what only the test suite needs (make test)
#   --bench            adds Google Benchmark, for the micro-benchmarks (make bench)
#   --bench-reference  adds python3-torch, for bench/reference/ (make bench-reference)
#
# Idempotent: when every package is already present it touches neither apt
# nor root. Otherwise it installs as root, or through sudo; with neither it
# stops, naming the packages and the command that would install them. apt
# waits up to ten minutes for another apt or dpkg to finish.
set -euo pipefail

# Each package is here because something named beside it uses it.
run_packages=(
  build-essential cmake ninja-build
  git                 # the build records the commit in every run's identity (CMakeLists.txt)
  libtorch-dev
  libblas-dev         # cblas.h and libblas.so for the fused engine (lib/CMakeLists.txt)
  libopenblas0-openmp # the OpenBLAS that libblas.so.3 resolves to
  libyaml-cpp-dev libicu-dev libsqlite3-dev libcli11-dev nlohmann-json3-dev
  festlex-cmu         # the CMU dictionary that task=g2p_cmudict reads
  sqlite3             # the sqlite3 shell, for reading results/attnlab.db (the tests use it too)
  gnuplot-nox         # every figure of a report
)
test_packages=(
  libgtest-dev                         # GoogleTest (tests/CMakeLists.txt)
  chromium                             # report pages in a real browser (tests/e2e/browser.h)
  slurmctld slurmd slurm-client munge  # a local Slurm for the launcher's tests
  clang-format                         # the format test (and make format)
)
bench_packages=(libbenchmark-dev)
reference_packages=(python3-torch)

packages=("${run_packages[@]}")
for option in "$@"; do
  case "$option" in
    --test) packages+=("${test_packages[@]}") ;;
    --bench) packages+=("${bench_packages[@]}") ;;
    --bench-reference) packages+=("${reference_packages[@]}") ;;
    -h | --help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *)
      echo "install-deps: unknown option '$option'; valid: --test, --bench, --bench-reference" >&2
      exit 2
      ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  {
    echo "install-deps: these Debian packages are missing: ${missing[*]}"
    echo "install-deps: installing them needs root or sudo, and this user has neither; as root, run"
    echo "  apt-get update && apt-get install --no-install-recommends ${missing[*]}"
  } >&2
  exit 1
fi

# apt-get with its messages in English, retried while another apt holds one of
# its locks, for up to ten minutes in all. DPkg::Lock::Timeout makes apt-get
# wait for dpkg's lock itself, but apt 2.6 gives up at once on the lock of its
# package lists (apt-get update) and of its download folder.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
apt_get() {
  local started=$SECONDS said=0
  until "${as_root[@]}" env LC_ALL=C DEBIAN_FRONTEND=noninteractive \
    apt-get -o DPkg::Lock::Timeout=600 "$@" 2>"$log"; do
    if ! grep -q 'Could not get lock' "$log" || [ $((SECONDS - started)) -ge 600 ]; then
      cat "$log" >&2
      return 1
    fi
    if [ $said -eq 0 ]; then
      echo "install-deps: another apt is running; waiting for it (up to 10 minutes)"
      said=1
    fi
    sleep 5
  done
  cat "$log" >&2
}

echo "install-deps: installing ${missing[*]}"
apt_get update -qq
apt_get install -y -qq --no-install-recommends "${missing[@]}"
