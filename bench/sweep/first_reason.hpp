// Agreeing on a refusal across ranks: a runtime limit (free memory, a missing peer link)
// can hold on some ranks only, but every rank must skip the same work together.
#pragma once

#include "bench/problem.hpp"
#include "comm/mpi_session.hpp"

namespace cpb {

// Collective over the world. `mine` is this rank's reason. Returns none when no rank has
// one; else the reason of the lowest rank that has one, prefixed "rank R: " on the other
// ranks (on that rank itself, unchanged).
Reason first_reason(const Reason& mine, const MpiSession& mpi);

}  // namespace cpb
