#!/usr/bin/env bash
# Installs, from Debian's packages, whatever attnlab needs that is missing.
# Idempotent: when every package is already present it does not touch apt.
# Uses sudo when not run as root. With --bench it also installs what the
# PyTorch-Python reference of bench/reference/ needs.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git clang-format
  libtorch-dev libopenblas0-openmp libblas-dev
  libyaml-cpp-dev libicu-dev festlex-cmu
  libsqlite3-dev sqlite3
  gnuplot-nox
  libcli11-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  chromium  # tests only: headless check that report pages render (tests/e2e/browser.h)
  slurmctld slurmd slurm-client munge  # the Slurm launcher; tests bring up a local cluster
)
if [ "${1:-}" = "--bench" ]; then
  packages+=(python3-torch)
fi

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
  sudo=()
elif command -v sudo >/dev/null 2>&1; then
  sudo=(sudo)
else
  echo "install-deps: missing packages (${missing[*]}) and neither root nor sudo" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
