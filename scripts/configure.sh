#!/usr/bin/env bash
# Configures and builds cpbench into build/ (or $CPB_BUILD_DIR):
#   scripts/configure.sh [TARGETS...]   (default: everything)
# Extra CMake flags: CPB_CMAKE_FLAGS="-DCPBENCH_CUDA=OFF ...".
set -euo pipefail
cd "$(dirname "$0")/.."
build="${CPB_BUILD_DIR:-build}"
gen=()
command -v ninja >/dev/null && gen=(-G Ninja)
# shellcheck disable=SC2206
extra=(${CPB_CMAKE_FLAGS:-})
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S . -B "$build" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release "${extra[@]}"
elif [ ${#extra[@]} -gt 0 ]; then
  cmake "$build" "${extra[@]}"
fi
cmake --build "$build" --parallel "$(nproc)" ${1:+--target "$@"}
