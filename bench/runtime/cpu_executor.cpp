#include "bench/runtime/cpu_executor.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>

#include "base/check.hpp"
#include "base/out_of_memory.hpp"
#include "bench/plan/plan_check.hpp"
#include "bench/runtime/cpu_exchange.hpp"
#include "bench/runtime/row_tokens.hpp"
#include "bench/runtime/verify_gradients.hpp"
#include "bench/runtime/verify_reference.hpp"
#include "comm/mpi_session.hpp"
#include "comm/watchdog.hpp"
#include "kernels/cpu/attention.hpp"
#include "kernels/cpu/attention_backward.hpp"
#include "kernels/cpu/input_fill.hpp"
#include "kernels/cpu/lse_merge.hpp"
#include "kernels/cpu/strided_copy.hpp"

namespace cpb {
namespace {

// "exchange step 'kv 1' (step 4, lane 1) with rank 1 of ring P=2 S=4096": what a rank
// waits on in an Exchange step, for the watchdog.
std::string exchange_wait(const Step& s, const Plan& plan, const Problem& p) {
  const ExchangeOp& op = std::get<ExchangeOp>(s.op);
  std::set<int> peers;
  for (const Transfer& t : op.sends) peers.insert(t.peer);
  for (const Transfer& t : op.recvs) peers.insert(t.peer);
  peers.erase(plan.rank);
  std::string with;
  for (int r : peers) with += (with.empty() ? "" : ",") + std::to_string(r);
  return "exchange step '" + s.label + "' (step " + std::to_string(s.id) + ", lane " + std::to_string(s.lane) +
         ") with rank" + (peers.size() == 1 ? " " : "s ") + (with.empty() ? "none" : with) + " of " +
         plan.schedule + " P=" + std::to_string(p.P) + " S=" + std::to_string(p.S);
}

}  // namespace

double cpu_buffer_bytes(const Plan& plan) {
  double bytes = 0;
  for (const Buffer& b : plan.buffers) bytes += static_cast<double>(b.elems) * sizeof(float);
  return bytes;
}

CpuExecutor::CpuExecutor(const Problem& p, Plan plan, MPI_Comm comm, double max_buffer_bytes)
    : problem_(p), plan_(std::move(plan)), comm_(comm) {
  int rank = 0, size = 0;
  CPB_MPI_CHECK(MPI_Comm_rank(comm_, &rank));
  CPB_MPI_CHECK(MPI_Comm_size(comm_, &size));
  if (plan_.rank != rank || plan_.world != size)
    throw std::invalid_argument("cpu runtime: plan for rank " + std::to_string(plan_.rank) + " of " +
                                std::to_string(plan_.world) + " given to rank " + std::to_string(rank) +
                                " of " + std::to_string(size));
  const std::vector<std::string> errors =
      check_runnable(plan_, problem_, std::numeric_limits<int>::max());  // MPI counts are int
  if (!errors.empty()) throw std::invalid_argument("cpu runtime: plan \"" + plan_.schedule + "\": " + errors[0]);

  const double bytes = cpu_buffer_bytes(plan_);
  if (bytes > max_buffer_bytes)
    throw OutOfMemory::over_limit("the cpu runtime's buffer memory", static_cast<size_t>(bytes),
                                  static_cast<size_t>(max_buffer_bytes));

  for (const Buffer& b : plan_.buffers) {
    buffers_.emplace_back(static_cast<size_t>(b.elems), std::numeric_limits<float>::quiet_NaN());
    buffer_bytes_ += static_cast<double>(buffers_.back().size() * sizeof(float));
  }
  const std::vector<int64_t> tokens = row_tokens(plan_.tokens);
  const int64_t rows = static_cast<int64_t>(tokens.size());
  const std::pair<BufferRole, Tensor> inputs[] = {
      {BufferRole::Q, Tensor::Q}, {BufferRole::K, Tensor::K}, {BufferRole::V, Tensor::V}, {BufferRole::DO, Tensor::DO}};
  for (const auto& in : inputs) {
    const int b = plan_.find_buffer(in.first);
    if (b < 0) continue;
    const int64_t heads = in.first == BufferRole::K || in.first == BufferRole::V ? problem_.Hkv : problem_.H;
    fill_inputs(
        in.second, tokens,
        dense_tensor(buffers_[static_cast<size_t>(b)].data(), Shape4{problem_.B, rows, heads, problem_.D}));
  }
}

Tensor4<float> CpuExecutor::tensor(const View& v) {
  return Tensor4<float>(buffers_[static_cast<size_t>(v.buf)].data() + v.offset, v.shape, v.stride);
}

void CpuExecutor::execute(const Step& s) {
  switch (s.kind()) {
    case OpKind::Copy:
      for (const CopyOp::Pair& pair : std::get<CopyOp>(s.op).pairs)
        copy_strided(Tensor4<const float>(tensor(pair.src)), tensor(pair.dst));
      return;
    case OpKind::Exchange: {
      const Watchdog::Section watched = watch_wait(exchange_wait(s, plan_, problem_));
      // The lane is the tag, so exchanges of different lanes never match each other.
      run_exchange(std::get<ExchangeOp>(s.op), plan_.rank, s.lane, comm_, buffers_);
      return;
    }
    case OpKind::Attention: {
      const AttentionOp& a = std::get<AttentionOp>(s.op);
      const Tensor4<float> lse = a.has_lse ? tensor(a.lse) : Tensor4<float>();
      attention_fp32(tensor(a.q), tensor(a.k), tensor(a.v), tensor(a.o), a.has_lse ? &lse : nullptr, a.mask(),
                     a.scale);
      return;
    }
    case OpKind::Merge: {
      const MergeOp& m = std::get<MergeOp>(s.op);
      lse_merge(tensor(m.part_o), tensor(m.part_lse), tensor(m.acc_o), tensor(m.acc_lse), m.init);
      return;
    }
    case OpKind::AttentionBackward: {
      const AttentionBackwardOp& a = std::get<AttentionBackwardOp>(s.op);
      const Shape4 rows{a.q.shape[0], a.q.shape[2], a.q.shape[1], 1};  // [B, Hq, Sq, 1]
      std::vector<float> delta(static_cast<size_t>(rows[0] * rows[1] * rows[2]));
      const Tensor4<float> d = dense_tensor(delta.data(), rows);
      attention_delta_fp32(tensor(a.dout), tensor(a.o), d);
      attention_backward_fp32(tensor(a.q), tensor(a.k), tensor(a.v), tensor(a.dout), tensor(a.lse), d, a.mask(),
                              a.scale, tensor(a.dq), tensor(a.dk), tensor(a.dv));
      return;
    }
    case OpKind::Reduce:
      for (const CopyOp::Pair& pair : std::get<ReduceOp>(s.op).pairs)
        add_strided(Tensor4<const float>(tensor(pair.src)), tensor(pair.dst));
      return;
    case OpKind::Zero:
      for (const Slice& z : std::get<ZeroOp>(s.op).slices) {
        float* base = buffers_[static_cast<size_t>(z.buf)].data() + z.offset;
        std::fill(base, base + z.count, 0.0f);
      }
      return;
  }
}

double CpuExecutor::run(std::vector<StepTime>* steps) {
  if (steps) steps->clear();
  if (!prologue_done_) {
    for (int i = 0; i < plan_.timed_from; ++i) execute(plan_.steps[static_cast<size_t>(i)]);
    prologue_done_ = true;
  }
  barrier(comm_, "CpuExecutor::run (the barrier that starts a run)");
  const double t0 = MPI_Wtime();
  for (size_t i = static_cast<size_t>(plan_.timed_from); i < plan_.steps.size(); ++i) {
    const Step& s = plan_.steps[i];
    const double start = MPI_Wtime();
    execute(s);
    if (steps) steps->push_back(StepTime{s.id, (start - t0) * 1e3, (MPI_Wtime() - t0) * 1e3});
  }
  return (MPI_Wtime() - t0) * 1e3;
}

double CpuExecutor::step_alone_ms(int step) {
  const Step& s = plan_.steps.at(static_cast<size_t>(step));
  if (s.is_comm()) throw std::logic_error("cpu runtime: step '" + s.label + "' is an exchange; it cannot run alone");
  const double t0 = MPI_Wtime();
  execute(s);
  return (MPI_Wtime() - t0) * 1e3;
}

VerifyResult CpuExecutor::verify(VerifyMode mode) {
  const int o = plan_.find_buffer(BufferRole::O);
  if (o < 0) throw std::logic_error("cpu runtime: plan \"" + plan_.schedule + "\" has no output buffer");
  VerifyResult v = verify_output(problem_, plan_.tokens, buffers_[static_cast<size_t>(o)].data(), mode, DType::FP32);
  if (problem_.backward()) {
    auto data = [&](BufferRole role) {
      const int b = plan_.find_buffer(role);
      if (b < 0)
        throw std::logic_error("cpu runtime: plan \"" + plan_.schedule + "\" has no " + to_string(role) + " buffer");
      return buffers_[static_cast<size_t>(b)].data();
    };
    v.gradients = verify_gradients(problem_, plan_.tokens, data(BufferRole::DQ), data(BufferRole::DK),
                                   data(BufferRole::DV), mode, DType::FP32);
  }
  return v;
}

std::vector<unsigned char> CpuExecutor::output_bytes() {
  std::vector<unsigned char> bytes;
  for (BufferRole role : {BufferRole::O, BufferRole::DQ, BufferRole::DK, BufferRole::DV}) {
    const int b = plan_.find_buffer(role);
    if (b < 0) continue;
    const std::vector<float>& buf = buffers_[static_cast<size_t>(b)];
    const size_t at = bytes.size();
    bytes.resize(at + buf.size() * sizeof(float));
    std::memcpy(bytes.data() + at, buf.data(), buf.size() * sizeof(float));
  }
  return bytes;
}

}  // namespace cpb
