#include "comm/oom_agreement.hpp"

#include "comm/mpi_session.hpp"

namespace cpb {

void rethrow_oom_together(const std::exception_ptr& failure, MPI_Comm comm) {
  if (!allreduce_or(failure != nullptr, comm)) return;
  if (failure) std::rethrow_exception(failure);
  throw OutOfMemory::on_peer();
}

}  // namespace cpb
