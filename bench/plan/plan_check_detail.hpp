// Internals of plan_check.cpp and its siblings: the error collector, names for messages,
// element iteration over views, and the checks that live in their own files.
#pragma once

#include <string>
#include <vector>

#include "bench/plan/plan.hpp"
#include "bench/plan/plan_check.hpp"
#include "bench/problem.hpp"

namespace cpb {
namespace check_detail {

// Collects sentences into `out`, at most kMaxPlanErrors in all; counts every one added.
class Errors {
 public:
  explicit Errors(std::vector<std::string>* out) : out_(out) {}
  void add(const std::string& sentence);
  bool any() const { return added_ > 0; }
  bool full() const;

 private:
  std::vector<std::string>* out_;
  size_t added_ = 0;
};

std::string step_name(const Step& s);                // step 3 "attn[c=1]"
std::string buffer_name(const Plan& plan, int buf);  // buffer "q_heads"
std::string show(const View& v);                     // @12 [1,64,2,16]/[2048,32,16,1]

// Calls f(offset) for every element of v in row-major order of its shape.
template <class F>
void for_each_offset(const View& v, F&& f) {
  for (int64_t a = 0; a < v.shape[0]; ++a)
    for (int64_t b = 0; b < v.shape[1]; ++b)
      for (int64_t c = 0; c < v.shape[2]; ++c) {
        const int64_t base = v.offset + a * v.stride[0] + b * v.stride[1] + c * v.stride[2];
        for (int64_t d = 0; d < v.shape[3]; ++d) f(base + d * v.stride[3]);
      }
}

// Race check of one plan (see check_plan). `exact`: compare element sets of views whose
// ranges overlap; otherwise overlapping ranges count as touching the same elements.
// Precondition: the plan passed the structural checks.
void check_races(const Plan& plan, bool exact, Errors& errors);

// Runs all ranks' plans in list order, each Exchange when all members of its group reach
// it (the CPU runtime's order); reports a deadlock. With `with_data`, also runs the
// symbolic data flow of check_plans. Precondition: plans passed check_plan and their
// exchanges match.
void simulate_plans(const std::vector<Plan>& plans, const Problem& p, bool with_data, Errors& errors);

}  // namespace check_detail
}  // namespace cpb
