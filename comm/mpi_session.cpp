#include "comm/mpi_session.hpp"

#include <string>

#include "base/check.hpp"

namespace cpb {

MpiSession::MpiSession(int* argc, char*** argv) {
  int provided = MPI_THREAD_SINGLE;
  CPB_MPI_CHECK(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided));
  // From here on errors come back as codes, so CPB_MPI_CHECK can name the call and the rank.
  CPB_MPI_CHECK(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN));
  CPB_MPI_CHECK(MPI_Comm_rank(MPI_COMM_WORLD, &rank_));
  CPB_MPI_CHECK(MPI_Comm_size(MPI_COMM_WORLD, &size_));
  set_process_rank(rank_);
  watchdog_ = std::make_unique<Watchdog>();
  set_process_watchdog(watchdog_.get());
  // FUNNELED: only the main thread calls MPI; other threads (CUDA, NCCL) may exist.
  if (provided < MPI_THREAD_FUNNELED)
    CPB_FATAL("MPI_Init_thread gave thread level " + std::to_string(provided) +
              ", cpbench needs MPI_THREAD_FUNNELED");

  char name[MPI_MAX_PROCESSOR_NAME] = {0};
  int len = 0;
  CPB_MPI_CHECK(MPI_Get_processor_name(name, &len));
  host_.assign(name, static_cast<size_t>(len));

  // The node communicator inherits MPI_ERRORS_RETURN from the world.
  CPB_MPI_CHECK(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node_));
  CPB_MPI_CHECK(MPI_Comm_rank(node_, &local_rank_));
  CPB_MPI_CHECK(MPI_Comm_size(node_, &local_size_));
  // One leader (local rank 0) per node.
  nodes_ = static_cast<int>(allreduce_sum(local_rank_ == 0 ? 1.0 : 0.0));
}

MpiSession::~MpiSession() {
  // CPB_MPI_CHECK never throws: a failure here ends the job through fatal().
  int finalized = 0;
  CPB_MPI_CHECK(MPI_Finalized(&finalized));
  set_process_watchdog(nullptr);
  watchdog_.reset();
  if (finalized) return;
  if (node_ != MPI_COMM_NULL) CPB_MPI_CHECK(MPI_Comm_free(&node_));
  CPB_MPI_CHECK(MPI_Finalize());
}

namespace {
double allreduce(double v, MPI_Op op, const char* op_name, MPI_Comm comm, const char* caller) {
  const Watchdog::Section watched = watch_wait(std::string("MPI_Allreduce (") + op_name + ") called by " + caller);
  double out = 0;
  CPB_MPI_CHECK(MPI_Allreduce(&v, &out, 1, MPI_DOUBLE, op, comm));
  return out;
}
}  // namespace

double allreduce_max(double v, MPI_Comm comm, const char* caller) { return allreduce(v, MPI_MAX, "max", comm, caller); }
double allreduce_min(double v, MPI_Comm comm, const char* caller) { return allreduce(v, MPI_MIN, "min", comm, caller); }
double allreduce_sum(double v, MPI_Comm comm, const char* caller) { return allreduce(v, MPI_SUM, "sum", comm, caller); }

bool allreduce_or(bool v, MPI_Comm comm, const char* caller) {
  const Watchdog::Section watched = watch_wait(std::string("MPI_Allreduce (or) called by ") + caller);
  const int in = v ? 1 : 0;
  int out = 0;
  CPB_MPI_CHECK(MPI_Allreduce(&in, &out, 1, MPI_INT, MPI_LOR, comm));
  return out != 0;
}

void barrier(MPI_Comm comm, const char* caller) {
  const Watchdog::Section watched = watch_wait(std::string("MPI_Barrier called by ") + caller);
  CPB_MPI_CHECK(MPI_Barrier(comm));
}

}  // namespace cpb
