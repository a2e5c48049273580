#include "bench/runtime/cpu_runtime.hpp"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "bench/runtime/cpu_executor.hpp"
#include "base/check.hpp"

namespace cpb {
namespace {

// Refusal limits, so a sweep meant for GPUs skips its large points instead of swapping
// or running for hours on the CPU.
constexpr double kMaxBufferBytes = 4.0 * (1ull << 30);  // [bytes] per rank
constexpr double kMaxFlopsPerRank = 2e11;               // ~20 s per run at ~10 GFLOP/s per core
// Buffers a schedule holds, in units of the rank's Q, K, V and O shards: the shards, their
// packed or head-sharded copies, receive buffers and fp32 accumulators.
constexpr double kShardCopies = 4;

// "a, b and c": the names of the overlap levers only the CUDA runtime applies.
std::string cuda_lever_names() {
  std::vector<std::string> names;
  for (const LeverSpec& l : lever_specs())
    if (l.cuda_only) names.emplace_back(l.name);
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) out += (i == 0 ? "" : i + 1 == names.size() ? " and " : ", ") + names[i];
  return out;
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), f, v);
  return buf;
}

class CpuRuntime final : public Runtime {
 public:
  explicit CpuRuntime(const MpiSession& mpi) : mpi_(mpi) {}

  std::string name() const override { return "cpu"; }
  std::vector<TransportKind> transports() const override { return {TransportKind::Mpi}; }

  Reason unsupported(const Problem& p, const RunOptions& opt) const override {
    if (opt.transport != TransportKind::Mpi) return "transport " + to_string(opt.transport) + " needs the CUDA runtime";
    if (opt.levers.any_cuda())
      return "the overlap levers " + cuda_lever_names() + " apply to the CUDA runtime only";
    const int64_t P = std::max(p.P, 1);
    const double shard_tokens = static_cast<double>((p.S + P - 1) / P);
    const double bytes = kShardCopies * sizeof(float) * p.B * shard_tokens * 2.0 * (p.H + p.Hkv) * p.D;
    if (bytes > kMaxBufferBytes)
      return "needs about " + fmt("%.1f", bytes / (1ull << 30)) +
             " GiB of buffers per rank; the cpu runtime's limit is " +
             fmt("%.0f", kMaxBufferBytes / (1ull << 30)) + " GiB";
    const double S = static_cast<double>(p.S);
    const double pairs = p.mask == Mask::Causal ? S * (S + 1) / 2 : S * S;
    const double flops = 4.0 * p.B * p.H * p.D * pairs / static_cast<double>(P);
    if (flops > kMaxFlopsPerRank)
      return "needs " + fmt("%.0f", flops / 1e9) +
             " GFLOP of attention per rank per run; the cpu runtime stops at " +
             fmt("%.0f", kMaxFlopsPerRank / 1e9) + " GFLOP";
    return std::nullopt;
  }

  // The plan's own buffers (fp32 here), which a hand-made plan (cpbench probe) can make
  // larger than the shard estimate of unsupported().
  Reason unsupported_plan(const Problem& p, const Plan& plan, const RunOptions& opt) override {
    if (Reason basic = unsupported(p, opt)) return basic;
    double bytes = 0;
    for (const Buffer& b : plan.buffers) bytes += static_cast<double>(b.elems) * sizeof(float);
    if (bytes > kMaxBufferBytes)
      return "the plan's buffers need " + fmt("%.1f", bytes / (1ull << 30)) +
             " GiB per rank; the cpu runtime's limit is " + fmt("%.0f", kMaxBufferBytes / (1ull << 30)) + " GiB";
    return std::nullopt;
  }

  std::unique_ptr<Executor> prepare(const Problem& p, const Plan& plan, const RunOptions& opt) override {
    if (Reason why = unsupported(p, opt)) throw std::invalid_argument("cpu runtime: " + *why);
    return std::make_unique<CpuExecutor>(p, plan, mpi_.world(), kMaxBufferBytes);
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
};

}  // namespace

std::unique_ptr<Runtime> make_cpu_runtime(const MpiSession& mpi) { return std::make_unique<CpuRuntime>(mpi); }

}  // namespace cpb
