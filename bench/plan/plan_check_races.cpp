// The race check of check_plan: steps on different lanes run concurrently on the GPU
// unless a chain of deps orders them, or one is in the untimed prologue and the other is
// not (a runtime completes the prologue before the first run).
#include <algorithm>
#include <cstdint>
#include <vector>

#include "bench/plan/plan_check_detail.hpp"
#include "bench/plan/step_access.hpp"

namespace cpb {
namespace check_detail {
namespace {

// Whether two views of one buffer share an element; `mark` is all zero on entry and exit.
bool share_element(const View& a, const View& b, std::vector<uint8_t>& mark) {
  for_each_offset(a, [&](int64_t o) { mark[o] = 1; });
  bool shared = false;
  for_each_offset(b, [&](int64_t o) { shared |= mark[o] != 0; });
  for_each_offset(a, [&](int64_t o) { mark[o] = 0; });
  return shared;
}

}  // namespace

void check_races(const Plan& plan, bool exact, Errors& errors) {
  const size_t n = plan.steps.size();
  StepsBefore before(n);
  std::vector<int> last_on_lane(plan.lanes.size(), -1);
  std::vector<std::vector<Access>> acc(n);
  for (size_t i = 0; i < n; ++i) {
    const Step& s = plan.steps[i];
    for (int d : s.deps) before.add(i, static_cast<size_t>(d));
    if (last_on_lane[s.lane] >= 0) before.add(i, static_cast<size_t>(last_on_lane[s.lane]));
    last_on_lane[s.lane] = static_cast<int>(i);
    acc[i] = step_accesses(s);
  }
  size_t largest = 0;
  for (const Buffer& b : plan.buffers) largest = std::max(largest, static_cast<size_t>(b.elems));
  std::vector<uint8_t> mark(exact ? largest : 0, 0);

  for (size_t i = 0; i < n && !errors.full(); ++i)
    for (size_t j = 0; j < i; ++j) {
      if (before.has(i, j)) continue;
      if (static_cast<int>(j) < plan.timed_from && static_cast<int>(i) >= plan.timed_from) continue;
      bool race = false;
      for (const Access& x : acc[i]) {
        for (const Access& y : acc[j]) {
          if (!ranges_conflict(x, y)) continue;
          if (!exact || share_element(x.view, y.view, mark)) {
            race = true;
            errors.add(step_name(plan.steps[j]) + " (lane \"" + plan.lanes[plan.steps[j].lane] + "\") and " +
                       step_name(plan.steps[i]) + " (lane \"" + plan.lanes[plan.steps[i].lane] +
                       "\") touch the same elements of " + buffer_name(plan, x.view.buf) +
                       ", one of them writing, but no lane order or deps order them");
            break;
          }
        }
        if (race) break;
      }
    }
}

}  // namespace check_detail
}  // namespace cpb
