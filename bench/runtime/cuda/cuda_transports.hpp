// The bridge between a plan's Exchange steps and comm/cuda's transports: numbers the
// exchanges so that matching steps get the same key on every rank, and builds the
// transport a point asks for.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "bench/plan/plan.hpp"
#include "bench/runtime.hpp"
#include "bench/runtime/cuda/cuda_context.hpp"
#include "base/cuda/device_buffer.hpp"
#include "comm/cuda/transport.hpp"

namespace cpb {

// The transports the CUDA runtime offers, the default first.
std::vector<TransportKind> cuda_transports();

// Why opt.transport cannot run under `opt` on this process (profiles, the NCCL
// environment, graph capture, CUDA-aware MPI, peer access). Not collective.
Reason cuda_transport_unsupported(const RunOptions& opt, int device);

// Collective over the world. `exchange_of_step[s]` becomes the index of step s among the
// plan's Exchange steps (-1 for other steps). The key of the k-th Exchange step of lane l
// and group g is (l * G + g) * K + k, with G the plan's groups and K the most exchanges of
// one lane and group on any rank: the plan checks guarantee that the k-th steps of a lane
// and group on the group's ranks are one exchange.
std::unique_ptr<Transport> make_transport(CudaContext& ctx, const Plan& plan, const Problem& p,
                                          const std::vector<DeviceBuffer>& buffers, const RunOptions& opt,
                                          std::vector<int>* exchange_of_step);

}  // namespace cpb
