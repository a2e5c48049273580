#include "tests/gpu/gpu_mpi_session.hpp"

#include <gtest/gtest.h>

#include <memory>

namespace cpb::test {
namespace {

std::unique_ptr<MpiSession>& session() {
  static std::unique_ptr<MpiSession> s;
  return s;
}

class MpiEnvironment : public ::testing::Environment {
 public:
  void TearDown() override { session().reset(); }
};

::testing::Environment* const registered = ::testing::AddGlobalTestEnvironment(new MpiEnvironment);

}  // namespace

const MpiSession& gpu_mpi_session() {
  if (!session()) session() = std::make_unique<MpiSession>(nullptr, nullptr);
  return *session();
}

}  // namespace cpb::test
