#include "bench/schedules/layout.hpp"

#include <algorithm>
#include <stdexcept>

#include "bench/mask/mask_regions.hpp"

namespace cpb {

std::vector<Range> even_split(int64_t n, int parts) {
  std::vector<Range> out;
  out.reserve(parts);
  const int64_t base = n / parts, extra = n % parts;
  int64_t begin = 0;
  for (int i = 0; i < parts; ++i) {
    const int64_t size = base + (i < extra ? 1 : 0);
    out.push_back(Range{begin, size});
    begin += size;
  }
  return out;
}

Range kv_heads_for(Range q_heads, int group_size) {
  const int64_t first = q_heads.begin / group_size;
  const int64_t last = (q_heads.end() - 1) / group_size;
  return Range{first, last - first + 1};
}

std::vector<HeadPiece> gqa_pieces(Range q_heads, int group_size) {
  const int64_t g = group_size;
  std::vector<HeadPiece> out;
  int64_t a = q_heads.begin;
  const int64_t b = q_heads.end();
  auto emit = [&](int64_t end) {
    const Range q{a, end - a};
    out.push_back(HeadPiece{q, kv_heads_for(q, group_size)});
    a = end;
  };
  if (a % g != 0) emit(std::min(b, (a / g + 1) * g));  // partial leading group
  if (a < b && b / g * g > a) emit(b / g * g);         // whole groups
  if (a < b) emit(b);                                  // partial trailing group
  return out;
}

Range contiguous_tokens(const Problem& p, int rank) {
  const int64_t n = p.S / p.P;
  return Range{rank * n, n};
}

std::vector<Range> zigzag_tokens(const Problem& p, int rank) {
  const int64_t c = p.S / (2 * p.P);
  return {Range{rank * c, c}, Range{(2 * p.P - 1 - rank) * c, c}};
}

int head_chunk_count(const Problem& p) {
  return p.chunk_heads.empty() ? p.chunks : static_cast<int>(p.chunk_heads.size());
}

std::vector<Range> taper_split(int64_t n, int parts) {
  if (parts < 3) return even_split(n, parts);
  const int64_t ends = std::max<int64_t>(1, (n + parts - 2) / (2 * (parts - 1)));
  std::vector<Range> out = {Range{0, ends}};
  for (const Range& r : even_split(n - 2 * ends, parts - 2)) out.push_back(Range{ends + r.begin, r.size});
  out.push_back(Range{n - ends, ends});
  return out;
}

std::vector<Range> head_chunks(const Problem& p, Range rank_heads) {
  std::vector<Range> out;
  if (p.chunk_heads.empty()) {
    const bool taper = p.chunk_shape == ChunkShape::Taper;
    for (const Range& r : taper ? taper_split(rank_heads.size, p.chunks) : even_split(rank_heads.size, p.chunks))
      out.push_back(Range{rank_heads.begin + r.begin, r.size});
    return out;
  }
  int64_t begin = rank_heads.begin;
  for (int h : p.chunk_heads) {
    out.push_back(Range{begin, h});
    begin += h;
  }
  return out;
}

Reason hcms_split_error(const Problem& p, int64_t heads, int rank, const char* schedule) {
  const std::string tail = std::string(" (") + schedule + ")";
  if (p.chunk_heads.empty()) {
    if (p.chunks < 1) return "chunks=" + std::to_string(p.chunks) + " must be at least 1" + tail;
    if (p.chunks > heads)
      return "chunks=" + std::to_string(p.chunks) + " exceeds the " + std::to_string(heads) + " query heads of rank " +
             std::to_string(rank) + tail;
    return std::nullopt;
  }
  const int n = static_cast<int>(p.chunk_heads.size());
  if (p.chunks != 1 && p.chunks != n)
    return "chunks=" + std::to_string(p.chunks) + " disagrees with chunk_heads, which lists " + std::to_string(n) +
           " chunks" + tail;
  int64_t sum = 0;
  for (int i = 0; i < n; ++i) {
    if (p.chunk_heads[i] < 1)
      return "chunk_heads[" + std::to_string(i) + "]=" + std::to_string(p.chunk_heads[i]) + " must be at least 1" +
             tail;
    sum += p.chunk_heads[i];
  }
  if (sum != heads)
    return "chunk_heads sums to " + std::to_string(sum) + " but rank " + std::to_string(rank) + " holds " +
           std::to_string(heads) + " query heads" + tail;
  return std::nullopt;
}

Reason basic_problem_error(const Problem& p, const char* schedule) {
  const std::string tail = std::string(" (") + schedule + ")";
  const std::pair<const char*, int64_t> sizes[] = {{"P", p.P},     {"S", p.S}, {"H", p.H},
                                                   {"Hkv", p.Hkv}, {"D", p.D}, {"B", p.B}};
  for (const auto& s : sizes)
    if (s.second < 1) return std::string(s.first) + "=" + std::to_string(s.second) + " must be at least 1" + tail;
  if (p.H % p.Hkv != 0) return "H=" + std::to_string(p.H) + " is not divisible by Hkv=" + std::to_string(p.Hkv) + tail;
  return std::nullopt;
}

Reason divisibility_error(const Problem& p, int64_t divisor, const char* divisor_name,
                                              const char* schedule) {
  if (p.S % divisor == 0) return std::nullopt;
  return "S=" + std::to_string(p.S) + " is not divisible by " + divisor_name + "=" + std::to_string(divisor) + " (" +
         schedule + ")";
}

Reason sequence_shard_error(const Problem& p, int64_t divisor, const char* divisor_name,
                                                const char* schedule) {
  if (auto e = basic_problem_error(p, schedule)) return e;
  return divisibility_error(p, divisor, divisor_name, schedule);
}

Reason head_shard_error(const Problem& p, const char* schedule) {
  if (auto e = sequence_shard_error(p, p.P, "P", schedule)) return e;
  if (p.H < p.P)
    return "H=" + std::to_string(p.H) + " is less than P=" + std::to_string(p.P) +
           ": every rank needs at least one query head (" + schedule + ")";
  return std::nullopt;
}

double block_pairs(const Problem& p, Range q, Range k) {
  double pairs = 0;
  for (const MaskRegion& r : clip_regions(mask_regions(p), q, k)) pairs += region_pairs(r);
  return pairs;
}

View DenseTensor::view(Range tokens, Range heads) const {
  const int64_t row = row_heads() * D;
  View v;
  v.buf = buf;
  v.offset = offset + tokens.begin * row + heads.begin * D;
  v.shape = {B, tokens.size, heads.size, D};
  v.stride = {S * row, row, D, 1};
  return v;
}

Slice DenseTensor::rows(int64_t b, Range tokens) const {
  if (!dense()) throw std::logic_error("DenseTensor::rows: the rows of a pitched tensor are not contiguous");
  return Slice{buf, offset + (b * S + tokens.begin) * H * D, tokens.size * H * D};
}

DenseTensor DenseTensor::head_range(Range heads) const {
  DenseTensor t = *this;
  t.offset = offset + heads.begin * D;
  t.H = heads.size;
  t.pitch = row_heads();
  return t;
}

Plan start_plan(const Problem& p, int rank, const std::string& schedule, std::vector<Range> tokens,
                std::vector<std::vector<int>> groups, RoleTensors* roles) {
  Plan plan;
  plan.schedule = schedule;
  plan.rank = rank;
  plan.world = p.P;
  plan.add_lane("compute");
  plan.add_lane("comm");
  plan.groups = std::move(groups);
  plan.tokens = std::move(tokens);
  const int64_t n = plan.local_tokens();
  const int64_t q_elems = p.B * n * p.H * p.D, kv_elems = p.B * n * p.Hkv * p.D;
  roles->q = DenseTensor{plan.add_buffer("q", Storage::Act, BufferRole::Q, q_elems), 0, p.B, n, p.H, p.D};
  roles->k = DenseTensor{plan.add_buffer("k", Storage::Act, BufferRole::K, kv_elems), 0, p.B, n, p.Hkv, p.D};
  roles->v = DenseTensor{plan.add_buffer("v", Storage::Act, BufferRole::V, kv_elems), 0, p.B, n, p.Hkv, p.D};
  roles->o = DenseTensor{plan.add_buffer("o", Storage::Act, BufferRole::O, q_elems), 0, p.B, n, p.H, p.D};
  if (!p.backward()) return plan;
  roles->dout = DenseTensor{plan.add_buffer("do", Storage::Act, BufferRole::DO, q_elems), 0, p.B, n, p.H, p.D};
  roles->dq = DenseTensor{plan.add_buffer("dq", Storage::Act, BufferRole::DQ, q_elems), 0, p.B, n, p.H, p.D};
  roles->dk = DenseTensor{plan.add_buffer("dk", Storage::Act, BufferRole::DK, kv_elems), 0, p.B, n, p.Hkv, p.D};
  roles->dv = DenseTensor{plan.add_buffer("dv", Storage::Act, BufferRole::DV, kv_elems), 0, p.B, n, p.Hkv, p.D};
  return plan;
}

std::vector<int> rank_list(int first, int count, int stride) {
  std::vector<int> out;
  for (int i = 0; i < count; ++i) out.push_back(first + i * stride);
  return out;
}

}  // namespace cpb
