// Fluent helpers for the plans tests build by hand (the CPU and CUDA runtime tests): the
// header, lanes, buffers and steps of one rank's plan, and attention tiles. Each step
// helper appends one step and returns its id, for later steps' deps.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "bench/plan/plan.hpp"

namespace cpb {
namespace test {

// A [1, ns, nh, D] window, rows [s0, s0 + ns) and heads [h0, h0 + nh), of a dense
// [1, all[1], all[2], D] tensor at the start of `buf` (all = {1, S, H, D}).
inline View window(int buf, std::array<int64_t, 4> all, int64_t s0, int64_t ns, int64_t h0, int64_t nh) {
  View v = dense_view(buf, (s0 * all[2] + h0) * all[3], all);
  v.shape = {1, ns, nh, all[3]};
  return v;
}

// A view with explicit strides [elements].
inline View strided(int buf, int64_t offset, std::array<int64_t, 4> shape, std::array<int64_t, 4> stride) {
  View v;
  v.buf = buf;
  v.offset = offset;
  v.shape = shape;
  v.stride = stride;
  return v;
}

// An attention tile: q, k, v, o, then what differs from the defaults (full mask, no LSE,
// scale 1, empty head and token ranges).
class Tile {
 public:
  Tile(const View& q, const View& k, const View& v, const View& o) {
    op_.q = q;
    op_.k = k;
    op_.v = v;
    op_.o = o;
  }
  Tile& causal(bool c = true) {
    op_.causal = c;
    return *this;
  }
  Tile& scale(double s) {
    op_.scale = static_cast<float>(s);
    return *this;
  }
  Tile& lse(const View& l) {
    op_.has_lse = true;
    op_.lse = l;
    return *this;
  }
  // The global query heads and tokens the tile covers, and its key tokens.
  Tile& covers(Range heads, Range q_tokens, Range k_tokens) {
    op_.heads = heads;
    op_.q_tokens = q_tokens;
    op_.k_tokens = k_tokens;
    return *this;
  }
  const AttentionOp& op() const { return op_; }

 private:
  AttentionOp op_;
};

inline MergeOp merge_op(const View& part_o, const View& part_lse, const View& acc_o, const View& acc_lse, bool init) {
  MergeOp m;
  m.part_o = part_o;
  m.part_lse = part_lse;
  m.acc_o = acc_o;
  m.acc_lse = acc_lse;
  m.init = init;
  return m;
}

class PlanBuilder {
 public:
  PlanBuilder(std::string schedule, int rank, int world) {
    plan_.schedule = std::move(schedule);
    plan_.rank = rank;
    plan_.world = world;
  }
  PlanBuilder& tokens(std::vector<Range> t) {
    plan_.tokens = std::move(t);
    return *this;
  }
  // Appends a rank group (Exchange steps name it by its index, from 0).
  PlanBuilder& group(std::vector<int> ranks) {
    plan_.groups.push_back(std::move(ranks));
    return *this;
  }

  int lane(std::string name) { return plan_.add_lane(std::move(name)); }
  // An Act buffer of `role` (Q, K, V, O or Scratch) [elements].
  int act(std::string name, BufferRole role, int64_t elems) {
    return plan_.add_buffer(std::move(name), Storage::Act, role, elems);
  }
  // An F32 scratch buffer [elements].
  int f32(std::string name, int64_t elems) {
    return plan_.add_buffer(std::move(name), Storage::F32, BufferRole::Scratch, elems);
  }

  int copy(int lane, std::string label, std::vector<CopyOp::Pair> pairs, std::vector<int> deps = {}) {
    CopyOp c;
    c.pairs = std::move(pairs);
    return plan_.add_step(lane, std::move(label), c, std::move(deps));
  }
  int exchange(int lane, std::string label, ExchangeOp::Pattern pattern, int group, std::vector<Transfer> sends,
               std::vector<Transfer> recvs, std::vector<int> deps = {}) {
    ExchangeOp e;
    e.pattern = pattern;
    e.group = group;
    e.sends = std::move(sends);
    e.recvs = std::move(recvs);
    return plan_.add_step(lane, std::move(label), e, std::move(deps));
  }
  int attention(int lane, std::string label, const Tile& tile, std::vector<int> deps = {}) {
    return plan_.add_step(lane, std::move(label), tile.op(), std::move(deps));
  }
  int merge(int lane, std::string label, const MergeOp& m, std::vector<int> deps = {}) {
    return plan_.add_step(lane, std::move(label), m, std::move(deps));
  }

  const Plan& plan() const { return plan_; }

 private:
  Plan plan_;
};

}  // namespace test
}  // namespace cpb
