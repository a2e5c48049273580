// Agreeing on an out-of-memory across ranks: an allocation can fail on some ranks only,
// but a rank that throws past a collective leaves its peers waiting in it, so every rank
// must throw together or none.
#pragma once

#include <mpi.h>

#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include "base/out_of_memory.hpp"

namespace cpb {

// Collective over `comm`: when any rank passes a non-null `failure` (an OutOfMemory of
// this rank), every rank throws: those with a failure rethrow it, the others throw
// OutOfMemory::on_peer(). Returns when no rank has one.
void rethrow_oom_together(const std::exception_ptr& failure, MPI_Comm comm);

// Collective over `comm`: runs `local` (which makes no collective call) and returns its
// value; when it throws OutOfMemory on any rank, every rank throws as rethrow_oom_together.
template <class F>
auto agree_on_oom(MPI_Comm comm, F&& local) -> decltype(local()) {
  using R = decltype(local());
  std::exception_ptr failure;
  if constexpr (std::is_void_v<R>) {
    try {
      local();
    } catch (const OutOfMemory&) {
      failure = std::current_exception();
    }
    rethrow_oom_together(failure, comm);
  } else {
    std::optional<R> out;
    try {
      out.emplace(local());
    } catch (const OutOfMemory&) {
      failure = std::current_exception();
    }
    rethrow_oom_together(failure, comm);
    return std::move(*out);
  }
}

}  // namespace cpb
