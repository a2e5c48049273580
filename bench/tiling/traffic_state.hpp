// The incremental traffic of a tile assignment (tiling_problem.hpp), shared by the
// heuristics that build and improve one.
#pragma once

#include <algorithm>
#include <vector>

#include "bench/tiling/tiling_problem.hpp"

namespace cpb {

// Needs and traffic of a partial assignment, one tile added or removed at a time: how many
// tiles of each query row and key column each rank computes, and the volumes that follow,
// per group of g consecutive ranks (g = 1: per rank; g = the node size: what crosses
// nodes), a transfer inside a group counting for none.
class TrafficState {
 public:
  explicit TrafficState(const TilingProblem& p, int g = 1)
      : p_(p), g_(g), send_(static_cast<size_t>((p.ranks + g - 1) / g), 0.0), recv_(send_),
        rows_(static_cast<size_t>(p.blocks() * p.ranks), 0), cols_(rows_) {}

  void add(const TilingTile& t, int r) { change(t, r, +1); }
  void remove(const TilingTile& t, int r) { change(t, r, -1); }

  // The objective: the largest send or receive volume.
  double objective() const {
    double m = 0;
    for (size_t i = 0; i < send_.size(); ++i) m = std::max({m, send_[i], recv_[i]});
    return m;
  }
  // The objective with tile t moved from rank `from` (-1: unassigned) to rank `to`.
  double objective_if(const TilingTile& t, int from, int to) {
    if (from >= 0) remove(t, from);
    add(t, to);
    const double obj = objective();
    remove(t, to);
    if (from >= 0) add(t, from);
    return obj;
  }
  // The same for tile t added to rank `to` when the objective is now `current`: volumes
  // only grow by an addition, so only the ranks it touches can raise it. O(1).
  double objective_if_added(const TilingTile& t, int to, double current) {
    add(t, to);
    double obj = current;
    for (const int r : {to, p_.owner[static_cast<size_t>(t.q_block)], p_.owner[static_cast<size_t>(t.k_block)]})
      obj = std::max({obj, send_[static_cast<size_t>(r / g_)], recv_[static_cast<size_t>(r / g_)]});
    remove(t, to);
    return obj;
  }
  const std::vector<double>& send() const { return send_; }
  const std::vector<double>& recv() const { return recv_; }

 private:
  size_t idx(int block, int r) const {
    return static_cast<size_t>(block) * static_cast<size_t>(p_.ranks) + static_cast<size_t>(r);
  }

  // Rank r's first tile of a row brings Q in and sends a partial back; its first tile of a
  // column brings K and V in (nothing when r's group holds the block).
  void change(const TilingTile& t, int r, int sign) {
    const size_t rg = static_cast<size_t>(r / g_),
                 qg = static_cast<size_t>(p_.owner[static_cast<size_t>(t.q_block)] / g_),
                 kg = static_cast<size_t>(p_.owner[static_cast<size_t>(t.k_block)] / g_);
    int& row = rows_[idx(t.q_block, r)];
    int& col = cols_[idx(t.k_block, r)];
    const bool row_edge = sign > 0 ? row++ == 0 : --row == 0;
    const bool col_edge = sign > 0 ? col++ == 0 : --col == 0;
    if (row_edge && qg != rg) {
      const double q = sign * p_.q_bytes[static_cast<size_t>(t.q_block)],
                   o = sign * p_.o_bytes[static_cast<size_t>(t.q_block)];
      recv_[rg] += q;
      send_[rg] += o;
      send_[qg] += q;
      recv_[qg] += o;
    }
    if (col_edge && kg != rg) {
      const double kv = sign * p_.kv_bytes[static_cast<size_t>(t.k_block)];
      recv_[rg] += kv;
      send_[kg] += kv;
    }
  }

  const TilingProblem& p_;
  const int g_;  // ranks per group
  std::vector<double> send_, recv_;
  std::vector<int> rows_, cols_;  // [block * ranks + rank]: tiles of that row / column on the rank
};

}  // namespace cpb
