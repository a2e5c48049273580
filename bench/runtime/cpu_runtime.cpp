#include "bench/runtime/cpu_runtime.hpp"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "base/check.hpp"
#include "base/out_of_memory.hpp"
#include "bench/runtime/cpu_executor.hpp"
#include "comm/oom_agreement.hpp"

namespace cpb {
namespace {

// Refusal limit, so a sweep meant for GPUs skips its large points instead of running for
// hours on the CPU (the memory limit is the runtime's max_buffer_bytes).
constexpr double kMaxFlopsPerRank = 2e11;  // ~20 s per run at ~10 GFLOP/s per core

// "a, b and c": the names of the overlap levers only the CUDA runtime applies.
std::string cuda_lever_names() {
  std::vector<std::string> names;
  for (const LeverSpec& l : lever_specs())
    if (l.cuda_only) names.emplace_back(l.name);
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) out += (i == 0 ? "" : i + 1 == names.size() ? " and " : ", ") + names[i];
  return out;
}

// "8.00 GiB (8589934592 bytes)".
std::string bytes_text(double bytes) {
  const size_t b = static_cast<size_t>(bytes);
  return gib_text(b) + " (" + std::to_string(b) + " bytes)";
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), f, v);
  return buf;
}

class CpuRuntime final : public Runtime {
 public:
  CpuRuntime(const MpiSession& mpi, double max_buffer_bytes) : mpi_(mpi), max_buffer_bytes_(max_buffer_bytes) {}

  std::string name() const override { return "cpu"; }
  std::vector<TransportKind> transports() const override { return {TransportKind::Mpi}; }

  Reason unsupported(const Problem& p, const RunOptions& opt) const override {
    if (opt.transport != TransportKind::Mpi) return "transport " + to_string(opt.transport) + " needs the CUDA runtime";
    if (opt.levers.any_cuda())
      return "the overlap levers " + cuda_lever_names() + " apply to the CUDA runtime only";
    // A lower bound before any plan exists (every plan holds them): this rank's Q, K, V
    // and O shards, as fp32. unsupported_plan() counts the plan's own buffers.
    const int64_t P = std::max(p.P, 1);
    const double shard_tokens = static_cast<double>((p.S + P - 1) / P);
    const double bytes = sizeof(float) * p.B * shard_tokens * 2.0 * (p.H + p.Hkv) * p.D;
    if (bytes > max_buffer_bytes_)
      return "its Q, K, V and O shards alone need " + bytes_text(bytes) + " per rank; the cpu runtime's limit is " +
             bytes_text(max_buffer_bytes_);
    const double S = static_cast<double>(p.S);
    const double pairs = p.mask == Mask::Causal ? S * (S + 1) / 2 : S * S;
    // Per timed run: the forward, the backward at its FLOP convention (plan.hpp), or both.
    const double passes = (p.pass == Pass::Bwd ? 0.0 : 1.0) + (p.backward() ? kBackwardFlopFactor : 0.0);
    const double flops = 4.0 * p.B * p.H * p.D * pairs / static_cast<double>(P) * passes;
    if (flops > kMaxFlopsPerRank)
      return "needs " + fmt("%.0f", flops / 1e9) +
             " GFLOP of attention per rank per run; the cpu runtime stops at " +
             fmt("%.0f", kMaxFlopsPerRank / 1e9) + " GFLOP";
    return std::nullopt;
  }

  // The plan's own buffers (fp32 here: cpu_buffer_bytes), which the head-sharded copies,
  // receive buffers, gradients and fp32 accumulators make larger than the shards of
  // unsupported().
  Reason unsupported_plan(const Problem& p, const Plan& plan, const RunOptions& opt) override {
    if (Reason basic = unsupported(p, opt)) return basic;
    const double bytes = cpu_buffer_bytes(plan);
    if (bytes > max_buffer_bytes_)
      return "the plan's buffers need " + bytes_text(bytes) + " per rank; the cpu runtime's limit is " +
             bytes_text(max_buffer_bytes_);
    return std::nullopt;
  }

  // The executor's own limit check (its OutOfMemory) agreed over the ranks, so that a plan
  // that reaches prepare() past unsupported_plan() is refused on every rank together.
  std::unique_ptr<Executor> prepare(const Problem& p, const Plan& plan, const RunOptions& opt) override {
    if (Reason why = unsupported(p, opt)) throw std::invalid_argument("cpu runtime: " + *why);
    return agree_on_oom(mpi_.world(), [&]() -> std::unique_ptr<Executor> {
      return std::make_unique<CpuExecutor>(p, plan, mpi_.world(), max_buffer_bytes_);
    });
  }

  std::vector<std::pair<std::string, std::string>> describe() const override {
    char version[MPI_MAX_LIBRARY_VERSION_STRING] = {0};
    int len = 0;
    CPB_MPI_CHECK(MPI_Get_library_version(version, &len));
    std::string mpi(version, static_cast<size_t>(len));
    mpi = mpi.substr(0, mpi.find_first_of(",\n"));
    return {{"runtime", "cpu"},
            {"compute", "fp32 reference kernels"},
            {"mpi", mpi},
            {"nodes", std::to_string(mpi_.nodes())},
            {"ranks_per_node", std::to_string(mpi_.local_size())}};
  }

 private:
  const MpiSession& mpi_;
  double max_buffer_bytes_;  // [bytes] per rank
};

}  // namespace

std::unique_ptr<Runtime> make_cpu_runtime(const MpiSession& mpi, double max_buffer_bytes) {
  return std::make_unique<CpuRuntime>(mpi, max_buffer_bytes);
}

}  // namespace cpb
