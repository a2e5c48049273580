// The CPU runtime: fp32 reference kernels and MPI point-to-point communication. Runs on
// any machine; it is what CI uses to catch a wrong plan.
#pragma once

#include <memory>

#include "bench/runtime.hpp"
#include "comm/mpi_session.hpp"

namespace cpb {

// The CPU runtime's limit on the buffers of one rank's plan [bytes], so a sweep meant for
// GPUs skips its large points instead of swapping on the CPU.
constexpr double kCpuMaxBufferBytes = 4.0 * (1ull << 30);

// Transports: mpi. Steps run one after another in plan order (lanes do not overlap).
// A plan whose buffers (cpu_buffer_bytes, bench/runtime/cpu_executor.hpp) exceed
// `max_buffer_bytes` [bytes] on a rank does not run: unsupported_plan() names the bytes it
// needs and the limit (the point runner agrees on it over the ranks: SKIPPED), and
// prepare() throws OutOfMemory on every rank (Runtime::prepare).
std::unique_ptr<Runtime> make_cpu_runtime(const MpiSession& mpi, double max_buffer_bytes = kCpuMaxBufferBytes);

}  // namespace cpb
