#include "bench/sweep/step_timed_runs.hpp"

#include <algorithm>
#include <utility>

#include "comm/mpi_session.hpp"

namespace cpb {

size_t step_timed_runs(size_t timed_runs) { return std::clamp<size_t>(timed_runs / 2, 1, 5); }

AttentionTime attention_time(const Plan& plan, const std::vector<StepTime>& steps) {
  AttentionTime t;
  double most = -1;
  for (const StepTime& st : steps) {
    const Step& s = plan.steps.at(static_cast<size_t>(st.step));
    double flops = 0;
    if (s.kind() == OpKind::Attention) {
      flops = attention_flops(std::get<AttentionOp>(s.op));
    } else if (s.kind() == OpKind::AttentionBackward) {
      flops = attention_flops(std::get<AttentionBackwardOp>(s.op));
    } else {
      continue;
    }
    t.ms += st.end_ms - st.start_ms;
    t.flops += flops;
    if (flops > most) {
      most = flops;
      t.largest_flops = flops;
      t.largest_step = st.step;
    }
  }
  return t;
}

StepTimedResult run_step_timed(Executor& exec, const Plan& plan, size_t timed_runs, MPI_Comm comm) {
  std::vector<std::vector<StepTime>> runs(step_timed_runs(timed_runs));
  std::vector<std::pair<double, size_t>> by_attention;
  std::vector<double> alone;  // [ms] the largest attention step alone, per run
  for (size_t i = 0; i < runs.size(); ++i) {
    exec.run(&runs[i]);
    const AttentionTime t = attention_time(plan, runs[i]);
    by_attention.emplace_back(allreduce_max(t.ms, comm), i);
    if (t.largest_step >= 0) alone.push_back(exec.step_alone_ms(t.largest_step));
  }
  std::sort(by_attention.begin(), by_attention.end());
  StepTimedResult r;
  r.steps = std::move(runs[by_attention[by_attention.size() / 2].second]);
  r.attention = attention_time(plan, r.steps);
  std::sort(alone.begin(), alone.end());
  if (!alone.empty()) r.alone_ms = alone[alone.size() / 2];
  return r;
}

}  // namespace cpb
