// MPI_Init/MPI_Finalize as one RAII type, plus this process's place in the job and its
// watchdog; the small collectives every layer uses, each watched.
#pragma once

#include <mpi.h>

#include <memory>
#include <string>

#include "comm/watchdog.hpp"

namespace cpb {

class MpiSession {
 public:
  // Initializes MPI (MPI_THREAD_FUNNELED), sets MPI_ERRORS_RETURN on MPI_COMM_WORLD so
  // CPB_MPI_CHECK reports errors, starts the process's watchdog (process_watchdog(),
  // timeout Watchdog::kDefaultTimeoutS until set_timeout) and computes the node-local
  // rank (MPI_Comm_split_type).
  MpiSession(int* argc, char*** argv);
  ~MpiSession();  // stops the watchdog, MPI_Finalize
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  int local_rank() const { return local_rank_; }  // rank among the processes of this node
  int local_size() const { return local_size_; }
  int nodes() const { return nodes_; }
  const std::string& host() const { return host_; }
  MPI_Comm world() const { return MPI_COMM_WORLD; }
  MPI_Comm node() const { return node_; }         // the processes of this node
  // The process's watchdog (thread-safe; its timeout is the run's --timeout).
  Watchdog& watchdog() const { return *watchdog_; }

 private:
  std::unique_ptr<Watchdog> watchdog_;
  int rank_ = 0, size_ = 1, local_rank_ = 0, local_size_ = 1, nodes_ = 1;
  std::string host_;
  MPI_Comm node_ = MPI_COMM_NULL;
};

// Small collectives the driver and runtimes use, all checked and each under the process's
// watchdog. `caller` names the wait in the watchdog's message ("MPI_Allreduce (max) called
// by run_point"); left out, it is the calling function's name.
double allreduce_max(double v, MPI_Comm comm = MPI_COMM_WORLD, const char* caller = __builtin_FUNCTION());
double allreduce_min(double v, MPI_Comm comm = MPI_COMM_WORLD, const char* caller = __builtin_FUNCTION());
double allreduce_sum(double v, MPI_Comm comm = MPI_COMM_WORLD, const char* caller = __builtin_FUNCTION());
bool allreduce_or(bool v, MPI_Comm comm = MPI_COMM_WORLD, const char* caller = __builtin_FUNCTION());
void barrier(MPI_Comm comm = MPI_COMM_WORLD, const char* caller = __builtin_FUNCTION());

}  // namespace cpb
