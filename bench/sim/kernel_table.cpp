#include "bench/sim/kernel_table.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

#include "base/usage_error.hpp"
#include "kernels/attention_flops.hpp"

namespace cpb {
namespace {

double tile_flops(const TileShape& t) {
  return attention_tile_flops(t.batch, t.q_tokens, t.k_tokens, t.heads, t.head_dim,
                              TileMask{t.causal, t.diag, t.window});
}

std::string class_name(int64_t head_dim, bool causal, DType dtype) {
  return "head_dim " + std::to_string(head_dim) + " " + (causal ? "causal" : "full") + " " + to_string(dtype);
}

template <class P>
double curve_throughput(const std::vector<P>& pts, double x) {
  if (x <= pts.front().x) return pts.front().thr;
  if (x >= pts.back().x) return pts.back().thr;
  const auto hi = std::lower_bound(pts.begin(), pts.end(), x, [](const P& p, double v) { return p.x < v; });
  if (hi->x == x) return hi->thr;
  const auto lo = hi - 1;
  const double w = (x - lo->x) / (hi->x - lo->x);
  return lo->thr + w * (hi->thr - lo->thr);
}

}  // namespace

TileShape tile_shape(const AttentionOp& a, DType dtype) {
  TileShape t;
  t.batch = a.q.shape[0];
  t.q_tokens = a.q.shape[1];
  t.heads = a.q.shape[2];
  t.head_dim = a.q.shape[3];
  t.k_tokens = a.k.shape[1];
  t.kv_heads = a.k.shape[2];
  t.causal = a.causal;
  t.diag = a.diag;
  t.window = a.window;
  t.dtype = dtype;
  return t;
}

KernelTable::KernelTable(const std::vector<KernelSample>& samples) {
  // (class) -> (group, heads) -> x -> throughputs
  using ClassKey = std::tuple<int64_t, bool, DType>;
  std::map<ClassKey, std::map<std::pair<int64_t, int64_t>, std::map<double, std::vector<double>>>> grouped;
  for (const KernelSample& s : samples) {
    const TileShape t{1, s.q_tokens, s.k_tokens, s.heads, s.kv_heads, s.head_dim, s.causal, s.dtype};
    const double flops = tile_flops(t);
    grouped[{s.head_dim, s.causal, s.dtype}][{s.heads / s.kv_heads, s.heads}][std::log(flops / s.heads)].push_back(
        flops / s.ms);
  }
  for (const auto& [key, curves] : grouped) {
    Class c{std::get<0>(key), std::get<1>(key), std::get<2>(key), {}};
    for (const auto& [gh, points] : curves) {
      Curve curve{gh.first, gh.second, {}};
      for (const auto& [x, thr] : points) {
        double sum = 0;
        for (double v : thr) sum += v;
        curve.points.push_back(Point{x, sum / static_cast<double>(thr.size())});
      }
      c.curves.push_back(std::move(curve));
    }
    classes_.push_back(std::move(c));
  }
}

const KernelTable::Class& KernelTable::find_class(const TileShape& t) const {
  std::string have;
  for (const Class& c : classes_) {
    if (c.head_dim == t.head_dim && c.causal == t.causal && c.dtype == t.dtype) return c;
    have += (have.empty() ? "" : "; ") + class_name(c.head_dim, c.causal, c.dtype);
  }
  throw UsageError("the machine model has no attention sample of " + class_name(t.head_dim, t.causal, t.dtype) +
                   " (a tile of " + std::to_string(t.q_tokens) + " x " + std::to_string(t.k_tokens) + " tokens, " +
                   std::to_string(t.heads) + " heads); it has: " + (have.empty() ? "none" : have));
}

double KernelTable::ms(const TileShape& t) const {
  const Class& c = find_class(t);
  const double flops = tile_flops(t);
  const double heads = static_cast<double>(t.batch * t.heads);
  const double x = std::log(flops / heads);
  // 1. the group: the tile's, or the nearest in ln(g) (ties: the smaller; curves are by group).
  const double lg = std::log(static_cast<double>(t.heads / t.kv_heads));
  int64_t group = c.curves.front().group;
  for (const Curve& cv : c.curves)
    if (std::abs(std::log(static_cast<double>(cv.group)) - lg) < std::abs(std::log(static_cast<double>(group)) - lg))
      group = cv.group;
  // 2. the curves of that group bracketing the heads (curves are by heads within a group).
  const Curve* lo = nullptr;
  const Curve* hi = nullptr;
  for (const Curve& cv : c.curves) {
    if (cv.group != group) continue;
    if (static_cast<double>(cv.heads) <= heads) lo = &cv;
    if (static_cast<double>(cv.heads) >= heads && !hi) hi = &cv;
  }
  if (!lo) lo = hi;
  if (!hi) hi = lo;
  // 3. and 4.
  const double thr_lo = curve_throughput(lo->points, x);
  if (lo == hi) return flops / thr_lo;
  const double thr_hi = curve_throughput(hi->points, x);
  const double w = (std::log(heads) - std::log(static_cast<double>(lo->heads))) /
                   (std::log(static_cast<double>(hi->heads)) - std::log(static_cast<double>(lo->heads)));
  return flops / (thr_lo + w * (thr_hi - thr_lo));
}

double attention_ms(const MachineModel& m, const AttentionOp& a, DType dtype) {
  return KernelTable(m.attention).ms(tile_shape(a, dtype));
}

}  // namespace cpb
