// The pull bound of tiling_bound.hpp: per rank the points (U_r(a, b), C_r(a, b)), their
// lower convex hulls, and the cheapest hull segments until the total work is covered.
#include "bench/tiling/tiling_bound.hpp"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace cpb {
namespace {

using Matrix = std::vector<std::vector<double>>;

// top[i][k]: the sum of the k largest entries of line i of `work` (k = 0 .. n).
Matrix largest_sums(const Matrix& work) {
  Matrix top;
  for (std::vector<double> line : work) {
    std::sort(line.begin(), line.end(), std::greater<double>());
    std::vector<double> sums{0};
    for (const double w : line) sums.push_back(sums.back() + w);
    top.push_back(std::move(sums));
  }
  return top;
}

// One side (rows or columns) of rank r: the owned lines, and the lines it does not own
// that hold a tile, with their cost of being pulled.
struct Side {
  std::vector<int> own, other;
  std::vector<double> cheapest{0};  // [a]: the a cheapest costs of `other` together
};

Side side_of(const TilingProblem& p, const Matrix& work, int r, const std::vector<double>& cost) {
  Side s;
  std::vector<double> costs;
  for (int b = 0; b < p.blocks(); ++b) {
    const std::vector<double>& line = work[static_cast<size_t>(b)];
    if (p.owner[static_cast<size_t>(b)] == r) {
      s.own.push_back(b);
    } else if (std::any_of(line.begin(), line.end(), [](double w) { return w > 0; })) {
      s.other.push_back(b);
      costs.push_back(cost[static_cast<size_t>(b)]);
    }
  }
  std::sort(costs.begin(), costs.end());
  for (const double c : costs) s.cheapest.push_back(s.cheapest.back() + c);
  return s;
}

// reach[k][a]: the most work in the owned lines plus a of the others when each line
// contributes its k largest tiles (k = 0 .. n, a = 0 .. |other|).
Matrix reach_of(const Side& s, const Matrix& top, int n) {
  Matrix reach;
  for (int k = 0; k <= n; ++k) {
    double base = 0;
    for (const int b : s.own) base += top[static_cast<size_t>(b)][static_cast<size_t>(k)];
    std::vector<double> gains;
    for (const int b : s.other) gains.push_back(top[static_cast<size_t>(b)][static_cast<size_t>(k)]);
    std::sort(gains.begin(), gains.end(), std::greater<double>());
    std::vector<double> row{base};
    for (const double g : gains) row.push_back(row.back() + g);
    reach.push_back(std::move(row));
  }
  return reach;
}

struct Point {
  double work, cost;
};

// The lower convex hull of rank r's points (U_r(a, b), C_r(a, b)), from its cost-0 point
// to its most work, as segments (work gained, cost per work).
std::vector<std::pair<double, double>> hull_segments(std::vector<Point> pts, double* base_work) {
  std::sort(pts.begin(), pts.end(),
            [](const Point& x, const Point& y) { return x.work != y.work ? x.work < y.work : x.cost < y.cost; });
  // The cost-0 point with the most work starts the hull; points left of it are never cheaper.
  Point start{0, 0};
  for (const Point& q : pts)
    if (q.cost == 0) start.work = std::max(start.work, q.work);
  *base_work = start.work;
  std::vector<Point> hull{start};
  for (const Point& q : pts) {
    if (q.work <= hull.back().work) continue;  // the first of equal work is the cheapest
    while (hull.size() >= 2) {
      const Point& a = hull[hull.size() - 2];
      const Point& b = hull.back();
      // b on or above the chord from a to q: not on the lower hull.
      if ((b.cost - a.cost) * (q.work - a.work) < (q.cost - a.cost) * (b.work - a.work)) break;
      hull.pop_back();
    }
    hull.push_back(q);
  }
  std::vector<std::pair<double, double>> segs;
  for (size_t k = 1; k < hull.size(); ++k) {
    const double dw = hull[k].work - hull[k - 1].work, dc = hull[k].cost - hull[k - 1].cost;
    if (dw > 0) segs.emplace_back(dw, std::max(0.0, dc) / dw);
  }
  return segs;
}

// Rank r's points by its query blocks: for every set A of the query blocks it does not
// own, X = its own and A; the work it can reach pulling A and b key blocks is at most
// that of X against its own key blocks and the b others with the most work in X (exact
// for X: the key blocks add independently), its pull at least the cost of A and the b
// cheapest key blocks. Each point lies on or above one of tiling_bound.hpp's (a = |A|, b)
// points' lower bounds, so the hull can only rise, and stays a lower bound.
std::vector<Point> enumerated_points(const TilingProblem& p, const Matrix& rows, const Side& qs, const Side& ks,
                                     const std::vector<double>& q_o, double cap) {
  std::vector<Point> pts;
  const size_t k = qs.other.size();
  std::vector<double> in_x(static_cast<size_t>(p.blocks()));
  std::vector<double> gains(ks.other.size());
  for (uint32_t set = 0; set < (uint32_t{1} << k); ++set) {
    std::fill(in_x.begin(), in_x.end(), 0.0);
    double cost = 0;
    auto add_row = [&](int i) {
      const std::vector<double>& line = rows[static_cast<size_t>(i)];
      for (size_t j = 0; j < line.size(); ++j) in_x[j] += line[j];
    };
    for (const int i : qs.own) add_row(i);
    for (size_t a = 0; a < k; ++a)
      if (set >> a & 1u) add_row(qs.other[a]), cost += q_o[static_cast<size_t>(qs.other[a])];
    double work = 0;
    for (const int j : ks.own) work += in_x[static_cast<size_t>(j)];
    for (size_t b = 0; b < ks.other.size(); ++b) gains[b] = in_x[static_cast<size_t>(ks.other[b])];
    std::sort(gains.begin(), gains.end(), std::greater<double>());
    pts.push_back({std::min(work, cap), cost});
    for (size_t b = 0; b < gains.size(); ++b) {
      work += gains[b];
      pts.push_back({std::min(work, cap), cost + ks.cheapest[b + 1]});
    }
  }
  return pts;
}

}  // namespace

std::vector<PullHull> tiling_pull_hulls(const TilingProblem& p, double cap, size_t max_enumerated_rows) {
  std::vector<double> q_o(p.q_bytes.size());
  for (size_t b = 0; b < q_o.size(); ++b) q_o[b] = p.q_bytes[b] + p.o_bytes[b];
  return tiling_pull_hulls(p, cap, q_o, p.kv_bytes, max_enumerated_rows);
}

std::vector<PullHull> tiling_pull_hulls(const TilingProblem& p, double cap, const std::vector<double>& q_o,
                                        const std::vector<double>& kv, size_t max_enumerated_rows) {
  const std::string err = tiling_problem_error(p);
  if (!err.empty()) throw std::invalid_argument("tiling problem: " + err);
  const int n = p.blocks();
  for (const std::vector<double>* costs : {&q_o, &kv}) {
    if (costs->size() != static_cast<size_t>(n))
      throw std::invalid_argument("tiling_pull_hulls: " + std::to_string(costs->size()) + " block costs for " +
                                  std::to_string(n) + " blocks");
    for (const double c : *costs)
      if (!(c >= 0))
        throw std::invalid_argument("tiling_pull_hulls: a block cost is " + std::to_string(c) + ", not >= 0");
  }
  Matrix rows(static_cast<size_t>(n), std::vector<double>(static_cast<size_t>(n), 0.0)), cols = rows;
  for (const TilingTile& t : p.tiles) {
    rows[static_cast<size_t>(t.q_block)][static_cast<size_t>(t.k_block)] += t.work;
    cols[static_cast<size_t>(t.k_block)][static_cast<size_t>(t.q_block)] += t.work;
  }
  const Matrix row_top = largest_sums(rows), col_top = largest_sums(cols);
  std::vector<PullHull> hulls(static_cast<size_t>(p.ranks));
  for (int r = 0; r < p.ranks; ++r) {
    const Side qs = side_of(p, rows, r, q_o), ks = side_of(p, cols, r, kv);
    std::vector<Point> pts;
    const size_t k = qs.other.size();
    if (k <= max_enumerated_rows && k <= kPullHullEnumeratedPointsLog2 &&
        (ks.other.size() + 1) << k <= size_t{1} << kPullHullEnumeratedPointsLog2) {
      pts = enumerated_points(p, rows, qs, ks, q_o, cap);
    } else {
      const Matrix by_rows = reach_of(qs, row_top, n), by_cols = reach_of(ks, col_top, n);
      for (size_t a = 0; a < qs.cheapest.size(); ++a)
        for (size_t b = 0; b < ks.cheapest.size(); ++b) {
          const double u = std::min({by_rows[qs.own.size() + b][a], by_cols[ks.own.size() + a][b], cap});
          pts.push_back({u, qs.cheapest[a] + ks.cheapest[b]});
        }
    }
    PullHull& h = hulls[static_cast<size_t>(r)];
    h.segs = hull_segments(std::move(pts), &h.base);
  }
  return hulls;
}

double tiling_lower_bound(const TilingProblem& p, double cap, size_t max_enumerated_rows) {
  double need = p.total_work(), pull = 0;
  std::vector<std::pair<double, double>> segs;
  for (const PullHull& h : tiling_pull_hulls(p, cap, max_enumerated_rows)) {
    need -= h.base;
    segs.insert(segs.end(), h.segs.begin(), h.segs.end());
  }
  std::sort(segs.begin(), segs.end(), [](const auto& x, const auto& y) { return x.second < y.second; });
  for (const auto& [dw, slope] : segs) {
    if (need <= 0) break;
    pull += std::min(dw, need) * slope;
    need -= dw;
  }
  if (need > 1e-9 * p.total_work()) return std::numeric_limits<double>::infinity();
  return pull / p.ranks;
}

}  // namespace cpb
