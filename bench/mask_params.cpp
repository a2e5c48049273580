#include "bench/mask_params.hpp"

#include <limits>

namespace cpb {
namespace {

using nlohmann::json;

constexpr int64_t kIntMax = std::numeric_limits<int>::max();
constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

// An int field of MaskParams whose 0 means "the pattern's default".
json unset_if_zero(int v) { return v > 0 ? json(v) : json(); }

// The parameters of the block-table patterns (strided, global_local, star, streaming).
void add_block_table_params(std::vector<MaskParamSpec>& v) {
  v.push_back({"mask_blocks", MaskParamKind::Size, kIntMax,
               {{Mask::Strided, 16}, {Mask::GlobalLocal, 16}, {Mask::Star, 4}, {Mask::Streaming, 8}}, false, nullptr,
               "integers >= 1, at most S (strided: a multiple of mask_group)",
               "blocks per side of the block table (block i: tokens [i S / n, (i + 1) S / n))",
               [](const MaskParams& mp) { return unset_if_zero(mp.blocks); },
               [](MaskParams* mp, const json& x) { mp->blocks = x.is_null() ? 0 : x.get<int>(); }});
  v.push_back({"mask_group", MaskParamKind::Size, kIntMax, {{Mask::Strided, 4}}, false, nullptr,
               "integers >= 1 that divide mask_blocks", "blocks per diagonal group",
               [](const MaskParams& mp) { return json(mp.group); },
               [](MaskParams* mp, const json& x) { mp->group = x.is_null() ? MaskParams{}.group : x.get<int>(); }});
  v.push_back({"mask_local", MaskParamKind::Size, kIntMax,
               {{Mask::Strided, 3}, {Mask::GlobalLocal, 1}, {Mask::Streaming, 3}}, false, nullptr, "integers >= 1",
               "width of the local band [blocks]", [](const MaskParams& mp) { return unset_if_zero(mp.local); },
               [](MaskParams* mp, const json& x) { mp->local = x.is_null() ? 0 : x.get<int>(); }});
  v.push_back({"mask_global", MaskParamKind::Count, kIntMax, {{Mask::GlobalLocal, 1}, {Mask::Streaming, 1}}, false,
               nullptr, "integers >= 0",
               "global_local: full leading block rows and columns; streaming: sink blocks (full columns)",
               [](const MaskParams& mp) { return json(mp.global); },
               [](MaskParams* mp, const json& x) { mp->global = x.is_null() ? MaskParams{}.global : x.get<int>(); }});
}

// The parameters of document, block_causal, sliding_window and table.
void add_other_params(std::vector<MaskParamSpec>& v) {
  const json none;
  v.push_back({"mask_docs", MaskParamKind::Size, kIntMax, {{Mask::Document, 4}}, false, "mask_doc_tokens",
               "integers >= 1, at most S", "documents of near-equal length",
               [](const MaskParams& mp) { return mp.doc_tokens.empty() ? json(mp.docs) : json(); },
               [](MaskParams* mp, const json& x) { mp->docs = x.is_null() ? MaskParams{}.docs : x.get<int>(); }});
  v.push_back({"mask_doc_tokens", MaskParamKind::TokenList, kInt64Max, {{Mask::Document, none}}, false, "mask_docs",
               "a non-empty array of integers >= 1 summing to S", "the documents' lengths [tokens], summing to S",
               [](const MaskParams& mp) { return mp.doc_tokens.empty() ? json() : json(mp.doc_tokens); },
               [](MaskParams* mp, const json& x) {
                 mp->doc_tokens = x.is_null() ? std::vector<int64_t>{} : x.get<std::vector<int64_t>>();
               }});
  v.push_back({"mask_frames", MaskParamKind::Size, kIntMax, {{Mask::BlockCausal, 21}}, false, nullptr,
               "integers >= 1, at most S", "frames of near-equal length",
               [](const MaskParams& mp) { return json(mp.frames); },
               [](MaskParams* mp, const json& x) { mp->frames = x.is_null() ? MaskParams{}.frames : x.get<int>(); }});
  v.push_back({"mask_window", MaskParamKind::Size, kInt64Max, {{Mask::SlidingWindow, 4096}}, false, nullptr,
               "integers >= 1", "keys each query sees, itself included [tokens]",
               [](const MaskParams& mp) { return json(mp.window); },
               [](MaskParams* mp, const json& x) {
                 mp->window = x.is_null() ? MaskParams{}.window : x.get<int64_t>();
               }});
  v.push_back({"mask_table", MaskParamKind::Table, 2, {{Mask::Table, none}}, true, nullptr,
               "a square array of at most S rows, each with a cell other than 0; cells 0 (empty), 1 (full), 2 (causal)",
               "the block table's cells, rows of query blocks: 0 empty, 1 full, 2 causal",
               [](const MaskParams& mp) { return mp.table.empty() ? json() : json(mp.table); },
               [](MaskParams* mp, const json& x) {
                 mp->table = x.is_null() ? std::vector<std::vector<int>>{} : x.get<std::vector<std::vector<int>>>();
               }});
}

std::vector<MaskParamSpec> make_mask_param_specs() {
  std::vector<MaskParamSpec> v;
  add_block_table_params(v);
  add_other_params(v);
  return v;
}

}  // namespace

const std::vector<MaskParamSpec>& mask_param_specs() {
  static const std::vector<MaskParamSpec> specs = make_mask_param_specs();
  return specs;
}

const MaskParamSpec* find_mask_param(const std::string& name) {
  for (const MaskParamSpec& s : mask_param_specs())
    if (name == s.name) return &s;
  return nullptr;
}

bool mask_reads(Mask m, const MaskParamSpec& s) {
  for (const auto& [mask, dflt] : s.read_by)
    if (mask == m) return true;
  return false;
}

nlohmann::json mask_param_default(Mask m, const MaskParamSpec& s) {
  for (const auto& [mask, dflt] : s.read_by)
    if (mask == m) return dflt;
  return nullptr;
}

nlohmann::json mask_param_value(const Problem& p, const MaskParamSpec& s) {
  if (!mask_reads(p.mask, s)) return nullptr;
  json v = s.get(p.mask_params);
  if (!v.is_null()) return v;
  const MaskParamSpec* partner = s.exclusive_with ? find_mask_param(s.exclusive_with) : nullptr;
  if (partner && !partner->get(p.mask_params).is_null()) return nullptr;
  return mask_param_default(p.mask, s);
}

const char* mask_help(Mask m) {
  switch (m) {
    case Mask::Full:
      return "every query sees every key";
    case Mask::Causal:
      return "each query sees the keys up to itself";
    case Mask::Strided:
      return "block table: diagonal groups of mask_group blocks, in each a band of mask_local blocks";
    case Mask::GlobalLocal:
      return "block table: cell (i, j) full iff i < mask_global or j < mask_global or |i - j| < mask_local";
    case Mask::Star:
      return "block table: the anchor block (column 0) full, each block itself causal";
    case Mask::Streaming:
      return "block table: causal diagonal, full sink columns j < mask_global, the band i - mask_local < j < i";
    case Mask::Document:
      return "causal inside each document, nothing across documents";
    case Mask::BlockCausal:
      return "a query sees every key of its own frame and of the frames before it";
    case Mask::SlidingWindow:
      return "causal, each query sees the mask_window keys ending at itself";
    case Mask::Table:
      return "block table: the cells of mask_table";
  }
  return "";
}

}  // namespace cpb
