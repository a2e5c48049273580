#include "bench/runtime/cuda/cuda_transports.hpp"

#include <cstdlib>
#include <cstring>
#include <map>

#include "bench/runtime/cuda/cuda_plan_memory.hpp"
#include "comm/cuda/ce_host_transport.hpp"
#include "comm/cuda/ce_transport.hpp"
#include "comm/cuda/mpi_transport.hpp"
#include "comm/cuda/nccl_transport.hpp"
#include "comm/watchdog.hpp"

namespace cpb {
namespace {

bool nccl_p2p_disabled() {
  const char* v = std::getenv("NCCL_P2P_DISABLE");
  return v && std::strcmp(v, "0") != 0 && *v != '\0';
}

// Why this device cannot access every other visible device as a peer.
Reason peer_access_missing(int device) {
  int count = 0;
  CPB_CUDA_CHECK(cudaGetDeviceCount(&count));
  for (int other = 0; other < count; ++other) {
    if (other == device) continue;
    int ok = 0;
    CPB_CUDA_CHECK(cudaDeviceCanAccessPeer(&ok, device, other));
    if (!ok) return "GPU " + std::to_string(device) + " has no peer access to GPU " + std::to_string(other);
  }
  return std::nullopt;
}

// Lanes with an Exchange step on any rank; collective over the world.
std::vector<bool> exchange_lanes(const Plan& plan, int lanes, MPI_Comm world) {
  std::vector<int> mine(static_cast<size_t>(lanes), 0), all(static_cast<size_t>(lanes), 0);
  for (const Step& s : plan.steps)
    if (s.kind() == OpKind::Exchange) mine[static_cast<size_t>(s.lane)] = 1;
  CPB_MPI_WAIT(MPI_Allreduce, mine.data(), all.data(), lanes, MPI_INT, MPI_MAX, world);
  return std::vector<bool>(all.begin(), all.end());
}

BufferSpan span_of(const Plan& plan, const Slice& s, DType dtype) {
  const size_t eb = static_cast<size_t>(storage_bytes(plan.buffers[static_cast<size_t>(s.buf)].storage, dtype));
  return BufferSpan{s.buf, static_cast<size_t>(s.offset) * eb, static_cast<size_t>(s.count) * eb};
}

}  // namespace

std::vector<TransportKind> cuda_transports() {
  return {TransportKind::Nccl, TransportKind::Ce, TransportKind::CeHost, TransportKind::Mpi};
}

Reason cuda_transport_unsupported(const RunOptions& opt, int device) {
  const std::string& t = to_string(opt.transport);
  const bool pcie = opt.profile == Profile::Pcie;
  if (opt.graph && opt.transport != TransportKind::Nccl)
    return "measure.graph needs exchanges a CUDA graph can capture; transport " + t +
           " signals with per-run values (use " + to_string(TransportKind::Nccl) + ", or graph: false)";
  switch (opt.transport) {
    case TransportKind::Nccl:
      if (pcie && !nccl_p2p_disabled())
        return "profile pcie over nccl needs NCCL_P2P_DISABLE=1 in every rank's environment before NCCL starts "
               "(scripts/sweep_profiles.sh runs each profile in its own processes)";
      if (!pcie && nccl_p2p_disabled())
        return "NCCL_P2P_DISABLE is set in this process, so nccl would move its bytes through host memory: "
               "that is profile pcie, not nvlink";
      return std::nullopt;
    case TransportKind::Ce:
      if (pcie)
        return "transport ce copies GPU to GPU directly; profile pcie moves every byte through host memory "
               "(use ce_host, or nccl with NCCL_P2P_DISABLE=1)";
      return peer_access_missing(device);
    case TransportKind::CeHost: return std::nullopt;
    case TransportKind::Mpi: {
      if (pcie) return "transport mpi picks its own path between GPUs, so it cannot stand for profile pcie";
      const std::string why = cuda_aware_mpi_unsupported();
      return why.empty() ? Reason() : Reason(why);
    }
  }
  return "transport " + t + " is not one the CUDA runtime offers";
}

std::unique_ptr<Transport> make_transport(CudaContext& ctx, const Plan& plan, const Problem& p,
                                          const std::vector<DeviceBuffer>& buffers, const RunOptions& opt,
                                          std::vector<int>* exchange_of_step) {
  const MpiSession& mpi = ctx.mpi();
  const int lanes = static_cast<int>(allreduce_max(static_cast<double>(plan.lanes.size()), mpi.world()));
  const int groups = static_cast<int>(plan.groups.size());
  std::map<std::pair<int, int>, int> count;  // (lane, group) -> exchanges so far
  int most = 0;
  for (const Step& s : plan.steps)
    if (s.kind() == OpKind::Exchange)
      most = std::max(most, ++count[{s.lane, std::get<ExchangeOp>(s.op).group}]);
  const int per_group = std::max(1, static_cast<int>(allreduce_max(static_cast<double>(most), mpi.world())));

  ExchangePlan xp;
  for (const DeviceBuffer& b : buffers) {
    xp.buffers.push_back(b.get());
    xp.buffer_bytes.push_back(b.bytes());
  }
  xp.keys = lanes * std::max(groups, 1) * per_group;
  count.clear();
  exchange_of_step->assign(plan.steps.size(), -1);
  for (const Step& s : plan.steps) {
    if (s.kind() != OpKind::Exchange) continue;
    const ExchangeOp& e = std::get<ExchangeOp>(s.op);
    ExchangeSpec spec;
    spec.lane = s.lane;
    spec.key = (s.lane * groups + e.group) * per_group + count[{s.lane, e.group}]++;
    for (const Transfer& t : e.sends) spec.sends.push_back(PeerSpan{t.peer, span_of(plan, t.slice, p.dtype)});
    for (const Transfer& t : e.recvs) spec.recvs.push_back(PeerSpan{t.peer, span_of(plan, t.slice, p.dtype)});
    (*exchange_of_step)[static_cast<size_t>(s.id)] = static_cast<int>(xp.exchanges.size());
    xp.exchanges.push_back(std::move(spec));
  }
  if (opt.transport == TransportKind::Mpi) return std::make_unique<MpiTransport>(std::move(xp), mpi.world());

  // NCCL carries everything under nccl, and what crosses nodes (real or emulated: every
  // rank has the same groups) under ce and ce_host.
  const bool nccl = opt.transport == TransportKind::Nccl;
  const bool off_node = !nccl && ctx.nodes().groups().nodes > 1;
  std::vector<const NcclComm*> comms(xp.exchanges.size(), nullptr);
  if (nccl || off_node) {
    const int ctas = nccl ? opt.levers.nccl_ctas : 0;
    ctx.ensure_comms(exchange_lanes(plan, lanes, mpi.world()), ctas);
    for (size_t i = 0; i < xp.exchanges.size(); ++i) comms[i] = &ctx.comm(xp.exchanges[i].lane, ctas);
  }
  switch (opt.transport) {
    case TransportKind::Nccl: return std::make_unique<NcclTransport>(std::move(xp), std::move(comms));
    case TransportKind::Ce: return std::make_unique<CeTransport>(std::move(xp), mpi, ctx.nodes(), std::move(comms));
    case TransportKind::CeHost:
      return std::make_unique<CeHostTransport>(std::move(xp), mpi, ctx.nodes(), std::move(comms));
    case TransportKind::Mpi: break;  // returned above
  }
  CPB_FATAL("transport " + to_string(opt.transport) + " is not one the CUDA runtime offers");
}

}  // namespace cpb
