// A problem's mask as regions: rectangles of (query tokens, key tokens), each full or
// causal with a diagonal offset and a window (kernels/tile_mask.hpp), disjoint, covering
// exactly the (query, key) pairs the mask allows. Schedules cut them to their own query
// and key ranges (clip_regions) and compute one attention tile per piece; verification
// and the plan checks ask them which keys a query sees.
//
// The patterns (Problem::mask, parameters in Problem::mask_params):
//  - full, causal: one region.
//  - block tables over `blocks` blocks (block i: tokens [i S / n, (i + 1) S / n)), cells
//    empty, full or causal (top-left aligned in the cell); UltraAttn's patterns:
//    strided (16 blocks): diagonal groups of `group` (4) blocks, in each a band of
//      `local` (3) blocks: cell (i, j) full iff i / group == j / group and
//      |i mod group - j mod group| < local;
//    global_local (16): cell (i, j) full iff i < global or j < global or |i - j| < local
//      (global 1, local 1);
//    star (4): cell (i, 0) full, (i, i) causal: the anchor block and each block itself;
//    streaming (8): causal diagonal, full sinks j < global (1) and the local band
//      i - local < j < i (local 3);
//    table: the cells given (Problem::mask_params.table).
//    The cells of one block row merge into as few regions as possible: a run of full
//    cells is one full region, and a run of full cells ending in a causal cell is one
//    causal region whose diagonal offset is that cell's start in the run.
//  - document: `docs` documents of near-equal length, or lengths `doc_tokens`; causal
//    inside each, nothing across them.
//  - block_causal: `frames` frames of near-equal length; a query sees every key of its
//    own frame and of the frames before it.
//  - sliding_window: causal, each query sees the `window` keys ending at itself.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "bench/problem.hpp"
#include "kernels/tile_mask.hpp"

namespace cpb {

struct MaskRegion {
  Range q, k;     // global tokens
  TileMask mask;  // relative to (q.begin, k.begin); every query row sees a key
};

// Why the mask of `p` cannot be built, or none: parameters out of range for S (more
// blocks, documents or frames than tokens; more than 4096 blocks per side; document lengths not summing to S; a table
// not square, with values other than 0, 1, 2, or a block row with no key).
Reason mask_error(const Problem& p);

// The regions of the mask of `p`, ordered by query start, then key start. Throws
// std::invalid_argument with mask_error()'s text when there is one.
std::vector<MaskRegion> mask_regions(const Problem& p);

// The pieces of `regions` inside query tokens q x key tokens k, each trimmed to the rows
// that see a key and the keys some row sees, made full when its band covers it and its
// window dropped when it never binds; in the order of `regions`.
std::vector<MaskRegion> clip_regions(const std::vector<MaskRegion>& regions, Range q, Range k);

// The query tokens where some region of `regions` starts or ends, sorted, each once.
std::vector<int64_t> row_cuts(const std::vector<MaskRegion>& regions);

// Each region cut at the query tokens `cuts` (sorted) that fall strictly inside its rows,
// into pieces trimmed like clip_regions', in order: afterwards two regions cut at each
// other's row_cuts have equal or disjoint query rows.
std::vector<MaskRegion> cut_rows(const std::vector<MaskRegion>& regions, const std::vector<int64_t>& cuts);

// Pairs a region allows (tile_pairs of its mask and extents).
double region_pairs(const MaskRegion& r);

// The keys [first, last) global query token t sees inside region r (first == last: none
// or t outside r's queries).
void region_row_keys(const MaskRegion& r, int64_t t, int64_t* first, int64_t* last);

// The keys global query token t sees under `regions`, as disjoint ranges [first, last) in
// increasing order, appended to `out` (the reference attention's KeyRanges).
void mask_row_keys(const std::vector<MaskRegion>& regions, int64_t t, std::vector<std::pair<int64_t, int64_t>>* out);

// The query tokens that see global key token u under `regions`, as disjoint ranges
// [first, last) in increasing order with adjacent ranges merged, appended to `out`: the
// transpose of mask_row_keys (the gradient references' rows of dK and dV).
void mask_key_rows(const std::vector<MaskRegion>& regions, int64_t u, std::vector<std::pair<int64_t, int64_t>>* out);

}  // namespace cpb
