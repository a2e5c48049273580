#include "bench/mask/mask_regions.hpp"

#include <algorithm>
#include <stdexcept>

#include "bench/mask_params.hpp"

namespace cpb {
namespace {

constexpr int kEmpty = 0, kFull = 1, kCausal = 2;
constexpr int kMaxBlocks = 4096;  // blocks per side of a block table (its cells are built as a table)

// Start of part i of n near-equal parts of [0, S).
int64_t part_start(int64_t i, int64_t n, int64_t S) { return i * S / n; }

// The pattern's own value of mask_blocks or mask_local, which 0 stands for
// (bench/mask_params.hpp); 0 for a pattern that does not read it.
int pattern_default(Mask m, const char* param) {
  const nlohmann::json d = mask_param_default(m, *find_mask_param(param));
  return d.is_number_integer() ? d.get<int>() : 0;
}

bool is_block_table(Mask m) {
  return m == Mask::Strided || m == Mask::GlobalLocal || m == Mask::Star || m == Mask::Streaming ||
         m == Mask::Table;
}

// The cells of a block-table pattern, [query block][key block].
std::vector<std::vector<int>> block_cells(const Problem& p) {
  const MaskParams& mp = p.mask_params;
  if (p.mask == Mask::Table) return mp.table;
  const int n = mp.blocks > 0 ? mp.blocks : pattern_default(p.mask, "mask_blocks");
  const int local = mp.local > 0 ? mp.local : pattern_default(p.mask, "mask_local");
  std::vector<std::vector<int>> c(static_cast<size_t>(n), std::vector<int>(static_cast<size_t>(n), kEmpty));
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      int& cell = c[static_cast<size_t>(i)][static_cast<size_t>(j)];
      switch (p.mask) {
        case Mask::Strided:
          if (i / mp.group == j / mp.group && std::abs(i % mp.group - j % mp.group) < local) cell = kFull;
          break;
        case Mask::GlobalLocal:
          if (i < mp.global || j < mp.global || std::abs(i - j) < local) cell = kFull;
          break;
        case Mask::Star:
          if (j == i) cell = kCausal;
          else if (j == 0) cell = kFull;
          break;
        case Mask::Streaming:
          if (j == i) cell = kCausal;
          else if (j < i && (j < mp.global || i - j < local)) cell = kFull;
          break;
        default: break;
      }
    }
  return c;
}

// One block row's regions: runs of full cells, a causal cell closing its run.
void add_block_row(const std::vector<int>& row, int i, int n, int64_t S, std::vector<MaskRegion>& out) {
  const Range q{part_start(i, n, S), part_start(i + 1, n, S) - part_start(i, n, S)};
  int j = 0;
  while (j < n) {
    if (row[static_cast<size_t>(j)] == kEmpty) {
      ++j;
      continue;
    }
    const int first = j;
    while (j < n && row[static_cast<size_t>(j)] == kFull) ++j;
    const bool causal = j < n && row[static_cast<size_t>(j)] == kCausal;
    if (causal) ++j;
    MaskRegion r;
    r.q = q;
    r.k = Range{part_start(first, n, S), part_start(j, n, S) - part_start(first, n, S)};
    if (causal) r.mask = TileMask{true, part_start(j - 1, n, S) - r.k.begin, 0};
    out.push_back(r);
  }
}

// Boundaries of the documents of `p`: size docs + 1, from 0 to S.
std::vector<int64_t> document_bounds(const Problem& p) {
  const MaskParams& mp = p.mask_params;
  std::vector<int64_t> b{0};
  if (!mp.doc_tokens.empty()) {
    for (const int64_t len : mp.doc_tokens) b.push_back(b.back() + len);
    return b;
  }
  for (int d = 1; d <= mp.docs; ++d) b.push_back(part_start(d, mp.docs, p.S));
  return b;
}

Reason table_error(const std::vector<std::vector<int>>& t) {
  if (t.empty())
    return std::string("the table is empty; give mask_table, a square array of 0 (empty), 1 (full), 2 (causal)");
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i].size() != t.size())
      return "row " + std::to_string(i) + " of the table has " + std::to_string(t[i].size()) +
             " cells; the table has " + std::to_string(t.size()) + " rows and must be square";
    bool any = false;
    for (size_t j = 0; j < t[i].size(); ++j) {
      const int v = t[i][j];
      if (v < kEmpty || v > kCausal)
        return "cell [" + std::to_string(i) + "][" + std::to_string(j) + "] is " + std::to_string(v) +
               "; allowed: 0 (empty), 1 (full), 2 (causal)";
      any = any || v != kEmpty;
    }
    if (!any) return "row " + std::to_string(i) + " of the table is empty: its queries would see no key";
  }
  return std::nullopt;
}

Reason count_error(const char* what, int64_t n, int64_t S) {
  if (n < 1) return std::string(what) + " is " + std::to_string(n) + "; allowed: integers >= 1";
  if (n > S) return std::string(what) + " " + std::to_string(n) + " exceeds S=" + std::to_string(S) + " tokens";
  return std::nullopt;
}

}  // namespace

Reason mask_error(const Problem& p) {
  const MaskParams& mp = p.mask_params;
  if (is_block_table(p.mask)) {
    if (p.mask == Mask::Table) {
      if (Reason e = table_error(mp.table)) return "mask table: " + *e;
      return count_error("mask table size", static_cast<int64_t>(mp.table.size()), p.S);
    }
    const int n = mp.blocks > 0 ? mp.blocks : pattern_default(p.mask, "mask_blocks");
    if (Reason e = count_error("mask_blocks", n, p.S)) return e;
    if (n > kMaxBlocks)  // the table has n^2 cells
      return "mask_blocks " + std::to_string(n) + " exceeds " + std::to_string(kMaxBlocks);
    if (p.mask == Mask::Strided && (mp.group < 1 || n % mp.group != 0))
      return "mask_group " + std::to_string(mp.group) + " must divide mask_blocks " + std::to_string(n);
    if (mp.local < 0) return "mask_local " + std::to_string(mp.local) + " is negative; 0 takes the pattern's default";
    if ((p.mask == Mask::GlobalLocal || p.mask == Mask::Streaming) && mp.global < 0)
      return "mask_global " + std::to_string(mp.global) + " is negative";
    return std::nullopt;
  }
  switch (p.mask) {
    case Mask::Document: {
      if (mp.doc_tokens.empty()) return count_error("mask_docs", mp.docs, p.S);
      int64_t sum = 0;
      for (size_t d = 0; d < mp.doc_tokens.size(); ++d) {
        if (mp.doc_tokens[d] < 1)
          return "mask_doc_tokens[" + std::to_string(d) + "] is " + std::to_string(mp.doc_tokens[d]) +
                 "; documents have >= 1 token";
        if (mp.doc_tokens[d] > p.S - sum)  // before adding: the sum never overflows
          return "mask_doc_tokens sum to more than S=" + std::to_string(p.S) + " tokens";
        sum += mp.doc_tokens[d];
      }
      if (sum != p.S)
        return "mask_doc_tokens sum to " + std::to_string(sum) + " tokens, not S=" + std::to_string(p.S);
      return std::nullopt;
    }
    case Mask::BlockCausal: return count_error("mask_frames", mp.frames, p.S);
    case Mask::SlidingWindow:
      if (mp.window < 1) return "mask_window is " + std::to_string(mp.window) + "; allowed: integers >= 1";
      return std::nullopt;
    default: return std::nullopt;
  }
}

std::vector<MaskRegion> mask_regions(const Problem& p) {
  if (Reason e = mask_error(p)) throw std::invalid_argument("mask " + std::string(to_string(p.mask)) + ": " + *e);
  const int64_t S = p.S;
  std::vector<MaskRegion> out;
  if (is_block_table(p.mask)) {
    const std::vector<std::vector<int>> cells = block_cells(p);
    const int n = static_cast<int>(cells.size());
    for (int i = 0; i < n; ++i) add_block_row(cells[static_cast<size_t>(i)], i, n, S, out);
    return out;
  }
  switch (p.mask) {
    case Mask::Full: out.push_back(MaskRegion{{0, S}, {0, S}, TileMask{}}); break;
    case Mask::Causal: out.push_back(MaskRegion{{0, S}, {0, S}, TileMask{true, 0, 0}}); break;
    case Mask::SlidingWindow:
      out.push_back(MaskRegion{{0, S}, {0, S}, TileMask{true, 0, p.mask_params.window < S ? p.mask_params.window : 0}});
      break;
    case Mask::Document: {
      const std::vector<int64_t> b = document_bounds(p);
      for (size_t d = 0; d + 1 < b.size(); ++d) {
        const Range doc{b[d], b[d + 1] - b[d]};
        out.push_back(MaskRegion{doc, doc, TileMask{true, 0, 0}});
      }
      break;
    }
    case Mask::BlockCausal:
      for (int f = 0; f < p.mask_params.frames; ++f) {
        const int64_t begin = part_start(f, p.mask_params.frames, S), end = part_start(f + 1, p.mask_params.frames, S);
        out.push_back(MaskRegion{{begin, end - begin}, {0, end}, TileMask{}});
      }
      break;
    default: break;
  }
  return out;
}

std::vector<MaskRegion> clip_regions(const std::vector<MaskRegion>& regions, Range q, Range k) {
  std::vector<MaskRegion> out;
  for (const MaskRegion& r : regions) {
    int64_t qa = std::max(r.q.begin, q.begin), qb = std::min(r.q.end(), q.end());
    int64_t ka = std::max(r.k.begin, k.begin), kb = std::min(r.k.end(), k.end());
    if (qa >= qb || ka >= kb) continue;
    if (!r.mask.causal) {
      out.push_back(MaskRegion{{qa, qb - qa}, {ka, kb - ka}, TileMask{}});
      continue;
    }
    // Global form: query t sees key u iff u <= t + dg (and u > t + dg - w with a window).
    const int64_t dg = r.k.begin - r.q.begin + r.mask.diag, w = r.mask.window;
    qa = std::max(qa, ka - dg);                       // rows that see a key at or after ka
    if (w > 0) qb = std::min(qb, kb - dg + w - 1);    // rows whose first key lies before kb
    if (qa >= qb) continue;
    kb = std::min(kb, qb - 1 + dg + 1);               // keys some row sees
    if (w > 0) ka = std::max(ka, qa + dg - w + 1);
    MaskRegion c{{qa, qb - qa}, {ka, kb - ka}, TileMask{true, qa + dg - ka, w}};
    const int64_t sq = c.q.size, skv = c.k.size;
    const bool window_binds = w > 0 && sq - 1 + c.mask.diag - w + 1 > 0;
    if (!window_binds) c.mask.window = 0;
    if (c.mask.diag >= skv - 1 && !window_binds) c.mask = TileMask{};
    out.push_back(c);
  }
  return out;
}

std::vector<int64_t> row_cuts(const std::vector<MaskRegion>& regions) {
  std::vector<int64_t> cuts;
  for (const MaskRegion& r : regions) {
    cuts.push_back(r.q.begin);
    cuts.push_back(r.q.end());
  }
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  return cuts;
}

std::vector<MaskRegion> cut_rows(const std::vector<MaskRegion>& regions, const std::vector<int64_t>& cuts) {
  std::vector<MaskRegion> out;
  for (const MaskRegion& r : regions) {
    int64_t begin = r.q.begin;
    auto it = std::upper_bound(cuts.begin(), cuts.end(), begin);
    while (begin < r.q.end()) {
      const int64_t end = it != cuts.end() && *it < r.q.end() ? *(it++) : r.q.end();
      for (const MaskRegion& piece : clip_regions({r}, Range{begin, end - begin}, r.k)) out.push_back(piece);
      begin = end;
    }
  }
  return out;
}

double region_pairs(const MaskRegion& r) { return tile_pairs(r.mask, r.q.size, r.k.size); }

void region_row_keys(const MaskRegion& r, int64_t t, int64_t* first, int64_t* last) {
  *first = *last = 0;
  if (t < r.q.begin || t >= r.q.end()) return;
  row_keys(r.mask, t - r.q.begin, r.k.size, first, last);
  *first += r.k.begin;
  *last += r.k.begin;
}

void mask_row_keys(const std::vector<MaskRegion>& regions, int64_t t, std::vector<std::pair<int64_t, int64_t>>* out) {
  const size_t start = out->size();
  for (const MaskRegion& r : regions) {
    int64_t first = 0, last = 0;
    region_row_keys(r, t, &first, &last);
    if (first < last) out->emplace_back(first, last);
  }
  std::sort(out->begin() + static_cast<std::ptrdiff_t>(start), out->end());
}

void mask_key_rows(const std::vector<MaskRegion>& regions, int64_t u, std::vector<std::pair<int64_t, int64_t>>* out) {
  const size_t start = out->size();
  for (const MaskRegion& r : regions) {
    if (u < r.k.begin || u >= r.k.end()) continue;
    int64_t first = 0, last = 0;
    col_rows(r.mask, u - r.k.begin, r.q.size, &first, &last);
    if (first < last) out->emplace_back(r.q.begin + first, r.q.begin + last);
  }
  std::sort(out->begin() + static_cast<std::ptrdiff_t>(start), out->end());
  // The regions are disjoint, so the ranges only touch: merge those that do.
  size_t kept = start;
  for (size_t i = start; i < out->size(); ++i) {
    if (kept > start && (*out)[kept - 1].second == (*out)[i].first)
      (*out)[kept - 1].second = (*out)[i].second;
    else
      (*out)[kept++] = (*out)[i];
  }
  out->resize(kept);
}

}  // namespace cpb
