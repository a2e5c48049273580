// Every schedule over a grid of problems: all ranks' plans must pass check_plans (which
// also compares them with the schedule's model and runs them symbolically).
#include <gtest/gtest.h>

#include <functional>
#include <set>

#include "bench/plan/plan_check.hpp"
#include "tests/unit/test_plan_util.hpp"

namespace cpb {
namespace {

using test::describe;
using test::join;
using test::make_problem;

struct GridResult {
  int checked = 0;      // supported problems whose plans were checked
  int unsupported = 0;  // problems the schedule declined
};

// Calls visit(p) for P in 1..8, H in 4..12, Hkv in {H, H/2, H/4, 1} (where they divide),
// both masks and B in {1, 2}; S (multiples of s_divisor(P) from the first to the last in
// [96, 512]) and D (16..64) rotate so that each value meets many shapes.
void for_each_problem(const std::function<int64_t(int)>& s_divisor, const std::function<void(Problem)>& visit) {
  // Weighted towards the cheaper sizes: the element-level checks cost about B S H D.
  const int dims[] = {16, 24, 16, 32, 16, 64};
  const int s_steps[] = {0, 0, 1, 3};  // thirds of the way from the first to the last S
  int index = 0;
  for (int P = 1; P <= 8; ++P)
    for (int H = 4; H <= 12; ++H)
      for (int Hkv : std::set<int>{H, H / 2, H / 4, 1}) {
        if (H % Hkv != 0) continue;
        for (Mask mask : {Mask::Full, Mask::Causal})
          for (int B : {1, 2}) {
            ++index;
            const int64_t step = s_divisor(P), first = (96 + step - 1) / step * step, last = 512 / step * step;
            const int64_t S = first + (last - first) / step * s_steps[index % 4] / 3 * step;
            visit(make_problem(P, S, H, Hkv, dims[(index / 3) % 6], B, mask));
          }
      }
}

void check_problem(const std::string& schedule, const Problem& p, GridResult* result) {
  const Schedule* s = find_schedule(schedule);
  ASSERT_NE(s, nullptr) << schedule;
  if (s->unsupported(p)) {
    ++result->unsupported;
    return;
  }
  ++result->checked;
  const std::vector<std::string> errors = check_plans(test::all_plans(*s, p), p);
  EXPECT_TRUE(errors.empty()) << schedule << " " << describe(p) << join(errors);
}

int64_t by_p(int P) { return P; }
int64_t by_2p(int P) { return 2 * P; }

TEST(SchedulesGrid, Ulysses) {
  GridResult r;
  for_each_problem(by_p, [&](Problem p) { check_problem("ulysses", p, &r); });
  EXPECT_EQ(r.checked, 728);
  EXPECT_GT(r.unsupported, 0);  // H < P
}

TEST(SchedulesGrid, Ring) {
  GridResult r;
  for_each_problem(by_p, [&](Problem p) { check_problem("ring", p, &r); });
  EXPECT_EQ(r.checked, 832);
  EXPECT_EQ(r.unsupported, 0);
}

TEST(SchedulesGrid, ZigzagRing) {
  GridResult r;
  for_each_problem(by_2p, [&](Problem p) { check_problem("zigzag_ring", p, &r); });
  EXPECT_EQ(r.checked, 832);
  EXPECT_EQ(r.unsupported, 0);
}

TEST(SchedulesGrid, HcmsEvenAndUnevenChunks) {
  GridResult r;
  int index = 0;
  for_each_problem(by_p, [&](Problem p) {
    for (int chunks = 1; chunks <= 5; ++chunks) {
      // The 8 combinations of comm_order, comm_lanes and chunk_shape cycle; 5 chunk counts
      // per problem against a cycle of 8, so every count meets every combination.
      p.chunks = chunks;
      p.comm_order = ++index % 2 ? CommOrder::Interleaved : CommOrder::InputsFirst;
      p.comm_lanes = index / 2 % 2 + 1;
      p.chunk_shape = index / 4 % 2 ? ChunkShape::Taper : ChunkShape::Even;
      check_problem("hcms", p, &r);
    }
  });
  EXPECT_GT(r.checked, 1500);
  EXPECT_GT(r.unsupported, 0);  // chunks above a rank's heads
}

TEST(SchedulesGrid, HcmsExplicitChunkHeads) {
  GridResult r;
  for_each_problem(by_p, [&](Problem p) {
    if (p.H % p.P != 0) return;
    const int h = p.H / p.P;
    std::vector<std::vector<int>> splits = {{h}};
    if (h >= 2) splits.push_back({h - 1, 1});
    if (h >= 3) splits.push_back({1, h - 2, 1});
    if (h >= 4) splits.push_back({1, 1, 1, h - 3});
    for (const std::vector<int>& split : splits) {
      p.chunk_heads = split;
      p.comm_order = split.size() % 2 ? CommOrder::Interleaved : CommOrder::InputsFirst;
      p.comm_lanes = static_cast<int>(split.size() / 2 % 2) + 1;
      check_problem("hcms", p, &r);
    }
  });
  EXPECT_GT(r.checked, 400);
  EXPECT_EQ(r.unsupported, 0);
}

TEST(SchedulesGrid, UspEveryDegree) {
  GridResult r;
  for_each_problem(by_p, [&](Problem p) {
    for (int u = 1; u <= p.P; ++u) {
      if (p.P % u != 0) continue;
      p.usp_u = u;
      check_problem("usp", p, &r);
    }
  });
  EXPECT_GT(r.checked, 1500);
  EXPECT_GT(r.unsupported, 0);  // H < u
}

}  // namespace
}  // namespace cpb
