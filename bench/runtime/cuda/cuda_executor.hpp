// The CUDA executor: one plan made ready to run on this rank's GPU.
//
// Construction (collective): allocates every plan buffer (Act = problem dtype, F32 =
// float), the cuDNN workspace and the gradient scratch of each lane, fills them, fills Q,
// K, V (and dO in the backward pass) with the deterministic inputs of this rank's tokens
// (these allocations first, agreed over the ranks: OutOfMemory on every rank when one ran
// out, before any collective; then an OutOfMemory ends the job), builds the cuDNN graphs,
// the transport of the Exchange steps (RunOptions::transport: NCCL communicators of the
// comm lanes, or the copy-engine mappings and signals), one stream per lane (comm lanes at
// the greatest priority under the comm_priority lever) and the events.
//
// run(): the first run enqueues the plan's untimed prologue (Plan::timed_from: pass bwd's
// forward) and waits for it, inside the same transport run as the timed steps that
// follow. Then, under RunOptions::align_start, the context's start barrier (GPU-side,
// over the ranks), then a start event on lane 0's stream that every other lane waits for;
// the timed steps enqueued in plan order, each on its lane's stream, after waiting for
// the completion events of its dependencies on other lanes (a prologue step is done
// already); every other lane joins lane 0, then the end event. The time is start -> end on
// the GPU; after the barrier every rank's GPU starts together, so a rank whose host came
// late does not add its delay to the others' times. With RunOptions::graph the first run
// captures that whole sequence (the barrier excepted) as one CUDA graph and every run
// replays it (a run that records step times runs eagerly: events inside a graph cannot be
// timed). The wait is armed in the watchdog, which names the first unfinished Exchange
// step if it hangs.
//
// Ops: Copy and Reduce (dst += src in fp32) as strided view kernels
// (kernels/cuda/copy_views.hpp); Zero as memsets; Attention as one cuDNN SDPA call;
// AttentionBackward as one cuDNN SDPA backward call (choose_backward_desc: deterministic
// unless its workspace is too large) into the lane's
// gradient scratch followed by one add of dQ, dK and dV into the step's views (the op
// accumulates; cuDNN overwrites); Merge as the LSE merge kernel.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "base/cuda/cuda_graph.hpp"
#include "base/cuda/device_buffer.hpp"
#include "base/cuda/event.hpp"
#include "base/cuda/stream.hpp"
#include "bench/runtime.hpp"
#include "bench/runtime/cuda/cuda_context.hpp"
#include "bench/runtime/cuda/cuda_plan_memory.hpp"
#include "comm/cuda/transport.hpp"
#include "kernels/cuda/device_view.hpp"

namespace cpb {

class CudaExecutor final : public Executor {
 public:
  CudaExecutor(CudaContext& ctx, const Problem& p, const Plan& plan, const RunOptions& opt);
  ~CudaExecutor() override;

  double run(std::vector<StepTime>* steps) override;
  VerifyResult verify(VerifyMode mode) override;
  std::vector<unsigned char> output_bytes() override;
  // CUDA events around the step, enqueued alone on its lane's stream [ms].
  double step_alone_ms(int step) override;
  GpuStateSampler* gpu_state_sampler() override { return &ctx_.gpu_sampler(); }
  // PlanMemory::total() of the plan [bytes]: its buffers, cuDNN workspaces and gradient
  // scratch, which this executor holds, and the scratch verify() allocates for a while; what unsupported_plan()
  // compares with the free device memory. Not the transport's own memory (NCCL's buffers,
  // pinned staging, IPC mappings) nor the CUDA context's or cuDNN's.
  std::optional<double> memory_bytes() const override { return memory_bytes_; }
  bool bitwise_reproducible() const override { return deterministic_; }

 private:
  DeviceView device_view(const View& v) const;
  void make_streams_and_events();
  // Allocates buffers_ and workspaces_; on OutOfMemory frees what it took and throws one
  // naming the plan's bytes and the device memory free before.
  void allocate(const PlanMemory& mem);
  void fill_buffers();
  // Enqueues steps [first, last); `timed` records their timing events.
  void enqueue_steps(int first, int last, bool timed);
  // The first run's prologue, enqueued and waited for.
  void run_prologue();
  void enqueue_op(const Step& s, cudaStream_t stream);
  void enqueue_attention_backward(const Step& s, cudaStream_t stream);
  // The dense [B, S_local, heads, D] view of the buffer of `role` (fatal when the plan has
  // none or its size differs).
  DeviceView shard_view(BufferRole role, int64_t heads) const;
  void join_lanes();

  CudaContext& ctx_;
  const Problem p_;
  const Plan plan_;
  const RunOptions opt_;
  std::string label_;                // the point, for watchdog messages
  double memory_bytes_ = 0;          // [bytes] PlanMemory::total() of the plan
  bool deterministic_ = true;        // PlanMemory::deterministic of the plan
  std::vector<DeviceBuffer> buffers_;
  std::vector<DeviceBuffer> workspaces_;  // per lane
  std::vector<DeviceBuffer> grad_tiles_;  // per lane: the gradients of its backward steps (GradTileLayout)
  std::unique_ptr<Transport> transport_;  // moves the Exchange steps' bytes
  std::vector<int> exchange_of_;          // step -> index among the Exchange steps, or -1
  std::vector<SdpaDesc> attention_;       // per step (attention steps only)
  std::vector<SdpaBackwardDesc> attention_backward_;  // per step (attention-backward steps only)
  bool prologue_done_ = false;
  std::vector<Stream> streams_;           // per lane
  std::vector<int> done_of_;              // step -> index into done_, or -1
  std::vector<Event> done_;               // completion events (Exchange steps, cross-lane deps)
  std::vector<StepProgress> progress_;    // done_ in plan order, for the watchdog
  std::vector<Event> lane_end_;           // per lane: the join into lane 0
  std::vector<Event> step_start_, step_end_;  // timing events of every step, made on the first timed run
  Event fork_;                            // start of a captured run
  Event start_{Event::Kind::Timing}, end_{Event::Kind::Timing};
  CudaGraph graph_;
};

}  // namespace cpb
