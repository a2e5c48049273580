#include "bench/sim/sim_point.hpp"

#include <algorithm>
#include <utility>

#include "bench/mask/mask_regions.hpp"
#include "bench/report/stats.hpp"
#include "bench/schedule.hpp"
#include "bench/schedules/hcms_chunks_auto.hpp"
#include "bench/sim/list_order.hpp"
#include "bench/sim/machine_cost.hpp"
#include "bench/sim/sim_engine.hpp"
#include "bench/sweep/point_runner.hpp"
#include "bench/sweep/trace_capture.hpp"

namespace cpb {
namespace {

constexpr const char* kRuntime = "sim";

// The plans of all ranks with every compute step priced as its rank's plan is built.
// Unless `keep_views`, a Copy step's view pairs are released once priced: the engine needs
// only the price, and the packs of P = 512 ranks would otherwise hold most of the plans'
// memory (HCMS lists a view pair per peer and tensor); such plans are for the engine only.
// The list scheduler needs the views (what a Copy touches decides what may pass it), and
// `run` executes its plans.
struct PricedPlans {
  std::vector<Plan> plans;
  std::vector<std::vector<double>> cost_ms;  // [rank][step id]; 0 for exchanges

  ComputeCost lookup() const {
    return [this](const Plan& plan, const Step& s) {
      return cost_ms[static_cast<size_t>(plan.rank)][static_cast<size_t>(s.id)];
    };
  }
  // The compute-only part's makespan: the largest sum over a rank of its compute steps'
  // costs. This is exactly what the engine gives the filtered plans (filter_steps): with
  // no exchange, a rank's compute steps wait on nothing but each other and run one at a
  // time on its one SM resource, which is never idle while one is left (the
  // lowest-numbered unfinished step's deps have all ended), and nothing slows them.
  double compute_only_ms() const {
    double worst = 0;
    for (const std::vector<double>& c : cost_ms) {
      double sum = 0;
      for (const double ms : c) sum += ms;
      worst = std::max(worst, sum);
    }
    return worst;
  }
};

PricedPlans priced_plans(const Schedule& sched, const Problem& p, const ComputeCost& cost, bool keep_views) {
  PricedPlans out;
  out.plans.reserve(static_cast<size_t>(p.P));
  out.cost_ms.reserve(static_cast<size_t>(p.P));
  for (int r = 0; r < p.P; ++r) {
    Plan plan = sched.plan(p, r);
    // The untimed prologue (pass bwd's forward) is not predicted: only what a run times.
    if (plan.timed_from > 0) {
      const int first = plan.timed_from;
      plan = filter_steps(plan, [first](const Step& st) { return st.id >= first; });
    }
    std::vector<double> c(plan.steps.size(), 0.0);
    for (Step& s : plan.steps) {
      if (s.is_comm()) continue;
      c[static_cast<size_t>(s.id)] = cost(plan, s);
      if (!keep_views && s.kind() == OpKind::Copy) std::vector<CopyOp::Pair>().swap(std::get<CopyOp>(s.op).pairs);
    }
    out.plans.push_back(std::move(plan));
    out.cost_ms.push_back(std::move(c));
  }
  return out;
}

bool has_steps(const std::vector<Plan>& plans) {
  return std::any_of(plans.begin(), plans.end(), [](const Plan& p) { return !p.steps.empty(); });
}

// GPUs per node: the caller's, else the machine file's.
int node_size(int gpus_per_node, const MachineModel& machine) {
  return gpus_per_node > 0 ? gpus_per_node : machine.inter_node.gpus_per_node;
}

// The list scheduler's order of `priced` when the engine predicts it shorter (the plans
// and their costs renumbered alike); what was decided, for the record.
nlohmann::json reorder(PricedPlans& priced, const SimLinks& links) {
  ListOrder lo = list_order(priced.plans, links, priced.lookup());
  if (lo.reordered) {
    for (size_t r = 0; r < priced.plans.size(); ++r) {
      std::vector<double> cost(lo.old_id[r].size());
      for (size_t i = 0; i < cost.size(); ++i) cost[i] = priced.cost_ms[r][static_cast<size_t>(lo.old_id[r][i])];
      priced.cost_ms[r] = std::move(cost);
    }
    priced.plans = std::move(lo.plans);
  }
  return {{"order", lo.reordered ? "list" : "plan"},
          {"plan_ms", lo.given_ms},
          {"list_ms", lo.list_ms},
          {"list_yields_to_exchanges", lo.yield}};
}

// The whole plan's predicted time [ms] of `p` (chunks fixed) for the point's transport and
// profile, in the list scheduler's order when `list` (where it predicts one shorter).
double whole_ms(const Schedule& sched, const Problem& p, const Point& point, const MachineModel& machine, int node,
                bool list) {
  const SimSetup setup = machine_cost(machine, p, *point.transport, point.profile, node);
  PricedPlans priced = priced_plans(sched, p, setup.compute_ms, list);
  if (list) reorder(priced, setup.links);
  return simulate(priced.plans, setup.links, priced.lookup()).makespan_ms;
}

void fill_trace(const std::vector<Plan>& plans, const SimResult& sim, int act_bytes,
                std::vector<std::vector<TraceStep>>* trace) {
  trace->assign(plans.size(), {});
  for (size_t r = 0; r < plans.size(); ++r)
    for (size_t i = 0; i < plans[r].steps.size(); ++i) {
      const SimStepTime& t = sim.steps[r][i];
      (*trace)[r].push_back(to_trace_step(plans[r], StepTime{static_cast<int>(i), t.start_ms, t.end_ms}, act_bytes));
    }
}

}  // namespace

namespace {

// The point at its fixed chunk count, simulated; `point` has no skip reason and a transport.
PointRecord simulate_fixed(const Point& point, const MachineModel& machine, const SimPointOptions& opt) {
  const Schedule& sched = *find_schedule(point.schedule);
  const Problem& p = point.problem;
  const SimSetup setup =
      machine_cost(machine, p, *point.transport, point.profile, node_size(opt.gpus_per_node, machine));

  PointRecord r = base_record(point, kRuntime);
  r.status = "PASS";
  nlohmann::json step_order;
  std::vector<Plan> comm_part;
  comm_part.reserve(static_cast<size_t>(p.P));
  {  // each whole plan is released once its comm-only part is filtered from it
    const bool list = opt.list_order || point.levers.list_order;
    PricedPlans priced = priced_plans(sched, p, setup.compute_ms, list);
    r.comp_ms = priced.compute_only_ms();
    if (list) step_order = reorder(priced, setup.links);
    {
      const SimResult whole = simulate(priced.plans, setup.links, priced.lookup());
      r.time_ms = summarize({whole.makespan_ms});
      if (opt.trace) fill_trace(priced.plans, whole, setup.links.act_bytes, opt.trace);
    }
    r.plan_steps = static_cast<int>(priced.plans.front().steps.size());
    for (Plan& plan : priced.plans) {
      comm_part.push_back(filter_steps(plan, [](const Step& st) { return st.is_comm(); }));
      plan = Plan{};
    }
  }
  r.comm_ms = has_steps(comm_part) ? simulate(comm_part, setup.links, setup.compute_ms).makespan_ms : 0.0;
  double flops_total = 0, flops_max = 0, bytes_max = 0;
  for (int rank = 0; rank < p.P; ++rank) {
    const Model m = sched.model(p, rank);
    flops_total += m.flops;
    flops_max = std::max(flops_max, m.flops);
    bytes_max = std::max(bytes_max, m.send_bytes);
  }
  r.flops_per_rank_max = flops_max;
  r.comm_bytes_per_rank = bytes_max;
  if (const nlohmann::json planned = sched.planner(p); !planned.is_null()) r.planner = planned;
  record_step_order(r, step_order);
  const double t = r.time_ms->p50;
  if (t > 0) r.tflops_per_gpu = flops_total / p.P / (t * 1e-3) / 1e12;
  return r;
}

// chunks "auto": the candidate count with the lowest predicted whole-plan time, and that time [ms].
std::pair<int, double> best_predicted_chunks(const Point& point, const MachineModel& machine, int node) {
  const int max_c = max_auto_chunks(point.problem);
  std::vector<int> candidates = chunk_candidates(max_c);
  if (point.problem.P <= 16) {
    candidates.clear();
    for (int c = 1; c <= max_c; ++c) candidates.push_back(c);
  }
  const Schedule& sched = *find_schedule(point.schedule);
  int best = 1;
  double best_ms = -1;
  for (const int c : candidates) {
    Problem p = point.problem;
    p.chunks = c;
    if (sched.unsupported(p)) continue;
    const double ms = whole_ms(sched, p, point, machine, node, false);  // counts by the given order
    if (best_ms < 0 || ms < best_ms) best = c, best_ms = ms;
  }
  return {best, std::max(best_ms, 0.0)};
}

// Why `point` is not simulated, or none.
Reason not_simulated(const Point& point) {
  if (!point.skip_reason.empty()) return point.skip_reason;
  if (point.levers.any_cuda()) return "the overlap levers (comm_priority, nccl_ctas, attn_sms) are not simulated";
  if (!point.transport) return "transport auto: name the transport to simulate (the machine file has no default)";
  return std::nullopt;
}

}  // namespace

PointRecord simulate_point(const Point& point, const MachineModel& machine, const SimPointOptions& opt) {
  if (const Reason why = not_simulated(point)) return skipped_record(point, kRuntime, *why);
  if (!point.problem.chunks_auto) return simulate_fixed(point, machine, opt);
  Point fixed = point;
  fixed.problem.chunks = best_predicted_chunks(point, machine, node_size(opt.gpus_per_node, machine)).first;
  PointRecord r = simulate_fixed(fixed, machine, opt);
  r.chunks_chosen = fixed.problem.chunks;
  return r;
}

void check_costable(const Point& point, const MachineModel& machine, int gpus_per_node) {
  if (not_simulated(point)) return;
  const Problem& p = point.problem;
  machine_cost(machine, p, *point.transport, point.profile, node_size(gpus_per_node, machine));
  // The attention classes its tiles use: full tiles always (a causal plan's off-diagonal
  // tiles are full), causal ones when some region of the mask is causal. One small tile each.
  const std::vector<MaskRegion> regions = mask_regions(p);
  const bool any_causal =
      std::any_of(regions.begin(), regions.end(), [](const MaskRegion& r) { return r.mask.causal; });
  AttentionOp tile;
  tile.q = dense_view(0, 0, {p.B, 1, p.H, p.D});
  tile.k = tile.v = dense_view(0, 0, {p.B, 1, p.Hkv, p.D});
  tile.o = tile.q;
  tile.heads = {0, p.H};
  tile.q_tokens = tile.k_tokens = {0, 1};
  for (const bool causal : {false, any_causal}) {
    tile.causal = causal;
    attention_ms(machine, tile, p.dtype);
  }
}

double predicted_ms(const Point& point, const MachineModel& machine, int gpus_per_node) {
  if (not_simulated(point)) return 0.0;
  const int node = node_size(gpus_per_node, machine);
  const Schedule& sched = *find_schedule(point.schedule);
  Problem p = point.problem;
  if (p.chunks_auto) {
    const std::pair<int, double> best = best_predicted_chunks(point, machine, node);
    if (!point.levers.list_order) return best.second;
    p.chunks = best.first;  // the list order applies to the count the given order chose, as simulate does
  }
  return whole_ms(sched, p, point, machine, node, point.levers.list_order);
}

namespace {

// `timed` (the timed steps of `full`, renumbered from 0 and reordered) after the prologue
// of `full` (its steps before timed_from), so that the runtime runs both: the timed
// steps' ids and deps shift by the prologue's length; what they waited for in the
// prologue is done before any run.
Plan with_prologue(const Plan& full, Plan timed) {
  const int first = full.timed_from;
  if (first == 0) return timed;
  Plan out = filter_steps(full, [first](const Step& s) { return s.id < first; });
  for (Step& s : timed.steps) {
    for (int& d : s.deps) d += first;
    out.add_step(s.lane, std::move(s.label), std::move(s.op), std::move(s.deps));
  }
  out.timed_from = first;
  return out;
}

}  // namespace

OrderedPlans list_ordered_plans(const Point& point, const MachineModel& machine, int gpus_per_node) {
  const Problem& p = point.problem;
  const Schedule& sched = *find_schedule(point.schedule);
  const SimSetup setup =
      machine_cost(machine, p, *point.transport, point.profile, node_size(gpus_per_node, machine));
  PricedPlans priced = priced_plans(sched, p, setup.compute_ms, true);
  OrderedPlans out;
  out.step_order = reorder(priced, setup.links);
  for (Plan& timed : priced.plans) {
    const int rank = timed.rank;
    out.plans.push_back(with_prologue(sched.plan(p, rank), std::move(timed)));
  }
  return out;
}

}  // namespace cpb
