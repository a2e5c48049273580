// The registry of mask parameters (Problem::mask_params): each defined once, with the masks
// that read it and its default under each. The config schema, sweep expansion, record params,
// `cpbench list` and the registry JSON read them from here; what each pattern allows is
// bench/mask/mask_regions.hpp.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "base/dtype.hpp"
#include "bench/problem.hpp"

namespace cpb {

enum class MaskParamKind {
  Size,       // an integer from 1 to MaskParamSpec::max
  Count,      // an integer from 0 to MaskParamSpec::max
  TokenList,  // a non-empty array of integers >= 1 (document lengths)
  Table,      // a square array of rows of cells 0 (empty), 1 (full), 2 (causal)
};

struct MaskParamSpec {
  const char* name;  // config axis and record param, e.g. "mask_blocks"
  MaskParamKind kind;
  int64_t max;  // Size, Count: largest value (fits the MaskParams field)
  // The masks that read it, each with its default there; null: none (the value must be
  // given, or the parameter is left out, as mask_doc_tokens is in favour of mask_docs).
  std::vector<std::pair<Mask, nlohmann::json>> read_by;
  bool required_when_read;  // a config whose masks read it must give it (mask_table)
  // The parameter given in its place when this one is not (mask_docs for mask_doc_tokens);
  // a config gives at most one of the two where a mask reads them; nullptr: none.
  const char* exclusive_with;
  const char* allowed;  // the values that fit, for error messages
  const char* help;
  // The field in `mp`; null when unset (0 for mask_blocks and mask_local: the pattern's
  // default; an empty mask_doc_tokens or mask_table).
  nlohmann::json (*get)(const MaskParams& mp);
  // Sets the field from a checked config value; null sets MaskParams' default.
  void (*set)(MaskParams* mp, const nlohmann::json& v);
};

// All mask parameters, in the order of the config axes.
const std::vector<MaskParamSpec>& mask_param_specs();
const MaskParamSpec* find_mask_param(const std::string& name);  // nullptr when unknown

// Whether mask `m` reads `s`, and its default there (null when none or not read).
bool mask_reads(Mask m, const MaskParamSpec& s);
nlohmann::json mask_param_default(Mask m, const MaskParamSpec& s);

// The value of `s` in `p` with the mask's default resolved; null when p.mask does not read
// it, or when it is unset and its exclusive partner is set (mask_docs beside mask_doc_tokens).
nlohmann::json mask_param_value(const Problem& p, const MaskParamSpec& s);

// One line on what mask `m` allows (after bench/mask/mask_regions.hpp).
const char* mask_help(Mask m);

}  // namespace cpb
