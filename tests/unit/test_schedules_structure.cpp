// The shape of each schedule's plan: lanes, step order, dependencies, transfers, and the
// identities between schedules (HCMS C=1 is Ulysses, USP u=1 is Ring, u=P is Ulysses).
#include <gtest/gtest.h>

#include <algorithm>

#include "bench/plan/plan_check.hpp"
#include "bench/plan/plan_io.hpp"
#include "tests/unit/test_plan_util.hpp"

namespace cpb {
namespace {

using test::all_plans;
using test::join;
using test::make_problem;

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

// Query heads the attention tiles of chunk c attend to (GQA pieces summed).
int64_t attended_heads(const Plan& plan, int c) {
  const std::string tag = "attn[c=" + std::to_string(c);
  int64_t n = 0;
  for (const Step& s : plan.steps) {
    const bool mine = s.label.compare(0, tag.size(), tag) == 0 && s.label.size() > tag.size() &&
                      (s.label[tag.size()] == ']' || s.label[tag.size()] == ',');
    if (s.kind() == OpKind::Attention && mine) n += std::get<AttentionOp>(s.op).heads.size;
  }
  return n;
}

int count(const Plan& plan, OpKind kind) {
  return static_cast<int>(
      std::count_if(plan.steps.begin(), plan.steps.end(), [&](const Step& s) { return s.kind() == kind; }));
}

TEST(SchedulesStructure, LanesAndWhatRunsOnThem) {
  Problem p = make_problem(4, 128, 8, 4, 16, 2, Mask::Causal);
  p.chunks = 2;
  p.usp_u = 2;
  for (const char* name : {"ulysses", "hcms", "ring", "zigzag_ring", "usp"})
    for (const Plan& plan : all_plans(name, p)) {
      EXPECT_EQ(plan.lanes, (std::vector<std::string>{"compute", "comm"})) << name;
      for (const Step& s : plan.steps) {
        const bool compute = s.kind() == OpKind::Attention || s.kind() == OpKind::Merge;
        if (s.kind() == OpKind::Exchange) {
          EXPECT_EQ(plan.lanes[s.lane], "comm") << name << " " << s.label;
        } else if (compute) {
          EXPECT_EQ(plan.lanes[s.lane], "compute") << name << " " << s.label;
        }
      }
    }
}

TEST(SchedulesStructure, HcmsWithOneChunkIsTheUlyssesPlan) {
  for (Problem p : {make_problem(4, 128, 8, 8, 16, 1, Mask::Full), make_problem(3, 96, 12, 4, 32, 2, Mask::Causal),
                    make_problem(8, 128, 12, 4, 16, 2, Mask::Full)}) {
    p.chunks = 1;
    const std::vector<Plan> u = all_plans("ulysses", p), h = all_plans("hcms", p);
    for (int r = 0; r < p.P; ++r) {
      nlohmann::json a = plan_to_json(u[r]), b = plan_to_json(h[r]);
      a.erase("schedule");
      b.erase("schedule");
      EXPECT_EQ(a, b) << test::describe(p) << " rank " << r;
    }
  }
}

TEST(SchedulesStructure, HcmsCommOrder) {
  Problem p = make_problem(2, 128, 8, 8, 16, 1, Mask::Full);
  p.chunks = 3;
  const Plan interleaved = find_schedule("hcms")->plan(p, 0);
  EXPECT_EQ(lane_labels(interleaved, "comm"),
            (std::vector<std::string>{"a2a_in[c=0]", "a2a_in[c=1]", "a2a_out[c=0]", "unpack[c=0]", "a2a_in[c=2]",
                                      "a2a_out[c=1]", "unpack[c=1]", "a2a_out[c=2]", "unpack[c=2]"}));
  EXPECT_EQ(lane_labels(interleaved, "compute"),
            (std::vector<std::string>{"pack[c=0]", "pack[c=1]", "pack[c=2]", "attn[c=0]", "attn[c=1]", "attn[c=2]"}));
  p.comm_order = CommOrder::InputsFirst;
  const Plan inputs_first = find_schedule("hcms")->plan(p, 0);
  EXPECT_EQ(lane_labels(inputs_first, "comm"),
            (std::vector<std::string>{"a2a_in[c=0]", "a2a_in[c=1]", "a2a_in[c=2]", "a2a_out[c=0]", "unpack[c=0]",
                                      "a2a_out[c=1]", "unpack[c=1]", "a2a_out[c=2]", "unpack[c=2]"}));
  // Chunk c's attention waits for its pack and input exchange only; its output exchange
  // for its attention only.
  for (const Plan* plan : {&interleaved, &inputs_first})
    for (int c = 0; c < 3; ++c) {
      const std::string tag = "[c=" + std::to_string(c) + "]";
      EXPECT_EQ(find_step(*plan, "attn" + tag).deps,
                (std::vector<int>{find_step(*plan, "pack" + tag).id, find_step(*plan, "a2a_in" + tag).id}));
      EXPECT_EQ(find_step(*plan, "a2a_out" + tag).deps, std::vector<int>{find_step(*plan, "attn" + tag).id});
    }
}

TEST(SchedulesStructure, HcmsUnevenChunksFollowTheSplit) {
  Problem p = make_problem(2, 128, 10, 10, 16, 1, Mask::Full);  // 5 heads per rank
  p.chunks = 3;
  const Plan plan = find_schedule("hcms")->plan(p, 1);
  std::vector<std::pair<int64_t, int64_t>> heads;
  for (const Step& s : plan.steps)
    if (s.kind() == OpKind::Attention)
      heads.emplace_back(std::get<AttentionOp>(s.op).heads.begin, std::get<AttentionOp>(s.op).heads.size);
  EXPECT_EQ(heads, (std::vector<std::pair<int64_t, int64_t>>{{5, 2}, {7, 2}, {9, 1}}));
  p.chunk_heads = {1, 4};
  p.chunks = 2;
  const Plan explicit_split = find_schedule("hcms")->plan(p, 0);
  EXPECT_EQ(std::get<AttentionOp>(find_step(explicit_split, "attn[c=1]").op).heads.size, 4);
}

TEST(SchedulesStructure, HcmsTaperChunksFollowTheSplit) {
  Problem p = make_problem(2, 128, 40, 40, 16, 1, Mask::Full);  // 20 heads per rank
  p.chunks = 6;
  p.chunk_shape = ChunkShape::Taper;
  std::vector<std::pair<int64_t, int64_t>> heads;
  for (const Step& s : find_schedule("hcms")->plan(p, 1).steps)
    if (s.kind() == OpKind::Attention)
      heads.emplace_back(std::get<AttentionOp>(s.op).heads.begin, std::get<AttentionOp>(s.op).heads.size);
  EXPECT_EQ(heads, (std::vector<std::pair<int64_t, int64_t>>{{20, 2}, {22, 4}, {26, 4}, {30, 4}, {34, 4}, {38, 2}}));
  // Uneven heads per rank (4, 3, 3) under GQA (groups of 2): each rank tapers its own.
  Problem q = make_problem(3, 96, 10, 5, 16, 2, Mask::Causal);
  q.chunks = 3;
  q.chunk_shape = ChunkShape::Taper;
  const std::vector<Plan> plans = all_plans("hcms", q);
  EXPECT_EQ(attended_heads(plans[0], 0), 1);
  EXPECT_EQ(attended_heads(plans[0], 1), 2);  // heads 1 and 2: two GQA pieces
  EXPECT_EQ(attended_heads(plans[0], 2), 1);
  EXPECT_EQ(attended_heads(plans[1], 1), 1);
  const std::vector<std::string> errors = check_plans(plans, q);
  EXPECT_TRUE(errors.empty()) << join(errors);
}

TEST(SchedulesStructure, HcmsOutputsOnASecondCommLane) {
  Problem p = make_problem(2, 128, 8, 8, 16, 1, Mask::Full);
  p.chunks = 3;
  p.comm_lanes = 2;
  for (CommOrder order : {CommOrder::Interleaved, CommOrder::InputsFirst}) {
    p.comm_order = order;
    const std::vector<Plan> plans = all_plans("hcms", p);
    const Plan& plan = plans[0];
    EXPECT_EQ(plan.lanes, (std::vector<std::string>{"compute", "comm", "comm_out"}));
    EXPECT_EQ(lane_labels(plan, "comm"), (std::vector<std::string>{"a2a_in[c=0]", "a2a_in[c=1]", "a2a_in[c=2]"}));
    EXPECT_EQ(lane_labels(plan, "comm_out"),
              (std::vector<std::string>{"a2a_out[c=0]", "unpack[c=0]", "a2a_out[c=1]", "unpack[c=1]", "a2a_out[c=2]",
                                        "unpack[c=2]"}));
    for (int c = 0; c < 3; ++c) {
      const std::string tag = "[c=" + std::to_string(c) + "]";
      EXPECT_EQ(find_step(plan, "a2a_out" + tag).deps, std::vector<int>{find_step(plan, "attn" + tag).id});
      EXPECT_EQ(find_step(plan, "unpack" + tag).deps,
                (std::vector<int>{find_step(plan, "attn" + tag).id, find_step(plan, "a2a_out" + tag).id}));
    }
    const std::vector<std::string> errors = check_plans(plans, p);
    EXPECT_TRUE(errors.empty()) << to_string(order) << join(errors);
  }
  // The race check covers the new lane: an output exchange that does not wait for its
  // attention reads O while attention writes it.
  std::vector<Plan> broken = all_plans("hcms", p);
  for (Step& s : broken[1].steps)
    if (s.label == "a2a_out[c=1]") s.deps.clear();
  EXPECT_FALSE(check_plans(broken, p).empty());
  // One chunk on two lanes: the Ulysses steps, outputs moved to comm_out.
  p.chunks = 1;
  const Plan one = find_schedule("hcms")->plan(p, 1);
  EXPECT_EQ(lane_labels(one, "comm"), std::vector<std::string>{"a2a_in"});
  EXPECT_EQ(lane_labels(one, "comm_out"), (std::vector<std::string>{"a2a_out", "unpack"}));
}

TEST(SchedulesStructure, UlyssesTransfersPerTensorBatchAndPeer) {
  const Problem p = make_problem(4, 128, 8, 8, 16, 2, Mask::Full);
  const Plan plan = find_schedule("ulysses")->plan(p, 1);
  const ExchangeOp& in = std::get<ExchangeOp>(find_step(plan, "a2a_in").op);
  const ExchangeOp& out = std::get<ExchangeOp>(find_step(plan, "a2a_out").op);
  EXPECT_EQ(in.sends.size(), 3u * 3u * 2u);  // peers x (q, k, v) x batches
  EXPECT_EQ(in.recvs.size(), 3u * 3u * 2u);
  EXPECT_EQ(out.sends.size(), 3u * 2u);
  for (const Transfer& t : in.sends) EXPECT_EQ(t.slice.count, 32 * 2 * 16);  // S/P tokens x 2 heads x D
  // Bytes: 4 S H D (P-1) / P^2 elements per rank and direction, for B batches of bf16.
  const Model m = find_schedule("ulysses")->model(p, 1);
  EXPECT_EQ(m.send_bytes, 4.0 * 128 * 8 * 16 * 3 / 16 * 2 * 2);
  EXPECT_EQ(m.send_bytes, plan_send_bytes(plan, 2));
}

TEST(SchedulesStructure, PackedQkvSendsOnePiecePerBatchAndPeer) {
  Problem p = make_problem(4, 128, 8, 8, 16, 2, Mask::Full);
  p.qkv_layout = QkvLayout::Packed;
  const Plan plan = find_schedule("ulysses")->plan(p, 1);
  const ExchangeOp& in = std::get<ExchangeOp>(find_step(plan, "a2a_in").op);
  EXPECT_EQ(in.sends.size(), 3u * 2u);  // peers x batches
  EXPECT_EQ(in.recvs.size(), 3u * 2u);
  for (const Transfer& t : in.sends) EXPECT_EQ(t.slice.count, 32 * 6 * 16);  // S/P tokens x (2 + 2 + 2) heads x D
  const Model m = find_schedule("ulysses")->model(p, 1);
  EXPECT_EQ(m.send_bytes, plan_send_bytes(plan, 2));
  // Attention reads Q, K, V as head ranges of one [B, S, 6, D] tensor per chunk.
  const AttentionOp& a = std::get<AttentionOp>(find_step(plan, "attn").op);
  EXPECT_EQ(a.q.buf, a.k.buf);
  EXPECT_EQ(a.k.buf, a.v.buf);
  EXPECT_EQ(a.k.offset - a.q.offset, 2 * 16);
  EXPECT_EQ(a.v.offset - a.k.offset, 2 * 16);
  for (const View* v : {&a.q, &a.k, &a.v}) EXPECT_EQ(v->stride[1], 6 * 16);
  EXPECT_EQ(a.o.stride[1], 2 * 16);
  for (const char* s : {"ulysses", "hcms"})
    for (int chunks : {1, 2}) {
      Problem g = make_problem(3, 96, 12, 4, 16, 2, Mask::Causal);  // GQA: groups of 3 split by ranks
      g.qkv_layout = QkvLayout::Packed;
      g.chunks = chunks;
      EXPECT_TRUE(check_plans(all_plans(s, g), g).empty()) << s << " C=" << chunks;
      EXPECT_EQ(plan_send_bytes(find_schedule(s)->plan(g, 0), 2), find_schedule(s)->model(g, 0).send_bytes) << s;
    }
  // usp does not read the option: its plan stays separate (the ring needs contiguous K, V).
  Problem u = make_problem(4, 128, 8, 8, 16, 1, Mask::Full);
  u.usp_u = 2;
  const Plan separate = find_schedule("usp")->plan(u, 1);
  u.qkv_layout = QkvLayout::Packed;
  EXPECT_EQ(plan_to_json(find_schedule("usp")->plan(u, 1)), plan_to_json(separate));
}

TEST(SchedulesStructure, UlyssesGqaSplitsTilesAtGroups) {
  // H=12 over 8 ranks: rank 1 holds heads [2, 4); with groups of 3 they read kv heads 0 and 1.
  const Problem p = make_problem(8, 128, 12, 4, 16, 1, Mask::Causal);
  const Plan plan = find_schedule("ulysses")->plan(p, 1);
  const AttentionOp& a0 = std::get<AttentionOp>(find_step(plan, "attn[h=0]").op);
  const AttentionOp& a1 = std::get<AttentionOp>(find_step(plan, "attn[h=1]").op);
  EXPECT_EQ(a0.heads.begin, 2);
  EXPECT_EQ(a0.k.shape[2], 1);
  EXPECT_EQ(a1.heads.begin, 3);
  EXPECT_EQ(a1.k.offset, 16);  // the second kv head of the received [B, S, 2, D]
  EXPECT_TRUE(check_plans(all_plans("ulysses", p), p).empty());
}

TEST(SchedulesStructure, RingPassesBlocksAndSkipsLaterOnes) {
  const Problem p = make_problem(4, 128, 4, 2, 16, 1, Mask::Causal);
  const std::vector<Plan> plans = all_plans("ring", p);
  for (int r = 0; r < 4; ++r) {
    const Plan& plan = plans[r];
    EXPECT_EQ(count(plan, OpKind::Exchange), 3);
    EXPECT_EQ(count(plan, OpKind::Attention), r + 1) << "rank " << r;  // own block + the r earlier ones
    const ExchangeOp& e = std::get<ExchangeOp>(find_step(plan, "kv_pass[i=0]").op);
    EXPECT_EQ(e.pattern, ExchangeOp::Pattern::SendRecv);
    EXPECT_EQ(e.sends[0].peer, (r + 1) % 4);
    EXPECT_EQ(e.recvs[0].peer, (r + 3) % 4);
  }
  // Rank 3: the third pass overwrites the buffer attention i=1 read, so it waits for it.
  const Plan& last = plans[3];
  const std::vector<int>& deps = find_step(last, "kv_pass[i=2]").deps;
  EXPECT_NE(std::find(deps.begin(), deps.end(), find_step(last, "attn[i=1]").id), deps.end());
  EXPECT_TRUE(std::get<AttentionOp>(find_step(last, "attn[i=0]").op).causal);
  EXPECT_FALSE(std::get<AttentionOp>(find_step(last, "attn[i=1]").op).causal);
  EXPECT_TRUE(std::get<MergeOp>(find_step(last, "merge[i=0]").op).init);
  EXPECT_EQ(last.steps.back().label, "o_final");
  // Rank 0 attends only its own block: it writes O directly, without LSE or merge.
  EXPECT_EQ(count(plans[0], OpKind::Merge), 0);
  EXPECT_EQ(std::get<AttentionOp>(find_step(plans[0], "attn[i=0]").op).o.buf, plans[0].find_buffer(BufferRole::O));
}

TEST(SchedulesStructure, ZigzagBalancesCausalWork) {
  const Problem p = make_problem(4, 256, 4, 4, 16, 1, Mask::Causal);
  const Schedule& z = *find_schedule("zigzag_ring");
  const std::vector<Plan> plans = all_plans(z, p);
  for (int r = 0; r < 4; ++r) {
    EXPECT_EQ(plan_flops(plans[r]), plan_flops(plans[0]));
    EXPECT_EQ(plans[r].tokens.size(), 2u);
    EXPECT_EQ(plans[r].tokens[1].begin, (7 - r) * 32);
  }
  EXPECT_LT(find_schedule("ring")->model(p, 0).flops, z.model(p, 0).flops);
  EXPECT_GT(find_schedule("ring")->model(p, 3).flops, z.model(p, 3).flops);
}

TEST(SchedulesStructure, UspGroups) {
  Problem p = make_problem(8, 128, 8, 8, 16, 1, Mask::Full);
  p.usp_u = 2;
  const Plan plan = find_schedule("usp")->plan(p, 5);
  EXPECT_EQ(plan.groups, (std::vector<std::vector<int>>{{0, 1}, {2, 3}, {4, 5}, {6, 7}, {0, 2, 4, 6}, {1, 3, 5, 7}}));
  EXPECT_EQ(std::get<ExchangeOp>(find_step(plan, "a2a_in").op).group, 2);
  EXPECT_EQ(std::get<ExchangeOp>(find_step(plan, "kv_pass[i=0]").op).group, 5);
  EXPECT_EQ(std::get<ExchangeOp>(find_step(plan, "kv_pass[i=0]").op).sends[0].peer, 7);
  EXPECT_EQ(std::get<ExchangeOp>(find_step(plan, "kv_pass[i=0]").op).recvs[0].peer, 3);
}

TEST(SchedulesStructure, UspWithOneRankPerGroupIsTheRingPlan) {
  Problem p = make_problem(4, 128, 8, 4, 16, 2, Mask::Causal);
  p.usp_u = 1;
  std::vector<Plan> usp = all_plans("usp", p);
  const std::vector<Plan> ring = all_plans("ring", p);
  for (int r = 0; r < 4; ++r) {
    for (Step& s : usp[r].steps)  // USP's ring group of rank r is group 4 + r; Ring's is 0
      if (s.kind() == OpKind::Exchange) std::get<ExchangeOp>(s.op).group = 0;
    EXPECT_EQ(plan_to_json(usp[r])["steps"], plan_to_json(ring[r])["steps"]);
    EXPECT_EQ(plan_to_json(usp[r])["buffers"], plan_to_json(ring[r])["buffers"]);
  }
}

TEST(SchedulesStructure, UspWithOneGroupAttendsLikeUlysses) {
  Problem p = make_problem(4, 128, 8, 4, 16, 2, Mask::Causal);
  p.usp_u = 4;
  const std::vector<Plan> usp = all_plans("usp", p), ulysses = all_plans("ulysses", p);
  for (int r = 0; r < 4; ++r) {
    EXPECT_EQ(count(usp[r], OpKind::Merge), 0);
    EXPECT_EQ(lane_labels(usp[r], "comm"), (std::vector<std::string>{"a2a_in", "a2a_out", "unpack"}));
    const AttentionOp& a = std::get<AttentionOp>(find_step(usp[r], "attn[i=0]").op);
    const AttentionOp& b = std::get<AttentionOp>(find_step(ulysses[r], "attn").op);
    EXPECT_EQ(a.heads.begin, b.heads.begin);
    EXPECT_EQ(a.q.shape, b.q.shape);
    EXPECT_EQ(a.causal, b.causal);
    EXPECT_FALSE(a.has_lse);
    EXPECT_EQ(find_schedule("usp")->model(p, r).send_bytes, find_schedule("ulysses")->model(p, r).send_bytes);
  }
}

TEST(SchedulesStructure, PlansOfLargeProblemsPassTheCheapChecks) {
  // Above the exhaustive limit check_plans skips the element-level checks; the rest runs.
  Problem p = make_problem(8, 131072, 40, 8, 128, 1, Mask::Causal);
  p.chunks = 3;
  p.usp_u = 4;
  ASSERT_FALSE(plan_checks_are_exhaustive(p));
  for (const char* name : {"ulysses", "hcms", "ring", "zigzag_ring", "usp"}) {
    const std::vector<std::string> errors = check_plans(all_plans(name, p), p);
    EXPECT_TRUE(errors.empty()) << name << join(errors);
  }
  p.chunk_shape = ChunkShape::Taper;
  p.comm_lanes = 2;
  const std::vector<std::string> errors = check_plans(all_plans("hcms", p), p);
  EXPECT_TRUE(errors.empty()) << "hcms taper, two comm lanes" << join(errors);
}

}  // namespace
}  // namespace cpb
