#!/usr/bin/env bash
# Installs what cpbench needs to build, where it is missing: the packages below, the
# matplotlib for scripts/plots (PyPI), the HiGHS MILP solver (MIT; the `tiled` schedule's
# tile assignment) into .deps/highs and, when nvcc is present, the cudnn-frontend headers
# (header-only, from the nvidia-cudnn-frontend wheel on PyPI) into .deps/.
# HiGHS: its C++ source ships in the highspy source distribution on PyPI (HIGHS_VERSION
# below; its sha256 is checked). Only the static library is built (Release; no Python,
# tests or executables; a few minutes with $CPB_DEPS_JOBS parallel jobs, default 2) and
# installed with its CMake package files into .deps/highs, where CMakeLists.txt looks
# first. Without it cpbench builds without the MILP (the greedy assignment stands in).
# Idempotent; safe to run as root or with sudo available.
#   Debian/Ubuntu packages: cmake ninja-build g++ libopenmpi-dev openmpi-bin libcli11-dev
#                           nlohmann-json3-dev libgtest-dev libbenchmark-dev curl
#                           ca-certificates
# Set CPB_NO_INSTALL=1 to only check (machines without package access: the GPU image).
# CPB_SETUP_SLURM=1 (scripts/test.sh sets it) also installs, where packages can be
# installed, what tests/slurm/check_slurm.sh needs to start a one-node Slurm on localhost:
# slurmctld slurmd slurm-client munge (without them that test is skipped, not failed).
set -euo pipefail
cd "$(dirname "$0")/.."

CFE_VERSION="${CPB_CUDNN_FRONTEND_VERSION:-1.16.0}"
HIGHS_VERSION=1.15.1
HIGHS_SHA256=20ed2fbf1cb64bf3044ee6632364b7e2653d93e6901e2b19fd3d5df10702e8c5
HIGHS_URL=https://files.pythonhosted.org/packages/87/02/c6b658f79911fee921721da728b9ab8f5e19ff06121fff36f90f77127f4d
HIGHS_URL+=/highspy-$HIGHS_VERSION.tar.gz

have_header() { [ -e "/usr/include/$1" ] || [ -e "/usr/local/include/$1" ]; }
missing=()
command -v cmake >/dev/null || missing+=(cmake)
command -v ninja >/dev/null || missing+=(ninja-build)
command -v g++ >/dev/null || missing+=(g++)
command -v curl >/dev/null || missing+=(curl)
[ -e /etc/ssl/certs/ca-certificates.crt ] || missing+=(ca-certificates)
command -v mpicxx >/dev/null || missing+=(libopenmpi-dev)
command -v mpirun >/dev/null || missing+=(openmpi-bin)
have_header CLI/CLI.hpp || missing+=(libcli11-dev)
have_header nlohmann/json.hpp || missing+=(nlohmann-json3-dev)
have_header gtest/gtest.h || missing+=(libgtest-dev)
have_header benchmark/benchmark.h || missing+=(libbenchmark-dev)

slurm=()
if [ "${CPB_SETUP_SLURM:-0}" = 1 ] && [ "${CPB_NO_INSTALL:-0}" != 1 ]; then
  command -v slurmctld >/dev/null || slurm+=(slurmctld)
  command -v slurmd >/dev/null || slurm+=(slurmd)
  command -v sbatch >/dev/null || slurm+=(slurm-client)
  command -v munged >/dev/null || slurm+=(munge)
fi

sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
if [ ${#missing[@]} -gt 0 ]; then
  if [ "${CPB_NO_INSTALL:-0}" = 1 ]; then
    echo "setup_deps: missing packages: ${missing[*]} (CPB_NO_INSTALL=1: not installing)" >&2
    exit 1
  fi
  echo "setup_deps: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The Slurm test's packages are optional: where they do not install, that test is skipped.
if [ ${#slurm[@]} -gt 0 ]; then
  echo "setup_deps: installing ${slurm[*]} (for tests/slurm)"
  { [ ${#missing[@]} -gt 0 ] || $sudo apt-get update -qq; } &&
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${slurm[@]}" >/dev/null ||
    echo "setup_deps: the Slurm packages did not install; tests/slurm will be skipped" >&2
fi

# HiGHS into .deps/highs (see the header). The sdist's source tree lacks two files its
# CMakeLists.txt reads (the pkg-config template, and app/CMakeLists.txt of the executable
# not built here): empty ones stand in. It is installed to a scratch prefix first and then
# moved, so .deps/highs is either complete or absent. A failed download or checksum only
# warns (cpbench then builds without the MILP); a failed build stops the script.
build_highs() (
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  src="$tmp/highspy-$HIGHS_VERSION"
  if ! curl -fsSL --retry 3 -o "$tmp/highs.tar.gz" "$HIGHS_URL"; then
    echo "setup_deps: could not download $HIGHS_URL; building without the MILP solver" >&2
    exit 0
  fi
  if ! echo "$HIGHS_SHA256  $tmp/highs.tar.gz" | sha256sum -c --quiet - >/dev/null 2>&1; then
    echo "setup_deps: highspy-$HIGHS_VERSION.tar.gz fails its sha256; building without the MILP solver" >&2
    exit 0
  fi
  tar -xzf "$tmp/highs.tar.gz" -C "$tmp"
  : > "$src/highs.pc.in"
  mkdir -p "$src/app" && : > "$src/app/CMakeLists.txt"
  echo "setup_deps: building HiGHS $HIGHS_VERSION (a few minutes)"
  cmake -S "$src" -B "$tmp/build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$tmp/highs" \
        -DCMAKE_INSTALL_LIBDIR=lib -DBUILD_SHARED_LIBS=OFF -DBUILD_SHARED_EXTRAS_LIB=OFF \
        -DBUILD_TESTING=OFF -DBUILD_EXAMPLES=OFF -DBUILD_CXX_EXE=OFF -DZLIB=OFF -DHIPO=OFF >/dev/null
  nice cmake --build "$tmp/build" --parallel "${CPB_DEPS_JOBS:-2}" >/dev/null
  cmake --install "$tmp/build" >/dev/null
  rm -rf "$highs_dir" && mkdir -p "$(dirname "$highs_dir")" && mv "$tmp/highs" "$highs_dir"
  echo "setup_deps: HiGHS $HIGHS_VERSION in $highs_dir"
)
highs_dir=.deps/highs
if [ ! -e "$highs_dir/lib/libhighs.a" ]; then
  if [ "${CPB_NO_INSTALL:-0}" = 1 ]; then
    echo "setup_deps: HiGHS missing in $highs_dir (CPB_NO_INSTALL=1: not building; cpbench builds without the MILP)" >&2
  else
    build_highs
  fi
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
