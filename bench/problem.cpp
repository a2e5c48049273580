#include "bench/problem.hpp"

#include <cmath>
#include <utility>

#include "bench/mask_params.hpp"

namespace cpb {

bool MaskParams::operator==(const MaskParams& o) const {
  return blocks == o.blocks && group == o.group && local == o.local && global == o.global && docs == o.docs &&
         doc_tokens == o.doc_tokens && frames == o.frames && window == o.window && table == o.table;
}

const char* to_string(Pass p) {
  switch (p) {
    case Pass::Fwd:
      return "fwd";
    case Pass::Bwd:
      return "bwd";
    case Pass::FwdBwd:
      return "fwd_bwd";
  }
  return "?";
}

std::vector<std::string> pass_names() { return {"fwd", "bwd", "fwd_bwd"}; }

bool parse_pass(const std::string& name, Pass* out) {
  for (Pass p : {Pass::Fwd, Pass::Bwd, Pass::FwdBwd})
    if (name == to_string(p)) {
      *out = p;
      return true;
    }
  return false;
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
  if (p.pass != Pass::Fwd) j["pass"] = to_string(p.pass);
  return j;
}

}  // namespace cpb
