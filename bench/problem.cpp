#include "bench/problem.hpp"

#include <cmath>

namespace cpb {

bool MaskParams::operator==(const MaskParams& o) const {
  return blocks == o.blocks && group == o.group && local == o.local && global == o.global && docs == o.docs &&
         doc_tokens == o.doc_tokens && frames == o.frames && window == o.window && table == o.table;
}

double Problem::softmax_scale() const { return 1.0 / std::sqrt(static_cast<double>(D)); }

nlohmann::json shape_json(const Problem& p) {
  return {{"P", p.P},   {"S", p.S},
          {"H", p.H},   {"Hkv", p.Hkv},
          {"D", p.D},   {"B", p.B},
          {"mask", to_string(p.mask)},
          {"dtype", to_string(p.dtype)}};
}

}  // namespace cpb
