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

}  // namespace

std::vector<int> add_kv_ring(Plan& plan, const Problem& p, const KvRing& ring) {
  const int r = static_cast<int>(ring.members.size());
  const std::vector<Range>& mine = ring.chunks[ring.me];
  const int slots = static_cast<int>(mine.size());
  const int64_t c = mine[0].size, B = p.B, hq = ring.q_heads.size;
  const std::vector<HeadPiece> pieces = gqa_pieces(ring.q_heads, p.group_size());
  const int np = static_cast<int>(pieces.size());

  // Tiles of every step, and how many tiles each query chunk gets over the whole ring.
  std::vector<std::vector<Tile>> tiles(r);
  std::vector<int> tiles_of_slot(slots, 0);
  bool any_merged = false;
  for (int k = 0; k < r; ++k) {
    const std::vector<Range>& theirs = ring.chunks[(ring.me - k + r) % r];
    for (int qs = 0; qs < slots; ++qs)
      for (int ks = 0; ks < static_cast<int>(theirs.size()); ++ks)
        if (std::optional<Tile> t = classify(p.mask, mine[qs], theirs[ks], qs, ks)) {
          tiles[k].push_back(*t);
          any_merged |= ++tiles_of_slot[qs] > 1;
        }
  }

  DenseTensor ring_k[2], ring_v[2];
  if (r > 1)
    for (int i = 0; i < 2; ++i) {
      const int buf = plan.add_buffer("kv_ring" + std::to_string(i), Storage::Act, BufferRole::Scratch,
                                      ring.k.elems() + ring.v.elems());
      ring_k[i] = moved(ring.k, buf, 0);
      ring_v[i] = moved(ring.v, buf, ring.k.elems());
    }
  DenseTensor part, acc;
  int lse_part = -1, lse_acc = -1;
  if (any_merged) {
    const int64_t rows = slots * c;
    part = DenseTensor{
        plan.add_buffer("o_part", Storage::Act, BufferRole::Scratch, B * rows * hq * p.D), 0, B, rows, hq, p.D};
    acc = moved(part, plan.add_buffer("o_acc", Storage::F32, BufferRole::Scratch, part.elems()), 0);
    lse_part = plan.add_buffer("lse_part", Storage::F32, BufferRole::Scratch, B * hq * rows);
    lse_acc = plan.add_buffer("lse_acc", Storage::F32, BufferRole::Scratch, B * hq * rows);
  }
  // Dense LSE [B, piece heads, c, 1] of one (query chunk, piece).
  auto lse_view = [&](int buf, int qs, const HeadPiece& pc) {
    return dense_view(buf, B * c * (qs * hq + pc.q.begin - ring.q_heads.begin), {B, pc.q.size, c, 1});
  };

  std::vector<int> readers[2];  // attentions that read ring buffer i since it was filled
  std::vector<int> last_merge(slots * np, -1);
  std::vector<int> done;
  int arrived = -1;  // the exchange that filled the block of the current step
  for (int k = 0; k < r; ++k) {
    const DenseTensor& hold_k = k == 0 ? ring.k : ring_k[(k - 1) % 2];
    const DenseTensor& hold_v = k == 0 ? ring.v : ring_v[(k - 1) % 2];
    const std::vector<int> ready = k == 0 ? ring.ready : std::vector<int>{arrived};
    if (k + 1 < r) {
      ExchangeOp ex;
      ex.pattern = ExchangeOp::Pattern::SendRecv;
      ex.group = ring.group;
      const int next = ring.members[(ring.me + 1) % r], prev = ring.members[(ring.me - 1 + r) % r];
      ex.sends = {Transfer{next, whole(hold_k)}, Transfer{next, whole(hold_v)}};
      ex.recvs = {Transfer{prev, whole(ring_k[k % 2])}, Transfer{prev, whole(ring_v[k % 2])}};
      std::vector<int> deps = ready;
      deps.insert(deps.end(), readers[k % 2].begin(), readers[k % 2].end());
      readers[k % 2].clear();
      arrived = plan.add_step(kCommLane, "kv_pass[i=" + std::to_string(k) + "]", std::move(ex), std::move(deps));
    }
    const std::vector<Range>& theirs = ring.chunks[(ring.me - k + r) % r];
    for (const Tile& t : tiles[k])
      for (int pi = 0; pi < np; ++pi) {
        const HeadPiece& pc = pieces[pi];
        const Range rq{pc.q.begin - ring.q_heads.begin, pc.q.size};
        const Range rkv{pc.kv.begin - ring.kv_heads.begin, pc.kv.size};
        const Range q_rows{t.qs * c, c}, k_rows{t.ks * c, c};
        const bool direct = tiles_of_slot[t.qs] == 1;
        const int unit = t.qs * np + pi;
        AttentionOp a;
        a.q = ring.q.view(q_rows, rq);
        a.k = hold_k.view(k_rows, rkv);
        a.v = hold_v.view(k_rows, rkv);
        a.o = direct ? ring.out.view(q_rows, rq) : part.view(q_rows, rq);
        a.has_lse = !direct;
        if (!direct) a.lse = lse_view(lse_part, t.qs, pc);
        a.causal = t.causal;
        a.scale = static_cast<float>(p.softmax_scale());
        a.heads = pc.q;
        a.q_tokens = mine[t.qs];
        a.k_tokens = theirs[t.ks];
        std::vector<int> deps = ready;
        if (!direct && last_merge[unit] >= 0) deps.push_back(last_merge[unit]);  // part is free again
        const std::string tag = tags(k, slots, t, pieces.size(), pi);
        const int id = plan.add_step(kComputeLane, "attn" + tag, a, std::move(deps));
        if (k > 0) readers[(k - 1) % 2].push_back(id);
        if (direct) {
          done.push_back(id);
          continue;
        }
        MergeOp m;
        m.part_o = a.o;
        m.part_lse = a.lse;
        m.acc_o = acc.view(q_rows, rq);
        m.acc_lse = lse_view(lse_acc, t.qs, pc);
        m.init = last_merge[unit] < 0;
        deps = {id};
        if (!m.init) deps.push_back(last_merge[unit]);
        last_merge[unit] = plan.add_step(kComputeLane, "merge" + tag, m, std::move(deps));
      }
  }

  if (any_merged) {
    CopyOp copy;
    std::vector<int> deps;
    for (int qs = 0; qs < slots; ++qs) {
      if (tiles_of_slot[qs] == 1) continue;
      const Range rows{qs * c, c}, heads{0, hq};
      copy.pairs.push_back(CopyOp::Pair{acc.view(rows, heads), ring.out.view(rows, heads)});
      for (int pi = 0; pi < np; ++pi) deps.push_back(last_merge[qs * np + pi]);
    }
    done.push_back(plan.add_step(kComputeLane, "o_final", std::move(copy), std::move(deps)));
  }
  return done;
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
