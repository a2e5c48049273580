// check_plans: the checks across the plans of all ranks.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "bench/mask/mask_regions.hpp"
#include "bench/plan/plan_check.hpp"
#include "bench/plan/plan_check_detail.hpp"
#include "bench/schedule.hpp"

namespace cpb {
namespace {

using check_detail::Errors;
using check_detail::step_name;

void check_consistency(const std::vector<Plan>& plans, const Problem& p, Errors& err) {
  const Plan& first = plans[0];
  for (const Plan& plan : plans) {
    const std::string who = "rank " + std::to_string(plan.rank) + ": ";
    if (plan.schedule != first.schedule)
      err.add(who + "schedule \"" + plan.schedule + "\" differs from rank 0's \"" + first.schedule + "\"");
    if (plan.lanes != first.lanes) err.add(who + "lanes differ from rank 0's");
    if (plan.groups != first.groups) err.add(who + "groups differ from rank 0's");
  }
  std::vector<int> holders(static_cast<size_t>(p.S), 0);
  for (const Plan& plan : plans)
    for (const Range& r : plan.tokens)
      for (int64_t t = r.begin; t < r.end(); ++t) ++holders[t];
  for (int64_t t = 0; t < p.S && !err.full(); ++t)
    if (holders[t] != 1)
      err.add("token " + std::to_string(t) + " is held by " + std::to_string(holders[t]) +
              " ranks; the shards must partition [0, S)");
}

// "2 transfers (64 act, 64 act elements)"
std::string describe(const std::vector<std::pair<int64_t, Storage>>& t) {
  std::string s = std::to_string(t.size()) + " transfers (";
  for (size_t i = 0; i < t.size(); ++i)
    s += (i ? ", " : "") + std::to_string(t[i].first) + " " + to_string(t[i].second);
  return s + " elements)";
}

void check_exchange_matching(const std::vector<Plan>& plans, Errors& err) {
  // steps[r][(lane, group)]: that rank's Exchange steps of the lane and group, in order.
  std::vector<std::map<std::pair<std::string, int>, std::vector<const Step*>>> steps(plans.size());
  for (const Plan& plan : plans)
    for (const Step& s : plan.steps)
      if (s.is_comm()) steps[plan.rank][{plan.lanes[s.lane], std::get<ExchangeOp>(s.op).group}].push_back(&s);
  // Transfers of step s with `peer`, as (count, storage).
  auto transfers = [&](int rank, const Step* s, int peer, bool sends) {
    std::vector<std::pair<int64_t, Storage>> out;
    const ExchangeOp& e = std::get<ExchangeOp>(s->op);
    for (const Transfer& t : sends ? e.sends : e.recvs)
      if (t.peer == peer) out.emplace_back(t.slice.count, plans[rank].buffers[t.slice.buf].storage);
    return out;
  };
  for (int g = 0; g < static_cast<int>(plans[0].groups.size()); ++g) {
    const std::vector<int>& members = plans[0].groups[g];
    for (const std::string& lane : plans[0].lanes) {
      const auto key = std::make_pair(lane, g);
      const size_t n = steps[members[0]][key].size();
      bool same = true;
      for (int m : members) same = same && steps[m][key].size() == n;
      if (!same) {
        std::string counts;
        for (int m : members)
          counts += " rank " + std::to_string(m) + ": " + std::to_string(steps[m][key].size()) + ";";
        err.add("members of group " + std::to_string(g) + " run different numbers of exchanges on lane \"" + lane +
                "\":" + counts);
        continue;
      }
      for (size_t k = 0; k < n && !err.full(); ++k) {
        const std::string inst =
            "exchange " + std::to_string(k) + " of group " + std::to_string(g) + " on lane \"" + lane + "\"";
        for (int s : members) {
          const Step* ss = steps[s][key][k];
          if (std::get<ExchangeOp>(ss->op).pattern != std::get<ExchangeOp>(steps[members[0]][key][k]->op).pattern)
            err.add(inst + ": rank " + std::to_string(s) + " (" + step_name(*ss) + ") uses another pattern than rank " +
                    std::to_string(members[0]));
          for (int d : members) {
            const Step* ds = steps[d][key][k];
            const auto sent = transfers(s, ss, d, true), received = transfers(d, ds, s, false);
            if (sent != received)
              err.add(inst + ": rank " + std::to_string(s) + " (" + step_name(*ss) + ") sends " + describe(sent) +
                      " to rank " + std::to_string(d) + ", which (" + step_name(*ds) + ") receives " +
                      describe(received) + " from it");
          }
        }
      }
    }
  }
}

bool close(double a, double b) { return std::fabs(a - b) <= 1e-9 * std::max(1.0, std::fabs(b)); }

void check_model(const std::vector<Plan>& plans, const Problem& p, Errors& err) {
  const Schedule* s = find_schedule(plans[0].schedule);
  if (s == nullptr) return;
  if (std::optional<std::string> why = s->unsupported(p)) {
    err.add("schedule \"" + s->name() + "\" does not support this problem: " + *why);
    return;
  }
  const int act = dtype_bytes(p.dtype);
  for (const Plan& plan : plans) {
    const Model m = s->model(p, plan.rank);
    const std::pair<const char*, std::pair<double, double>> sums[] = {
        {"bytes sent", {plan_send_bytes(plan, act), m.send_bytes}},
        {"bytes received", {plan_recv_bytes(plan, act), m.recv_bytes}},
        {"attention FLOPs", {plan_flops(plan), m.flops}}};
    for (const auto& x : sums)
      if (!close(x.second.first, x.second.second))
        err.add("rank " + std::to_string(plan.rank) + ": the plan's " + x.first + " are " +
                std::to_string(x.second.first) + " but model() says " + std::to_string(x.second.second));
  }
}

// Every allowed (head, query, key) triple is computed by exactly one tile of op kind Op
// (the forward's AttentionOp or the backward's AttentionBackwardOp) over all ranks.
template <class Op>
void check_coverage(const std::vector<Plan>& plans, const Problem& p, Errors& err) {
  const int64_t S = p.S;
  const char* const pass = std::is_same<Op, AttentionOp>::value ? "" : " by the backward";
  std::vector<uint8_t> count(static_cast<size_t>(p.H * S * S), 0);
  for (const Plan& plan : plans)
    for (const Step& s : plan.steps) {
      if (!std::holds_alternative<Op>(s.op)) continue;
      const Op& a = std::get<Op>(s.op);
      for (int64_t h = a.heads.begin; h < a.heads.end(); ++h)
        for (int64_t i = 0; i < a.q_tokens.size; ++i) {
          uint8_t* row = &count[(h * S + a.q_tokens.begin + i) * S];
          int64_t first = 0, last = 0;
          row_keys(a.mask(), i, a.k_tokens.size, &first, &last);
          for (int64_t k = a.k_tokens.begin + first; k < a.k_tokens.begin + last; ++k)
            row[k] = static_cast<uint8_t>(std::min(row[k] + 1, 255));
        }
    }
  std::vector<uint8_t> allowed(static_cast<size_t>(S * S), 0);
  for (const MaskRegion& r : mask_regions(p))
    for (int64_t q = r.q.begin; q < r.q.end(); ++q) {
      int64_t first = 0, last = 0;
      region_row_keys(r, q, &first, &last);
      for (int64_t k = first; k < last; ++k) ++allowed[static_cast<size_t>(q * S + k)];
    }
  int64_t wrong = 0;
  for (int64_t h = 0; h < p.H; ++h)
    for (int64_t q = 0; q < S; ++q)
      for (int64_t k = 0; k < S; ++k) {
        const int want = allowed[static_cast<size_t>(q * S + k)];
        const int got = count[(h * S + q) * S + k];
        if (got == want) continue;
        if (++wrong <= 3)
          err.add("query head " + std::to_string(h) + ", query token " + std::to_string(q) + ", key token " +
                  std::to_string(k) + " is computed" + pass + " " + std::to_string(got) +
                  " times over all ranks; the mask needs it " + std::to_string(want) + " times");
      }
  if (wrong > 3)
    err.add(std::to_string(wrong - 3) + " more (head, query, key) triples are computed" + pass +
            " a wrong number of times");
}

}  // namespace

std::vector<std::string> check_plans(const std::vector<Plan>& all_ranks, const Problem& p) {
  std::vector<std::string> out;
  Errors err(&out);
  if (static_cast<int>(all_ranks.size()) != p.P || p.P < 1) {
    err.add("there are " + std::to_string(all_ranks.size()) + " plans for P=" + std::to_string(p.P) + " ranks");
    return out;
  }
  for (int r = 0; r < p.P; ++r) {
    if (all_ranks[r].rank != r)
      err.add("plan " + std::to_string(r) + " is rank " + std::to_string(all_ranks[r].rank) + "'s");
    for (const std::string& e : check_plan(all_ranks[r], p)) err.add("rank " + std::to_string(r) + ": " + e);
  }
  if (err.any()) return out;
  check_consistency(all_ranks, p, err);
  if (err.any()) return out;
  check_exchange_matching(all_ranks, err);
  if (err.any()) return out;
  const bool exhaustive = plan_checks_are_exhaustive(p);
  check_detail::simulate_plans(all_ranks, p, exhaustive, err);
  check_model(all_ranks, p, err);
  if (exhaustive) check_coverage<AttentionOp>(all_ranks, p, err);
  if (exhaustive && p.backward()) check_coverage<AttentionBackwardOp>(all_ranks, p, err);
  return out;
}

}  // namespace cpb
