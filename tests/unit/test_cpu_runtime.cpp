// The CPU runtime on a hand-made single-rank plan: copy to a head-major layout, a self
// exchange, attention tiles merged by LSE, and verification catching planted bugs.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

#include "base/out_of_memory.hpp"
#include "bench/runtime/cpu_executor.hpp"
#include "bench/runtime/cpu_runtime.hpp"
#include "tests/plan_builder.hpp"
#include "tests/unit/mpi_test_session.hpp"
#include "tests/unit/test_plan_util.hpp"

namespace cpb {
namespace {

constexpr int64_t S = 16, H = 4, HKV = 2, D = 8, HALF = S / 2;

Problem tiny_problem() {
  Problem p = test::make_problem(1, S, H, HKV, D, 1, Mask::Causal);
  p.dtype = DType::BF16;
  return p;
}

// An attention tile of the tiny problem (its softmax scale).
test::Tile tile(const View& q, const View& k, const View& v, const View& o, bool causal) {
  return test::Tile(q, k, v, o).causal(causal).scale(tiny_problem().softmax_scale());
}

// Causal attention of one rank holding all 16 tokens. Query rows [0, 8) form one causal
// tile; rows [8, 16) merge a full tile against keys [0, 8) with a causal tile against keys
// [8, 16). Q is first copied to a head-major scratch and K sent to itself.
// `wrong_keys`: the full tile reads keys [8, 16) instead (a planted indexing bug).
Plan tiny_plan(bool wrong_keys) {
  test::PlanBuilder b("tiny", 0, 1);
  b.tokens({Range{0, S}}).group({0});
  const int compute = b.lane("compute"), comm = b.lane("comm");
  const int q = b.act("q", BufferRole::Q, S * H * D);
  const int k = b.act("k", BufferRole::K, S * HKV * D);
  const int v = b.act("v", BufferRole::V, S * HKV * D);
  const int o = b.act("o", BufferRole::O, S * H * D);
  const int qh = b.act("q_head_major", BufferRole::Scratch, S * H * D);
  const int k2 = b.act("k_received", BufferRole::Scratch, S * HKV * D);
  const int part = b.act("part_o", BufferRole::Scratch, HALF * H * D);
  const int part_lse = b.f32("part_lse", H * HALF);
  const int acc = b.f32("acc_o", HALF * H * D);
  const int acc_lse = b.f32("acc_lse", H * HALF);

  // Q rows [r0, r0 + n) of the head-major copy, indexed as [B, S, H, D].
  auto q_rows = [&](int64_t r0, int64_t n) { return test::strided(qh, r0 * D, {1, n, H, D}, {S * H * D, D, S * D, 1}); };
  auto kv_rows = [&](int buf, int64_t r0) { return dense_view(buf, r0 * HKV * D, {1, HALF, HKV, D}); };
  const View part_o = dense_view(part, 0, {1, HALF, H, D}), part_o_lse = dense_view(part_lse, 0, {1, H, HALF, 1});

  const int c0 = b.copy(compute, "q_to_head_major", {{dense_view(q, 0, {1, S, H, D}), q_rows(0, S)}});
  const int x0 = b.exchange(comm, "k_to_self", ExchangeOp::Pattern::SendRecv, 0, {Transfer{0, Slice{k, 0, S * HKV * D}}},
                            {Transfer{0, Slice{k2, 0, S * HKV * D}}});
  const int64_t past = wrong_keys ? HALF : 0;
  const int a0 = b.attention(
      compute, "attn_past",
      tile(q_rows(HALF, HALF), kv_rows(k2, past), kv_rows(v, past), part_o, false).lse(part_o_lse), {c0, x0});
  MergeOp merge =
      test::merge_op(part_o, part_o_lse, dense_view(acc, 0, {1, HALF, H, D}), dense_view(acc_lse, 0, {1, H, HALF, 1}), true);
  const int m0 = b.merge(compute, "merge_init", merge, {a0});
  const int a1 = b.attention(
      compute, "attn_diag",
      tile(q_rows(HALF, HALF), kv_rows(k2, HALF), kv_rows(v, HALF), part_o, true).lse(part_o_lse), {m0});
  merge.init = false;
  const int m1 = b.merge(compute, "merge", merge, {a1});
  const int a2 = b.attention(
      compute, "attn_first_half",
      tile(q_rows(0, HALF), kv_rows(k2, 0), kv_rows(v, 0), dense_view(o, 0, {1, HALF, H, D}), true), {c0, x0});
  b.copy(compute, "acc_to_o", {{merge.acc_o, dense_view(o, HALF * H * D, {1, HALF, H, D})}}, {m1, a2});
  return b.plan();
}

std::unique_ptr<Runtime> cpu_runtime() { return make_cpu_runtime(test::mpi_session()); }

RunOptions mpi_transport() {
  RunOptions opt;
  opt.transport = TransportKind::Mpi;
  return opt;
}

TEST(CpuRuntime, TinyPlanRunsAndVerifies) {
  auto rt = cpu_runtime();
  auto ex = rt->prepare(tiny_problem(), tiny_plan(false), mpi_transport());
  std::vector<StepTime> steps;
  const double ms = ex->run(&steps);
  ASSERT_EQ(steps.size(), 8u);
  for (size_t i = 0; i < steps.size(); ++i) {
    EXPECT_EQ(steps[i].step, static_cast<int>(i));
    EXPECT_LE(steps[i].start_ms, steps[i].end_ms);
    if (i > 0) {
      EXPECT_LE(steps[i - 1].end_ms, steps[i].start_ms);
    }
  }
  EXPECT_GE(ms, steps.back().end_ms);

  const VerifyResult full = ex->verify(VerifyMode::Full);
  EXPECT_FALSE(full.nonfinite);
  EXPECT_EQ(full.checked, S * H * D);
  EXPECT_GT(full.tolerance, 0.0);
  EXPECT_LT(full.max_abs_err, full.tolerance);
  const VerifyResult sampled = ex->verify(VerifyMode::Sampled);
  EXPECT_FALSE(sampled.nonfinite);
  EXPECT_GT(sampled.checked, 0);
  EXPECT_LT(sampled.max_abs_err, 1e-5);
  EXPECT_EQ(ex->verify(VerifyMode::Off).checked, 0);

  const std::vector<unsigned char> first = ex->output_bytes();
  EXPECT_EQ(first.size(), static_cast<size_t>(S * H * D * 4));
  ex->run(nullptr);
  EXPECT_EQ(ex->output_bytes(), first);  // runs are deterministic
}

// Steps run alone act on the executor's buffers: after a run, attn_past, merge_init and
// acc_to_o alone leave the second half of O with the past keys only (wrong); a whole run
// puts it right again. An exchange cannot run alone.
TEST(CpuRuntime, StepAloneRunsThatStepOnTheExecutorsBuffers) {
  auto rt = cpu_runtime();
  auto ex = rt->prepare(tiny_problem(), tiny_plan(false), mpi_transport());
  ex->run(nullptr);
  const std::vector<unsigned char> out = ex->output_bytes();
  EXPECT_GT(ex->step_alone_ms(6), 0);  // attn_first_half: the same values into O again
  EXPECT_EQ(ex->output_bytes(), out);
  for (int step : {2, 3, 7}) EXPECT_GE(ex->step_alone_ms(step), 0);
  const VerifyResult partial = ex->verify(VerifyMode::Full);
  EXPECT_FALSE(partial.nonfinite);
  EXPECT_GT(partial.max_abs_err, partial.tolerance);
  ex->run(nullptr);
  EXPECT_EQ(ex->output_bytes(), out);
  EXPECT_THROW(ex->step_alone_ms(1), std::logic_error);
}

TEST(CpuRuntime, WrongViewFailsVerification) {
  auto ex = cpu_runtime()->prepare(tiny_problem(), tiny_plan(true), mpi_transport());
  ex->run(nullptr);
  const VerifyResult r = ex->verify(VerifyMode::Full);
  EXPECT_FALSE(r.nonfinite);
  EXPECT_GT(r.max_abs_err, 100 * r.tolerance);
  EXPECT_GT(ex->verify(VerifyMode::Sampled).max_abs_err, r.tolerance);  // sampling sees it too
}

TEST(CpuRuntime, UnwrittenOutputIsNonfinite) {
  const Plan without_last =
      filter_steps(tiny_plan(false), [](const Step& s) { return s.label != "acc_to_o"; });
  auto ex = cpu_runtime()->prepare(tiny_problem(), without_last, mpi_transport());
  ex->run(nullptr);
  EXPECT_TRUE(ex->verify(VerifyMode::Full).nonfinite);
  EXPECT_TRUE(ex->verify(VerifyMode::Sampled).nonfinite);
}

TEST(CpuRuntime, PrepareRejectsBrokenPlans) {
  auto rt = cpu_runtime();
  Plan p = tiny_plan(false);
  std::get<AttentionOp>(p.steps[2].op).q.offset += 1;  // reaches past the end of the buffer
  try {
    rt->prepare(tiny_problem(), p, mpi_transport());
    FAIL() << "prepare accepted a view outside its buffer";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("attn_past"), std::string::npos) << e.what();
  }
  Plan other_rank = tiny_plan(false);
  other_rank.rank = 1;
  other_rank.world = 2;
  EXPECT_THROW(rt->prepare(tiny_problem(), other_rank, mpi_transport()), std::invalid_argument);
}

// The tiny plan's buffers, counted by hand: q, o and q_head_major 512 elements each; k, v,
// k_received, part_o and acc_o 256; part_lse and acc_lse 32. 4 bytes each (fp32), although
// the problem is bf16.
constexpr double kTinyPlanBytes = 4.0 * (3 * 512 + 5 * 256 + 2 * 32);  // 11520

TEST(CpuRuntime, ExecutorReportsTheBytesOfItsBuffers) {
  EXPECT_EQ(cpu_buffer_bytes(tiny_plan(false)), kTinyPlanBytes);
  auto ex = cpu_runtime()->prepare(tiny_problem(), tiny_plan(false), mpi_transport());
  EXPECT_EQ(ex->memory_bytes(), kTinyPlanBytes);
  ex->run(nullptr);
  EXPECT_EQ(ex->memory_bytes(), kTinyPlanBytes) << "the same after a run";
}

TEST(CpuRuntime, ExecutorRefusesBuffersOverTheLimit) {
  const MpiSession& mpi = test::mpi_session();
  try {
    CpuExecutor(tiny_problem(), tiny_plan(false), mpi.world(), 1024.0);
    FAIL() << "no OutOfMemory";
  } catch (const OutOfMemory& e) {
    EXPECT_STREQ(
        e.what(),
        "out of the cpu runtime's buffer memory: needs 0.00 GiB (11520 bytes), the limit is 0.00 GiB (1024 bytes)");
    EXPECT_TRUE(e.on_this_rank());
    EXPECT_EQ(e.requested(), 11520u);
    EXPECT_EQ(e.available(), 1024u);
  }
  EXPECT_NO_THROW(CpuExecutor(tiny_problem(), tiny_plan(false), mpi.world(), kTinyPlanBytes));
}

// A limit between the Q, K, V and O shards (6144 bytes: unsupported() lets the problem
// through) and the plan's buffers: unsupported_plan() names both, and prepare(), called
// without it, throws OutOfMemory (agreed over the ranks) instead of running.
TEST(CpuRuntime, RuntimeLimitRefusesThePlanWithItsBytes) {
  const auto rt = make_cpu_runtime(test::mpi_session(), kTinyPlanBytes - 1);
  EXPECT_EQ(rt->unsupported(tiny_problem(), mpi_transport()), std::nullopt);
  EXPECT_EQ(rt->unsupported_plan(tiny_problem(), tiny_plan(false), mpi_transport()),
            "the plan's buffers need 0.00 GiB (11520 bytes) per rank; the cpu runtime's limit is 0.00 GiB "
            "(11519 bytes)");
  EXPECT_THROW(rt->prepare(tiny_problem(), tiny_plan(false), mpi_transport()), OutOfMemory);
  const auto shards_over = make_cpu_runtime(test::mpi_session(), 6143);
  EXPECT_EQ(shards_over->unsupported(tiny_problem(), mpi_transport()),
            "its Q, K, V and O shards alone need 0.00 GiB (6144 bytes) per rank; the cpu runtime's limit is 0.00 GiB "
            "(6143 bytes)");
  const auto fits = make_cpu_runtime(test::mpi_session(), kTinyPlanBytes);
  EXPECT_EQ(fits->unsupported_plan(tiny_problem(), tiny_plan(false), mpi_transport()), std::nullopt);
  EXPECT_EQ(fits->prepare(tiny_problem(), tiny_plan(false), mpi_transport())->memory_bytes(), kTinyPlanBytes);
}

TEST(CpuRuntime, UnsupportedPlanCountsThePlansBuffers) {
  auto rt = cpu_runtime();
  RunOptions opt;
  opt.transport = TransportKind::Mpi;
  Plan plan = tiny_plan(false);
  EXPECT_EQ(rt->unsupported_plan(tiny_problem(), plan, opt), std::nullopt);
  plan.buffers[0].elems = int64_t{2} << 30;  // 8 GiB of fp32
  EXPECT_NE(rt->unsupported_plan(tiny_problem(), plan, opt)
                .value_or("")
                .find("the plan's buffers need 8.00 GiB (8589944064 bytes) per rank; the cpu runtime's limit is "
                      "4.00 GiB (4294967296 bytes)"),
            std::string::npos);
  opt.levers.nccl_ctas = 4;
  EXPECT_EQ(rt->unsupported_plan(tiny_problem(), tiny_plan(false), opt),
            "the overlap levers comm_priority, nccl_ctas and attn_sms apply to the CUDA runtime only");
}

TEST(CpuRuntime, NamesTransportsAndRefusals) {
  auto rt = cpu_runtime();
  EXPECT_EQ(rt->name(), "cpu");
  EXPECT_EQ(rt->transports(), std::vector<TransportKind>{TransportKind::Mpi});
  const Problem p = tiny_problem();
  RunOptions opt;
  EXPECT_EQ(rt->unsupported(p, opt), std::nullopt);  // the default transport is mpi
  opt.transport = TransportKind::Nccl;
  EXPECT_EQ(rt->unsupported(p, opt), "transport nccl needs the CUDA runtime");
  EXPECT_THROW(rt->prepare(p, tiny_plan(false), opt), std::invalid_argument);

  opt.transport = TransportKind::Mpi;
  Problem big = p;
  big.P = 8;
  big.S = 512 * 1024;
  big.H = 40;
  big.Hkv = 40;
  big.D = 128;
  EXPECT_NE(rt->unsupported(big, opt).value_or("").find("GiB"), std::string::npos);
  Problem slow = p;
  slow.P = 2;
  slow.S = 64 * 1024;
  slow.H = 8;
  slow.Hkv = 8;
  slow.D = 64;
  EXPECT_NE(rt->unsupported(slow, opt).value_or("").find("GFLOP"), std::string::npos);

  bool has_runtime = false;
  for (const auto& kv : rt->describe()) has_runtime |= kv.first == "runtime" && kv.second == "cpu";
  EXPECT_TRUE(has_runtime);
}

}  // namespace
}  // namespace cpb
