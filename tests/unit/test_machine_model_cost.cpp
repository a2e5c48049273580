// machine_cost: a machine model applied to one point gives the engine's links from the
// transport's and the inter-node models and the cost of each step of a hand-made plan.
#include <gtest/gtest.h>

#include "bench/sim/kernel_table.hpp"
#include "bench/sim/machine_cost.hpp"
#include "tests/plan_builder.hpp"
#include "tests/unit/test_config_util.hpp"
#include "tests/unit/test_machine_model_util.hpp"

namespace cpb {
namespace {

constexpr int64_t S = 1024, H = 8, D = 128;

Problem problem(DType dtype) {
  Problem p;
  p.P = 2;
  p.S = 2 * S;
  p.H = p.Hkv = H;
  p.D = D;
  p.dtype = dtype;
  return p;
}

// Rank 0: pack Q (Act) into an F32 scratch, send it, attend, merge into an accumulator.
Plan hand_plan() {
  test::PlanBuilder b("hand", 0, 2);
  b.tokens({Range{0, S}}).group({0, 1});
  const int compute = b.lane("compute"), comm = b.lane("comm");
  const int q = b.act("q", BufferRole::Q, S * H * D);
  const int k = b.act("k", BufferRole::K, S * H * D);
  const int v = b.act("v", BufferRole::V, S * H * D);
  const int o = b.act("o", BufferRole::O, S * H * D);
  const int packed = b.f32("packed", S * H * D);
  const int lse = b.f32("lse", H * S);
  const int acc = b.f32("acc", S * H * D);
  const int acc_lse = b.f32("acc_lse", H * S);
  const View all = dense_view(q, 0, {1, S, H, D});
  b.copy(compute, "pack", {{all, dense_view(packed, 0, {1, S, H, D})}});
  b.exchange(comm, "send", ExchangeOp::Pattern::SendRecv, 0, {Transfer{1, Slice{packed, 0, 1000}}},
             {Transfer{1, Slice{packed, 1000, 1000}}}, {0});
  b.attention(compute, "attn",
              test::Tile(all, dense_view(k, 0, {1, S, H, D}), dense_view(v, 0, {1, S, H, D}),
                         dense_view(o, 0, {1, S, H, D}))
                  .lse(dense_view(lse, 0, {1, H, S, 1})));
  b.merge(compute, "merge",
          test::merge_op(dense_view(o, 0, {1, S, H, D}), dense_view(lse, 0, {1, H, S, 1}),
                         dense_view(acc, 0, {1, S, H, D}), dense_view(acc_lse, 0, {1, H, S, 1}), false));
  b.merge(compute, "merge_init",
          test::merge_op(dense_view(o, 0, {1, S, H, D}), dense_view(lse, 0, {1, H, S, 1}),
                         dense_view(acc, 0, {1, S, H, D}), dense_view(acc_lse, 0, {1, H, S, 1}), true));
  return b.plan();
}

MachineModel machine() {
  MachineModel m = test::sample_machine();
  m.attention.push_back(test::kernel_sample(S, H, H, D, false, 0.75));
  return m;
}

TEST(MachineCost, LinksComeFromTheTransportAndTheInterNodeModels) {
  const MachineModel m = machine();
  const SimSetup s = machine_cost(m, problem(DType::BF16), TransportKind::Nccl, Profile::Nvlink, 4);
  const SimLinks& l = s.links;
  EXPECT_EQ(l.gpus_per_node, 4);
  EXPECT_EQ(l.intra_gbps, 350.5);
  EXPECT_EQ(l.latency_us, 21.5);
  EXPECT_EQ(l.per_message_us, 1.25);
  EXPECT_EQ(l.comm_rate_beside_attention, 0.375);
  EXPECT_EQ(l.attention_slowdown, 1.0625);
  EXPECT_EQ(l.inter_gbps, 45.5);
  EXPECT_EQ(l.inter_latency_us, 7.25);
  EXPECT_EQ(l.inter_rate_beside_attention, 0.125);
  EXPECT_EQ(l.act_bytes, 2);
  EXPECT_DOUBLE_EQ(l.local_copy_ms(1000000), bandwidth_ms(m.copy, 2e6));
  EXPECT_EQ(machine_cost(m, problem(DType::FP32), TransportKind::CeHost, Profile::Pcie, 8).links.intra_gbps, 38.5);
  EXPECT_EQ(machine_cost(m, problem(DType::FP32), TransportKind::CeHost, Profile::Pcie, 8).links.act_bytes, 4);
}

TEST(MachineCost, PricesEveryComputeStep) {
  const MachineModel m = machine();
  const Plan plan = hand_plan();
  const SimSetup s = machine_cost(m, problem(DType::BF16), TransportKind::Nccl, Profile::Nvlink, 8);
  const double elems = S * H * D, rows = H * S;
  // pack: Act (2 bytes) read, F32 (4) written.
  EXPECT_DOUBLE_EQ(s.compute_ms(plan, plan.steps[0]), bandwidth_ms(m.copy, elems * (2 + 4)));
  EXPECT_EQ(s.compute_ms(plan, plan.steps[1]), 0.0);  // the exchange is not compute
  EXPECT_DOUBLE_EQ(s.compute_ms(plan, plan.steps[2]), 0.75);  // the measured shape
  // merge: part_o (Act) and part_lse read, acc_o and acc_lse read and written.
  EXPECT_DOUBLE_EQ(s.compute_ms(plan, plan.steps[3]),
                   bandwidth_ms(m.merge, elems * 2 + rows * 4 + 2 * (elems + rows) * 4));
  EXPECT_DOUBLE_EQ(s.compute_ms(plan, plan.steps[4]), bandwidth_ms(m.merge, elems * 2 + rows * 4 + (elems + rows) * 4));
  // fp16 has no kernel samples in this table.
  const SimSetup fp16 = machine_cost(m, problem(DType::FP16), TransportKind::Nccl, Profile::Nvlink, 8);
  EXPECT_THROW(fp16.compute_ms(plan, plan.steps[2]), UsageError);
}

TEST(MachineCost, TheSetupOutlivesTheModel) {
  const Plan plan = hand_plan();
  SimSetup s;
  {
    const MachineModel m = machine();
    s = machine_cost(m, problem(DType::BF16), TransportKind::Nccl, Profile::Nvlink, 8);
  }
  EXPECT_DOUBLE_EQ(s.compute_ms(plan, plan.steps[2]), 0.75);
  EXPECT_GT(s.links.local_copy_ms(100), 0);
}

TEST(MachineCost, NamesAMissingTransportAndTheOnesTheFileHas) {
  const std::string e =
      test::usage_error([] { machine_cost(machine(), problem(DType::BF16), TransportKind::Mpi, Profile::Nvlink, 8); });
  EXPECT_TRUE(test::contains(e, "the machine model \"test\" has no model of transport mpi under profile nvlink"));
  EXPECT_TRUE(test::contains(e, "it has: nccl under nvlink, ce_host under pcie"));
  MachineModel none = machine();
  none.transports.clear();
  EXPECT_TRUE(test::contains(
      test::usage_error([&] { machine_cost(none, problem(DType::BF16), TransportKind::Nccl, Profile::Nvlink, 8); }),
      "it has: none"));
  EXPECT_TRUE(test::contains(
      test::usage_error([] { machine_cost(machine(), problem(DType::BF16), TransportKind::Nccl, Profile::Nvlink, 0); }),
      "gpus per node: 0 is not positive"));
}

}  // namespace
}  // namespace cpb
