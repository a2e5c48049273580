// Fatal-error handling shared by every rank: CHECK macros that name the call, file:line,
// host, rank and device, and an abort path that never leaves a peer hanging.
//
// fatal() prints one line to stderr, runs the registered abort hooks (the CUDA runtime
// registers one that aborts its NCCL communicators) and then calls MPI_Abort, so one
// failing rank ends the whole job.
#pragma once

#include <functional>
#include <string>

namespace cpb {

// Where this process is, for error messages: "host=node1 rank=3 dev=1". Filled by
// MpiSession and the CUDA runtime; safe to call before either exists.
std::string process_tag();
void set_process_rank(int rank);
int process_rank();  // -1 before MpiSession
void set_process_device(int device);

// Registers a hook run by fatal() before MPI_Abort; returns an id for remove_abort_hook.
int add_abort_hook(std::function<void()> hook);
void remove_abort_hook(int id);

// Runs the abort hooks, then ends the whole job (MPI_Abort when MPI is up) with `code`.
// The caller has printed why.
[[noreturn]] void abort_job(int code);

// Prints "cpbench: fatal: <what> at <file>:<line> [<process_tag>]" and aborts the job
// with exit code `code`.
[[noreturn]] void fatal(const std::string& what, const char* file, int line, int code = 1);

// Message of an MPI error code.
std::string mpi_error_string(int code);

}  // namespace cpb

#define CPB_FATAL(msg) ::cpb::fatal((msg), __FILE__, __LINE__)

// Every MPI call goes through CPB_MPI_CHECK. MpiSession sets MPI_ERRORS_RETURN on the world
// communicator, so errors come back here instead of aborting without a message.
#define CPB_MPI_CHECK(call)                                                                  \
  do {                                                                                   \
    const int cpb_mpi_rc_ = (call);                                                      \
    if (cpb_mpi_rc_ != 0 /* MPI_SUCCESS */)                                              \
      ::cpb::fatal(std::string(#call) + " failed: " + ::cpb::mpi_error_string(cpb_mpi_rc_), \
                   __FILE__, __LINE__);                                                  \
  } while (0)
