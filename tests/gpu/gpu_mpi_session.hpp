// The MPI session of the GPU-test binary (a world of one process unless run under
// mpirun), for the tests that build a CUDA runtime. Created on first use, finalized by a
// gtest Environment after the last test; only one MpiSession may exist per process.
#pragma once

#include "comm/mpi_session.hpp"

namespace cpb::test {

const MpiSession& gpu_mpi_session();

}  // namespace cpb::test
