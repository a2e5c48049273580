// The CUDA executor on hand-built plans. One rank: two lanes, a pack copy and a
// self-exchange on the comm lane, attention on head chunks and on causal key blocks with
// stats, LSE merges, an fp32 -> bf16 unpack; eager, timed and CUDA-graph runs. Every
// schedule's backward plan at P=1 (the prologue, attention-backward, reduce and zero
// steps), its gradients checked by the executor's GPU verification and, independently,
// by the CPU's double-precision reference. Two ranks
// (under `scripts/mpirun.sh 2 cpbench_gpu_tests --gtest_filter=CudaExecutor.TwoRank*`):
// a two-step ring with a real NCCL send/recv between the ranks, and the start barrier
// against a rank that comes late.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench/runtime/cuda/cuda_runtime.hpp"
#include "bench/runtime/verify_gradients.hpp"
#include "bench/schedule.hpp"
#include "tests/gpu/gpu_mpi_session.hpp"
#include "tests/gpu/gpu_test_util.hpp"
#include "tests/plan_builder.hpp"

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

Plan hand_plan(const Problem& p) {
  const int64_t S = p.S, H = p.H, Hk = p.Hkv, D = p.D, half = S / 2;
  test::PlanBuilder b("hand", 0, 1);
  b.tokens({Range{0, S}}).group({0});
  const int compute = b.lane("compute");
  const int comm = b.lane("comm");
  const int q = b.act("q", BufferRole::Q, S * H * D);
  const int k = b.act("k", BufferRole::K, S * Hk * D);
  const int v = b.act("v", BufferRole::V, S * Hk * D);
  const int o = b.act("o", BufferRole::O, S * H * D);
  const int qs = b.act("q_packed", BufferRole::Scratch, S * H * D);
  const int kx = b.act("k_recv", BufferRole::Scratch, S * Hk * D);
  const int vx = b.act("v_recv", BufferRole::Scratch, S * Hk * D);
  const int part = b.act("partial", BufferRole::Scratch, half * 2 * D);
  const int part_lse = b.f32("partial_lse", 2 * half);
  const int acc = b.f32("acc", half * 2 * D);
  const int acc_lse = b.f32("acc_lse", 2 * half);
  // Rows [s0, s0 + ns) and heads [h0, h0 + nh) of a dense [1, S, heads, D] buffer.
  auto rows = [&](int buf, int64_t heads, int64_t s0, int64_t ns, int64_t h0, int64_t nh) {
    return test::window(buf, {1, S, heads, D}, s0, ns, h0, nh);
  };

  const int s_pack = b.copy(comm, "pack_q", {{dense_view(q, 0, {1, S, H, D}), dense_view(qs, 0, {1, S, H, D})}});
  const int s_ex = b.exchange(comm, "a2a_kv", ExchangeOp::Pattern::AllToAll, 0,
                              {Transfer{0, Slice{k, 0, S * Hk * D}}, Transfer{0, Slice{v, 0, S * Hk * D}}},
                              {Transfer{0, Slice{kx, 0, S * Hk * D}}, Transfer{0, Slice{vx, 0, S * Hk * D}}});

  const double scale = p.softmax_scale();
  // Heads 0-1 (key/value head 0): whole causal attention, straight into O.
  b.attention(compute, "attn[h0-1]",
              test::Tile(rows(qs, H, 0, S, 0, 2), rows(kx, Hk, 0, S, 0, 1), rows(vx, Hk, 0, S, 0, 1), rows(o, H, 0, S, 0, 2))
                  .causal()
                  .scale(scale)
                  .covers({0, 2}, {0, S}, {0, S}),
              {s_pack, s_ex});
  // Heads 2-3 (key/value head 1), in three causal blocks. Queries [0, half) x keys
  // [0, half): causal, done.
  b.attention(compute, "attn[h2-3,top]",
              test::Tile(rows(qs, H, 0, half, 2, 2), rows(kx, Hk, 0, half, 1, 1), rows(vx, Hk, 0, half, 1, 1),
                         rows(o, H, 0, half, 2, 2))
                  .causal()
                  .scale(scale)
                  .covers({2, 2}, {0, half}, {0, half}));
  // Queries [half, S) x keys [0, half): full, partial.
  const View part_o = dense_view(part, 0, {1, half, 2, D}), part_o_lse = dense_view(part_lse, 0, {1, 2, half, 1});
  const int s_below = b.attention(compute, "attn[h2-3,below]",
                                  test::Tile(rows(qs, H, half, half, 2, 2), rows(kx, Hk, 0, half, 1, 1),
                                             rows(vx, Hk, 0, half, 1, 1), part_o)
                                      .lse(part_o_lse)
                                      .scale(scale)
                                      .covers({2, 2}, {half, half}, {0, half}));
  MergeOp m = test::merge_op(part_o, part_o_lse, dense_view(acc, 0, {1, half, 2, D}),
                             dense_view(acc_lse, 0, {1, 2, half, 1}), true);
  b.merge(compute, "merge0", m, {s_below});
  // Queries [half, S) x keys [half, S): causal, partial.
  b.attention(compute, "attn[h2-3,diag]",
              test::Tile(rows(qs, H, half, half, 2, 2), rows(kx, Hk, half, half, 1, 1),
                         rows(vx, Hk, half, half, 1, 1), part_o)
                  .lse(part_o_lse)
                  .causal()
                  .scale(scale)
                  .covers({2, 2}, {half, half}, {half, half}));
  m.init = false;
  b.merge(compute, "merge1", m);
  b.copy(compute, "unpack", {{m.acc_o, rows(o, H, half, half, 2, 2)}});
  return b.plan();
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
  test::PlanBuilder b("hand_ring2", rank, 2);
  b.tokens({Range{rank * half, half}}).group({0, 1});
  const int compute = b.lane("compute");
  const int comm = b.lane("comm");
  const int q = b.act("q", BufferRole::Q, half * H * D);
  const int k = b.act("k", BufferRole::K, half * Hk * D);
  const int v = b.act("v", BufferRole::V, half * Hk * D);
  const int o = b.act("o", BufferRole::O, half * H * D);
  const int kx = b.act("k_peer", BufferRole::Scratch, half * Hk * D);
  const int vx = b.act("v_peer", BufferRole::Scratch, half * Hk * D);
  const int part = b.act("partial", BufferRole::Scratch, half * H * D);
  const int part_lse = b.f32("partial_lse", H * half);
  const int acc = b.f32("acc", half * H * D);
  const int acc_lse = b.f32("acc_lse", H * half);

  const int s_ex =
      b.exchange(comm, "kv_pass", ExchangeOp::Pattern::SendRecv, 0,
                 {Transfer{peer, Slice{k, 0, half * Hk * D}}, Transfer{peer, Slice{v, 0, half * Hk * D}}},
                 {Transfer{peer, Slice{kx, 0, half * Hk * D}}, Transfer{peer, Slice{vx, 0, half * Hk * D}}});

  const View q_all = dense_view(q, 0, {1, half, H, D}), part_o = dense_view(part, 0, {1, half, H, D});
  const View part_o_lse = dense_view(part_lse, 0, {1, H, half, 1});
  auto tile = [&](int k_buf, int v_buf, int64_t k_rank) {
    return test::Tile(q_all, dense_view(k_buf, 0, {1, half, Hk, D}), dense_view(v_buf, 0, {1, half, Hk, D}), part_o)
        .lse(part_o_lse)
        .scale(p.softmax_scale())
        .covers({0, H}, {rank * half, half}, {k_rank * half, half});
  };
  b.attention(compute, "attn[own]", tile(k, v, rank));
  MergeOp m = test::merge_op(part_o, part_o_lse, dense_view(acc, 0, {1, half, H, D}),
                             dense_view(acc_lse, 0, {1, H, half, 1}), true);
  b.merge(compute, "merge[own]", m);
  b.attention(compute, "attn[peer]", tile(kx, vx, peer), {s_ex});
  m.init = false;
  b.merge(compute, "merge[peer]", m);
  b.copy(compute, "unpack", {{m.acc_o, dense_view(o, 0, {1, half, H, D})}});
  return b.plan();
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
  mpi.watchdog().set_timeout(mpi.rank() == 0 ? 3 : 60);
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

// Run only by the CTest case gpu.watchdog.np2, which expects the job to end with the
// watchdog's message: rank 0 (timeout 3 s) runs a ring step over the ce transport whose
// peer never posts its side, so its stream waits for the peer's signal forever; rank 1
// waits in a barrier with a longer timeout, so rank 0's watchdog fires first.
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

// The bytes of a bf16 shard as floats.
std::vector<float> bf16_floats(const unsigned char* bytes, size_t n) {
  std::vector<float> out(n);
  for (size_t i = 0; i < n; ++i) {
    const uint32_t u = static_cast<uint32_t>(bytes[2 * i] | (bytes[2 * i + 1] << 8)) << 16;
    std::memcpy(&out[i], &u, 4);
  }
  return out;
}

class BackwardPlan : public ::testing::TestWithParam<const char*> {};

TEST_P(BackwardPlan, GradientsPassOnTheGpuAndAgainstTheCpuReference) {
  CPB_REQUIRE_GPU();
  const MpiSession& mpi = test::gpu_mpi_session();
  if (mpi.size() != 1) GTEST_SKIP() << "a one-rank test";
  auto rt = make_cuda_runtime(mpi);
  Problem p = small_problem();
  p.pass = Pass::Bwd;
  p.chunks = 2;  // hcms: two head chunks
  p.usp_u = 1;
  const Schedule* sched = find_schedule(GetParam());
  ASSERT_NE(sched, nullptr);
  ASSERT_EQ(sched->unsupported(p), std::nullopt);
  const Plan plan = sched->plan(p, 0);
  ASSERT_GT(plan.timed_from, 0) << "pass bwd puts the forward in the prologue";
  RunOptions opt;
  opt.transport = TransportKind::Nccl;
  ASSERT_EQ(rt->unsupported_plan(p, plan, opt), std::nullopt);
  auto exec = rt->prepare(p, plan, opt);
  exec->run(nullptr);
  const std::vector<unsigned char> first = exec->output_bytes();
  std::vector<StepTime> steps;
  exec->run(&steps);
  EXPECT_EQ(steps.size(), plan.steps.size() - static_cast<size_t>(plan.timed_from)) << "timed steps only";
  // The timed steps zero their accumulators: a second run gives the same bits.
  EXPECT_EQ(exec->output_bytes(), first);

  const VerifyResult r = exec->verify(VerifyMode::Full);
  EXPECT_FALSE(r.nonfinite);
  EXPECT_LE(r.max_abs_err, r.tolerance) << "O";
  ASSERT_EQ(r.gradients.size(), 3u);
  const size_t nq = static_cast<size_t>(p.B * p.S * p.H * p.D), nk = static_cast<size_t>(p.B * p.S * p.Hkv * p.D);
  ASSERT_EQ(first.size(), 2 * (2 * nq + 2 * nk)) << "O, dQ, dK, dV in bf16";
  const std::vector<float> dq = bf16_floats(first.data() + 2 * nq, nq);
  const std::vector<float> dk = bf16_floats(first.data() + 4 * nq, nk);
  const std::vector<float> dv = bf16_floats(first.data() + 4 * nq + 2 * nk, nk);
  const std::vector<TensorVerify> cpu =
      verify_gradients(p, plan.tokens, dq.data(), dk.data(), dv.data(), VerifyMode::Full, p.dtype);
  for (size_t i = 0; i < 3; ++i) {
    const TensorVerify& g = r.gradients[i];
    std::printf("[backward %s] %s gpu-verify err %.3g tol %.3g; cpu-verify err %.3g tol %.3g\n", GetParam(),
                g.tensor.c_str(), g.max_abs_err, g.tolerance, cpu[i].max_abs_err, cpu[i].tolerance);
    EXPECT_FALSE(g.nonfinite) << g.tensor;
    EXPECT_LE(g.max_abs_err, g.tolerance) << g.tensor << " (GPU verification)";
    EXPECT_LE(cpu[i].max_abs_err, cpu[i].tolerance) << cpu[i].tensor << " (CPU reference)";
  }
}

INSTANTIATE_TEST_SUITE_P(Schedules, BackwardPlan,
                         ::testing::Values("ulysses", "hcms", "ring", "zigzag_ring", "usp", "tiled"));

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
