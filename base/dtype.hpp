// Element types and attention masks: the vocabulary the kernels, the plan IR and the
// configs share, with their names as they appear in configs and records.
#pragma once

#include <string>
#include <vector>

namespace cpb {

// The attention masks (bench/mask/mask_regions.hpp says which pairs each allows; their
// parameters are Problem::mask_params).
enum class Mask { Full, Causal, Strided, GlobalLocal, Star, Streaming, Document, BlockCausal, SlidingWindow, Table };
enum class DType { BF16, FP16, FP32 };

const char* to_string(Mask m);
const char* to_string(DType t);
// Parse a name; return false when the name is unknown (callers report the allowed set,
// mask_names() / dtype_names()).
bool parse_mask(const std::string& s, Mask* out);
bool parse_dtype(const std::string& s, DType* out);
std::vector<std::string> mask_names();
std::vector<std::string> dtype_names();

// Bytes of one element of the activation dtype (Q, K, V, O in memory and on the wire).
int dtype_bytes(DType t);

}  // namespace cpb
