// The attention calls of one rank of the tiled schedule (tiled_plan_builder.hpp: Call):
// its tile pieces, fused by tile_fuse along rows and along columns. A fused call computes
// exactly the union of its parts' pairs: the mask inside its bounding box must be one
// region that covers the box and allows as many pairs as the parts together.
#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bench/schedules/tiled_plan_builder.hpp"

namespace cpb {
namespace tiled_detail {

std::string TiledBuilder::Call::tag() const {
  std::string t = "[q=" + std::to_string(q_first);
  if (q_last != q_first) t += "-" + std::to_string(q_last);
  t += ",k=" + std::to_string(k_first);
  if (k_last != k_first) t += "-" + std::to_string(k_last);
  if (tile_piece >= 0) t += ",t=" + std::to_string(tile_piece);
  return t + "]";
}

bool TiledBuilder::kv_adjoin(int a) const {
  if (mine(a) || mine(a + 1)) return mine(a) && mine(a + 1);
  const int slot = kv_in_.slot[static_cast<size_t>(a)];
  return slot >= 0 && kv_in_.slot[static_cast<size_t>(a + 1)] == slot + 1;
}

std::optional<MaskRegion> TiledBuilder::one_region(Range q, Range k, double pairs) const {
  const std::vector<MaskRegion> u = clip_regions(regions_, q, k);
  if (u.size() != 1 || u[0].q.begin != q.begin || u[0].q.size != q.size || u[0].k.begin != k.begin ||
      u[0].k.size != k.size || region_pairs(u[0]) != pairs)
    return std::nullopt;
  return u[0];
}

bool TiledBuilder::fuse(Call& c, int k_block, const MaskRegion& m) const {
  if (c.k_last + 1 != k_block || c.piece.q.begin != m.q.begin || c.piece.q.size != m.q.size ||
      c.piece.k.end() != m.k.begin || !kv_adjoin(c.k_last))
    return false;
  const Range keys{c.piece.k.begin, m.k.end() - c.piece.k.begin};
  const std::optional<MaskRegion> u = one_region(m.q, keys, region_pairs(c.piece) + region_pairs(m));
  if (!u) return false;
  c.piece = *u;
  c.k_last = k_block;
  return true;
}

bool TiledBuilder::fuse_below(Call& x, const Call& y) const {
  if (x.q_last + 1 != y.q_first || x.piece.q.end() != y.piece.q.begin) return false;
  const Range a = x.piece.k, b = y.piece.k;
  const Range keys{std::min(a.begin, b.begin), std::max(a.end(), b.end()) - std::min(a.begin, b.begin)};
  const int k_first = std::min(x.k_first, y.k_first), k_last = std::max(x.k_last, y.k_last);
  // The bounding box's keys are read as one view. Both calls' query blocks are this rank's
  // (alone), so each call's phase is that of its keys, and one view of held and received
  // keys cannot exist (a held block never adjoins a received one): the phases agree.
  for (int kb = k_first; kb < k_last; ++kb)
    if (!kv_adjoin(kb)) return false;
  const Range q{x.piece.q.begin, y.piece.q.end() - x.piece.q.begin};
  const std::optional<MaskRegion> u = one_region(q, keys, region_pairs(x.piece) + region_pairs(y.piece));
  if (!u) return false;
  x.piece = *u;
  x.q_last = y.q_last;
  x.k_first = k_first;
  x.k_last = k_last;
  return true;
}

std::vector<char> TiledBuilder::alone(const std::vector<Call>& calls) const {
  std::vector<std::vector<Range>> rows(static_cast<size_t>(l_.blocks()));  // [query block]: the calls' rows
  for (const Call& c : calls) rows[static_cast<size_t>(c.q_first)].push_back(rows_in_block(c.piece));
  const auto overlap = [](Range a, Range b) { return a.begin < b.end() && b.begin < a.end(); };
  std::vector<char> out(calls.size(), 0);
  for (size_t i = 0; i < calls.size(); ++i) {
    const int b = calls[i].q_first;
    if (!mine(b)) continue;
    const Range own = rows_in_block(calls[i].piece);
    int writers = 0;
    for (const Range& r : rows[static_cast<size_t>(b)]) writers += overlap(r, own);
    for (int d = 0; d < l_.ranks; ++d)
      if (d != r_)
        for (const Range& seg : l_.segments(d, b)) writers += overlap(seg, own);
    out[i] = writers == 1;
  }
  return out;
}

void TiledBuilder::fuse_columns(std::vector<Call>& calls) const {
  const std::vector<char> single = alone(calls);
  std::vector<Call> kept;
  // Query token -> the kept fusable call whose rows end there: one at most, since such a
  // call is its rows' only writer (alone), and two calls ending at one token share a row.
  std::map<int64_t, size_t> ending;
  for (size_t i = 0; i < calls.size(); ++i) {
    const Call& y = calls[i];
    if (single[i])
      if (auto above = ending.find(y.piece.q.begin); above != ending.end() && fuse_below(kept[above->second], y)) {
        const size_t at = above->second;
        ending.erase(above);
        ending[kept[at].piece.q.end()] = at;
        continue;
      }
    if (single[i]) ending[y.piece.q.end()] = kept.size();
    kept.push_back(y);
  }
  calls = std::move(kept);
}

std::vector<TiledBuilder::Call> TiledBuilder::rank_calls() const {
  const bool fuse_rows = p_.tile_fuse != TileFuse::Off;
  std::vector<Call> calls;
  for (const TiledTile& t : l_.tiles) {
    if (t.rank != r_) continue;
    for (size_t i = 0; i < t.pieces.size(); ++i) {
      const MaskRegion& m = t.pieces[i];
      bool fused = false;  // the calls of this query block are the last ones
      for (auto c = calls.rbegin(); fuse_rows && !fused && c != calls.rend() && c->q_first == t.q_block; ++c)
        fused = fuse(*c, t.k_block, m);
      if (fused) continue;
      calls.push_back(Call{t.q_block, t.q_block, m, t.k_block, t.k_block,
                           t.pieces.size() > 1 ? static_cast<int>(i) : -1, mine(t.q_block) && mine(t.k_block)});
    }
  }
  if (p_.tile_fuse == TileFuse::Both && !p_.backward()) fuse_columns(calls);
  return calls;
}

}  // namespace tiled_detail
}  // namespace cpb
