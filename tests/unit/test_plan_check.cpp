// check_plan and check_plans must report broken plans: each test breaks a valid plan in
// one way and expects a sentence naming that problem.
#include <gtest/gtest.h>

#include <algorithm>

#include "bench/plan/plan_check.hpp"
#include "tests/unit/test_plan_util.hpp"

namespace cpb {
namespace {

using test::all_plans;
using test::join;
using test::make_problem;

Step& find_step(Plan& plan, const std::string& label) {
  for (Step& s : plan.steps)
    if (s.label == label) return s;
  throw std::logic_error("no step " + label);
}

// Whether some error contains `needle`.
::testing::AssertionResult reports(const std::vector<std::string>& errors, const std::string& needle) {
  for (const std::string& e : errors)
    if (e.find(needle) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "no error contains \"" << needle << "\"; errors:" << join(errors);
}

class PlanCheck : public ::testing::Test {
 protected:
  Problem ulysses_problem = make_problem(2, 128, 4, 4, 16, 1, Mask::Full);
  Problem ring_problem = make_problem(3, 96, 4, 2, 16, 2, Mask::Causal);
  std::vector<Plan> ulysses = all_plans("ulysses", ulysses_problem);
  std::vector<Plan> ring = all_plans("ring", ring_problem);
};

TEST_F(PlanCheck, ValidPlansPass) {
  EXPECT_TRUE(check_plans(ulysses, ulysses_problem).empty()) << join(check_plans(ulysses, ulysses_problem));
  EXPECT_TRUE(check_plans(ring, ring_problem).empty()) << join(check_plans(ring, ring_problem));
}

TEST_F(PlanCheck, MissingDependencyIsARace) {
  find_step(ulysses[0], "attn").deps = {0};  // no longer waits for the input all-to-all
  EXPECT_TRUE(reports(check_plan(ulysses[0], ulysses_problem), "no lane order or deps order them"));
  EXPECT_TRUE(
      reports(check_plans(ulysses, ulysses_problem), "rank 0: step 1 \"a2a_in\" (lane \"comm\") and step 2 \"attn\""));
}

TEST_F(PlanCheck, ForwardDependency) {
  ulysses[1].steps[1].deps.push_back(3);
  EXPECT_TRUE(reports(check_plan(ulysses[1], ulysses_problem), "depends on step 3, which is not an earlier step"));
}

TEST_F(PlanCheck, ViewOutsideItsBuffer) {
  std::get<AttentionOp>(find_step(ulysses[0], "attn").op).q.offset += 16;
  EXPECT_TRUE(reports(check_plan(ulysses[0], ulysses_problem), "q @16"));
  EXPECT_TRUE(reports(check_plan(ulysses[0], ulysses_problem), "reaches element"));
}

TEST_F(PlanCheck, AttentionNeedsUnitStrideInD) {
  View& k = std::get<AttentionOp>(find_step(ulysses[0], "attn").op).k;
  k.shape[3] = 8;
  k.stride[3] = 2;
  EXPECT_TRUE(reports(check_plan(ulysses[0], ulysses_problem), "needs extent D=16 and stride 1 in dim 3"));
}

TEST_F(PlanCheck, CopyShapesMustAgree) {
  std::get<CopyOp>(find_step(ulysses[0], "pack").op).pairs[0].dst.shape[1] -= 1;
  EXPECT_TRUE(reports(check_plan(ulysses[0], ulysses_problem), "to the differently shaped"));
}

TEST_F(PlanCheck, TileMustLieInsideTheMask) {
  // Rank 2's causal tile on the diagonal marked full: its first query row sees later keys.
  for (Step& s : ring[2].steps)
    if (s.kind() == OpKind::Attention && std::get<AttentionOp>(s.op).causal) {
      std::get<AttentionOp>(s.op).causal = false;
      break;
    }
  EXPECT_TRUE(reports(check_plan(ring[2], ring_problem),
                      "query token 64 of the tile sees keys [64, 96), which the causal mask does not allow"));
}

TEST_F(PlanCheck, LseMustBeDenseF32) {
  for (Step& s : ring[1].steps)
    if (s.kind() == OpKind::Attention && std::get<AttentionOp>(s.op).has_lse) {
      View& lse = std::get<AttentionOp>(s.op).lse;  // [B, H, S, 1] stored as [B, S, H, 1]
      lse.stride[1] = 1;
      lse.stride[2] = lse.shape[1];
      break;
    }
  EXPECT_TRUE(reports(check_plan(ring[1], ring_problem), "is not a dense [B, H, S, 1] view"));
}

TEST_F(PlanCheck, RoleBufferSizes) {
  ulysses[0].buffers[ulysses[0].find_buffer(BufferRole::K)].elems += 1;
  EXPECT_TRUE(reports(check_plan(ulysses[0], ulysses_problem), "k buffer \"k\" has 4097 elements"));
}

TEST_F(PlanCheck, ReceiveSizeMustMatchTheSend) {
  std::get<ExchangeOp>(find_step(ulysses[1], "a2a_in").op).recvs[0].slice.count -= 16;
  EXPECT_TRUE(
      reports(check_plans(ulysses, ulysses_problem),
              "rank 0 (step 1 \"a2a_in\") sends 3 transfers (2048 act, 2048 act, 2048 act elements) to rank 1, "
              "which (step 1 \"a2a_in\") receives 3 transfers (2032 act, 2048 act, 2048 act elements) from it"));
}

TEST_F(PlanCheck, ExchangeCountsMustAgreeAcrossRanks) {
  find_step(ring[1], "kv_pass[i=1]").lane = 0;  // moved to the compute lane on one rank only
  EXPECT_TRUE(reports(check_plans(ring, ring_problem),
                      "members of group 0 run different numbers of exchanges on lane \"comm\""));
}

TEST_F(PlanCheck, WrongInputOffsetIsFoundByTheSymbolicRun) {
  // Reads the next head's queries: in bounds, right shape, wrong data.
  std::get<AttentionOp>(find_step(ulysses[1], "attn").op).q.offset += 16;
  std::get<AttentionOp>(find_step(ulysses[1], "attn").op).q.shape[2] = 1;
  std::get<AttentionOp>(find_step(ulysses[1], "attn").op).o.shape[2] = 1;
  std::get<AttentionOp>(find_step(ulysses[1], "attn").op).k.shape[2] = 1;
  std::get<AttentionOp>(find_step(ulysses[1], "attn").op).v.shape[2] = 1;
  std::get<AttentionOp>(find_step(ulysses[1], "attn").op).heads.size = 1;
  const std::vector<std::string> errors = check_plans(ulysses, ulysses_problem);
  EXPECT_TRUE(reports(errors,
                      "rank 1: step 2 \"attn\": q[0,0,0,0] holds Q[b=0,token=0,head=3,d=0] but the tile's heads "
                      "and tokens need Q[b=0,token=0,head=2,d=0]"));
}

TEST_F(PlanCheck, MissingUnpackLeavesOutputUnwritten) {
  std::get<CopyOp>(find_step(ulysses[0], "unpack").op).pairs.pop_back();
  const std::vector<std::string> errors = check_plans(ulysses, ulysses_problem);
  EXPECT_TRUE(reports(errors, "rank 0: O[0,0,2,0] (token 0) holds nothing (never written) at the end"));
}

TEST_F(PlanCheck, DuplicatedTileIsCountedTwice) {
  Plan& p = ulysses[0];
  const Step attn = find_step(p, "attn");
  const int id = p.add_step(attn.lane, "attn_again", attn.op, attn.deps);
  p.steps[id].deps.push_back(id - 1);
  const std::vector<std::string> errors = check_plans(ulysses, ulysses_problem);
  EXPECT_TRUE(reports(errors, "query head 0, query token 0, key token 0 is computed 2 times over all ranks"));
  EXPECT_TRUE(reports(errors, "rank 0: the plan's attention FLOPs are"));
}

TEST_F(PlanCheck, SkippedTileIsMissing) {
  // Rank 2's tile against rank 1's keys claims (and reads) rank 0's keys instead, which
  // its tile against rank 0's block computes too: keys 32..63 are left out.
  AttentionOp& a = std::get<AttentionOp>(find_step(ring[2], "attn[i=1]").op);
  a.k_tokens.begin = 0;
  const std::vector<std::string> errors = check_plans(ring, ring_problem);
  EXPECT_TRUE(reports(errors,
                      "query head 0, query token 64, key token 0 is computed 2 times over all ranks; the mask "
                      "needs it 1 times"));
  EXPECT_TRUE(reports(errors, "more (head, query, key) triples are computed a wrong number of times"));
  EXPECT_TRUE(reports(errors,
                      "rank 2: step 4 \"attn[i=1]\": k[0,0,0,0] holds K[b=0,token=32,head=0,d=0] but the tile's "
                      "heads and tokens need K[b=0,token=0,head=0,d=0]"));
}

TEST_F(PlanCheck, MergeThatRestartsTheAccumulator) {
  // The second merge of rank 2 marked init: the first tile's contribution is lost.
  find_step(ring[2], "merge[i=1]").op = [&] {
    MergeOp m = std::get<MergeOp>(find_step(ring[2], "merge[i=1]").op);
    m.init = true;
    return m;
  }();
  EXPECT_TRUE(reports(check_plans(ring, ring_problem),
                      "rank 2: O[0,0,0,0] (token 64) holds the contributions of 64 keys "
                      "at the end; the mask allows 65"));
}

TEST(PlanCheckMerge, MergeIntoAnotherChunksRows) {
  // Zigzag, P=2, causal: rank 0 holds chunks 0 and 3; chunk 3 merges four tiles. One of its
  // merges is pointed at chunk 0's accumulator rows.
  const Problem p = make_problem(2, 96, 2, 2, 16, 1, Mask::Causal);
  std::vector<Plan> plans = all_plans("zigzag_ring", p);
  ASSERT_TRUE(check_plans(plans, p).empty()) << join(check_plans(plans, p));
  MergeOp& m = std::get<MergeOp>(find_step(plans[0], "merge[i=1,q=1,kv=0]").op);
  m.acc_o.offset = 0;
  EXPECT_TRUE(reports(check_plans(plans, p),
                      "rank 0: step 7 \"merge[i=1,q=1,kv=0]\" merges O[b=0,token=72,head=0,d=0] "
                      "into acc_o[0,0,0,0], which holds nothing (never written)"));
}

TEST_F(PlanCheck, WrongKeyValueHeadUnderGqa) {
  // H=4, Hkv=2: rank 0 of the ring attends all heads; make the tile read kv head 1 only.
  for (Step& s : ring[0].steps)
    if (s.kind() == OpKind::Attention) {
      AttentionOp& a = std::get<AttentionOp>(s.op);
      a.k.offset += 16;
      a.v.offset += 16;
      a.k.shape[2] = a.v.shape[2] = 1;
      break;
    }
  EXPECT_TRUE(reports(
      check_plans(ring, ring_problem),
      "rank 0: step 1 \"attn[i=0]\": query head 2 reads key/value head 0 of the tile, but GQA gives it head 1"));
}

TEST_F(PlanCheck, ModelBytesMustMatch) {
  // One extra transfer on both sides: consistent between ranks, but not the model's bytes.
  ExchangeOp& a = std::get<ExchangeOp>(find_step(ulysses[0], "a2a_in").op);
  ExchangeOp& b = std::get<ExchangeOp>(find_step(ulysses[1], "a2a_in").op);
  a.sends.push_back(a.sends.back());
  b.recvs.push_back(b.recvs.back());
  const std::vector<std::string> errors = check_plans(ulysses, ulysses_problem);
  EXPECT_TRUE(reports(errors, "rank 0: the plan's bytes sent are 20480.000000 but model() says 16384.000000"));
}

TEST_F(PlanCheck, TokensMustPartitionTheSequence) {
  ulysses[1].tokens[0].begin = 0;
  EXPECT_TRUE(reports(check_plans(ulysses, ulysses_problem), "token 0 is held by 2 ranks"));
}

TEST_F(PlanCheck, PeerOutsideTheGroup) {
  ulysses_problem.P = 3;
  std::vector<Plan> plans = all_plans("ulysses", make_problem(3, 96, 3, 3, 16, 1, Mask::Full));
  plans[0].groups[0] = {0, 1};
  const std::vector<std::string> errors = check_plan(plans[0], make_problem(3, 96, 3, 3, 16, 1, Mask::Full));
  EXPECT_TRUE(reports(errors, "send to rank 2: the peer is not in group 0"));
}

TEST(PlanCheckOrder, CrossedExchangesDeadlock) {
  // Two ranks, two lanes: rank 0 runs exchange X then Y, rank 1 runs Y then X. Each lane's
  // exchanges match, but running the steps in list order never completes.
  const Problem p = make_problem(2, 2, 1, 1, 1, 1, Mask::Full);
  std::vector<Plan> plans(2);
  for (int r = 0; r < 2; ++r) {
    Plan& plan = plans[r];
    plan.schedule = "crossed";
    plan.rank = r;
    plan.world = 2;
    plan.lanes = {"a", "b"};
    plan.groups = {{0, 1}};
    plan.tokens = {Range{r, 1}};
    for (BufferRole role : {BufferRole::Q, BufferRole::K, BufferRole::V, BufferRole::O})
      plan.add_buffer(to_string(role), Storage::Act, role, 1);
    const int scratch = plan.add_buffer("x", Storage::Act, BufferRole::Scratch, 2);
    auto exchange = [&](int lane, int64_t offset) {
      ExchangeOp e;
      e.group = 0;
      e.sends = {Transfer{1 - r, Slice{0, 0, 1}}};
      e.recvs = {Transfer{1 - r, Slice{scratch, offset, 1}}};
      plan.add_step(lane, lane == 0 ? "X" : "Y", e, {});
    };
    exchange(r == 0 ? 0 : 1, r == 0 ? 0 : 1);
    exchange(r == 0 ? 1 : 0, r == 0 ? 1 : 0);
  }
  EXPECT_TRUE(reports(check_plans(plans, p),
                      "running the plans in list order (the CPU runtime) deadlocks: "
                      "rank 0 waits in step 0 \"X\"; rank 1 waits in step 0 \"Y\""));
}

}  // namespace
}  // namespace cpb
