#include "bench/sweep/trace_capture.hpp"

#include <algorithm>

#include "bench/report/trace.hpp"
#include "bench/schedule.hpp"
#include "base/check.hpp"
#include "comm/watchdog.hpp"

namespace cpb {

TraceStep to_trace_step(const Plan& plan, const StepTime& t, int act_bytes) {
  const Step& s = plan.steps.at(static_cast<size_t>(t.step));
  TraceStep ts;
  ts.lane = plan.lanes.at(static_cast<size_t>(s.lane));
  ts.label = s.label;
  ts.kind = to_string(s.kind());
  ts.start_ms = t.start_ms;
  ts.end_ms = t.end_ms;
  if (s.kind() == OpKind::Attention) ts.flops = attention_flops(std::get<AttentionOp>(s.op));
  if (s.kind() == OpKind::AttentionBackward) ts.flops = attention_flops(std::get<AttentionBackwardOp>(s.op));
  if (s.kind() == OpKind::Exchange) {
    const ExchangeOp& e = std::get<ExchangeOp>(s.op);
    for (const Transfer& x : e.sends) {
      if (x.peer == plan.rank) continue;
      const int eb = plan.buffers.at(static_cast<size_t>(x.slice.buf)).storage == Storage::F32 ? 4 : act_bytes;
      ts.bytes += static_cast<double>(x.slice.count) * eb;
      ts.send_peers.push_back(x.peer);
    }
    for (const Transfer& x : e.recvs)
      if (x.peer != plan.rank) ts.recv_peers.push_back(x.peer);
    for (auto* v : {&ts.send_peers, &ts.recv_peers}) {
      std::sort(v->begin(), v->end());
      v->erase(std::unique(v->begin(), v->end()), v->end());
    }
  }
  return ts;
}

std::string trace_file_name(const Point& point) {
  std::string name = std::to_string(point.index) + "_" + point.schedule;
  const Problem& p = point.problem;
  name += "_P" + std::to_string(p.P) + "_S" + std::to_string(p.S) + "_H" + std::to_string(p.H);
  const Schedule* sched = find_schedule(point.schedule);
  const std::string label = sched ? sched->label(p) : "";
  if (!label.empty()) name += "_" + label;
  return name + ".trace.json";
}

void write_point_trace(const std::string& dir, const Point& point, const std::vector<StepTime>& steps,
                       const MpiSession& mpi, const std::vector<Plan>* plans) {
  // Flattened (step, start, end) triples, gathered to rank 0.
  std::vector<double> mine;
  for (const StepTime& t : steps) mine.insert(mine.end(), {static_cast<double>(t.step), t.start_ms, t.end_ms});
  int n = static_cast<int>(mine.size());
  std::vector<int> counts(static_cast<size_t>(mpi.size())), displs(static_cast<size_t>(mpi.size()));
  CPB_MPI_WAIT(MPI_Gather, &n, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, mpi.world());
  int total = 0;
  for (int r = 0; r < mpi.size(); ++r) {
    displs[static_cast<size_t>(r)] = total;
    total += counts[static_cast<size_t>(r)];
  }
  std::vector<double> all(static_cast<size_t>(std::max(total, 1)));
  CPB_MPI_WAIT(MPI_Gatherv, mine.data(), n, MPI_DOUBLE, all.data(), counts.data(), displs.data(), MPI_DOUBLE, 0,
               mpi.world());
  if (mpi.rank() != 0) return;

  const Schedule* sched = find_schedule(point.schedule);
  const int act_bytes = dtype_bytes(point.problem.dtype);
  std::vector<std::vector<TraceStep>> ranks(static_cast<size_t>(mpi.size()));
  for (int r = 0; r < mpi.size(); ++r) {
    const Plan plan = plans ? plans->at(static_cast<size_t>(r)) : sched->plan(point.problem, r);
    for (int i = 0; i < counts[static_cast<size_t>(r)]; i += 3) {
      const double* t = &all[static_cast<size_t>(displs[static_cast<size_t>(r)] + i)];
      ranks[static_cast<size_t>(r)].push_back(
          to_trace_step(plan, StepTime{static_cast<int>(t[0]), t[1], t[2]}, act_bytes));
    }
  }
  nlohmann::json meta = {{"schedule", point.schedule}, {"params", point.params()}};
  write_chrome_trace(dir + "/" + trace_file_name(point), make_chrome_trace(ranks, meta));
}

}  // namespace cpb
