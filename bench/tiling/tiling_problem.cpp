#include "bench/tiling/tiling_problem.hpp"

#include <algorithm>
#include <chrono>
#include <numeric>
#include <stdexcept>

namespace cpb {
namespace {

// Needs and traffic of a partial assignment, updated one tile at a time.
class TrafficState {
 public:
  explicit TrafficState(const TilingProblem& p)
      : p_(p), send_(static_cast<size_t>(p.ranks), 0.0), recv_(send_),
        need_q_(static_cast<size_t>(p.blocks() * p.ranks), 0), need_kv_(need_q_) {}

  // The send and receive volumes rank r, the owners of the tile's blocks would have with
  // tile t on r: calls f(rank, send delta, recv delta) for every change.
  template <class F>
  void deltas(const TilingTile& t, int r, F&& f) const {
    const int oq = p_.owner[static_cast<size_t>(t.q_block)], ok = p_.owner[static_cast<size_t>(t.k_block)];
    if (oq != r && !need_q_[idx(t.q_block, r)]) {
      const double q = p_.q_bytes[static_cast<size_t>(t.q_block)], o = p_.o_bytes[static_cast<size_t>(t.q_block)];
      f(r, o, q);
      f(oq, q, o);
    }
    if (ok != r && !need_kv_[idx(t.k_block, r)]) {
      const double kv = p_.kv_bytes[static_cast<size_t>(t.k_block)];
      f(r, 0.0, kv);
      f(ok, kv, 0.0);
    }
  }

  // The objective with tile t on rank r: volumes only grow, so it is the current one or a
  // new volume of a rank the tile touches (r and its blocks' owners, whose changes add up
  // when two of them are one rank).
  double objective_with(const TilingTile& t, int r) const {
    const int touched[] = {r, p_.owner[static_cast<size_t>(t.q_block)], p_.owner[static_cast<size_t>(t.k_block)]};
    double worst = max_;
    for (int rank : touched) {
      double s = send_[static_cast<size_t>(rank)], v = recv_[static_cast<size_t>(rank)];
      deltas(t, r, [&](int who, double ds, double dr) {
        if (who == rank) s += ds, v += dr;
      });
      worst = std::max({worst, s, v});
    }
    return worst;
  }

  void assign(const TilingTile& t, int r) {
    deltas(t, r, [&](int rank, double ds, double dr) {
      send_[static_cast<size_t>(rank)] += ds;
      recv_[static_cast<size_t>(rank)] += dr;
      max_ = std::max({max_, send_[static_cast<size_t>(rank)], recv_[static_cast<size_t>(rank)]});
    });
    need_q_[idx(t.q_block, r)] = 1;
    need_kv_[idx(t.k_block, r)] = 1;
  }

 private:
  size_t idx(int block, int r) const { return static_cast<size_t>(block) * static_cast<size_t>(p_.ranks) + static_cast<size_t>(r); }

  const TilingProblem& p_;
  std::vector<double> send_, recv_;
  std::vector<char> need_q_, need_kv_;  // [block * ranks + rank]
  double max_ = 0;
};

}  // namespace

double TilingProblem::total_work() const {
  double w = 0;
  for (const TilingTile& t : tiles) w += t.work;
  return w;
}

double TilingProblem::load_cap() const {
  double biggest = 0;
  for (const TilingTile& t : tiles) biggest = std::max(biggest, t.work);
  return std::max((1 + balance) * total_work() / ranks, biggest);
}

double TilingTraffic::max() const {
  double m = 0;
  for (const std::vector<double>* v : {&send, &recv})
    for (const double x : *v) m = std::max(m, x);
  return m;
}

std::string tiling_problem_error(const TilingProblem& p) {
  const size_t n = p.owner.size();
  if (p.ranks < 1) return "ranks " + std::to_string(p.ranks) + " < 1";
  if (p.q_bytes.size() != n || p.kv_bytes.size() != n || p.o_bytes.size() != n)
    return "the block arrays differ in size";
  for (size_t b = 0; b < n; ++b)
    if (p.owner[b] < 0 || p.owner[b] >= p.ranks) return "block " + std::to_string(b) + " has no valid owner";
  for (size_t t = 0; t < p.tiles.size(); ++t) {
    const TilingTile& x = p.tiles[t];
    if (x.q_block < 0 || x.k_block < 0 || static_cast<size_t>(x.q_block) >= n || static_cast<size_t>(x.k_block) >= n)
      return "tile " + std::to_string(t) + " lies outside the blocks";
    if (!(x.work > 0)) return "tile " + std::to_string(t) + " has no work";
  }
  if (p.balance < 0) return "balance " + std::to_string(p.balance) + " < 0";
  return "";
}

TilingTraffic tiling_traffic(const TilingProblem& p, const std::vector<int>& rank_of) {
  TilingTraffic out;
  out.send.assign(static_cast<size_t>(p.ranks), 0.0);
  out.recv = out.send;
  TrafficState replay(p);
  for (size_t t = 0; t < p.tiles.size(); ++t) {
    replay.deltas(p.tiles[t], rank_of[t], [&](int rank, double ds, double dr) {
      out.send[static_cast<size_t>(rank)] += ds;
      out.recv[static_cast<size_t>(rank)] += dr;
    });
    replay.assign(p.tiles[t], rank_of[t]);
  }
  return out;
}

std::vector<double> tiling_load(const TilingProblem& p, const std::vector<int>& rank_of) {
  std::vector<double> load(static_cast<size_t>(p.ranks), 0.0);
  for (size_t t = 0; t < p.tiles.size(); ++t) load[static_cast<size_t>(rank_of[t])] += p.tiles[t].work;
  return load;
}

TilingSolution solve_greedy(const TilingProblem& p) {
  const std::string err = tiling_problem_error(p);
  if (!err.empty()) throw std::invalid_argument("tiling problem: " + err);
  const auto start = std::chrono::steady_clock::now();
  std::vector<size_t> order(p.tiles.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return p.tiles[a].work > p.tiles[b].work; });
  const double cap = p.load_cap();
  TrafficState state(p);
  std::vector<double> load(static_cast<size_t>(p.ranks), 0.0);
  TilingSolution sol;
  sol.rank_of.assign(p.tiles.size(), 0);
  for (const size_t t : order) {
    const TilingTile& tile = p.tiles[t];
    const int oq = p.owner[static_cast<size_t>(tile.q_block)], ok = p.owner[static_cast<size_t>(tile.k_block)];
    int best = -1;
    double best_obj = 0;
    // Candidates in tie-break order: the query block's owner, the key block's, then all.
    std::vector<int> cands{oq, ok};
    for (int r = 0; r < p.ranks; ++r) cands.push_back(r);
    const bool any_fits = std::any_of(load.begin(), load.end(), [&](double l) { return l + tile.work <= cap * (1 + 1e-12); });
    for (const int r : cands) {
      if (any_fits && load[static_cast<size_t>(r)] + tile.work > cap * (1 + 1e-12)) continue;
      const double obj = state.objective_with(tile, r);
      const bool better = best < 0 || obj < best_obj ||
                          (obj == best_obj && r != best && load[static_cast<size_t>(r)] < load[static_cast<size_t>(best)] &&
                           best != oq && best != ok);
      if (better) best = r, best_obj = obj;
    }
    if (!any_fits) best = static_cast<int>(std::min_element(load.begin(), load.end()) - load.begin());
    state.assign(tile, best);
    load[static_cast<size_t>(best)] += tile.work;
    sol.rank_of[t] = best;
  }
  sol.objective = tiling_traffic(p, sol.rank_of).max();
  sol.bound = 0;
  sol.gap = sol.objective > 0 ? 1 : 0;
  sol.solve_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  sol.solver = "greedy";
  sol.status = "heuristic";
  return sol;
}

}  // namespace cpb
