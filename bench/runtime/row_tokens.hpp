// The global token of every local row of a plan's shard.
#pragma once

#include <cstdint>
#include <vector>

#include "bench/plan/plan.hpp"

namespace cpb {

// Expands Plan::tokens: element r is the global token held by local row r.
inline std::vector<int64_t> row_tokens(const std::vector<Range>& tokens) {
  std::vector<int64_t> rows;
  for (const Range& r : tokens)
    for (int64_t t = r.begin; t < r.end(); ++t) rows.push_back(t);
  return rows;
}

}  // namespace cpb
