#include "bench/problem.hpp"

#include <cmath>
#include <utility>

#include "bench/mask_params.hpp"

namespace cpb {

bool MaskParams::operator==(const MaskParams& o) const {
  return blocks == o.blocks && group == o.group && local == o.local && global == o.global && docs == o.docs &&
         doc_tokens == o.doc_tokens && frames == o.frames && window == o.window && table == o.table;
}

double Problem::softmax_scale() const { return 1.0 / std::sqrt(static_cast<double>(D)); }

nlohmann::json shape_json(const Problem& p) {
  nlohmann::json j = {{"P", p.P},   {"S", p.S},
                      {"H", p.H},   {"Hkv", p.Hkv},
                      {"D", p.D},   {"B", p.B},
                      {"mask", to_string(p.mask)},
                      {"dtype", to_string(p.dtype)}};
  for (const MaskParamSpec& s : mask_param_specs()) {
    nlohmann::json v = mask_param_value(p, s);
    if (!v.is_null()) j[s.name] = std::move(v);
  }
  return j;
}

}  // namespace cpb
