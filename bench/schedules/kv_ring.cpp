#include "bench/schedules/kv_ring.hpp"

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "bench/mask/mask_regions.hpp"
#include "bench/schedules/tile_outputs.hpp"

namespace cpb {
namespace {

// One attention tile of a ring step: rows `rows` of query chunk `qs` of this rank against
// keys `keys` of key chunk `ks` of the block held at that step (chunk-local ranges), under
// the tile mask the problem's mask gives them.
struct Tile {
  int qs = 0, ks = 0;
  Range rows, keys;
  TileMask mask;
  int n = -1;  // its number among the tiles of its (query chunk, key chunk) pair, when there are several
};

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
  if (t.n >= 0) s += ",t=" + std::to_string(t.n);
  if (pieces > 1) s += ",h=" + std::to_string(piece);
  return "[" + s + "]";
}

// Builds one ring into a plan: the tiles of every step first (which query rows merge),
// then the buffers, then the steps in ring order, then the final copy.
class RingBuilder {
 public:
  RingBuilder(Plan& plan, const Problem& p, const KvRing& ring)
      : plan_(plan), p_(p), ring_(ring), r_(static_cast<int>(ring.members.size())),
        mine_(ring.chunks[ring.me]), slots_(static_cast<int>(mine_.size())), c_(mine_[0].size),
        pieces_(gqa_pieces(ring.q_heads, p.group_size())), np_(static_cast<int>(pieces_.size())),
        outputs_(p, ring.out, slots_, c_, ring.q_heads, pieces_) {}

  std::vector<int> build() {
    classify_tiles();
    add_buffers();
    for (int k = 0; k < r_; ++k) add_ring_step(k);
    return outputs_.finish(plan_);
  }

 private:
  const std::vector<Range>& held_chunks(int k) const { return ring_.chunks[(ring_.me - k + r_) % r_]; }

  // Tiles of every step: the mask's regions cut to each (query chunk, held key chunk),
  // then at each other's row boundaries within the query chunk (tile_outputs.hpp).
  void classify_tiles() {
    const std::vector<MaskRegion> regions = mask_regions(p_);
    std::vector<std::vector<std::vector<MaskRegion>>> cut(r_);  // [step][qs * held chunks + ks]
    std::vector<std::vector<MaskRegion>> of_slot(slots_);        // every tile of a query chunk
    for (int k = 0; k < r_; ++k) {
      const std::vector<Range>& theirs = held_chunks(k);
      for (int qs = 0; qs < slots_; ++qs)
        for (const Range& kc : theirs) {
          cut[k].push_back(clip_regions(regions, mine_[qs], kc));
          of_slot[qs].insert(of_slot[qs].end(), cut[k].back().begin(), cut[k].back().end());
        }
    }
    tiles_.resize(r_);
    for (int k = 0; k < r_; ++k) {
      const std::vector<Range>& theirs = held_chunks(k);
      const int nk = static_cast<int>(theirs.size());
      for (int qs = 0; qs < slots_; ++qs)
        for (int ks = 0; ks < nk; ++ks) {
          const std::vector<MaskRegion> pieces = cut_rows(cut[k][qs * nk + ks], row_cuts(of_slot[qs]));
          for (size_t i = 0; i < pieces.size(); ++i) {
            const MaskRegion& m = pieces[i];
            const Range rows{m.q.begin - mine_[qs].begin, m.q.size}, keys{m.k.begin - theirs[ks].begin, m.k.size};
            tiles_[k].push_back(Tile{qs, ks, rows, keys, m.mask, pieces.size() > 1 ? static_cast<int>(i) : -1});
            outputs_.declare(qs, rows);
          }
        }
    }
  }

  // The two ring buffers (r > 1) and the outputs' partials when some query rows merge.
  void add_buffers() {
    if (r_ > 1)
      for (int i = 0; i < 2; ++i) {
        const int buf = plan_.add_buffer("kv_ring" + std::to_string(i), Storage::Act, BufferRole::Scratch,
                                         ring_.k.elems() + ring_.v.elems());
        ring_k_[i] = moved(ring_.k, buf, 0);
        ring_v_[i] = moved(ring_.v, buf, ring_.k.elems());
      }
    outputs_.add_buffers(plan_);
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

  // The attention of tile `t`, GQA piece `pi`, at step k, written where outputs_ says.
  void add_tile(int k, const Tile& t, int pi, const DenseTensor& hold_k, const DenseTensor& hold_v,
                const std::vector<int>& ready) {
    const HeadPiece& pc = pieces_[pi];
    const Range rq{pc.q.begin - ring_.q_heads.begin, pc.q.size};
    const Range rkv{pc.kv.begin - ring_.kv_heads.begin, pc.kv.size};
    const Range q_rows{t.qs * c_ + t.rows.begin, t.rows.size}, k_rows{t.ks * c_ + t.keys.begin, t.keys.size};
    const TileOutputs::Target out = outputs_.target(t.qs, t.rows, pi);
    const MaskRegion tile{Range{mine_[t.qs].begin + t.rows.begin, t.rows.size},
                          Range{held_chunks(k)[t.ks].begin + t.keys.begin, t.keys.size}, t.mask};
    const AttentionOp a = tile_attention(p_, ring_.q.view(q_rows, rq), hold_k.view(k_rows, rkv),
                                         hold_v.view(k_rows, rkv), out, tile, pc.q);
    std::vector<int> deps = ready;
    deps.insert(deps.end(), out.deps.begin(), out.deps.end());  // the partial is free again
    const std::string tag = tags(k, slots_, t, pieces_.size(), pi);
    const int id = plan_.add_step(kComputeLane, "attn" + tag, a, std::move(deps));
    if (k > 0) readers_[(k - 1) % 2].push_back(id);
    outputs_.after(plan_, id, out, t.qs, t.rows, pi, tag);
  }

  Plan& plan_;
  const Problem& p_;
  const KvRing& ring_;
  const int r_;                      // ring members
  const std::vector<Range>& mine_;   // this rank's token chunks, by slot
  const int slots_;
  const int64_t c_;                  // tokens per chunk
  const std::vector<HeadPiece> pieces_;
  const int np_;
  TileOutputs outputs_;
  std::vector<std::vector<Tile>> tiles_;  // [step]
  DenseTensor ring_k_[2], ring_v_[2];
  std::vector<int> readers_[2];   // attentions that read ring buffer i since it was filled
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
