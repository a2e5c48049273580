// The tiling MILP (the model is in tiling_milp.hpp) built as one HiGHS LP with integrality,
// solved under a time limit from a warm start, read back as one rank per tile.
#include "bench/tiling/tiling_milp.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "bench/tiling/tiling_bound.hpp"

#ifdef CPB_HAVE_HIGHS
#include "Highs.h"
#endif

namespace cpb {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void check_inputs(const TilingProblem& p, const MilpOptions& opt, const TilingSolution& warm) {
  const std::string err = tiling_problem_error(p);
  if (!err.empty()) throw std::invalid_argument("tiling problem: " + err);
  if (warm.rank_of.size() != p.tiles.size())
    throw std::invalid_argument("milp warm start: " + std::to_string(warm.rank_of.size()) + " ranks for " +
                                std::to_string(p.tiles.size()) + " tiles");
  for (const int r : warm.rank_of)
    if (r < 0 || r >= p.ranks)
      throw std::invalid_argument("milp warm start: rank " + std::to_string(r) + " outside [0, " +
                                  std::to_string(p.ranks) + ")");
  if (!(opt.time_limit_s >= 0))
    throw std::invalid_argument("milp time_limit_s " + std::to_string(opt.time_limit_s) + " is not >= 0");
  if (opt.threads < 1) throw std::invalid_argument("milp threads " + std::to_string(opt.threads) + " < 1");
}

// rank_of's objective, and its bound and gap given a lower bound of the optimum.
TilingSolution finish(const TilingProblem& p, std::vector<int> rank_of, double bound, std::string solver,
                      std::string status, std::chrono::steady_clock::time_point start) {
  TilingSolution s;
  s.rank_of = std::move(rank_of);
  s.objective = tiling_traffic(p, s.rank_of).max();
  // A lower bound of the optimum lies below every feasible objective; the clamp removes
  // HiGHS's tolerance, not information.
  s.bound = std::clamp(bound, 0.0, s.objective);
  s.gap = s.objective > 0 ? (s.objective - s.bound) / s.objective : 0;
  s.solver = std::move(solver);
  s.status = std::move(status);
  s.solve_s = seconds_since(start);
  return s;
}

#ifdef CPB_HAVE_HIGHS

// Column indices of the model: x[t][r] at t * ranks + r, then one yq / ykv column per
// (block, rank other than its owner) that some tile needs, then T.
struct Columns {
  int ranks = 0, num_x = 0, t_col = 0;
  std::vector<int> yq, ykv;  // [block * ranks + rank]: the column, or -1
  int x(size_t tile, int r) const { return static_cast<int>(tile) * ranks + r; }
  static size_t at(int block, int r, int ranks) { return static_cast<size_t>(block * ranks + r); }
  int q(int block, int r) const { return yq[at(block, r, ranks)]; }
  int kv(int block, int r) const { return ykv[at(block, r, ranks)]; }
};

Columns lay_out_columns(const TilingProblem& p) {
  Columns c;
  c.ranks = p.ranks;
  c.num_x = static_cast<int>(p.tiles.size()) * p.ranks;
  c.yq.assign(static_cast<size_t>(p.blocks() * p.ranks), -1);
  c.ykv = c.yq;
  int next = c.num_x;
  for (const TilingTile& t : p.tiles)
    for (int r = 0; r < p.ranks; ++r) {
      int& q = c.yq[Columns::at(t.q_block, r, p.ranks)];
      int& kv = c.ykv[Columns::at(t.k_block, r, p.ranks)];
      if (q < 0 && r != p.owner[static_cast<size_t>(t.q_block)]) q = next++;
      if (kv < 0 && r != p.owner[static_cast<size_t>(t.k_block)]) kv = next++;
    }
  c.t_col = next;
  return c;
}

// Rows gathered in compressed row form.
struct Rows {
  std::vector<double> lower, upper, value;
  std::vector<HighsInt> start{0}, index;
  void add(double lo, double hi, const std::vector<std::pair<int, double>>& entries) {
    lower.push_back(lo);
    upper.push_back(hi);
    for (const auto& [col, coef] : entries) index.push_back(col), value.push_back(coef);
    start.push_back(static_cast<HighsInt>(index.size()));
  }
};

// Each tile on one rank; a tile on a rank that does not own its block needs that block.
void add_assignment_and_need_rows(const TilingProblem& p, const Columns& c, Rows& rows) {
  for (size_t t = 0; t < p.tiles.size(); ++t) {
    std::vector<std::pair<int, double>> one;
    for (int r = 0; r < p.ranks; ++r) one.emplace_back(c.x(t, r), 1.0);
    rows.add(1, 1, one);
    for (int r = 0; r < p.ranks; ++r) {
      const int q = c.q(p.tiles[t].q_block, r), kv = c.kv(p.tiles[t].k_block, r);
      if (q >= 0) rows.add(-kHighsInf, 0, {{c.x(t, r), 1.0}, {q, -1.0}});
      if (kv >= 0) rows.add(-kHighsInf, 0, {{c.x(t, r), 1.0}, {kv, -1.0}});
    }
  }
}

// send_r - T <= 0 and recv_r - T <= 0, bytes divided by byte_scale. Each y column enters
// the rows of two different ranks (the block's owner and the rank needing it), so no row
// holds a column twice.
void add_traffic_rows(const TilingProblem& p, const Columns& c, double byte_scale, Rows& rows) {
  using Row = std::vector<std::pair<int, double>>;
  std::vector<Row> send(static_cast<size_t>(p.ranks)), recv(send);
  for (int b = 0; b < p.blocks(); ++b) {
    const size_t owner = static_cast<size_t>(p.owner[static_cast<size_t>(b)]);
    const double q = p.q_bytes[static_cast<size_t>(b)] / byte_scale, o = p.o_bytes[static_cast<size_t>(b)] / byte_scale;
    const double kv = p.kv_bytes[static_cast<size_t>(b)] / byte_scale;
    for (int r = 0; r < p.ranks; ++r) {
      const size_t needer = static_cast<size_t>(r);
      if (const int y = c.q(b, r); y >= 0) {
        send[owner].emplace_back(y, q), recv[owner].emplace_back(y, o);
        send[needer].emplace_back(y, o), recv[needer].emplace_back(y, q);
      }
      if (const int y = c.kv(b, r); y >= 0) send[owner].emplace_back(y, kv), recv[needer].emplace_back(y, kv);
    }
  }
  for (std::vector<Row>* side : {&send, &recv})
    for (Row& row : *side) {
      row.emplace_back(c.t_col, -1.0);
      rows.add(-kHighsInf, 0, row);
    }
}

// Loads within the cap (work divided by the cap), and ranks owning no block ordered by
// decreasing load (the symmetry they share, tiling_milp.hpp).
void add_load_rows(const TilingProblem& p, const Columns& c, Rows& rows) {
  const double cap = p.load_cap();
  auto load_terms = [&](int r, double sign) {
    std::vector<std::pair<int, double>> terms;
    for (size_t t = 0; t < p.tiles.size(); ++t) terms.emplace_back(c.x(t, r), sign * p.tiles[t].work / cap);
    return terms;
  };
  std::vector<int> idle;
  for (int r = 0; r < p.ranks; ++r) {
    rows.add(-kHighsInf, 1, load_terms(r, 1));
    if (std::find(p.owner.begin(), p.owner.end(), r) == p.owner.end()) idle.push_back(r);
  }
  for (size_t k = 1; k < idle.size(); ++k) {
    std::vector<std::pair<int, double>> diff = load_terms(idle[k - 1], 1);
    for (const auto& term : load_terms(idle[k], -1)) diff.push_back(term);
    rows.add(0, kHighsInf, diff);
  }
}

// The pull hulls' rows (tiling_bound.hpp, tiling_pull_hulls) for the block costs row_cost
// and col_cost (>= 0): on each rank r and each segment k of h_r, starting at work w_k and
// pull c_k with slope s_k,
//   sum_{i not owned by r} row_cost_i yq[i][r] + sum_{j not owned by r} col_cost_j ykv[j][r]
//     >= c_k + s_k (load_r - w_k).
// Valid: for integral x with each y at its least value (max_t x[t][r], which the optimum
// may assume, tiling_milp.hpp) the left side is pull_r under those costs, and pull_r >=
// h_r(load_r) >= the right side (h_r is convex, so each of its segments extended lies
// below it, and below 0 left of its base). A y above its least value only raises the left
// side. The LP relaxation lacks them: spreading every tile evenly over the ranks pulls a
// fraction of each block for the same fraction of its work, where a whole rank's share
// costs at least h_r (the rectangle it must span).
void add_pull_hull_rows(const TilingProblem& p, const Columns& c, double byte_scale,
                        const std::vector<double>& row_cost, const std::vector<double>& col_cost, Rows& rows) {
  const double cap = p.load_cap();
  const std::vector<PullHull> hulls = tiling_pull_hulls(p, cap, row_cost, col_cost);
  for (int r = 0; r < p.ranks; ++r) {
    std::vector<std::pair<int, double>> pull;
    for (int b = 0; b < p.blocks(); ++b) {
      const size_t i = static_cast<size_t>(b);
      if (const int y = c.q(b, r); y >= 0 && row_cost[i] > 0) pull.emplace_back(y, row_cost[i] / byte_scale);
      if (const int y = c.kv(b, r); y >= 0 && col_cost[i] > 0) pull.emplace_back(y, col_cost[i] / byte_scale);
    }
    const PullHull& h = hulls[static_cast<size_t>(r)];
    double w = h.base, cost = 0;
    for (const auto& [dw, slope] : h.segs) {
      if (slope > 0) {
        std::vector<std::pair<int, double>> row = pull;
        for (size_t t = 0; t < p.tiles.size(); ++t) row.emplace_back(c.x(t, r), -slope * p.tiles[t].work / byte_scale);
        rows.add((cost - slope * w) / byte_scale, kHighsInf, row);
      }
      w += dw;
      cost += dw * slope;
    }
  }
}

double largest_block_bytes(const TilingProblem& p) {
  double m = 0;
  for (const std::vector<double>* v : {&p.q_bytes, &p.kv_bytes, &p.o_bytes})
    for (const double b : *v) m = std::max(m, b);
  return m > 0 ? m : 1;
}

HighsLp build_model(const TilingProblem& p, const Columns& c, double byte_scale) {
  Rows rows;
  add_assignment_and_need_rows(p, c, rows);
  add_traffic_rows(p, c, byte_scale, rows);
  add_load_rows(p, c, rows);
  // The pull hulls of the whole pull, of its part r receives (Q, K, V) and of its part r
  // sends (partial outputs); the last two bound recv_r and send_r separately.
  std::vector<double> q_o(p.q_bytes.size()), none(p.q_bytes.size(), 0.0);
  for (size_t b = 0; b < q_o.size(); ++b) q_o[b] = p.q_bytes[b] + p.o_bytes[b];
  add_pull_hull_rows(p, c, byte_scale, q_o, p.kv_bytes, rows);
  add_pull_hull_rows(p, c, byte_scale, p.q_bytes, p.kv_bytes, rows);
  add_pull_hull_rows(p, c, byte_scale, p.o_bytes, none, rows);
  HighsLp lp;
  lp.num_col_ = c.t_col + 1;
  lp.num_row_ = static_cast<HighsInt>(rows.lower.size());
  lp.col_cost_.assign(static_cast<size_t>(lp.num_col_), 0.0);
  lp.col_cost_.back() = 1;
  lp.col_lower_.assign(static_cast<size_t>(lp.num_col_), 0.0);
  lp.col_upper_.assign(static_cast<size_t>(lp.num_col_), 1.0);
  lp.col_upper_.back() = kHighsInf;
  lp.integrality_.assign(static_cast<size_t>(lp.num_col_), HighsVarType::kContinuous);
  std::fill_n(lp.integrality_.begin(), c.num_x, HighsVarType::kInteger);
  lp.row_lower_ = std::move(rows.lower);
  lp.row_upper_ = std::move(rows.upper);
  lp.a_matrix_.format_ = MatrixFormat::kRowwise;
  lp.a_matrix_.num_col_ = lp.num_col_;
  lp.a_matrix_.num_row_ = lp.num_row_;
  lp.a_matrix_.start_ = std::move(rows.start);
  lp.a_matrix_.index_ = std::move(rows.index);
  lp.a_matrix_.value_ = std::move(rows.value);
  return lp;
}

// The model's columns for an assignment: x from rank_of, each y at its least value, T the
// largest scaled traffic.
std::vector<double> columns_of(const TilingProblem& p, const Columns& c, const std::vector<int>& rank_of,
                               double byte_scale) {
  std::vector<double> v(static_cast<size_t>(c.t_col + 1), 0.0);
  for (size_t t = 0; t < p.tiles.size(); ++t) {
    const int r = rank_of[t], q = c.q(p.tiles[t].q_block, r), kv = c.kv(p.tiles[t].k_block, r);
    v[static_cast<size_t>(c.x(t, r))] = 1;
    if (q >= 0) v[static_cast<size_t>(q)] = 1;
    if (kv >= 0) v[static_cast<size_t>(kv)] = 1;
  }
  v.back() = tiling_traffic(p, rank_of).max() / byte_scale;
  return v;
}

// The rank of each tile in a solution: its largest x (integral to HiGHS's tolerance).
std::vector<int> ranks_of(const TilingProblem& p, const Columns& c, const std::vector<double>& col) {
  std::vector<int> rank_of(p.tiles.size(), 0);
  for (size_t t = 0; t < p.tiles.size(); ++t)
    for (int r = 1; r < p.ranks; ++r)
      if (col[static_cast<size_t>(c.x(t, r))] > col[static_cast<size_t>(c.x(t, rank_of[t]))]) rank_of[t] = r;
  return rank_of;
}

bool within_cap(const TilingProblem& p, const std::vector<int>& rank_of) {
  const std::vector<double> load = tiling_load(p, rank_of);
  return *std::max_element(load.begin(), load.end()) <= p.load_cap() * (1 + 1e-12);
}

std::string status_name(const Highs& highs) {
  switch (highs.getModelStatus()) {
    case HighsModelStatus::kOptimal: return "optimal";
    case HighsModelStatus::kTimeLimit: return "time limit";
    case HighsModelStatus::kSolutionLimit: return "node limit";
    case HighsModelStatus::kInfeasible: return "infeasible";
    default: return highs.modelStatusToString(highs.getModelStatus());
  }
}

void configure(Highs& highs, const MilpOptions& opt) {
  highs.setOptionValue("output_flag", false);
  highs.setOptionValue("time_limit", opt.time_limit_s);
  highs.setOptionValue("threads", static_cast<HighsInt>(opt.threads));
  highs.setOptionValue("mip_rel_gap", 1e-4);  // 0.01% of the traffic: below what a run can measure
  if (opt.max_nodes >= 0) highs.setOptionValue("mip_max_nodes", static_cast<HighsInt>(opt.max_nodes));
}

// HiGHS's task executor belongs to the calling thread and keeps the thread count of its
// first run; ending it after each solve lets the next one choose its own count.
struct SchedulerReset {
  SchedulerReset() = default;
  SchedulerReset(const SchedulerReset&) = delete;
  SchedulerReset& operator=(const SchedulerReset&) = delete;
  ~SchedulerReset() { Highs::resetGlobalScheduler(true); }
};

#endif  // CPB_HAVE_HIGHS

}  // namespace

TilingSolution solve_milp(const TilingProblem& p, const MilpOptions& opt, const TilingSolution& warm_start) {
  const auto start = std::chrono::steady_clock::now();
  check_inputs(p, opt, warm_start);
#ifdef CPB_HAVE_HIGHS
  const Columns c = lay_out_columns(p);
  const double byte_scale = largest_block_bytes(p);
  const SchedulerReset reset;
  Highs highs;
  configure(highs, opt);
  if (highs.passModel(build_model(p, c, byte_scale)) != HighsStatus::kOk)
    throw std::logic_error("tiling MILP: HiGHS rejected the model");
  HighsSolution warm;
  warm.col_value = columns_of(p, c, warm_start.rank_of, byte_scale);
  warm.value_valid = true;
  highs.setSolution(warm);  // HiGHS drops a warm start over the load cap and searches without
  highs.run();
  const bool found = highs.getInfo().primal_solution_status == kSolutionStatusFeasible;
  std::vector<int> rank_of = found ? ranks_of(p, c, highs.getSolution().col_value) : warm_start.rank_of;
  if (found && within_cap(p, warm_start.rank_of) &&
      tiling_traffic(p, warm_start.rank_of).max() < tiling_traffic(p, rank_of).max())
    rank_of = warm_start.rank_of;
  const double dual = highs.getInfo().mip_dual_bound;
  const bool has_bound = std::isfinite(dual) && highs.getModelStatus() != HighsModelStatus::kInfeasible;
  // The better of HiGHS's bound and the pull bound (tiling_bound.hpp); neither holds for
  // the warm start returned over the cap.
  const double pull = has_bound ? tiling_lower_bound(p, p.load_cap()) : 0;
  const double bound = has_bound ? std::max(dual * byte_scale, std::isfinite(pull) ? pull : 0) : 0;
  return finish(p, std::move(rank_of), bound, "highs", status_name(highs), start);
#else
  return finish(p, warm_start.rank_of, 0, warm_start.solver, "no MILP solver in this build", start);
#endif
}

std::string milp_solver_version() {
#ifdef CPB_HAVE_HIGHS
  return "HiGHS " + std::to_string(HIGHS_VERSION_MAJOR) + "." + std::to_string(HIGHS_VERSION_MINOR) + "." +
         std::to_string(HIGHS_VERSION_PATCH);
#else
  return "none";
#endif
}

}  // namespace cpb
