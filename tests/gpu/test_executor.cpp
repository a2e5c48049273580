// The CUDA executor on hand-built plans. One rank: two lanes, a pack copy and a
// self-exchange on the comm lane, attention on head chunks and on causal key blocks with
// stats, LSE merges, an fp32 -> bf16 unpack; eager, timed and CUDA-graph runs. Two ranks
// (under `scripts/mpirun.sh 2 cpbench_gpu_tests --gtest_filter=CudaExecutor.TwoRank*`):
// a two-step ring with a real NCCL send/recv between the ranks, and the start barrier
// against a rank that comes late.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>

#include "bench/runtime/cuda/cuda_runtime.hpp"
#include "tests/gpu/gpu_mpi_session.hpp"
#include "tests/gpu/gpu_test_util.hpp"

namespace cpb {
namespace {

Problem small_problem() {
  Problem p;
  p.P = 1;
  p.S = 256;
  p.H = 4;
  p.Hkv = 2;
  p.D = 64;
  p.B = 1;
  p.mask = Mask::Causal;
  p.dtype = DType::BF16;
  return p;
}

// A [B, S, H, D] view of rows [s0, s0 + ns) and heads [h0, h0 + nh) of a dense
// [B, S_all, H_all, D] buffer.
View sub(int buf, int64_t S_all, int64_t H_all, int64_t D, int64_t s0, int64_t ns, int64_t h0, int64_t nh) {
  View v = dense_view(buf, 0, {1, S_all, H_all, D});
  v.offset = (s0 * H_all + h0) * D;
  v.shape = {1, ns, nh, D};
  return v;
}

Plan hand_plan(const Problem& p) {
  const int64_t S = p.S, H = p.H, Hk = p.Hkv, D = p.D, half = S / 2;
  Plan plan;
  plan.schedule = "hand";
  plan.rank = 0;
  plan.world = 1;
  plan.tokens = {Range{0, S}};
  plan.groups = {{0}};
  const int compute = plan.add_lane("compute");
  const int comm = plan.add_lane("comm");
  const int q = plan.add_buffer("q", Storage::Act, BufferRole::Q, S * H * D);
  const int k = plan.add_buffer("k", Storage::Act, BufferRole::K, S * Hk * D);
  const int v = plan.add_buffer("v", Storage::Act, BufferRole::V, S * Hk * D);
  const int o = plan.add_buffer("o", Storage::Act, BufferRole::O, S * H * D);
  const int qs = plan.add_buffer("q_packed", Storage::Act, BufferRole::Scratch, S * H * D);
  const int kx = plan.add_buffer("k_recv", Storage::Act, BufferRole::Scratch, S * Hk * D);
  const int vx = plan.add_buffer("v_recv", Storage::Act, BufferRole::Scratch, S * Hk * D);
  const int part = plan.add_buffer("partial", Storage::Act, BufferRole::Scratch, half * 2 * D);
  const int part_lse = plan.add_buffer("partial_lse", Storage::F32, BufferRole::Scratch, 2 * half);
  const int acc = plan.add_buffer("acc", Storage::F32, BufferRole::Scratch, half * 2 * D);
  const int acc_lse = plan.add_buffer("acc_lse", Storage::F32, BufferRole::Scratch, 2 * half);

  CopyOp pack;
  pack.pairs.push_back({dense_view(q, 0, {1, S, H, D}), dense_view(qs, 0, {1, S, H, D})});
  const int s_pack = plan.add_step(comm, "pack_q", pack, {});
  ExchangeOp ex;
  ex.pattern = ExchangeOp::Pattern::AllToAll;
  ex.group = 0;
  ex.sends = {Transfer{0, Slice{k, 0, S * Hk * D}}, Transfer{0, Slice{v, 0, S * Hk * D}}};
  ex.recvs = {Transfer{0, Slice{kx, 0, S * Hk * D}}, Transfer{0, Slice{vx, 0, S * Hk * D}}};
  const int s_ex = plan.add_step(comm, "a2a_kv", ex, {});

  const float scale = static_cast<float>(p.softmax_scale());
  // Heads 0-1 (key/value head 0): whole causal attention, straight into O.
  AttentionOp a0;
  a0.q = sub(qs, S, H, D, 0, S, 0, 2);
  a0.k = sub(kx, S, Hk, D, 0, S, 0, 1);
  a0.v = sub(vx, S, Hk, D, 0, S, 0, 1);
  a0.o = sub(o, S, H, D, 0, S, 0, 2);
  a0.causal = true;
  a0.scale = scale;
  a0.heads = {0, 2};
  a0.q_tokens = a0.k_tokens = {0, S};
  plan.add_step(compute, "attn[h0-1]", a0, {s_pack, s_ex});
  // Heads 2-3 (key/value head 1), in three causal blocks.
  AttentionOp top = a0;  // queries [0, half) x keys [0, half): causal, done
  top.q = sub(qs, S, H, D, 0, half, 2, 2);
  top.k = sub(kx, S, Hk, D, 0, half, 1, 1);
  top.v = sub(vx, S, Hk, D, 0, half, 1, 1);
  top.o = sub(o, S, H, D, 0, half, 2, 2);
  top.heads = {2, 2};
  top.q_tokens = top.k_tokens = {0, half};
  plan.add_step(compute, "attn[h2-3,top]", top, {});
  AttentionOp below = top;  // queries [half, S) x keys [0, half): full, partial
  below.q = sub(qs, S, H, D, half, half, 2, 2);
  below.o = dense_view(part, 0, {1, half, 2, D});
  below.has_lse = true;
  below.lse = dense_view(part_lse, 0, {1, 2, half, 1});
  below.causal = false;
  below.q_tokens = {half, half};
  const int s_below = plan.add_step(compute, "attn[h2-3,below]", below, {});
  MergeOp m0;
  m0.part_o = below.o;
  m0.part_lse = below.lse;
  m0.acc_o = dense_view(acc, 0, {1, half, 2, D});
  m0.acc_lse = dense_view(acc_lse, 0, {1, 2, half, 1});
  m0.init = true;
  plan.add_step(compute, "merge0", m0, {s_below});
  AttentionOp diag = below;  // queries [half, S) x keys [half, S): causal, partial
  diag.k = sub(kx, S, Hk, D, half, half, 1, 1);
  diag.v = sub(vx, S, Hk, D, half, half, 1, 1);
  diag.causal = true;
  diag.k_tokens = {half, half};
  plan.add_step(compute, "attn[h2-3,diag]", diag, {});
  MergeOp m1 = m0;
  m1.init = false;
  plan.add_step(compute, "merge1", m1, {});
  CopyOp unpack;
  unpack.pairs.push_back({m0.acc_o, sub(o, S, H, D, half, half, 2, 2)});
  plan.add_step(compute, "unpack", unpack, {});
  return plan;
}

TEST(CudaExecutor, HandPlanEagerTimedAndGraph) {
  CPB_REQUIRE_GPU();
  const MpiSession& mpi = test::gpu_mpi_session();
  if (mpi.size() != 1) GTEST_SKIP() << "a one-rank test";
  auto rt = make_cuda_runtime(mpi);
  const Problem p = small_problem();
  const Plan plan = hand_plan(p);
  RunOptions opt;
  opt.transport = TransportKind::Nccl;
  ASSERT_EQ(rt->unsupported(p, opt), std::nullopt);
  ASSERT_EQ(rt->unsupported_plan(p, plan, opt), std::nullopt);

  std::vector<unsigned char> eager_bytes;
  {
    auto exec = rt->prepare(p, plan, opt);
    const double ms = exec->run(nullptr);
    EXPECT_GT(ms, 0);
    const VerifyResult r = exec->verify(VerifyMode::Full);
    std::printf("[executor eager] %.3f ms, max_abs_err %.3g tolerance %.3g checked %lld\n", ms, r.max_abs_err,
                r.tolerance, static_cast<long long>(r.checked));
    EXPECT_FALSE(r.nonfinite);
    EXPECT_EQ(r.checked, p.S * p.H * p.D);
    EXPECT_LE(r.max_abs_err, r.tolerance);
    const VerifyResult sampled = exec->verify(VerifyMode::Sampled);
    EXPECT_GT(sampled.checked, 0);
    EXPECT_LT(sampled.checked, r.checked);
    EXPECT_LE(sampled.max_abs_err, sampled.tolerance);
    eager_bytes = exec->output_bytes();
    EXPECT_EQ(eager_bytes.size(), static_cast<size_t>(p.S * p.H * p.D * 2));

    std::vector<StepTime> steps;
    exec->run(&steps);
    ASSERT_EQ(steps.size(), plan.steps.size());
    for (const StepTime& st : steps) {
      EXPECT_GE(st.start_ms, 0) << plan.steps[static_cast<size_t>(st.step)].label;
      EXPECT_GE(st.end_ms, st.start_ms) << plan.steps[static_cast<size_t>(st.step)].label;
    }
    // Cross-lane order: the first attention starts after the pack and the exchange end.
    EXPECT_GE(steps[2].start_ms, steps[0].end_ms);
    EXPECT_GE(steps[2].start_ms, steps[1].end_ms);
    EXPECT_EQ(exec->output_bytes(), eager_bytes);

    // A step alone: attention step 2 rewrites its part of O with the same values; an
    // exchange cannot run alone.
    const double alone = exec->step_alone_ms(2);
    std::printf("[executor step alone] %s: %.4f ms (%.4f ms in the plan)\n", plan.steps[2].label.c_str(), alone,
                steps[2].end_ms - steps[2].start_ms);
    EXPECT_GT(alone, 0);
    EXPECT_EQ(exec->output_bytes(), eager_bytes);
    EXPECT_THROW(exec->step_alone_ms(1), std::logic_error);
  }
  {
    RunOptions g = opt;
    g.graph = true;
    auto exec = rt->prepare(p, plan, g);
    const double first = exec->run(nullptr);   // captures, then replays
    const double second = exec->run(nullptr);  // replays
    std::printf("[executor graph] %.3f ms, then %.3f ms\n", first, second);
    EXPECT_GT(second, 0);
    EXPECT_EQ(exec->output_bytes(), eager_bytes);  // same kernels, same order: bitwise equal
    const VerifyResult r = exec->verify(VerifyMode::Full);
    EXPECT_LE(r.max_abs_err, r.tolerance);
  }
}

// Rank r holds tokens [r S/2, (r+1) S/2). It sends its K and V to the other rank while it
// attends to its own, then attends to the received block; both partials are merged by LSE.
Plan two_rank_ring(const Problem& p, int rank) {
  const int64_t half = p.S / 2, H = p.H, Hk = p.Hkv, D = p.D;
  const int peer = 1 - rank;
  Plan plan;
  plan.schedule = "hand_ring2";
  plan.rank = rank;
  plan.world = 2;
  plan.tokens = {Range{rank * half, half}};
  plan.groups = {{0, 1}};
  const int compute = plan.add_lane("compute");
  const int comm = plan.add_lane("comm");
  const int q = plan.add_buffer("q", Storage::Act, BufferRole::Q, half * H * D);
  const int k = plan.add_buffer("k", Storage::Act, BufferRole::K, half * Hk * D);
  const int v = plan.add_buffer("v", Storage::Act, BufferRole::V, half * Hk * D);
  const int o = plan.add_buffer("o", Storage::Act, BufferRole::O, half * H * D);
  const int kx = plan.add_buffer("k_peer", Storage::Act, BufferRole::Scratch, half * Hk * D);
  const int vx = plan.add_buffer("v_peer", Storage::Act, BufferRole::Scratch, half * Hk * D);
  const int part = plan.add_buffer("partial", Storage::Act, BufferRole::Scratch, half * H * D);
  const int part_lse = plan.add_buffer("partial_lse", Storage::F32, BufferRole::Scratch, H * half);
  const int acc = plan.add_buffer("acc", Storage::F32, BufferRole::Scratch, half * H * D);
  const int acc_lse = plan.add_buffer("acc_lse", Storage::F32, BufferRole::Scratch, H * half);

  ExchangeOp ex;
  ex.pattern = ExchangeOp::Pattern::SendRecv;
  ex.group = 0;
  ex.sends = {Transfer{peer, Slice{k, 0, half * Hk * D}}, Transfer{peer, Slice{v, 0, half * Hk * D}}};
  ex.recvs = {Transfer{peer, Slice{kx, 0, half * Hk * D}}, Transfer{peer, Slice{vx, 0, half * Hk * D}}};
  const int s_ex = plan.add_step(comm, "kv_pass", ex, {});

  AttentionOp own;
  own.q = dense_view(q, 0, {1, half, H, D});
  own.k = dense_view(k, 0, {1, half, Hk, D});
  own.v = dense_view(v, 0, {1, half, Hk, D});
  own.o = dense_view(part, 0, {1, half, H, D});
  own.has_lse = true;
  own.lse = dense_view(part_lse, 0, {1, H, half, 1});
  own.scale = static_cast<float>(p.softmax_scale());
  own.heads = {0, H};
  own.q_tokens = own.k_tokens = {rank * half, half};
  plan.add_step(compute, "attn[own]", own, {});
  MergeOp m;
  m.part_o = own.o;
  m.part_lse = own.lse;
  m.acc_o = dense_view(acc, 0, {1, half, H, D});
  m.acc_lse = dense_view(acc_lse, 0, {1, H, half, 1});
  m.init = true;
  plan.add_step(compute, "merge[own]", m, {});
  AttentionOp other = own;
  other.k = dense_view(kx, 0, {1, half, Hk, D});
  other.v = dense_view(vx, 0, {1, half, Hk, D});
  other.k_tokens = {peer * half, half};
  plan.add_step(compute, "attn[peer]", other, {s_ex});
  m.init = false;
  plan.add_step(compute, "merge[peer]", m, {});
  CopyOp unpack;
  unpack.pairs.push_back({m.acc_o, dense_view(o, 0, {1, half, H, D})});
  plan.add_step(compute, "unpack", unpack, {});
  return plan;
}

// The problem of the two-rank ring tests: small_problem() at P=2, S=1024, D=128, full mask.
Problem two_rank_problem() {
  Problem p = small_problem();
  p.P = 2;
  p.S = 1024;
  p.D = 128;
  p.mask = Mask::Full;
  return p;
}

TEST(CudaExecutor, TwoRankRingOverNccl) {
  CPB_REQUIRE_GPU();
  const MpiSession& mpi = test::gpu_mpi_session();
  if (mpi.size() != 2) GTEST_SKIP() << "run under mpirun -np 2";
  auto rt = make_cuda_runtime(mpi);
  const Problem p = two_rank_problem();
  const Plan plan = two_rank_ring(p, mpi.rank());
  RunOptions opt;
  opt.transport = TransportKind::Nccl;
  ASSERT_EQ(rt->unsupported_plan(p, plan, opt), std::nullopt);
  std::vector<unsigned char> eager_bytes;
  {
    auto exec = rt->prepare(p, plan, opt);
    exec->run(nullptr);
    const VerifyResult r = exec->verify(VerifyMode::Full);
    std::printf("[executor 2 ranks] rank %d: max_abs_err %.3g tolerance %.3g\n", mpi.rank(), r.max_abs_err, r.tolerance);
    EXPECT_FALSE(r.nonfinite);
    EXPECT_LE(r.max_abs_err, r.tolerance);
    eager_bytes = exec->output_bytes();
    std::vector<StepTime> steps;
    exec->run(&steps);
    ASSERT_EQ(steps.size(), plan.steps.size());
    EXPECT_GE(steps[3].start_ms, steps[0].end_ms);  // attn[peer] waits for kv_pass
  }
  {
    RunOptions g = opt;
    g.graph = true;
    auto exec = rt->prepare(p, plan, g);
    exec->run(nullptr);
    const double ms = exec->run(nullptr);
    std::printf("[executor 2 ranks graph] rank %d: %.3f ms\n", mpi.rank(), ms);
    EXPECT_EQ(exec->output_bytes(), eager_bytes);
  }
}

// Rank 1 enters every run 100 ms after rank 0. Under align_start the start barrier keeps
// that delay out of rank 0's time; without it rank 0's time includes the wait for its
// peer (the control, which shows the test can see the delay).
TEST(CudaExecutor, TwoRankStartBarrierKeepsALateRankOutOfTheTime) {
  CPB_REQUIRE_GPU();
  const MpiSession& mpi = test::gpu_mpi_session();
  if (mpi.size() != 2) GTEST_SKIP() << "run under mpirun -np 2";
  auto rt = make_cuda_runtime(mpi);
  const Problem p = two_rank_problem();
  const Plan plan = two_rank_ring(p, mpi.rank());
  constexpr double kLateMs = 100;
  for (const bool align : {true, false}) {
    RunOptions opt;
    opt.transport = TransportKind::Nccl;
    opt.align_start = align;
    auto exec = rt->prepare(p, plan, opt);
    exec->run(nullptr);
    barrier(mpi.world());
    if (mpi.rank() == 1) std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(kLateMs));
    const double ms = exec->run(nullptr);
    std::printf("[start barrier %s] rank %d: %.3f ms\n", align ? "on" : "off", mpi.rank(), ms);
    if (mpi.rank() != 0) continue;
    if (align) {
      EXPECT_LT(ms, kLateMs / 2);
    } else {
      EXPECT_GE(ms, kLateMs * 0.9);
    }
  }
}

// Run only by the CTest case gpu.watchdog.np2 (CPB_WATCHDOG_S=3), which expects the job
// to end with the watchdog's message: rank 0 runs a ring step over the ce transport
// whose peer never posts its side, so its stream waits for the peer's signal forever.
TEST(CudaExecutor, DISABLED_TwoRankHangEndsWithTheWatchdog) {
  CPB_REQUIRE_GPU();
  const MpiSession& mpi = test::gpu_mpi_session();
  if (mpi.size() != 2) GTEST_SKIP() << "run under mpirun -np 2";
  auto rt = make_cuda_runtime(mpi);
  const Problem p = two_rank_problem();
  const Plan plan = two_rank_ring(p, mpi.rank());
  RunOptions opt;
  opt.transport = TransportKind::Ce;
  auto exec = rt->prepare(p, plan, opt);
  if (mpi.rank() == 0) exec->run(nullptr);
  barrier(mpi.world());  // rank 1 waits here until the watchdog on rank 0 aborts the job
  ADD_FAILURE() << "the hung run returned";
}

TEST(CudaRuntime, UnsupportedReasons) {
  CPB_REQUIRE_GPU();
  const MpiSession& mpi = test::gpu_mpi_session();
  if (mpi.size() != 1) GTEST_SKIP() << "a one-rank test";
  auto rt = make_cuda_runtime(mpi);
  Problem p = small_problem();
  RunOptions opt;
  opt.transport = TransportKind::Nccl;
  EXPECT_EQ(rt->transports().front(), TransportKind::Nccl);
  p.dtype = DType::FP32;
  EXPECT_NE(rt->unsupported(p, opt).value_or("").find("fp32"), std::string::npos);
  p.dtype = DType::BF16;
  opt.transport = TransportKind::Ce;
  opt.profile = Profile::Pcie;
  EXPECT_NE(rt->unsupported(p, opt).value_or("").find("profile pcie moves every byte through host memory"), std::string::npos);
  opt.transport = TransportKind::CeHost;
  EXPECT_EQ(rt->unsupported(p, opt), std::nullopt);
  opt.graph = true;
  EXPECT_NE(rt->unsupported(p, opt).value_or("").find("measure.graph"), std::string::npos);
  opt.graph = false;
  opt.transport = TransportKind::Nccl;
  EXPECT_NE(rt->unsupported(p, opt).value_or("").find("NCCL_P2P_DISABLE=1"), std::string::npos);
  opt.profile = Profile::Nvlink;
  ::setenv("NCCL_P2P_DISABLE", "1", 1);
  EXPECT_NE(rt->unsupported(p, opt).value_or("").find("that is profile pcie"), std::string::npos);
  ::unsetenv("NCCL_P2P_DISABLE");
  opt.transport = TransportKind::Nccl;
  Plan big = hand_plan(p);
  big.buffers[4].elems = int64_t{1} << 46;  // 128 TiB of bf16 scratch
  const std::string why = rt->unsupported_plan(p, big, opt).value_or("");
  std::printf("[runtime memory] %s\n", why.c_str());
  EXPECT_NE(why.find("not enough GPU memory"), std::string::npos);
  EXPECT_NE(why.find("free of"), std::string::npos);

  const auto info = rt->describe();
  for (const auto& kv : info) std::printf("[runtime describe] %s = %s\n", kv.first.c_str(), kv.second.c_str());
  bool has_cudnn = false;
  for (const auto& kv : info) has_cudnn = has_cudnn || kv.first == "cudnn";
  EXPECT_TRUE(has_cudnn);

}

}  // namespace
}  // namespace cpb
