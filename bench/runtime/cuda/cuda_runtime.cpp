#include "bench/runtime/cuda/cuda_runtime.hpp"

#include <cstdio>
#include <cstring>
#include <map>
#include <string>

#include "base/usage_error.hpp"
#include "bench/runtime/cuda/cuda_context.hpp"
#include "bench/runtime/cuda/cuda_device_info.hpp"
#include "bench/runtime/cuda/cuda_executor.hpp"
#include "bench/runtime/cuda/cuda_plan_memory.hpp"
#include "bench/runtime/cuda/cuda_transports.hpp"
#include "comm/watchdog.hpp"

namespace cpb {
namespace {

std::string bytes_text(size_t bytes) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%zu bytes (%.2f GiB)", bytes, static_cast<double>(bytes) / (1 << 30));
  return buf;
}

// Picks this rank's GPU: local rank i takes device i. When the node's ranks see fewer
// devices than there are ranks (a launcher may give each rank its own single device via
// CUDA_VISIBLE_DEVICES), device i mod count; the node's ranks then compare the UUIDs of
// their picks, and two ranks on one GPU is a usage error on every rank (collective).
int pick_device(const MpiSession& mpi) {
  const int gpus = cuda_device_count();
  int device = gpus > 0 ? mpi.local_rank() % gpus : -1;
  char uuid[16] = {0};
  if (device >= 0) {
    cudaDeviceProp prop{};
    CPB_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
    std::memcpy(uuid, prop.uuid.bytes, sizeof(uuid));
  }
  std::vector<char> all(static_cast<size_t>(mpi.local_size()) * sizeof(uuid));
  CPB_MPI_WAIT(MPI_Allgather, uuid, sizeof(uuid), MPI_BYTE, all.data(), sizeof(uuid), MPI_BYTE, mpi.node());
  std::map<std::string, int> distinct;
  for (int r = 0; r < mpi.local_size(); ++r) distinct[std::string(&all[static_cast<size_t>(r) * sizeof(uuid)], sizeof(uuid))]++;
  const bool shared_here = gpus == 0 || static_cast<int>(distinct.size()) < mpi.local_size();
  const bool shared_anywhere = allreduce_or(shared_here, mpi.world());
  if (shared_here)
    throw UsageError(std::to_string(mpi.local_size()) + " ranks on host " + mpi.host() + " but only " +
                     std::to_string(gpus == 0 ? 0 : static_cast<int>(distinct.size())) +
                     " GPUs; NCCL cannot share a GPU between ranks");
  if (shared_anywhere)
    throw UsageError("another host runs more ranks than it has GPUs; NCCL cannot share a GPU between ranks");
  return device;
}

class CudaRuntime final : public Runtime {
 public:
  CudaRuntime(const MpiSession& mpi, int device, int ranks_per_node) : ctx_(mpi, device, ranks_per_node) {}

  std::string name() const override { return "cuda"; }
  std::vector<TransportKind> transports() const override { return cuda_transports(); }
  std::vector<Profile> profiles() const override { return {Profile::Nvlink, Profile::Pcie}; }

  Reason unsupported(const Problem& p, const RunOptions& opt) const override {
    if (Reason transport = cuda_transport_unsupported(opt, ctx_.device())) return transport;
    if (p.dtype == DType::FP32) return "cuDNN SDPA has no fp32 attention; use bf16 or fp16";
    if (p.D % 8 != 0 || p.D > 256) return "cuDNN SDPA needs D a multiple of 8 up to 256 (D=" + std::to_string(p.D) + ")";
    // A lower bound before any plan exists: this rank's Q, K, V and O shards (and dO, dQ,
    // dK, dV in the backward pass).
    const size_t s_local = static_cast<size_t>((p.S + p.P - 1) / p.P);
    const size_t need = static_cast<size_t>(p.B) * s_local * static_cast<size_t>(2 * p.H + 2 * p.Hkv) *
                        static_cast<size_t>(p.D) * static_cast<size_t>(dtype_bytes(p.dtype)) * (p.backward() ? 2 : 1);
    return memory_reason(need, std::string("its Q, K, V and O shards ") + (p.backward() ? "and their gradients " : "") +
                                   "alone need " + bytes_text(need));
  }

  Reason unsupported_plan(const Problem& p, const Plan& plan, const RunOptions& opt) override {
    if (Reason basic = unsupported(p, opt)) return basic;
    const PlanMemory m = plan_memory(p, plan, ctx_.sdpa(), ctx_.sdpa_backward(), opt.levers.attn_sms);
    if (!m.error.empty()) return m.error;
    return memory_reason(m.total(), "the plan needs " + bytes_text(m.total()) + " (buffers " +
                                        bytes_text(m.buffer_total()) + ", cuDNN workspace and gradient scratch " +
                                        bytes_text(m.workspace_total()) + ", verification " +
                                        bytes_text(m.verify_scratch) + ")");
  }

  std::unique_ptr<Executor> prepare(const Problem& p, const Plan& plan, const RunOptions& opt) override {
    return std::make_unique<CudaExecutor>(ctx_, p, plan, opt);
  }

  std::vector<std::pair<std::string, std::string>> describe() const override {
    auto out = describe_cuda(ctx_.device(), ctx_.nvml());
    out.emplace_back("device", std::to_string(ctx_.device()));
    // The nodes as the copy-engine transports see them (emulated: ranks_per_node).
    const NodeGroups& nodes = ctx_.nodes().groups();
    out.emplace_back("hosts", std::to_string(ctx_.mpi().nodes()));
    out.emplace_back("nodes", std::to_string(nodes.nodes));
    out.emplace_back("ranks_per_node", std::to_string(nodes.ranks_per_node));
    out.emplace_back("nodes_emulated", nodes.emulated ? "true" : "false");
    char wd[32];
    std::snprintf(wd, sizeof(wd), "%g", ctx_.watchdog_timeout_s());
    out.emplace_back("watchdog_s", wd);
    return out;
  }

  nlohmann::json rank_gpu() const override { return cuda_rank_gpu(ctx_.device()); }
  nlohmann::json topology(const std::vector<std::string>& uuids) const override {
    return cuda_topology(ctx_.nvml(), uuids);
  }

 private:
  // Why `need` [bytes] does not fit in the device's free memory.
  Reason memory_reason(size_t need, const std::string& what) const {
    size_t free_b = 0, total_b = 0;
    CPB_CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
    if (need <= free_b) return std::nullopt;
    return "not enough GPU memory: " + what + " but GPU " + std::to_string(ctx_.device()) + " has " +
           bytes_text(free_b) + " free of " + bytes_text(total_b);
  }

  CudaContext ctx_;
};

}  // namespace

int cuda_device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // clear the error: no driver or no device means 0 GPUs
    return 0;
  }
  return n;
}

std::unique_ptr<Runtime> make_cuda_runtime(const MpiSession& mpi, int ranks_per_node) {
  return std::make_unique<CudaRuntime>(mpi, pick_device(mpi), ranks_per_node);
}

}  // namespace cpb
