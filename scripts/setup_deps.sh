#!/usr/bin/env bash
# Installs what cpbench needs to build, where it is missing: the packages below, the
# matplotlib for scripts/plots (PyPI) and, when nvcc is present, the cudnn-frontend
# headers (header-only, from the nvidia-cudnn-frontend wheel on PyPI) into .deps/.
# Idempotent; safe to run as root or with sudo available.
#   Debian/Ubuntu packages: cmake ninja-build g++ libopenmpi-dev openmpi-bin libcli11-dev
#                           nlohmann-json3-dev libgtest-dev libbenchmark-dev
# Set CPB_NO_INSTALL=1 to only check (machines without package access: the GPU image).
set -euo pipefail
cd "$(dirname "$0")/.."

CFE_VERSION="${CPB_CUDNN_FRONTEND_VERSION:-1.16.0}"

have_header() { [ -e "/usr/include/$1" ] || [ -e "/usr/local/include/$1" ]; }
missing=()
command -v cmake >/dev/null || missing+=(cmake)
command -v ninja >/dev/null || missing+=(ninja-build)
command -v g++ >/dev/null || missing+=(g++)
command -v mpicxx >/dev/null || missing+=(libopenmpi-dev)
command -v mpirun >/dev/null || missing+=(openmpi-bin)
have_header CLI/CLI.hpp || missing+=(libcli11-dev)
have_header nlohmann/json.hpp || missing+=(nlohmann-json3-dev)
have_header gtest/gtest.h || missing+=(libgtest-dev)
have_header benchmark/benchmark.h || missing+=(libbenchmark-dev)

if [ ${#missing[@]} -gt 0 ]; then
  if [ "${CPB_NO_INSTALL:-0}" = 1 ]; then
    echo "setup_deps: missing packages: ${missing[*]} (CPB_NO_INSTALL=1: not installing)" >&2
    exit 1
  fi
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "setup_deps: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# matplotlib for scripts/plots (PyPI).
if ! python3 -c "import matplotlib" 2>/dev/null; then
  if [ "${CPB_NO_INSTALL:-0}" = 1 ]; then
    echo "setup_deps: python3 has no matplotlib (plots and their test will fail)" >&2
  else
    python3 -m pip install -q matplotlib
  fi
fi

# cudnn-frontend headers for the CUDA runtime (only where nvcc exists).
cfe_dir=.deps/cudnn_frontend
if command -v nvcc >/dev/null && [ ! -e "$cfe_dir/include/cudnn_frontend.h" ]; then
  if [ "${CPB_NO_INSTALL:-0}" = 1 ]; then
    echo "setup_deps: cudnn-frontend headers missing in $cfe_dir (carry .deps along)" >&2
  else
    tmp=$(mktemp -d)
    if python3 -m pip download -q --no-deps -d "$tmp" "nvidia-cudnn-frontend==$CFE_VERSION" 2>/dev/null; then
      rm -rf "$cfe_dir" && mkdir -p "$cfe_dir"
      python3 -c "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); [z.extract(n, sys.argv[2]) for n in z.namelist() if n.startswith('include/')]" "$tmp"/*.whl "$cfe_dir"
      echo "setup_deps: cudnn-frontend $CFE_VERSION headers in $cfe_dir/include"
    else
      echo "setup_deps: could not download nvidia-cudnn-frontend; building without the CUDA runtime" >&2
    fi
    rm -rf "$tmp"
  fi
fi
