// Transport: how the Exchange steps of one plan move their bytes between the ranks' GPUs
// (README.md, "Transports"; docs/CONFIG.md). The executor describes every Exchange step of
// its plan once, a transport is built from that (collectively: it may map the other
// ranks' buffers and set up signals), and each run posts the steps on their lanes'
// streams. Implementations: nccl_transport (NCCL grouped send/recv), ce_transport
// (copy-engine peer copies into CUDA-IPC-mapped buffers), ce_host_transport (copy-engine
// staging through pinned shared host memory), mpi_transport (CUDA-aware MPI).
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <vector>

namespace cpb {

// `bytes` [bytes] at byte `offset` of this rank's plan buffer `buf`.
struct BufferSpan {
  int buf = -1;
  size_t offset = 0;
  size_t bytes = 0;
};

struct PeerSpan {
  int peer = -1;  // world rank
  BufferSpan span;
};

// One Exchange step as a transport sees it. `key` names the same exchange on every rank
// taking part (ranks post equal keys in the same order); the i-th send to rank d matches
// the i-th receive from this rank on d, with equal bytes. Transfers to this rank itself
// match the same way.
struct ExchangeSpec {
  int key = -1;
  int lane = -1;
  std::vector<PeerSpan> sends, recvs;
};

// This rank's plan buffers (device memory, one cudaMalloc each) and Exchange steps.
struct ExchangePlan {
  std::vector<void*> buffers;
  std::vector<size_t> buffer_bytes;
  std::vector<ExchangeSpec> exchanges;  // in plan order
  int keys = 0;                          // every key is in [0, keys); equal on all ranks
};

class Transport {
 public:
  virtual ~Transport() = default;
  // Once per run, on the host, before the run posts its first exchange.
  virtual void begin_run() {}
  // Posts exchanges[i] on `stream`. When the stream passes this point the receive spans
  // hold the peers' data and the send spans may be overwritten.
  virtual void post(size_t i, cudaStream_t stream) = 0;
};

}  // namespace cpb
