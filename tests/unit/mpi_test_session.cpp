#include "tests/unit/mpi_test_session.hpp"

#include <memory>

namespace cpb::test {

// A function-local static: created on first use and destroyed (MPI_Finalize) when the
// process exits, so tests that never need MPI never start it, and --gtest_repeat, which
// tears gtest environments down between iterations, does not finalize MPI too early.
const MpiSession& mpi_session() {
  static const std::unique_ptr<MpiSession> session = std::make_unique<MpiSession>(nullptr, nullptr);
  return *session;
}

}  // namespace cpb::test
