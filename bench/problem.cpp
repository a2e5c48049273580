#include "bench/problem.hpp"

#include <cmath>

namespace cpb {

const char* to_string(Mask m) { return m == Mask::Causal ? "causal" : "full"; }

const char* to_string(DType t) {
  switch (t) {
    case DType::BF16: return "bf16";
    case DType::FP16: return "fp16";
    case DType::FP32: return "fp32";
  }
  return "?";
}

bool parse_mask(const std::string& s, Mask* out) {
  if (s == "full") { *out = Mask::Full; return true; }
  if (s == "causal") { *out = Mask::Causal; return true; }
  return false;
}

bool parse_dtype(const std::string& s, DType* out) {
  if (s == "bf16") { *out = DType::BF16; return true; }
  if (s == "fp16") { *out = DType::FP16; return true; }
  if (s == "fp32") { *out = DType::FP32; return true; }
  return false;
}

int dtype_bytes(DType t) { return t == DType::FP32 ? 4 : 2; }

double Problem::softmax_scale() const { return 1.0 / std::sqrt(static_cast<double>(D)); }

nlohmann::json shape_json(const Problem& p) {
  return {{"P", p.P},   {"S", p.S},
          {"H", p.H},   {"Hkv", p.Hkv},
          {"D", p.D},   {"B", p.B},
          {"mask", to_string(p.mask)},
          {"dtype", to_string(p.dtype)}};
}

}  // namespace cpb
