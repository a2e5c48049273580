#include "bench/schedules/kv_ring_steps.hpp"

#include <stdexcept>
#include <string>
#include <utility>

namespace cpb {
namespace {

void require_dense(const DenseTensor& t, const char* what) {
  if (!t.dense()) throw std::logic_error(std::string("kv ring: ") + what + " must be a dense tensor");
}

}  // namespace

const std::vector<Range>& held_chunks(const KvRing& ring, int k) {
  const int r = static_cast<int>(ring.members.size());
  return ring.chunks[static_cast<size_t>((ring.me - k + r) % r)];
}

std::vector<std::vector<RingTile>> ring_tiles(const Problem& p, const KvRing& ring) {
  const int r = static_cast<int>(ring.members.size());
  const std::vector<Range>& mine = ring.chunks[static_cast<size_t>(ring.me)];
  const int slots = static_cast<int>(mine.size());
  const std::vector<MaskRegion> regions = mask_regions(p);
  std::vector<std::vector<std::vector<MaskRegion>>> cut(r);  // [step][qs * held chunks + ks]
  std::vector<std::vector<MaskRegion>> of_slot(slots);       // every tile of a query chunk
  for (int k = 0; k < r; ++k)
    for (int qs = 0; qs < slots; ++qs)
      for (const Range& kc : held_chunks(ring, k)) {
        cut[k].push_back(clip_regions(regions, mine[qs], kc));
        of_slot[qs].insert(of_slot[qs].end(), cut[k].back().begin(), cut[k].back().end());
      }
  std::vector<std::vector<RingTile>> tiles(r);
  for (int k = 0; k < r; ++k) {
    const std::vector<Range>& theirs = held_chunks(ring, k);
    const int nk = static_cast<int>(theirs.size());
    for (int qs = 0; qs < slots; ++qs)
      for (int ks = 0; ks < nk; ++ks) {
        const std::vector<MaskRegion> pieces = cut_rows(cut[k][qs * nk + ks], row_cuts(of_slot[qs]));
        for (size_t i = 0; i < pieces.size(); ++i) {
          const MaskRegion& m = pieces[i];
          const Range rows{m.q.begin - mine[qs].begin, m.q.size}, keys{m.k.begin - theirs[ks].begin, m.k.size};
          tiles[k].push_back(RingTile{qs, ks, rows, keys, m.mask, pieces.size() > 1 ? static_cast<int>(i) : -1});
        }
      }
  }
  return tiles;
}

MaskRegion global_tile(const KvRing& ring, int k, const RingTile& t) {
  const Range q_chunk = ring.chunks[static_cast<size_t>(ring.me)][static_cast<size_t>(t.qs)];
  const Range k_chunk = held_chunks(ring, k)[static_cast<size_t>(t.ks)];
  return MaskRegion{Range{q_chunk.begin + t.rows.begin, t.rows.size}, Range{k_chunk.begin + t.keys.begin, t.keys.size},
                    t.mask};
}

Range tile_q_rows(const RingTile& t, int64_t c) { return Range{t.qs * c + t.rows.begin, t.rows.size}; }
Range tile_k_rows(const RingTile& t, int64_t c) { return Range{t.ks * c + t.keys.begin, t.keys.size}; }

Range local_heads(Range heads, Range base) { return Range{heads.begin - base.begin, heads.size}; }

std::string ring_tile_tag(int step, int slots, const RingTile& t, size_t pieces, size_t piece) {
  std::string s = "i=" + std::to_string(step);
  if (slots > 1) s += ",q=" + std::to_string(t.qs) + ",kv=" + std::to_string(t.ks);
  if (t.n >= 0) s += ",t=" + std::to_string(t.n);
  if (pieces > 1) s += ",h=" + std::to_string(piece);
  return "[" + s + "]";
}

void HeldBlocks::add_buffers(Plan& plan, const std::string& name) {
  if (r_ < 2) return;
  for (int i = 0; i < 2; ++i) {
    const int buf =
        plan.add_buffer(name + std::to_string(i), Storage::Act, BufferRole::Scratch, ring_.k.elems() + ring_.v.elems());
    k_[i] = moved_to(ring_.k, buf, 0);
    v_[i] = moved_to(ring_.v, buf, ring_.k.elems());
  }
}

int HeldBlocks::add_pass(Plan& plan, int k, const std::string& label, std::vector<int> deps) {
  ExchangeOp ex = ring_send_recv(ring_, {whole_slice(this->k(k)), whole_slice(v(k))},
                                 {whole_slice(k_[k % 2]), whole_slice(v_[k % 2])});
  deps.insert(deps.end(), readers_[k % 2].begin(), readers_[k % 2].end());
  readers_[k % 2].clear();
  arrived_.resize(static_cast<size_t>(k + 1), -1);
  arrived_[static_cast<size_t>(k)] = plan.add_step(kCommLane, label, std::move(ex), std::move(deps));
  return arrived_[static_cast<size_t>(k)];
}

ExchangeOp ring_send_recv(const KvRing& ring, const std::vector<Slice>& sends, const std::vector<Slice>& recvs) {
  const int r = static_cast<int>(ring.members.size());
  const int next = ring.members[static_cast<size_t>((ring.me + 1) % r)];
  const int prev = ring.members[static_cast<size_t>((ring.me - 1 + r) % r)];
  ExchangeOp ex;
  ex.pattern = ExchangeOp::Pattern::SendRecv;
  ex.group = ring.group;
  for (const Slice& s : sends) ex.sends.push_back(Transfer{next, s});
  for (const Slice& s : recvs) ex.recvs.push_back(Transfer{prev, s});
  return ex;
}

Slice whole_slice(const DenseTensor& t) {
  require_dense(t, "a tensor sent or received whole");
  return Slice{t.buf, t.offset, t.elems()};
}

DenseTensor moved_to(DenseTensor t, int buf, int64_t offset) {
  require_dense(t, "a tensor given new storage");
  t.buf = buf;
  t.offset = offset;
  return t;
}

}  // namespace cpb
