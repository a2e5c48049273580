// Which keys the query rows of one attention tile see: the mask primitive every kernel,
// the plans and the masks of bench/mask/ share.
//
// A tile of Sq query rows and Skv key rows is full (every row sees every key) or causal
// with a diagonal offset and an optional window: query i (tile-local) sees key j iff
//   j <= i + diag   and, when window > 0,   j > i + diag - window.
// diag = 0, window = 0 with Sq == Skv is the classic top-left causal square. A tile is
// valid when every query row sees at least one key (tile_mask_error).
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>

namespace cpb {

struct TileMask {
  bool causal = false;
  int64_t diag = 0;    // causal only: query i sees keys up to i + diag
  int64_t window = 0;  // causal only: > 0 limits row i to the `window` keys ending at i + diag

  bool operator==(const TileMask& o) const { return causal == o.causal && diag == o.diag && window == o.window; }
  bool operator!=(const TileMask& o) const { return !(*this == o); }
};

// The keys [first, last) query row i of a tile of Skv keys sees (first == last: none).
inline void row_keys(const TileMask& m, int64_t i, int64_t Skv, int64_t* first, int64_t* last) {
  if (!m.causal) {
    *first = 0;
    *last = Skv;
    return;
  }
  *last = std::min(Skv, std::max<int64_t>(0, i + m.diag + 1));
  *first = m.window > 0 ? std::min(*last, std::max<int64_t>(0, i + m.diag - m.window + 1)) : 0;
}

// The query rows [first, last) of a tile of Sq rows that see key column j (first == last:
// none), the transpose of row_keys: j <= i + diag gives i >= j - diag, and a window
// j > i + diag - window gives i < j - diag + window.
inline void col_rows(const TileMask& m, int64_t j, int64_t Sq, int64_t* first, int64_t* last) {
  if (!m.causal) {
    *first = 0;
    *last = Sq;
    return;
  }
  *first = std::min(Sq, std::max<int64_t>(0, j - m.diag));
  *last = m.window > 0 ? std::max(*first, std::min(Sq, j - m.diag + m.window)) : Sq;
}

// Query-key pairs the tile allows: sum over its rows of the keys each sees.
inline double tile_pairs(const TileMask& m, int64_t Sq, int64_t Skv) {
  if (!m.causal) return static_cast<double>(Sq) * static_cast<double>(Skv);
  if (m.window == 0 && m.diag == 0 && Sq <= Skv) return static_cast<double>(Sq) * static_cast<double>(Sq + 1) / 2;
  double pairs = 0;
  for (int64_t i = 0; i < Sq; ++i) {
    int64_t first = 0, last = 0;
    row_keys(m, i, Skv, &first, &last);
    pairs += static_cast<double>(last - first);
  }
  return pairs;
}

// Why `m` is not a valid mask of a tile of Sq x Skv, or "": the window and the offset
// must be >= 0 and every row must see a key (row 0 sees key 0 .. diag; with a window,
// the last row's first key i + diag - window + 1 must lie inside the tile).
inline std::string tile_mask_error(const TileMask& m, int64_t Sq, int64_t Skv) {
  if (!m.causal) {
    if (m.diag != 0 || m.window != 0) return "a full tile has no diagonal offset or window";
    return "";
  }
  if (m.window < 0) return "causal tile window " + std::to_string(m.window) + " is negative";
  if (m.diag < 0) return "causal tile diagonal offset " + std::to_string(m.diag) + " leaves query row 0 no key";
  if (m.window > 0 && Sq - 1 + m.diag - m.window + 1 > Skv - 1)
    return "causal tile (offset " + std::to_string(m.diag) + ", window " + std::to_string(m.window) +
           ") leaves its last query row no key among " + std::to_string(Skv);
  return "";
}

// "full", "causal", "causal+3", "causal+3 window 64": for tables and plan text.
inline std::string to_string(const TileMask& m) {
  if (!m.causal) return "full";
  std::string s = "causal";
  if (m.diag != 0) s += (m.diag > 0 ? "+" : "") + std::to_string(m.diag);
  if (m.window > 0) s += " window " + std::to_string(m.window);
  return s;
}

}  // namespace cpb
