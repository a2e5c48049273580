#include "bench/schedules/tile_outputs.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace cpb {

AttentionOp tile_attention(const Problem& p, const View& q, const View& k, const View& v,
                           const TileOutputs::Target& out, const MaskRegion& tile, Range heads) {
  AttentionOp a;
  a.q = q;
  a.k = k;
  a.v = v;
  a.o = out.o;
  a.has_lse = out.has_lse;
  a.lse = out.lse;
  a.causal = tile.mask.causal;
  a.diag = tile.mask.diag;
  a.window = tile.mask.window;
  a.scale = static_cast<float>(p.softmax_scale());
  a.heads = heads;
  a.q_tokens = tile.q;
  a.k_tokens = tile.k;
  return a;
}

TileOutputs::TileOutputs(const Problem& p, const DenseTensor& out, int slots, int64_t c, Range q_heads,
                         std::vector<HeadPiece> pieces, int out_lse)
    : p_(p), out_(out), slots_(slots), c_(c), q_heads_(q_heads), pieces_(std::move(pieces)), out_lse_(out_lse),
      segs_(static_cast<size_t>(slots)), count_(static_cast<size_t>(slots)), last_merge_(static_cast<size_t>(slots)) {}

void TileOutputs::declare(int slot, Range rows) { segs_[static_cast<size_t>(slot)].push_back(rows); }

void TileOutputs::add_buffers(Plan& plan) {
  for (int s = 0; s < slots_; ++s) {
    std::vector<Range>& segs = segs_[static_cast<size_t>(s)];
    std::vector<Range> declared = segs;
    std::sort(segs.begin(), segs.end(),
              [](Range a, Range b) { return a.begin < b.begin || (a.begin == b.begin && a.size < b.size); });
    segs.erase(
        std::unique(segs.begin(), segs.end(), [](Range a, Range b) { return a.begin == b.begin && a.size == b.size; }),
        segs.end());
    int64_t next = 0;
    for (const Range& r : segs) {
      if (r.begin < next || r.end() > c_) throw std::logic_error("TileOutputs: the tiles' rows of a chunk overlap");
      next = r.end();
    }
    std::vector<int>& count = count_[static_cast<size_t>(s)];
    count.assign(segs.size(), 0);
    for (const Range& rows : declared) ++count[static_cast<size_t>(segment_of(s, rows))];
    for (const int n : count) {
      any_merged_ |= n > 1;
      any_accumulated_ |= n > 2;
    }
    last_merge_[static_cast<size_t>(s)].assign(segs.size() * pieces_.size(), -1);
  }
  if (!any_merged_) return;
  const int64_t rows = slots_ * c_, B = p_.B, hq = q_heads_.size;
  part_ = DenseTensor{plan.add_buffer("o_part", Storage::Act, BufferRole::Scratch, B * rows * hq * p_.D),
                      0, B, rows, hq, p_.D};
  lse_part_ = plan.add_buffer("lse_part", Storage::F32, BufferRole::Scratch, B * hq * rows);
  if (any_accumulated_) {
    acc_ = part_;
    acc_.buf = plan.add_buffer("o_acc", Storage::F32, BufferRole::Scratch, part_.elems());
  }
  if (any_accumulated_ || out_lse_ < 0)
    lse_acc_ = plan.add_buffer("lse_acc", Storage::F32, BufferRole::Scratch, B * hq * rows);
}

int TileOutputs::segment_of(int slot, Range rows) const {
  const std::vector<Range>& segs = segs_[static_cast<size_t>(slot)];
  const auto it =
      std::lower_bound(segs.begin(), segs.end(), rows.begin, [](Range r, int64_t b) { return r.begin < b; });
  if (it == segs.end() || it->begin != rows.begin || it->size != rows.size)
    throw std::logic_error("TileOutputs: rows that were not declared");
  return static_cast<int>(it - segs.begin());
}

View TileOutputs::lse_view(int buf, int slot, Range rows, int piece) const {
  const HeadPiece& pc = pieces_[static_cast<size_t>(piece)];
  const int64_t base = p_.B * q_heads_.size * (slot * c_ + rows.begin);
  return dense_view(buf, base + p_.B * rows.size * (pc.q.begin - q_heads_.begin), {p_.B, pc.q.size, rows.size, 1});
}

View TileOutputs::out_view(const DenseTensor& t, int slot, Range rows, int piece) const {
  const HeadPiece& pc = pieces_[static_cast<size_t>(piece)];
  return t.view(Range{slot * c_ + rows.begin, rows.size}, Range{pc.q.begin - q_heads_.begin, pc.q.size});
}

View TileOutputs::merged_lse_view(int slot, Range rows, int piece) const {
  const bool in_place = tiles_over(slot, segment_of(slot, rows)) == 2;
  return lse_view(in_place && out_lse_ >= 0 ? out_lse_ : lse_acc_, slot, rows, piece);
}

TileOutputs::Target TileOutputs::target(int slot, Range rows, int piece) const {
  const int seg = segment_of(slot, rows);
  const int n = tiles_over(slot, seg);
  const int prev = last_merge_[static_cast<size_t>(slot)][piece_at(seg, piece)];
  Target t;
  t.direct = n == 1;
  t.first = n == 2 && prev < 0;
  if (t.direct || t.first) {
    t.o = out_view(out_, slot, rows, piece);
    t.has_lse = t.first || out_lse_ >= 0;
    if (t.has_lse) t.lse = t.first ? merged_lse_view(slot, rows, piece) : lse_view(out_lse_, slot, rows, piece);
    return t;
  }
  t.o = out_view(part_, slot, rows, piece);
  t.has_lse = true;
  t.lse = lse_view(lse_part_, slot, rows, piece);
  if (n > 2 && prev >= 0) t.deps.push_back(prev);  // the last merge reads the partial rows
  return t;
}

TileOutputs::Target TileOutputs::span_target(int slot, Range rows, int piece) const {
  if (out_lse_ >= 0) throw std::logic_error("TileOutputs: a call over several chunks of an output that keeps its LSE");
  for (int64_t at = rows.begin; at < rows.end();) {
    const int s = slot + static_cast<int>(at / c_);
    const Range part{at % c_, std::min(c_ - at % c_, rows.end() - at)};
    if (s >= slots_ || tiles_over(s, segment_of(s, part)) != 1)
      throw std::logic_error("TileOutputs: a call over several chunks whose rows have other tiles");
    at += part.size;
  }
  Target t;
  t.direct = true;
  t.o = out_view(out_, slot, rows, piece);
  return t;
}

int TileOutputs::add_merge(Plan& plan, const View& o, const View& lse, int slot, Range rows, int piece,
                           std::vector<int> deps, const std::string& tag) {
  const int seg = segment_of(slot, rows);
  const bool in_place = tiles_over(slot, seg) == 2;
  int& prev = last(slot, seg, piece);
  MergeOp m;
  m.part_o = o;
  m.part_lse = lse;
  m.acc_o = out_view(in_place ? out_ : acc_, slot, rows, piece);
  m.acc_lse = merged_lse_view(slot, rows, piece);
  m.init = prev < 0;
  if (!m.init) deps.push_back(prev);
  prev = plan.add_step(kComputeLane, "merge" + tag, m, std::move(deps));
  if (in_place) done_.push_back(prev);
  return prev;
}

void TileOutputs::after(Plan& plan, int id, const Target& t, int slot, Range rows, int piece, const std::string& tag) {
  if (t.direct) {
    done_.push_back(id);
    return;
  }
  if (t.first) {
    last(slot, segment_of(slot, rows), piece) = id;
    return;
  }
  add_merge(plan, t.o, t.lse, slot, rows, piece, {id}, tag);
}

void TileOutputs::add_partial(Plan& plan, const View& o, const View& lse, int slot, Range rows, int piece,
                              std::vector<int> deps, const std::string& tag) {
  const int seg = segment_of(slot, rows);
  const int n = tiles_over(slot, seg);
  int& prev = last(slot, seg, piece);
  if (n == 1 || (n == 2 && prev < 0)) {
    CopyOp copy;
    copy.pairs.push_back(CopyOp::Pair{o, out_view(out_, slot, rows, piece)});
    if (n == 2)
      copy.pairs.push_back(CopyOp::Pair{lse, merged_lse_view(slot, rows, piece)});
    else if (out_lse_ >= 0)
      copy.pairs.push_back(CopyOp::Pair{lse, lse_view(out_lse_, slot, rows, piece)});
    const int id = plan.add_step(kComputeLane, "copy" + tag, std::move(copy), std::move(deps));
    if (n == 1)
      done_.push_back(id);
    else
      prev = id;
    return;
  }
  add_merge(plan, o, lse, slot, rows, piece, std::move(deps), tag);
}

std::vector<int> TileOutputs::finish(Plan& plan) {
  if (!any_accumulated_) return done_;
  CopyOp copy;
  std::vector<int> deps;
  for (int s = 0; s < slots_; ++s) {
    const std::vector<Range>& segs = segs_[static_cast<size_t>(s)];
    for (size_t g = 0; g < segs.size(); ++g) {
      if (tiles_over(s, static_cast<int>(g)) < 3) continue;  // written directly or merged in place
      const Range rows{s * c_ + segs[g].begin, segs[g].size}, heads{0, q_heads_.size};
      copy.pairs.push_back(CopyOp::Pair{acc_.view(rows, heads), out_.view(rows, heads)});
      for (size_t pi = 0; pi < pieces_.size(); ++pi) {
        if (out_lse_ >= 0)
          copy.pairs.push_back(CopyOp::Pair{lse_view(lse_acc_, s, segs[g], static_cast<int>(pi)),
                                            lse_view(out_lse_, s, segs[g], static_cast<int>(pi))});
        deps.push_back(last(s, static_cast<int>(g), static_cast<int>(pi)));
      }
    }
  }
  std::vector<int> done = done_;
  done.push_back(plan.add_step(kComputeLane, "o_final", std::move(copy), std::move(deps)));
  return done;
}

}  // namespace cpb
