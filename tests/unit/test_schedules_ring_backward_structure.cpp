// The shape of ring's backward plan (kv_ring.hpp): its steps and their order, what waits
// for what (the key/value block lands while the step before computes; only the reduction
// waits for the travelling dK/dV accumulator), the prologue of pass bwd, fp32 where a
// gradient has several partials, bytes and FLOPs per pass; and check_plans catching
// broken backward plans.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "bench/plan/plan_check.hpp"
#include "bench/schedules/kv_ring.hpp"
#include "tests/unit/test_plan_util.hpp"

namespace cpb {
namespace {

using test::all_plans;
using test::join;
using test::make_problem;

Problem ring_problem(Pass pass, Mask mask = Mask::Causal) {
  Problem p = make_problem(3, 24, 4, 2, 4, 1, mask);
  p.pass = pass;
  return p;
}

std::vector<std::string> lane_labels(const Plan& plan, const std::string& lane) {
  std::vector<std::string> out;
  for (const Step& s : plan.steps)
    if (plan.lanes[s.lane] == lane) out.push_back(s.label);
  return out;
}

const Step& find_step(const Plan& plan, const std::string& label) {
  for (const Step& s : plan.steps)
    if (s.label == label) return s;
  throw std::logic_error("no step " + label);
}

// The steps `id` waits for through chains of deps (lane order not counted).
std::set<int> dep_closure(const Plan& plan, int id) {
  std::set<int> out;
  std::vector<int> todo = plan.steps[static_cast<size_t>(id)].deps;
  while (!todo.empty()) {
    const int d = todo.back();
    todo.pop_back();
    if (!out.insert(d).second) continue;
    for (int e : plan.steps[static_cast<size_t>(d)].deps) todo.push_back(e);
  }
  return out;
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

TEST(RingBackwardStructure, CommLaneOfEachPass) {
  const std::vector<std::string> forward = {"kv_pass[i=0]", "kv_pass[i=1]"};
  const std::vector<std::string> backward = {"kv_pass_bwd[i=0]", "dkv_pass[i=0]", "kv_pass_bwd[i=1]",
                                             "dkv_pass[i=1]",    "dkv_pass[i=2]", "dkv_final"};
  std::vector<std::string> both = forward;
  both.insert(both.end(), backward.begin(), backward.end());
  for (int r = 0; r < 3; ++r) {
    EXPECT_EQ(lane_labels(find_schedule("ring")->plan(ring_problem(Pass::Fwd), r), "comm"), forward);
    EXPECT_EQ(lane_labels(find_schedule("ring")->plan(ring_problem(Pass::Bwd), r), "comm"), both);
  }
}

// Pass bwd: the forward is the untimed prologue; fwd_bwd times it; fwd has no gradients.
TEST(RingBackwardStructure, PrologueAndBuffersOfEachPass) {
  for (const char* name : {"ring", "zigzag_ring"}) {
    const Schedule& s = *find_schedule(name);
    const Plan fwd = s.plan(ring_problem(Pass::Fwd), 2), bwd = s.plan(ring_problem(Pass::Bwd), 2);
    const Plan both = s.plan(ring_problem(Pass::FwdBwd), 2);
    EXPECT_EQ(fwd.timed_from, 0);
    EXPECT_EQ(both.timed_from, 0);
    EXPECT_EQ(bwd.timed_from, find_step(bwd, "grad_zero").id) << name;
    for (const Step& st : bwd.steps) {
      const bool forward = st.kind() == OpKind::Attention || st.kind() == OpKind::Merge ||
                           starts_with(st.label, "kv_pass[") || st.label == "o_final";
      EXPECT_EQ(forward, st.id < bwd.timed_from) << name << " " << st.label;
    }
    EXPECT_EQ(fwd.find_buffer(BufferRole::DQ), -1);
    for (BufferRole role : {BufferRole::DO, BufferRole::DQ, BufferRole::DK, BufferRole::DV})
      EXPECT_GE(bwd.find_buffer(role), 0) << to_string(role);
    EXPECT_EQ(both.steps.size(), bwd.steps.size());
  }
}

// The tiles of step k wait for the key/value block (received while step k - 1 computed),
// not for the pass of the next block nor for the dK/dV accumulator of step k - 1, which
// only the reduction waits for.
TEST(RingBackwardStructure, AccumulatorsTravelBehindTheBlocks) {
  const Plan plan = find_schedule("ring")->plan(ring_problem(Pass::Bwd, Mask::Full), 2);
  for (int k = 1; k < 3; ++k) {
    const std::string i = "[i=" + std::to_string(k) + "]", before = "[i=" + std::to_string(k - 1) + "]";
    const std::set<int> tile = dep_closure(plan, find_step(plan, "attn_bwd" + i).id);
    EXPECT_TRUE(tile.count(find_step(plan, "kv_pass_bwd" + before).id)) << k;
    if (k < 2) {
      EXPECT_FALSE(tile.count(find_step(plan, "kv_pass_bwd" + i).id)) << k;  // the next block's
    }
    EXPECT_FALSE(tile.count(find_step(plan, "dkv_pass" + before).id)) << k;
    EXPECT_TRUE(dep_closure(plan, find_step(plan, "dkv_reduce" + i).id).count(find_step(plan, "dkv_pass" + before).id));
    const ExchangeOp& e = std::get<ExchangeOp>(find_step(plan, "dkv_pass" + i).op);
    EXPECT_EQ(e.sends[0].peer, 0);
    EXPECT_EQ(e.recvs[0].peer, 1);
    EXPECT_EQ(plan.buffers[static_cast<size_t>(e.sends[0].slice.buf)].storage, Storage::F32);
  }
  const AttentionBackwardOp& a = std::get<AttentionBackwardOp>(find_step(plan, "attn_bwd[i=1]").op);
  EXPECT_EQ(plan.buffers[static_cast<size_t>(a.dk.buf)].name, "dkv_part");
  EXPECT_EQ(plan.buffers[static_cast<size_t>(a.dq.buf)].name, "dq_acc");
  EXPECT_EQ(plan.buffers[static_cast<size_t>(a.lse.buf)].name, "lse");
  EXPECT_EQ(plan.steps.back().label, "dkv_final");
}

// Rank 0 of a causal ring has one tile per row: dQ adds into DQ itself; rank 2's rows
// have three tiles: dQ adds up in fp32 and is copied at the end.
TEST(RingBackwardStructure, DqInFp32OnlyWhereRowsHaveSeveralTiles) {
  const std::vector<Plan> plans = all_plans("ring", ring_problem(Pass::Bwd));
  const AttentionBackwardOp& first = std::get<AttentionBackwardOp>(find_step(plans[0], "attn_bwd[i=0]").op);
  EXPECT_EQ(first.dq.buf, plans[0].find_buffer(BufferRole::DQ));
  const AttentionBackwardOp& last = std::get<AttentionBackwardOp>(find_step(plans[2], "attn_bwd[i=0]").op);
  EXPECT_EQ(plans[2].buffers[static_cast<size_t>(last.dq.buf)].storage, Storage::F32);
  EXPECT_EQ(std::get<CopyOp>(find_step(plans[2], "dq_final").op).pairs[0].dst.buf,
            plans[2].find_buffer(BufferRole::DQ));
}

// Bytes per rank: fwd (P-1) blocks of K and V in the dtype; bwd the same blocks again and
// P passes of fp32 dK and dV; fwd_bwd both. FLOPs: the backward's 2.5 times the forward's.
TEST(RingBackwardStructure, BytesAndFlopsOfEachPass) {
  for (const char* name : {"ring", "zigzag_ring"}) {
    Problem p = make_problem(4, 64, 4, 2, 8, 2, Mask::Causal);
    p.dtype = DType::BF16;
    const double block = 2.0 * p.B * (p.S / p.P) * p.Hkv * p.D;  // K and V elements
    const double fwd_bytes = 3 * block * 2, bwd_bytes = 3 * block * 2 + 4 * block * 4;
    const double fwd_flops = plan_flops(find_schedule(name)->plan(p, 3));
    const std::pair<Pass, std::pair<double, double>> want[] = {
        {Pass::Fwd, {fwd_bytes, 1.0}}, {Pass::Bwd, {bwd_bytes, 2.5}}, {Pass::FwdBwd, {fwd_bytes + bwd_bytes, 3.5}}};
    for (const auto& w : want) {
      p.pass = w.first;
      const Plan plan = find_schedule(name)->plan(p, 3);
      EXPECT_EQ(plan_send_bytes(plan, 2), w.second.first) << name << " " << to_string(w.first);
      EXPECT_EQ(plan_recv_bytes(plan, 2), w.second.first) << name << " " << to_string(w.first);
      EXPECT_DOUBLE_EQ(plan_flops(plan), w.second.second * fwd_flops) << name << " " << to_string(w.first);
      EXPECT_EQ(find_schedule(name)->model(p, 3).send_bytes, w.second.first) << name;
    }
  }
}

// The ring's backward into F32 gradients, as a ring inside a head group would use it
// (usp, head_gradients.hpp): a world ring of contiguous shards whose dQ, dK, dV go to F32
// scratch tensors, then copied into the role buffers. Schedule "ring_into_fp32" is not
// registered: check_plans checks everything but the model.
Plan ring_into_fp32(const Problem& p, int rank) {
  const std::vector<int> world = rank_list(0, p.P, 1);
  RoleTensors roles;
  Plan plan = start_plan(p, rank, "ring_into_fp32", {contiguous_tokens(p, rank)}, {world}, &roles);
  KvRing ring;
  ring.group = 0;
  ring.members = world;
  ring.me = rank;
  for (int m = 0; m < p.P; ++m) ring.chunks.push_back({contiguous_tokens(p, m)});
  use_whole_shards(ring, p, roles);
  ring.lse = plan.add_buffer("lse", Storage::F32, BufferRole::Scratch, p.B * p.H * plan.local_tokens());
  auto fp32 = [&plan](DenseTensor t, const char* name) {
    t.buf = plan.add_buffer(name, Storage::F32, BufferRole::Scratch, t.elems());
    return t;
  };
  KvRingGrads g;
  g.dout = roles.dout;
  g.dq = fp32(roles.dq, "dq32");
  g.dk = fp32(roles.dk, "dk32");
  g.dv = fp32(roles.dv, "dv32");
  g.ready = add_kv_ring(plan, p, ring);
  const std::vector<int> done = add_kv_ring_backward(plan, p, ring, g);
  CopyOp out;
  out.pairs = {{g.dq.all(), roles.dq.all()}, {g.dk.all(), roles.dk.all()}, {g.dv.all(), roles.dv.all()}};
  plan.add_step(kComputeLane, "out", std::move(out), done);
  return plan;
}

TEST(RingBackwardStructure, Fp32GradientsAreTheAccumulators) {
  for (int P : {1, 2, 3, 4})
    for (Mask mask : {Mask::Full, Mask::Causal}) {
      Problem p = make_problem(P, 12 * P, 6, 3, 4, 2, mask);
      p.pass = Pass::FwdBwd;
      std::vector<Plan> plans;
      for (int r = 0; r < P; ++r) plans.push_back(ring_into_fp32(p, r));
      const std::vector<std::string> errors = check_plans(plans, p);
      EXPECT_TRUE(errors.empty()) << "P=" << P << " " << to_string(mask) << join(errors);
      for (const Plan& plan : plans) {
        for (const Buffer& b : plan.buffers) EXPECT_NE(b.name, "dq_acc");
        for (const Step& s : plan.steps) EXPECT_NE(s.label, "dkv_final");
        const auto accs = std::count_if(plan.buffers.begin(), plan.buffers.end(),
                                        [](const Buffer& b) { return starts_with(b.name, "dkv_acc"); });
        EXPECT_EQ(accs, P > 1 ? 1 : 0) << "P=" << P;  // the other is dk32 and dv32
      }
    }
}

// check_plans finds each planted fault in a correct backward plan of rank 1.
std::vector<std::string> mutated(Pass pass, const std::function<Plan(const Plan&)>& fault) {
  const Problem p = ring_problem(pass, Mask::Full);
  std::vector<Plan> plans = all_plans("ring", p);
  EXPECT_TRUE(check_plans(plans, p).empty());
  plans[1] = fault(plans[1]);
  return check_plans(plans, p);
}

bool mentions(const std::vector<std::string>& errors, const std::string& part) {
  return std::any_of(errors.begin(), errors.end(), [&](const std::string& e) { return e.find(part) != e.npos; });
}

Plan without(const Plan& plan, const std::string& label) {
  return filter_steps(plan, [&](const Step& s) { return s.label != label; });
}

TEST(RingBackwardStructure, ChecksCatchBrokenBackwardPlans) {
  for (Pass pass : {Pass::Bwd, Pass::FwdBwd}) {
    // A backward tile dropped: its triples are never computed, its gradients miss them.
    std::vector<std::string> e = mutated(pass, [](const Plan& pl) { return without(pl, "attn_bwd[i=1]"); });
    EXPECT_TRUE(mentions(e, "computed by the backward 0 times")) << join(e);
    EXPECT_TRUE(mentions(e, "(query, key) pairs at the end")) << join(e);
    // A tile of step 1 reads the own key/value block instead of the one received.
    e = mutated(pass, [](const Plan& pl) {
      Plan out = pl;
      for (Step& s : out.steps)
        if (s.label == "attn_bwd[i=1]") std::get<AttentionBackwardOp>(s.op).k.buf = out.find_buffer(BufferRole::K);
      return out;
    });
    EXPECT_TRUE(mentions(e, "but the tile's heads and tokens need K[")) << join(e);
    // The partial of step 2 is not zeroed: it still holds step 1's block's gradients.
    e = mutated(pass, [](const Plan& pl) { return without(pl, "dkv_zero[i=2]"); });
    EXPECT_TRUE(mentions(e, "adds dK[")) << join(e);
    // The reduction of step 1 is missing: rank 1's contributions never reach rank 0's dK.
    e = mutated(pass, [](const Plan& pl) { return without(pl, "dkv_reduce[i=1]"); });
    EXPECT_TRUE(mentions(e, "(query, key) pairs at the end")) << join(e);
    // A tile reads the LSE of its first forward tile, not the merged one.
    e = mutated(pass, [](const Plan& pl) { return without(pl, "merge[i=2]"); });
    EXPECT_TRUE(mentions(e, "the backward needs the final statistics")) << join(e);
  }
}

}  // namespace
}  // namespace cpb
