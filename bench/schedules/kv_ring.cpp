#include "bench/schedules/kv_ring.hpp"

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

namespace cpb {
namespace {

// One attention block of a ring step: query chunk `qs` of this rank against key chunk
// `ks` of the block held at that step.
struct Tile {
  int qs = 0, ks = 0;
  bool causal = false;
};

// nullopt when the mask allows no pair of the blocks; blocks are equal or disjoint.
std::optional<Tile> classify(Mask mask, Range q, Range k, int qs, int ks) {
  if (mask == Mask::Full || k.end() <= q.begin) return Tile{qs, ks, false};
  if (k.begin >= q.end()) return std::nullopt;
  if (k.begin == q.begin && k.size == q.size) return Tile{qs, ks, true};
  throw std::logic_error("kv ring: query and key chunks overlap partially");
}

// The ring moves and accumulates whole shards as one contiguous piece each: a pitched
// tensor (a head range of a wider row) has gaps and cannot be one.
void require_dense(const DenseTensor& t, const char* what) {
  if (!t.dense()) throw std::logic_error(std::string("kv ring: ") + what + " must be a dense tensor");
}

Slice whole(const DenseTensor& t) {
  require_dense(t, "a tensor sent or received whole");
  return Slice{t.buf, t.offset, t.elems()};
}

// `t` placed at `offset` of buffer `buf`; `t` must be dense, as the new storage is.
DenseTensor moved(DenseTensor t, int buf, int64_t offset) {
  require_dense(t, "a tensor given new storage");
  t.buf = buf;
  t.offset = offset;
  return t;
}

std::string tags(int step, int slots, const Tile& t, size_t pieces, size_t piece) {
  std::string s = "i=" + std::to_string(step);
  if (slots > 1) s += ",q=" + std::to_string(t.qs) + ",kv=" + std::to_string(t.ks);
  if (pieces > 1) s += ",h=" + std::to_string(piece);
  return "[" + s + "]";
}

// Builds one ring into a plan: the tiles of every step first (which query chunks merge),
// then the buffers, then the steps in ring order, then the final copy.
class RingBuilder {
 public:
  RingBuilder(Plan& plan, const Problem& p, const KvRing& ring)
      : plan_(plan), p_(p), ring_(ring), r_(static_cast<int>(ring.members.size())),
        mine_(ring.chunks[ring.me]), slots_(static_cast<int>(mine_.size())), c_(mine_[0].size),
        hq_(ring.q_heads.size), pieces_(gqa_pieces(ring.q_heads, p.group_size())),
        np_(static_cast<int>(pieces_.size())), last_merge_(slots_ * np_, -1) {}

  std::vector<int> build() {
    classify_tiles();
    add_buffers();
    for (int k = 0; k < r_; ++k) add_ring_step(k);
    if (any_merged_) add_final_copy();
    return done_;
  }

 private:
  const std::vector<Range>& held_chunks(int k) const { return ring_.chunks[(ring_.me - k + r_) % r_]; }

  // Tiles of every step, and how many tiles each query chunk gets over the whole ring.
  void classify_tiles() {
    tiles_.resize(r_);
    tiles_of_slot_.assign(slots_, 0);
    for (int k = 0; k < r_; ++k) {
      const std::vector<Range>& theirs = held_chunks(k);
      for (int qs = 0; qs < slots_; ++qs)
        for (int ks = 0; ks < static_cast<int>(theirs.size()); ++ks)
          if (std::optional<Tile> t = classify(p_.mask, mine_[qs], theirs[ks], qs, ks)) {
            tiles_[k].push_back(*t);
            any_merged_ |= ++tiles_of_slot_[qs] > 1;
          }
    }
  }

  // The two ring buffers (r > 1) and, when some query chunk merges, the partial output,
  // the fp32 accumulator and their LSEs.
  void add_buffers() {
    if (r_ > 1)
      for (int i = 0; i < 2; ++i) {
        const int buf = plan_.add_buffer("kv_ring" + std::to_string(i), Storage::Act, BufferRole::Scratch,
                                         ring_.k.elems() + ring_.v.elems());
        ring_k_[i] = moved(ring_.k, buf, 0);
        ring_v_[i] = moved(ring_.v, buf, ring_.k.elems());
      }
    if (!any_merged_) return;
    const int64_t rows = slots_ * c_, B = p_.B;
    part_ = DenseTensor{plan_.add_buffer("o_part", Storage::Act, BufferRole::Scratch, B * rows * hq_ * p_.D),
                        0, B, rows, hq_, p_.D};
    acc_ = moved(part_, plan_.add_buffer("o_acc", Storage::F32, BufferRole::Scratch, part_.elems()), 0);
    lse_part_ = plan_.add_buffer("lse_part", Storage::F32, BufferRole::Scratch, B * hq_ * rows);
    lse_acc_ = plan_.add_buffer("lse_acc", Storage::F32, BufferRole::Scratch, B * hq_ * rows);
  }

  // Dense LSE [B, piece heads, c, 1] of one (query chunk, piece).
  View lse_view(int buf, int qs, const HeadPiece& pc) const {
    return dense_view(buf, p_.B * c_ * (qs * hq_ + pc.q.begin - ring_.q_heads.begin), {p_.B, pc.q.size, c_, 1});
  }

  // Step k: the exchange passing the held block on (all but the last step), then the
  // attention (and merge) of every tile against the held block.
  void add_ring_step(int k) {
    const DenseTensor& hold_k = k == 0 ? ring_.k : ring_k_[(k - 1) % 2];
    const DenseTensor& hold_v = k == 0 ? ring_.v : ring_v_[(k - 1) % 2];
    const std::vector<int> ready = k == 0 ? ring_.ready : std::vector<int>{arrived_};
    if (k + 1 < r_) add_pass(k, hold_k, hold_v, ready);
    for (const Tile& t : tiles_[k])
      for (int pi = 0; pi < np_; ++pi) add_tile(k, t, pi, hold_k, hold_v, ready);
  }

  // Sends the held block to the next member and receives the following one into ring
  // buffer k % 2, once the attentions that last read that buffer have ended.
  void add_pass(int k, const DenseTensor& hold_k, const DenseTensor& hold_v, const std::vector<int>& ready) {
    ExchangeOp ex;
    ex.pattern = ExchangeOp::Pattern::SendRecv;
    ex.group = ring_.group;
    const int next = ring_.members[(ring_.me + 1) % r_], prev = ring_.members[(ring_.me - 1 + r_) % r_];
    ex.sends = {Transfer{next, whole(hold_k)}, Transfer{next, whole(hold_v)}};
    ex.recvs = {Transfer{prev, whole(ring_k_[k % 2])}, Transfer{prev, whole(ring_v_[k % 2])}};
    std::vector<int> deps = ready;
    deps.insert(deps.end(), readers_[k % 2].begin(), readers_[k % 2].end());
    readers_[k % 2].clear();
    arrived_ = plan_.add_step(kCommLane, "kv_pass[i=" + std::to_string(k) + "]", std::move(ex), std::move(deps));
  }

  // The attention of tile `t`, GQA piece `pi`, at step k: into the output when the query
  // chunk has this one tile, else into the partial, merged into the accumulator.
  void add_tile(int k, const Tile& t, int pi, const DenseTensor& hold_k, const DenseTensor& hold_v,
                const std::vector<int>& ready) {
    const HeadPiece& pc = pieces_[pi];
    const Range rq{pc.q.begin - ring_.q_heads.begin, pc.q.size};
    const Range rkv{pc.kv.begin - ring_.kv_heads.begin, pc.kv.size};
    const Range q_rows{t.qs * c_, c_}, k_rows{t.ks * c_, c_};
    const bool direct = tiles_of_slot_[t.qs] == 1;
    const int unit = t.qs * np_ + pi;
    AttentionOp a;
    a.q = ring_.q.view(q_rows, rq);
    a.k = hold_k.view(k_rows, rkv);
    a.v = hold_v.view(k_rows, rkv);
    a.o = direct ? ring_.out.view(q_rows, rq) : part_.view(q_rows, rq);
    a.has_lse = !direct;
    if (!direct) a.lse = lse_view(lse_part_, t.qs, pc);
    a.causal = t.causal;
    a.scale = static_cast<float>(p_.softmax_scale());
    a.heads = pc.q;
    a.q_tokens = mine_[t.qs];
    a.k_tokens = held_chunks(k)[t.ks];
    std::vector<int> deps = ready;
    if (!direct && last_merge_[unit] >= 0) deps.push_back(last_merge_[unit]);  // part is free again
    const std::string tag = tags(k, slots_, t, pieces_.size(), pi);
    const int id = plan_.add_step(kComputeLane, "attn" + tag, a, std::move(deps));
    if (k > 0) readers_[(k - 1) % 2].push_back(id);
    if (direct) {
      done_.push_back(id);
      return;
    }
    MergeOp m;
    m.part_o = a.o;
    m.part_lse = a.lse;
    m.acc_o = acc_.view(q_rows, rq);
    m.acc_lse = lse_view(lse_acc_, t.qs, pc);
    m.init = last_merge_[unit] < 0;
    deps = {id};
    if (!m.init) deps.push_back(last_merge_[unit]);
    last_merge_[unit] = plan_.add_step(kComputeLane, "merge" + tag, m, std::move(deps));
  }

  // One copy of the accumulators of every merged query chunk into the output.
  void add_final_copy() {
    CopyOp copy;
    std::vector<int> deps;
    for (int qs = 0; qs < slots_; ++qs) {
      if (tiles_of_slot_[qs] == 1) continue;
      const Range rows{qs * c_, c_}, heads{0, hq_};
      copy.pairs.push_back(CopyOp::Pair{acc_.view(rows, heads), ring_.out.view(rows, heads)});
      for (int pi = 0; pi < np_; ++pi) deps.push_back(last_merge_[qs * np_ + pi]);
    }
    done_.push_back(plan_.add_step(kComputeLane, "o_final", std::move(copy), std::move(deps)));
  }

  Plan& plan_;
  const Problem& p_;
  const KvRing& ring_;
  const int r_;                      // ring members
  const std::vector<Range>& mine_;   // this rank's token chunks, by slot
  const int slots_;
  const int64_t c_, hq_;             // tokens per chunk, query heads of the ring
  const std::vector<HeadPiece> pieces_;
  const int np_;
  std::vector<std::vector<Tile>> tiles_;  // [step]
  std::vector<int> tiles_of_slot_;        // [query slot]: tiles over the whole ring
  bool any_merged_ = false;
  DenseTensor ring_k_[2], ring_v_[2];
  DenseTensor part_, acc_;
  int lse_part_ = -1, lse_acc_ = -1;
  std::vector<int> readers_[2];   // attentions that read ring buffer i since it was filled
  std::vector<int> last_merge_;   // [query slot * np + piece]: its last merge step, -1 before
  std::vector<int> done_;         // steps after which `out` is complete
  int arrived_ = -1;              // the exchange that filled the block of the current step
};

}  // namespace

std::vector<int> add_kv_ring(Plan& plan, const Problem& p, const KvRing& ring) {
  return RingBuilder(plan, p, ring).build();
}

void use_whole_shards(KvRing& ring, const Problem& p, const RoleTensors& roles) {
  ring.q = roles.q;
  ring.k = roles.k;
  ring.v = roles.v;
  ring.q_heads = Range{0, p.H};
  ring.kv_heads = Range{0, p.Hkv};
  ring.out = roles.o;
}

Plan world_kv_ring_plan(const Problem& p, int rank, const std::string& schedule, const TokenLayout& layout) {
  const std::vector<int> world = rank_list(0, p.P, 1);
  RoleTensors roles;
  Plan plan = start_plan(p, rank, schedule, layout(p, rank), {world}, &roles);
  KvRing ring;
  ring.group = 0;
  ring.members = world;
  ring.me = rank;
  for (int m = 0; m < p.P; ++m) ring.chunks.push_back(layout(p, m));
  use_whole_shards(ring, p, roles);
  add_kv_ring(plan, p, ring);
  return plan;
}

}  // namespace cpb
