// The CPU runtime's Executor: one plan, its buffers as host floats, run step by step.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "bench/plan/plan.hpp"
#include "bench/problem.hpp"
#include "bench/runtime.hpp"
#include "kernels/cpu/tensor4.hpp"

namespace cpb {

// The bytes the CPU runtime allocates for `plan`'s buffers on its rank: 4 an element
// (fp32), whatever their storage [bytes].
double cpu_buffer_bytes(const Plan& plan);

class CpuExecutor final : public Executor {
 public:
  // Allocates every buffer as floats (Act and F32 alike), fills the Q, K and V shards
  // ([B, local tokens, heads, D] at offset 0, row r = global token row_tokens(tokens)[r])
  // with the deterministic inputs and poisons everything else with NaN, so output a plan
  // never writes, or scratch it reads before writing, shows as nonfinite in verify().
  // Throws std::invalid_argument when the plan is not for this rank and world of `comm`
  // or check_runnable() rejects it, OutOfMemory::over_limit (base/out_of_memory.hpp; on
  // this rank only: CpuRuntime::prepare agrees on it over the ranks) when its buffers
  // exceed `max_buffer_bytes` [bytes], before allocating any.
  CpuExecutor(const Problem& p, Plan plan, MPI_Comm comm, double max_buffer_bytes);

  // The first call runs the untimed prologue (Plan::timed_from) first. Then a barrier on
  // `comm`, then every timed step in plan order; MPI_Wtime around them [ms]. The
  // barrier and each Exchange step wait under the process's watchdog (comm/watchdog.hpp),
  // an exchange named by its step, peers and plan; compute steps are not watched.
  // `steps`, when given, is replaced by one entry per timed step.
  double run(std::vector<StepTime>* steps) override;
  // Against the double reference (bench/runtime/verify_reference.hpp), with the
  // tolerance of fp32 outputs (bench/runtime/tolerance.hpp): the CPU runtime computes in
  // fp32 whatever the problem's dtype. In the backward pass also dQ, dK and dV
  // (bench/runtime/verify_gradients.hpp).
  VerifyResult verify(VerifyMode mode) override;
  // The O buffer as raw bytes (fp32), followed by DQ, DK and DV in the backward pass.
  std::vector<unsigned char> output_bytes() override;
  // MPI_Wtime around the one step [ms].
  double step_alone_ms(int step) override;
  // The plan's buffers as allocated, 4 bytes an element whatever their storage [bytes];
  // not the transient scratch of verify() or of a backward step's row statistics.
  std::optional<double> memory_bytes() const override { return buffer_bytes_; }

 private:
  void execute(const Step& s);
  Tensor4<float> tensor(const View& v);

  Problem problem_;
  Plan plan_;
  MPI_Comm comm_;
  std::vector<std::vector<float>> buffers_;  // buffers_[i] holds plan buffer i
  bool prologue_done_ = false;               // the plan's untimed steps ran (first run())
  double buffer_bytes_ = 0;                  // [bytes] held by buffers_
};

}  // namespace cpb
