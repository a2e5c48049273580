#include "bench/runtime/cuda/cuda_executor.hpp"

#include <mpi.h>
#include <nvtx3/nvToolsExt.h>

#include <limits>
#include <stdexcept>
#include <string>

#include "bench/plan/plan_check.hpp"
#include "kernels/cuda/copy_views.hpp"
#include "kernels/cuda/fill_inputs.hpp"
#include "kernels/cuda/lse_merge.hpp"
#include "bench/runtime/cuda/cuda_transports.hpp"
#include "bench/runtime/cuda/cuda_verify.hpp"
#include "comm/oom_agreement.hpp"

namespace cpb {
namespace {

std::string point_label(const Problem& p, const Plan& plan) {
  return plan.schedule + " P=" + std::to_string(p.P) + " S=" + std::to_string(p.S) + " H=" + std::to_string(p.H) +
         " Hkv=" + std::to_string(p.Hkv) + " D=" + std::to_string(p.D) + " B=" + std::to_string(p.B) + " " +
         to_string(p.mask) + " " + to_string(p.dtype);
}

}  // namespace

CudaExecutor::CudaExecutor(CudaContext& ctx, const Problem& p, const Plan& plan, const RunOptions& opt)
    : ctx_(ctx), p_(p), plan_(plan), opt_(opt), label_(point_label(p, plan)) {
  if (plan_.lanes.empty()) CPB_FATAL("plan '" + plan_.schedule + "' has no lanes");
  // A plan bug is caught here, before a kernel or NCCL touches memory outside a buffer.
  // NCCL counts are size_t: no transfer limit below the buffer's own.
  const std::vector<std::string> bad = check_runnable(plan_, p_, std::numeric_limits<int64_t>::max());
  if (!bad.empty()) CPB_FATAL("plan '" + plan_.schedule + "': " + bad[0]);
  const PlanMemory mem = plan_memory(p_, plan_, ctx_.sdpa(), opt_.levers.attn_sms);
  if (!mem.error.empty()) CPB_FATAL(mem.error);
  memory_bytes_ = static_cast<double>(mem.total());
  make_streams_and_events();
  // Every allocation of the plan comes first, agreed over the ranks before any collective
  // below (Runtime::prepare: OutOfMemory on every rank or on none).
  agree_on_oom(ctx_.mpi().world(), [&] {
    allocate(mem);
    fill_buffers();
  });
  try {
    transport_ = make_transport(ctx_, plan_, p_, buffers_, opt_, &exchange_of_);
    if (opt_.align_start) ctx_.ensure_start_barrier();
  } catch (const OutOfMemory& e) {
    // Past the agreement a rank cannot leave alone: its peers are in the collectives.
    CPB_FATAL(std::string(e.what()) + " (setting up the transport of plan '" + plan_.schedule + "')");
  }
}

void CudaExecutor::allocate(const PlanMemory& mem) {
  const size_t free_before = DeviceAllocator::free_bytes();
  try {
    for (size_t bytes : mem.buffers) buffers_.emplace_back(bytes);
    for (size_t bytes : mem.workspaces) workspaces_.emplace_back(bytes);
  } catch (const OutOfMemory&) {
    buffers_.clear();
    workspaces_.clear();
    throw OutOfMemory("device memory", mem.buffer_total() + mem.workspace_total(), free_before);
  }
}

void CudaExecutor::make_streams_and_events() {
  std::vector<bool> comm_lane(plan_.lanes.size(), false);
  for (const Step& s : plan_.steps)
    if (s.is_comm()) comm_lane[static_cast<size_t>(s.lane)] = true;
  for (size_t l = 0; l < plan_.lanes.size(); ++l) {
    streams_.emplace_back(opt_.levers.comm_high_priority && comm_lane[l] ? Stream::Priority::Greatest
                                                                         : Stream::Priority::Default);
    lane_end_.emplace_back();
  }
  // Completion events: every Exchange step (for the watchdog) and every step that a step
  // of another lane waits for.
  const size_t n = plan_.steps.size();
  attention_.resize(n);
  std::vector<bool> needs_event(n, false);
  for (const Step& s : plan_.steps) {
    const size_t i = static_cast<size_t>(s.id);
    if (s.kind() == OpKind::Attention) attention_[i] = attention_desc(std::get<AttentionOp>(s.op), p_.dtype, opt_.levers.attn_sms);
    if (s.is_comm()) needs_event[i] = true;
    for (int d : s.deps)
      if (plan_.steps[static_cast<size_t>(d)].lane != s.lane) needs_event[static_cast<size_t>(d)] = true;
  }
  done_of_.assign(n, -1);
  for (size_t i = 0; i < n; ++i) {
    if (!needs_event[i]) continue;
    done_of_[i] = static_cast<int>(done_.size());
    done_.emplace_back();
  }
  for (const Step& s : plan_.steps) {
    if (!s.is_comm()) continue;
    const std::string where = "'" + s.label + "' (step " + std::to_string(s.id) + ", lane " +
                              plan_.lanes[static_cast<size_t>(s.lane)] + ")";
    progress_.push_back(StepProgress{where, done_[static_cast<size_t>(done_of_[static_cast<size_t>(s.id)])].get()});
  }
}

CudaExecutor::~CudaExecutor() {
  for (const Stream& s : streams_) s.synchronize();
}

DeviceView CudaExecutor::device_view(const View& v) const {
  const Buffer& b = plan_.buffers[static_cast<size_t>(v.buf)];
  const int eb = storage_bytes(b.storage, p_.dtype);
  DeviceView d;
  d.ptr = static_cast<char*>(buffers_[static_cast<size_t>(v.buf)].get()) + v.offset * eb;
  d.type = b.storage == Storage::F32 ? DType::FP32 : p_.dtype;
  d.shape = v.shape;
  d.stride = v.stride;
  return d;
}

void CudaExecutor::fill_buffers() {
  const cudaStream_t s = streams_[0].get();
  // Every other buffer starts with never-zero values, not zeros: the compute-only part of
  // a plan reads receive buffers that no exchange filled, and attention on zeros runs
  // faster than on real data. Unwritten outputs still fail verification.
  for (size_t i = 0; i < plan_.buffers.size(); ++i) {
    const Buffer& b = plan_.buffers[i];
    if (b.elems > 0)
      fill_linear(Tensor::V, b.storage == Storage::F32 ? DType::FP32 : p_.dtype, buffers_[i].get(), b.elems, s);
  }
  std::vector<int64_t> token_of;
  for (const Range& r : plan_.tokens)
    for (int64_t t = r.begin; t < r.end(); ++t) token_of.push_back(t);
  const int64_t s_local = static_cast<int64_t>(token_of.size());
  DeviceBuffer d_tokens(token_of.size() * sizeof(int64_t));
  if (!token_of.empty())
    CPB_CUDA_CHECK(cudaMemcpyAsync(d_tokens.get(), token_of.data(), d_tokens.bytes(), cudaMemcpyHostToDevice, s));
  const int64_t row = p_.B * s_local * p_.D;  // elements of one head over all local rows
  for (size_t i = 0; i < plan_.buffers.size(); ++i) {
    const Buffer& b = plan_.buffers[i];
    if (b.role != BufferRole::Q && b.role != BufferRole::K && b.role != BufferRole::V) continue;
    const Tensor t = b.role == BufferRole::Q ? Tensor::Q : b.role == BufferRole::K ? Tensor::K : Tensor::V;
    if (row == 0 || b.elems % row != 0)
      CPB_FATAL("plan '" + plan_.schedule + "': input buffer '" + b.name + "' has " + std::to_string(b.elems) +
                " elements, not a multiple of B * S_local * D = " + std::to_string(row));
    fill_inputs(t, b.storage == Storage::F32 ? DType::FP32 : p_.dtype, buffers_[i].get(), p_.B, s_local,
                b.elems / row, p_.D, d_tokens.as<int64_t>(), s);
  }
  streams_[0].synchronize();
}

void CudaExecutor::enqueue_op(const Step& s, cudaStream_t stream) {
  switch (s.kind()) {
    case OpKind::Copy: {
      std::vector<CopyPair> pairs;
      for (const CopyOp::Pair& pr : std::get<CopyOp>(s.op).pairs)
        pairs.push_back(CopyPair{device_view(pr.src), device_view(pr.dst)});
      copy_views(pairs, stream);
      break;
    }
    case OpKind::Exchange:
      transport_->post(static_cast<size_t>(exchange_of_[static_cast<size_t>(s.id)]), stream);
      break;
    case OpKind::Attention: {
      const AttentionOp& a = std::get<AttentionOp>(s.op);
      SdpaArgs args;
      args.q = device_view(a.q).ptr;
      args.k = device_view(a.k).ptr;
      args.v = device_view(a.v).ptr;
      args.o = device_view(a.o).ptr;
      if (a.has_lse) args.lse = static_cast<float*>(device_view(a.lse).ptr);
      ctx_.sdpa().run(attention_[static_cast<size_t>(s.id)], args, workspaces_[static_cast<size_t>(s.lane)].get(),
                      stream);
      break;
    }
    case OpKind::Merge: {
      const MergeOp& m = std::get<MergeOp>(s.op);
      lse_merge(device_view(m.part_o), device_view(m.part_lse), device_view(m.acc_o), device_view(m.acc_lse),
                m.init, stream);
      break;
    }
    case OpKind::AttentionBackward:
    case OpKind::Reduce:
    case OpKind::Zero:
      // CudaRuntime::unsupported_plan refuses these plans (cuda_backward_reason).
      throw std::logic_error(std::string("cuda runtime: no kernel for ") + to_string(s.kind()) + " steps");
  }
}

void CudaExecutor::enqueue_steps(bool timed) {
  auto done = [&](int step) -> Event& { return done_[static_cast<size_t>(done_of_[static_cast<size_t>(step)])]; };
  for (const Step& s : plan_.steps) {
    const size_t i = static_cast<size_t>(s.id);
    const cudaStream_t st = streams_[static_cast<size_t>(s.lane)].get();
    for (int d : s.deps)
      if (plan_.steps[static_cast<size_t>(d)].lane != s.lane) done(d).wait_on(st);
    if (timed) step_start_[i].record(st);
    // An NVTX range per step (named by its label) for Nsight Systems users; it brackets
    // the enqueue on the host, which Nsight projects onto the step's GPU work.
    nvtxRangePushA(s.label.c_str());
    enqueue_op(s, st);
    nvtxRangePop();
    if (timed) step_end_[i].record(st);
    if (done_of_[i] >= 0) done(s.id).record(st);
  }
}

void CudaExecutor::join_lanes() {
  for (size_t l = 1; l < streams_.size(); ++l) {
    lane_end_[l].record(streams_[l].get());
    lane_end_[l].wait_on(streams_[0].get());
  }
}

double CudaExecutor::step_alone_ms(int step) {
  const Step& s = plan_.steps.at(static_cast<size_t>(step));
  if (s.is_comm()) throw std::logic_error("cuda runtime: step '" + s.label + "' is an exchange; it cannot run alone");
  const cudaStream_t st = streams_[static_cast<size_t>(s.lane)].get();
  Watchdog::Section armed = ctx_.watchdog().arm(label_ + " (step " + s.label + " alone)", nullptr);
  start_.record(st);
  enqueue_op(s, st);
  end_.record(st);
  end_.synchronize();
  return end_.ms_since(start_);
}

double CudaExecutor::run(std::vector<StepTime>* steps) {
  const bool timed = steps != nullptr;
  const bool replay = opt_.graph && !timed;
  const cudaStream_t s0 = streams_[0].get();
  Watchdog::Section armed = ctx_.watchdog().arm(label_ + (replay ? " (CUDA graph)" : ""), replay ? nullptr : &progress_);
  transport_->begin_run();
  if (replay) {
    if (graph_.empty()) {
      graph_ = CudaGraph::capture(s0, [&] {
        fork_.record(s0);
        for (size_t l = 1; l < streams_.size(); ++l) fork_.wait_on(streams_[l].get());
        enqueue_steps(false);
        join_lanes();
      });
    }
    if (opt_.align_start) ctx_.start_barrier(s0);
    start_.record(s0);
    graph_.launch(s0);
    end_.record(s0);
  } else {
    if (timed && step_start_.empty()) {
      for (size_t i = 0; i < plan_.steps.size(); ++i) {
        step_start_.emplace_back(Event::Kind::Timing);
        step_end_.emplace_back(Event::Kind::Timing);
      }
    }
    if (opt_.align_start) ctx_.start_barrier(s0);
    start_.record(s0);
    for (size_t l = 1; l < streams_.size(); ++l) start_.wait_on(streams_[l].get());
    enqueue_steps(timed);
    join_lanes();
    end_.record(s0);
  }
  end_.synchronize();
  if (timed) {
    steps->clear();
    for (size_t i = 0; i < plan_.steps.size(); ++i)
      steps->push_back(StepTime{static_cast<int>(i), step_start_[i].ms_since(start_), step_end_[i].ms_since(start_)});
  }
  return end_.ms_since(start_);
}

VerifyResult CudaExecutor::verify(VerifyMode mode) {
  const int o = plan_.find_buffer(BufferRole::O);
  if (o < 0) CPB_FATAL("plan '" + plan_.schedule + "' has no output buffer");
  const Buffer& b = plan_.buffers[static_cast<size_t>(o)];
  if (b.elems != p_.B * plan_.local_tokens() * p_.H * p_.D)
    CPB_FATAL("plan '" + plan_.schedule + "': output buffer '" + b.name + "' has " + std::to_string(b.elems) +
              " elements, not B * S_local * H * D");
  const DeviceView view = dense_device_view(buffers_[static_cast<size_t>(o)].get(),
                                            b.storage == Storage::F32 ? DType::FP32 : p_.dtype,
                                            {p_.B, plan_.local_tokens(), p_.H, p_.D});
  return verify_attention(p_, plan_.tokens, view, mode, streams_[0].get());
}

std::vector<unsigned char> CudaExecutor::output_bytes() {
  const int o = plan_.find_buffer(BufferRole::O);
  if (o < 0) CPB_FATAL("plan '" + plan_.schedule + "' has no output buffer");
  const DeviceBuffer& b = buffers_[static_cast<size_t>(o)];
  std::vector<unsigned char> out(b.bytes());
  streams_[0].synchronize();
  if (!out.empty()) CPB_CUDA_CHECK(cudaMemcpy(out.data(), b.get(), b.bytes(), cudaMemcpyDeviceToHost));
  return out;
}

}  // namespace cpb
