#include "base/dtype.hpp"

namespace cpb {
namespace {

constexpr Mask kMasks[] = {Mask::Full,      Mask::Causal,   Mask::Strided,     Mask::GlobalLocal,   Mask::Star,
                           Mask::Streaming, Mask::Document, Mask::BlockCausal, Mask::SlidingWindow, Mask::Table};
constexpr DType kDTypes[] = {DType::BF16, DType::FP16, DType::FP32};

}  // namespace

// Switches without a default: the compiler names every switch a new value must join.
const char* to_string(Mask m) {
  switch (m) {
    case Mask::Full: return "full";
    case Mask::Causal: return "causal";
    case Mask::Strided: return "strided";
    case Mask::GlobalLocal: return "global_local";
    case Mask::Star: return "star";
    case Mask::Streaming: return "streaming";
    case Mask::Document: return "document";
    case Mask::BlockCausal: return "block_causal";
    case Mask::SlidingWindow: return "sliding_window";
    case Mask::Table: return "table";
  }
  return "?";
}

const char* to_string(DType t) {
  switch (t) {
    case DType::BF16: return "bf16";
    case DType::FP16: return "fp16";
    case DType::FP32: return "fp32";
  }
  return "?";
}

bool parse_mask(const std::string& s, Mask* out) {
  for (Mask m : kMasks)
    if (s == to_string(m)) {
      *out = m;
      return true;
    }
  return false;
}

bool parse_dtype(const std::string& s, DType* out) {
  for (DType t : kDTypes)
    if (s == to_string(t)) {
      *out = t;
      return true;
    }
  return false;
}

std::vector<std::string> mask_names() {
  std::vector<std::string> names;
  for (Mask m : kMasks) names.emplace_back(to_string(m));
  return names;
}

std::vector<std::string> dtype_names() {
  std::vector<std::string> names;
  for (DType t : kDTypes) names.emplace_back(to_string(t));
  return names;
}

int dtype_bytes(DType t) { return t == DType::FP32 ? 4 : 2; }

}  // namespace cpb
