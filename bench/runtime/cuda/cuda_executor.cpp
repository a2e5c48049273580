#include "bench/runtime/cuda/cuda_executor.hpp"

#include <mpi.h>
#include <nvtx3/nvToolsExt.h>

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

#include "bench/plan/plan_check.hpp"
#include "bench/runtime/cuda/cuda_transports.hpp"
#include "bench/runtime/cuda/cuda_verify.hpp"
#include "bench/runtime/cuda/cuda_verify_gradients.hpp"
#include "comm/oom_agreement.hpp"
#include "kernels/cuda/copy_views.hpp"
#include "kernels/cuda/fill_inputs.hpp"
#include "kernels/cuda/lse_merge.hpp"

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
  const PlanMemory mem = plan_memory(p_, plan_, ctx_.sdpa(), ctx_.sdpa_backward(), opt_.levers.attn_sms);
  if (!mem.error.empty()) CPB_FATAL(mem.error);
  memory_bytes_ = static_cast<double>(mem.total());
  deterministic_ = mem.deterministic;
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
    for (size_t bytes : mem.grad_tiles) grad_tiles_.emplace_back(bytes);
  } catch (const OutOfMemory&) {
    buffers_.clear();
    workspaces_.clear();
    grad_tiles_.clear();
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
  attention_backward_.resize(n);
  std::vector<bool> needs_event(n, false);
  for (const Step& s : plan_.steps) {
    const size_t i = static_cast<size_t>(s.id);
    if (s.kind() == OpKind::Attention)
      attention_[i] = attention_desc(std::get<AttentionOp>(s.op), p_.dtype, opt_.levers.attn_sms);
    if (s.kind() == OpKind::AttentionBackward) {
      int64_t ws = 0;  // plan_memory() chose (and built) the same descriptor
      choose_backward_desc(std::get<AttentionBackwardOp>(s.op), p_.dtype, opt_.levers.attn_sms, ctx_.sdpa_backward(),
                           &attention_backward_[i], &ws);
    }
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
    Tensor t;
    switch (b.role) {
      case BufferRole::Q:
        t = Tensor::Q;
        break;
      case BufferRole::K:
        t = Tensor::K;
        break;
      case BufferRole::V:
        t = Tensor::V;
        break;
      case BufferRole::DO:
        t = Tensor::DO;
        break;
      default:
        continue;
    }
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
      enqueue_attention_backward(s, stream);
      break;
    case OpKind::Reduce: {
      std::vector<CopyPair> pairs;
      for (const CopyOp::Pair& pr : std::get<ReduceOp>(s.op).pairs)
        pairs.push_back(CopyPair{device_view(pr.src), device_view(pr.dst)});
      add_views(pairs, stream);
      break;
    }
    case OpKind::Zero:
      for (const Slice& z : std::get<ZeroOp>(s.op).slices) {
        const Buffer& b = plan_.buffers[static_cast<size_t>(z.buf)];
        const size_t eb = static_cast<size_t>(storage_bytes(b.storage, p_.dtype));
        // All-zero bits are +0 in bf16, fp16 and fp32.
        CPB_CUDA_CHECK(cudaMemsetAsync(
            static_cast<char*>(buffers_[static_cast<size_t>(z.buf)].get()) + static_cast<size_t>(z.offset) * eb, 0,
            static_cast<size_t>(z.count) * eb, stream));
      }
      break;
  }
}

void CudaExecutor::enqueue_attention_backward(const Step& s, cudaStream_t stream) {
  const AttentionBackwardOp& a = std::get<AttentionBackwardOp>(s.op);
  const GradTileLayout g = grad_tile_layout(a, p_.dtype);
  char* tile = static_cast<char*>(grad_tiles_[static_cast<size_t>(s.lane)].get());
  SdpaBackwardArgs args;
  args.q = device_view(a.q).ptr;
  args.k = device_view(a.k).ptr;
  args.v = device_view(a.v).ptr;
  args.o = device_view(a.o).ptr;
  args.dout = device_view(a.dout).ptr;
  args.lse = static_cast<const float*>(device_view(a.lse).ptr);
  args.dq = tile + g.dq;
  args.dk = tile + g.dk;
  args.dv = tile + g.dv;
  ctx_.sdpa_backward().run(attention_backward_[static_cast<size_t>(s.id)], args,
                           workspaces_[static_cast<size_t>(s.lane)].get(), stream);
  add_views({CopyPair{dense_device_view(args.dq, p_.dtype, a.dq.shape), device_view(a.dq)},
             CopyPair{dense_device_view(args.dk, p_.dtype, a.dk.shape), device_view(a.dk)},
             CopyPair{dense_device_view(args.dv, p_.dtype, a.dv.shape), device_view(a.dv)}},
            stream);
}

void CudaExecutor::enqueue_steps(int first, int last, bool timed) {
  auto done = [&](int step) -> Event& { return done_[static_cast<size_t>(done_of_[static_cast<size_t>(step)])]; };
  for (int id = first; id < last; ++id) {
    const Step& s = plan_.steps[static_cast<size_t>(id)];
    const size_t i = static_cast<size_t>(s.id);
    const cudaStream_t st = streams_[static_cast<size_t>(s.lane)].get();
    // A dependency before `first` is a prologue step, done before this range was enqueued.
    for (int d : s.deps)
      if (d >= first && plan_.steps[static_cast<size_t>(d)].lane != s.lane) done(d).wait_on(st);
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

void CudaExecutor::run_prologue() {
  const cudaStream_t s0 = streams_[0].get();
  fork_.record(s0);
  for (size_t l = 1; l < streams_.size(); ++l) fork_.wait_on(streams_[l].get());
  enqueue_steps(0, plan_.timed_from, false);
  join_lanes();
  streams_[0].synchronize();
  prologue_done_ = true;
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
  // In the same transport run as the timed steps below: a transport's signals count runs.
  if (!prologue_done_) run_prologue();
  const int first = plan_.timed_from, last = static_cast<int>(plan_.steps.size());
  if (replay) {
    if (graph_.empty()) {
      graph_ = CudaGraph::capture(s0, [&] {
        fork_.record(s0);
        for (size_t l = 1; l < streams_.size(); ++l) fork_.wait_on(streams_[l].get());
        enqueue_steps(first, last, false);
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
    enqueue_steps(first, last, timed);
    join_lanes();
    end_.record(s0);
  }
  end_.synchronize();
  if (timed) {
    steps->clear();
    for (size_t i = static_cast<size_t>(first); i < plan_.steps.size(); ++i)
      steps->push_back(StepTime{static_cast<int>(i), step_start_[i].ms_since(start_), step_end_[i].ms_since(start_)});
  }
  return end_.ms_since(start_);
}

DeviceView CudaExecutor::shard_view(BufferRole role, int64_t heads) const {
  const int i = plan_.find_buffer(role);
  if (i < 0) CPB_FATAL("plan '" + plan_.schedule + "' has no " + to_string(role) + " buffer");
  const Buffer& b = plan_.buffers[static_cast<size_t>(i)];
  if (b.elems != p_.B * plan_.local_tokens() * heads * p_.D)
    CPB_FATAL("plan '" + plan_.schedule + "': buffer '" + b.name + "' has " + std::to_string(b.elems) +
              " elements, not B * S_local * " + std::to_string(heads) + " * D");
  return dense_device_view(buffers_[static_cast<size_t>(i)].get(), b.storage == Storage::F32 ? DType::FP32 : p_.dtype,
                           {p_.B, plan_.local_tokens(), heads, p_.D});
}

VerifyResult CudaExecutor::verify(VerifyMode mode) {
  VerifyResult v = verify_attention(p_, plan_.tokens, shard_view(BufferRole::O, p_.H), mode, streams_[0].get());
  if (p_.backward())
    v.gradients =
        verify_gradients_cuda(p_, plan_.tokens, shard_view(BufferRole::DQ, p_.H), shard_view(BufferRole::DK, p_.Hkv),
                              shard_view(BufferRole::DV, p_.Hkv), mode, streams_[0].get());
  return v;
}

// O, then dQ, dK and dV in the backward pass, as the CPU runtime's.
std::vector<unsigned char> CudaExecutor::output_bytes() {
  std::vector<unsigned char> out;
  streams_[0].synchronize();
  for (BufferRole role : {BufferRole::O, BufferRole::DQ, BufferRole::DK, BufferRole::DV}) {
    const int i = plan_.find_buffer(role);
    if (i < 0) {
      if (role == BufferRole::O) CPB_FATAL("plan '" + plan_.schedule + "' has no output buffer");
      continue;
    }
    const DeviceBuffer& b = buffers_[static_cast<size_t>(i)];
    const size_t at = out.size();
    out.resize(at + b.bytes());
    if (b.bytes() > 0) CPB_CUDA_CHECK(cudaMemcpy(out.data() + at, b.get(), b.bytes(), cudaMemcpyDeviceToHost));
  }
  return out;
}

}  // namespace cpb
