#!/usr/bin/env bash
# Builds the CPU code under AddressSanitizer + UndefinedBehaviorSanitizer (the asan-ubsan
# preset of CMakePresets.json, build dir build-asan) and runs the CPU tests (CTest labels
# unit, mpi, cli and fuzz: the seed corpora) under it; prints how long the build and the tests took.
#   scripts/sanitize.sh [extra ctest args, e.g. -R config]
# Any ASan or UBSan report aborts the process (-fno-sanitize-recover=all,
# halt_on_error=1), so the test that hit it fails. Leaks: LeakSanitizer runs in every
# process; tests/sanitize/lsan.supp suppresses only leaks allocated inside Open MPI and
# the libraries it loads (docs/RELIABILITY.md says why). CPB_JOBS (default 2) sets the
# build and test parallelism.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
jobs=${CPB_JOBS:-2}
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)

export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:check_initialization_order=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
# Leak reports name the library an allocation came from only with the slow unwinder
# (Open MPI's libraries have no frame pointers) and while the library is still loaded
# (Open MPI and PMIx unload their components in MPI_Finalize unless told not to).
export LSAN_OPTIONS="suppressions=$root/tests/sanitize/lsan.supp:print_suppressions=0:fast_unwind_on_malloc=0"
export OMPI_MCA_mca_base_component_disable_dlclose=1 PMIX_MCA_mca_base_component_disable_dlclose=1

t0=$(date +%s)
cmake --preset asan-ubsan "${launcher[@]}" >/dev/null
cmake --build --preset asan-ubsan -j "$jobs"
t1=$(date +%s)
status=0
ctest --test-dir build-asan --output-on-failure --timeout 1800 -j "$jobs" -L 'unit|mpi|cli|fuzz' "$@" || status=$?
t2=$(date +%s)
echo "sanitize.sh: build $((t1 - t0)) s, tests $((t2 - t1)) s (jobs=$jobs), ctest exit $status"
exit "$status"
