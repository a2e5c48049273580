// The MPI session of the unit-test binary, for tests that need MPI (a world of one process
// unless the binary runs under mpirun).
//
// cpbench_unit_tests links gtest_main, so MPI cannot be initialized in main(). The session
// is created on the first call (tests that never call it never start MPI) and finalized
// when the process exits. Only one MpiSession may exist per process, so every test that
// needs MPI goes through this function.
#pragma once

#include "comm/mpi_session.hpp"

namespace cpb::test {

const MpiSession& mpi_session();

}  // namespace cpb::test
