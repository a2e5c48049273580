// Helpers of the schedule and plan tests: problems, the plans of all ranks, descriptions.
#pragma once

#include <string>
#include <vector>

#include "bench/plan/plan.hpp"
#include "bench/problem.hpp"
#include "bench/schedule.hpp"

namespace cpb {
namespace test {

inline Problem make_problem(int P, int64_t S, int H, int Hkv, int D, int B, Mask mask) {
  Problem p;
  p.P = P;
  p.S = S;
  p.H = H;
  p.Hkv = Hkv;
  p.D = D;
  p.B = B;
  p.mask = mask;
  return p;
}

inline std::vector<Plan> all_plans(const Schedule& s, const Problem& p) {
  std::vector<Plan> plans;
  for (int r = 0; r < p.P; ++r) plans.push_back(s.plan(p, r));
  return plans;
}

inline std::vector<Plan> all_plans(const std::string& schedule, const Problem& p) {
  return all_plans(*find_schedule(schedule), p);
}

inline std::string describe(const Problem& p) {
  std::string s = "P=" + std::to_string(p.P) + " S=" + std::to_string(p.S) + " H=" + std::to_string(p.H) +
                  " Hkv=" + std::to_string(p.Hkv) + " D=" + std::to_string(p.D) + " B=" + std::to_string(p.B) + " " +
                  to_string(p.mask) + " chunks=" + std::to_string(p.chunks) + " u=" + std::to_string(p.usp_u) +
                  " tile_u=" + std::to_string(p.tile_u) + " tile_node=" + std::to_string(p.tile_node) +
                  " order=" + to_string(p.comm_order) + " shape=" + to_string(p.chunk_shape) + " lanes=" + std::to_string(p.comm_lanes);
  if (!p.chunk_heads.empty()) {
    s += " chunk_heads=";
    for (size_t i = 0; i < p.chunk_heads.size(); ++i) s += (i ? "," : "") + std::to_string(p.chunk_heads[i]);
  }
  return s;
}

inline std::string join(const std::vector<std::string>& lines) {
  std::string s;
  for (const std::string& l : lines) s += "\n  " + l;
  return s;
}

}  // namespace test
}  // namespace cpb
