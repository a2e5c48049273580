// The simulator's event loop (the model: sim_engine.hpp; the cost: docs/SIMULATOR.md).
//
// Time moves from instant to instant. At an instant everything that ends there ends and
// what it makes ready starts (settle); then rates are set (fair shares when the moving
// flows changed, caps and attention speeds always) and time jumps to the next instant:
// the earliest of a compute step's end, a flow's end, a flow's per-message delay, an
// instance's latency or self copy. Between instants every rate is constant.
#include "bench/sim/sim_engine.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <queue>
#include <tuple>
#include <variant>

#include "bench/sim/sim_flows.hpp"
#include "bench/sim/sim_graph.hpp"

namespace cpb {
namespace {

using sim::fail;

constexpr double kNever = std::numeric_limits<double>::infinity();

// Ends closer than this to an instant happen at it [ms]: it absorbs the rounding of
// rates times durations, so flows of equal sizes and rates end in one instant.
double tolerance(double t) { return 1e-12 * std::max(1.0, std::abs(t)); }

void check_links(const SimLinks& l) {
  auto need = [](bool ok, const char* field, double v, const char* allowed) {
    if (!ok) fail(std::string("links.") + field + " = " + std::to_string(v) + " must be " + allowed);
  };
  auto finite = [](double v) { return std::isfinite(v); };
  need(l.gpus_per_node >= 1, "gpus_per_node", l.gpus_per_node, ">= 1");
  need(finite(l.intra_gbps) && l.intra_gbps > 0, "intra_gbps", l.intra_gbps, "finite and > 0");
  need(finite(l.inter_gbps) && l.inter_gbps > 0, "inter_gbps", l.inter_gbps, "finite and > 0");
  need(finite(l.latency_us) && l.latency_us >= 0, "latency_us", l.latency_us, "finite and >= 0");
  need(finite(l.inter_latency_us) && l.inter_latency_us >= 0, "inter_latency_us", l.inter_latency_us,
       "finite and >= 0");
  need(finite(l.per_message_us) && l.per_message_us >= 0, "per_message_us", l.per_message_us, "finite and >= 0");
  need(l.comm_rate_beside_attention >= 0 && l.comm_rate_beside_attention <= 1, "comm_rate_beside_attention",
       l.comm_rate_beside_attention, "in [0, 1]");
  need(l.inter_rate_beside_attention >= 0 && l.inter_rate_beside_attention <= 1, "inter_rate_beside_attention",
       l.inter_rate_beside_attention, "in [0, 1]");
  need(finite(l.attention_slowdown) && l.attention_slowdown >= 1, "attention_slowdown", l.attention_slowdown,
       "finite and >= 1");
  need(l.act_bytes >= 1, "act_bytes", l.act_bytes, ">= 1");
}

// An instance's latency or its self copies ending at `t`.
struct Timer {
  double t = 0;
  int inst = 0;
  bool copy = false;
  bool operator>(const Timer& o) const { return std::tie(t, inst, copy) > std::tie(o.t, o.inst, o.copy); }
};

class Engine {
 public:
  Engine(const std::vector<Plan>& plans, const SimLinks& links, sim::SimGraph graph);
  SimResult run();

 private:
  // At one instant (now_).
  void settle();
  void finish_step(int g);
  void make_ready(int g);
  void start_instance(int i);
  void open_flows(int i);
  void add_bundles(int i, int g);
  void start_moving(sim::FlowBundle& b);
  void end_bundle(sim::FlowBundle& b);
  void part_ended(int i);
  void run_compute(int r);
  void touch(int r);
  // Between instants.
  void set_rates();
  double next_time() const;
  void advance(double t);
  void advance_bundles(double t0, double t);
  [[noreturn]] void deadlock() const;

  bool attention(int r) const { return running_[r] >= 0 && g_.kind[running_[r]] == OpKind::Attention; }
  SimStepTime& times(int g) { return out_.steps[g_.rank_of[g]][g - g_.first[g_.rank_of[g]]]; }
  std::string name(int g) const { return sim::step_name(plans_, g_.rank_of[g], g - g_.first[g_.rank_of[g]]); }

  const std::vector<Plan>& plans_;
  const SimLinks& links_;
  const sim::SimGraph g_;
  SimResult out_;
  double now_ = 0;
  // Steps.
  std::vector<int> unmet_;           // [g]: prerequisites not ended
  std::vector<char> ended_;          // [g]
  int ended_count_ = 0;
  std::deque<int> ended_now_;        // steps that end at now_, not yet processed
  // Ranks.
  std::vector<std::deque<int>> queue_;   // ready compute steps, in the order they start
  std::vector<std::vector<int>> fresh_;  // compute steps made ready at now_
  std::vector<int> touched_;             // ranks whose queue or SMs changed at now_
  std::vector<int> visiting_;            // the touched ranks settle() is visiting
  std::vector<char> is_touched_;
  std::vector<int> running_;             // the compute step on the SMs, or -1
  std::vector<double> left_ms_;          // its work left [ms of work alone]
  std::vector<double> speed_;            // work per ms: 1 or 1 / attention_slowdown
  std::vector<char> flowing_;            // it sends or receives a flow at a rate > 0
  // Instances.
  std::vector<int> ready_members_, pending_;  // members ready; bundles and copies not ended
  std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers_;
  // Flows.
  sim::FlowSet flows_;
  sim::FairShare fair_;
  std::vector<double> capacity_;  // [resource] bytes/ms
  bool shares_stale_ = false, any_ended_ = false;
  std::vector<int> peer_bundle_, peer_stamp_;
  int stamp_ = 0;
};

Engine::Engine(const std::vector<Plan>& plans, const SimLinks& links, sim::SimGraph graph)
    : plans_(plans), links_(links), g_(std::move(graph)) {
  const int P = g_.ranks, n = g_.steps();
  out_.steps.resize(P);
  for (int r = 0; r < P; ++r) out_.steps[r].resize(plans[r].steps.size());
  unmet_ = g_.prereqs;
  ended_.assign(n, 0);
  queue_.resize(P);
  fresh_.resize(P);
  is_touched_.assign(P, 0);
  running_.assign(P, -1);
  left_ms_.assign(P, 0.0);
  speed_.assign(P, 1.0);
  flowing_.assign(P, 0);
  ready_members_.assign(g_.instances.size(), 0);
  pending_.assign(g_.instances.size(), 0);
  capacity_.resize(4 * static_cast<size_t>(P));
  for (int r = 0; r < P; ++r)
    for (bool inter : {false, true})
      for (bool in : {false, true})
        capacity_[sim::resource(r, inter, in)] = (inter ? links.inter_gbps : links.intra_gbps) * 1e6;
  peer_bundle_.assign(P, -1);
  peer_stamp_.assign(P, 0);
}

SimResult Engine::run() {
  for (int g = 0; g < g_.steps(); ++g)
    if (unmet_[g] == 0) make_ready(g);
  settle();
  out_.events = 1;
  while (ended_count_ < g_.steps()) {
    set_rates();
    const double t = next_time();
    if (t == kNever) deadlock();
    advance(t);
    settle();
    ++out_.events;
  }
  for (const auto& rank : out_.steps)
    for (const SimStepTime& s : rank) out_.makespan_ms = std::max(out_.makespan_ms, s.end_ms);
  return std::move(out_);
}

void Engine::settle() {
  for (;;) {
    while (!ended_now_.empty()) {
      const int g = ended_now_.front();
      ended_now_.pop_front();
      finish_step(g);
    }
    if (touched_.empty()) return;
    visiting_.swap(touched_);
    for (int r : visiting_) {
      is_touched_[r] = 0;
      std::sort(fresh_[r].begin(), fresh_[r].end());  // made ready together: list order
      queue_[r].insert(queue_[r].end(), fresh_[r].begin(), fresh_[r].end());
      fresh_[r].clear();
      run_compute(r);
    }
    visiting_.clear();
  }
}

void Engine::finish_step(int g) {
  times(g).end_ms = now_;
  ended_[g] = 1;
  ++ended_count_;
  for (int k = g_.succ_begin[g]; k < g_.succ_begin[g + 1]; ++k)
    if (--unmet_[g_.succ[k]] == 0) make_ready(g_.succ[k]);
}

void Engine::make_ready(int g) {
  times(g).ready_ms = now_;
  const int i = g_.instance_of[g];
  if (i < 0) {
    fresh_[g_.rank_of[g]].push_back(g);
    touch(g_.rank_of[g]);
    return;
  }
  const sim::Instance& inst = g_.instances[i];
  if (++ready_members_[i] == inst.members_end - inst.members_begin) start_instance(i);
}

void Engine::start_instance(int i) {
  const sim::Instance& inst = g_.instances[i];
  for (int m = inst.members_begin; m < inst.members_end; ++m) times(g_.member_steps[m]).start_ms = now_;
  if (links_.latency_us > 0)
    timers_.push(Timer{now_ + links_.latency_us * 1e-3, i, false});
  else
    open_flows(i);
}

// The instance's latency is over: its flows and self copies start.
void Engine::open_flows(int i) {
  const sim::Instance& inst = g_.instances[i];
  const size_t first = flows_.bundles.size();
  for (int m = inst.members_begin; m < inst.members_end; ++m) add_bundles(i, g_.member_steps[m]);
  pending_[i] = static_cast<int>(flows_.bundles.size() - first);
  if (inst.copy_ms > 0) {
    ++pending_[i];
    timers_.push(Timer{now_ + inst.copy_ms, i, true});
  }
  if (pending_[i] == 0) {
    pending_[i] = 1;
    part_ended(i);
    return;
  }
  for (size_t b = first; b < flows_.bundles.size(); ++b) {
    sim::FlowBundle& f = flows_.bundles[b];
    const double delay_ms = (links_.per_message_us + (f.inter ? links_.inter_latency_us : 0.0)) * 1e-3;
    f.start_ms = now_ + delay_ms;
    if (delay_ms <= 0) start_moving(f);
  }
}

// One bundle per peer that member step g sends to (self transfers excluded: copy_ms).
void Engine::add_bundles(int i, int g) {
  const int r = g_.rank_of[g];
  const Plan& plan = plans_[r];
  const ExchangeOp& ex = std::get<ExchangeOp>(plan.steps[g - g_.first[r]].op);
  std::vector<sim::FlowBundle>& bundles = flows_.bundles;
  const size_t first = bundles.size();
  ++stamp_;
  for (const Transfer& t : ex.sends) {
    if (t.peer == r) continue;
    if (peer_stamp_[t.peer] != stamp_) {
      peer_stamp_[t.peer] = stamp_;
      peer_bundle_[t.peer] = static_cast<int>(bundles.size());
      sim::FlowBundle b;
      b.src = r;
      b.dst = t.peer;
      b.inst = i;
      b.inter = r / links_.gpus_per_node != t.peer / links_.gpus_per_node;
      b.egress = sim::resource(r, b.inter, false);
      b.ingress = sim::resource(t.peer, b.inter, true);
      bundles.push_back(b);
    }
    ++bundles[peer_bundle_[t.peer]].end;  // counts its flows for now
  }
  int cursor = static_cast<int>(flows_.sizes.size());
  for (size_t b = first; b < bundles.size(); ++b) {
    const int count = bundles[b].end;
    bundles[b].next = bundles[b].end = cursor;
    cursor += count;
  }
  flows_.sizes.resize(cursor);
  for (const Transfer& t : ex.sends)
    if (t.peer != r)
      flows_.sizes[bundles[peer_bundle_[t.peer]].end++] =
          static_cast<double>(sim::slice_bytes(plan, t.slice, links_.act_bytes));
  for (size_t b = first; b < bundles.size(); ++b)
    std::sort(flows_.sizes.begin() + bundles[b].next, flows_.sizes.begin() + bundles[b].end);
}

void Engine::start_moving(sim::FlowBundle& b) {
  b.moving = true;
  shares_stale_ = true;
  while (b.next < b.end && flows_.sizes[b.next] <= 0) ++b.next;
  if (b.next == b.end) end_bundle(b);
}

void Engine::end_bundle(sim::FlowBundle& b) {
  b.ended = true;
  any_ended_ = shares_stale_ = true;
  part_ended(b.inst);
}

void Engine::part_ended(int i) {
  if (--pending_[i] > 0) return;
  const sim::Instance& inst = g_.instances[i];
  for (int m = inst.members_begin; m < inst.members_end; ++m) ended_now_.push_back(g_.member_steps[m]);
}

void Engine::run_compute(int r) {
  if (running_[r] >= 0 || queue_[r].empty()) return;
  const int g = queue_[r].front();
  queue_[r].pop_front();
  times(g).start_ms = now_;
  if (g_.work_ms[g] > 0) {
    running_[r] = g;
    left_ms_[r] = g_.work_ms[g];
    return;
  }
  ended_now_.push_back(g);  // no work: ends now; the next waits until its successors are ready
  touch(r);
}

void Engine::touch(int r) {
  if (is_touched_[r]) return;
  is_touched_[r] = 1;
  touched_.push_back(r);
}

void Engine::set_rates() {
  if (any_ended_) flows_.compact();
  any_ended_ = false;
  if (shares_stale_) {
    fair_.solve(flows_.bundles, capacity_);
    ++out_.rate_solves;
    shares_stale_ = false;
  }
  std::fill(flowing_.begin(), flowing_.end(), 0);
  for (sim::FlowBundle& b : flows_.bundles) {
    if (!b.moving) continue;
    const bool capped = attention(b.src) || attention(b.dst);
    const double cap = b.inter ? links_.inter_rate_beside_attention : links_.comm_rate_beside_attention;
    b.rate = capped ? b.share * cap : b.share;
    if (b.rate > 0) flowing_[b.src] = flowing_[b.dst] = 1;
  }
  for (int r = 0; r < g_.ranks; ++r)
    speed_[r] = attention(r) && flowing_[r] ? 1.0 / links_.attention_slowdown : 1.0;
}

double Engine::next_time() const {
  double t = timers_.empty() ? kNever : timers_.top().t;
  for (int r = 0; r < g_.ranks; ++r)
    if (running_[r] >= 0) t = std::min(t, now_ + left_ms_[r] / speed_[r]);
  for (const sim::FlowBundle& b : flows_.bundles) {
    if (!b.moving)
      t = std::min(t, b.start_ms);
    else if (b.rate > 0)
      t = std::min(t, now_ + (flows_.sizes[b.next] - b.moved) / b.rate);
  }
  return t;
}

void Engine::advance(double t) {
  const double t0 = now_, horizon = t + tolerance(t);
  now_ = t;
  for (int r = 0; r < g_.ranks; ++r) {
    if (running_[r] < 0) continue;
    if (t0 + left_ms_[r] / speed_[r] <= horizon) {
      ended_now_.push_back(running_[r]);
      running_[r] = -1;
      touch(r);
    } else {
      left_ms_[r] -= speed_[r] * (t - t0);
    }
  }
  advance_bundles(t0, t);
  while (!timers_.empty() && timers_.top().t <= horizon) {
    const Timer timer = timers_.top();
    timers_.pop();
    if (timer.copy)
      part_ended(timer.inst);
    else
      open_flows(timer.inst);
  }
}

// Moves every moving bundle's bytes from t0 to t and ends the flows that end by t; starts
// the bundles whose delay is over.
void Engine::advance_bundles(double t0, double t) {
  const double horizon = t + tolerance(t);
  for (sim::FlowBundle& b : flows_.bundles) {
    if (b.ended) continue;
    if (!b.moving) {
      if (b.start_ms <= horizon) start_moving(b);
      continue;
    }
    if (b.rate <= 0) continue;
    const double before = b.moved;
    b.moved += b.rate * (t - t0);
    const int next = b.next;
    while (b.next < b.end && t0 + (flows_.sizes[b.next] - before) / b.rate <= horizon) ++b.next;
    if (b.next != next) shares_stale_ = true;
    if (b.next == b.end) end_bundle(b);
  }
}

void Engine::deadlock() const {
  for (int r = 0; r < g_.ranks; ++r)
    for (int g = g_.first[r]; g < g_.first[r + 1]; ++g) {
      if (ended_[g]) continue;
      const int i = g_.instance_of[g];
      if (unmet_[g] > 0 || i < 0) fail("deadlock: " + name(g) + " never becomes ready");
      const sim::Instance& inst = g_.instances[i];
      for (int m = inst.members_begin; m < inst.members_end; ++m) {
        const int other = g_.member_steps[m];
        if (unmet_[other] == 0) continue;
        fail("deadlock: " + name(g) + " waits for its exchange partner " + name(other) +
             ", which never becomes ready");
      }
    }
  fail("deadlock: no step can run");
}

}  // namespace

SimResult simulate(const std::vector<Plan>& plans, const SimLinks& links, const ComputeCost& compute_ms) {
  check_links(links);
  return Engine(plans, links, sim::build_graph(plans, links, compute_ms)).run();
}

}  // namespace cpb
