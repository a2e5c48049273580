// The mask parameter registry (bench/mask_params.hpp) against the masks themselves
// (bench/mask/mask_regions.hpp): a mask reads exactly the parameters the registry lists
// for it, and the registry's defaults are the ones the mask applies.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bench/mask/mask_regions.hpp"
#include "bench/mask_params.hpp"

namespace cpb {
namespace {

using nlohmann::json;

// The regions of `p` as text, one "q k causal diag window" group per region.
std::string regions(const Problem& p) {
  std::string out;
  for (const MaskRegion& r : mask_regions(p))
    out += "[" + std::to_string(r.q.begin) + "+" + std::to_string(r.q.size) + " " + std::to_string(r.k.begin) + "+" +
           std::to_string(r.k.size) + " " + std::to_string(r.mask.causal) + " " + std::to_string(r.mask.diag) + " " +
           std::to_string(r.mask.window) + "]";
  return out;
}

// A value of each parameter that no mask has as its default, valid at S = 4096 with the
// other parameters at their defaults.
json other_value(const MaskParamSpec& s) {
  const std::string n = s.name;
  if (n == "mask_blocks") return 32;
  if (n == "mask_group") return 8;
  if (n == "mask_local") return 2;
  if (n == "mask_global") return 2;
  if (n == "mask_docs") return 3;
  if (n == "mask_doc_tokens") return json::array({1000, 3096});
  if (n == "mask_frames") return 7;
  if (n == "mask_window") return 100;
  if (n == "mask_table") return json::parse("[[1, 0], [2, 1]]");
  ADD_FAILURE() << "no test value for " << n;
  return nullptr;
}

// A problem of mask `m` at S = 4096 with every parameter at its default (a table for table).
Problem problem(Mask m) {
  Problem p;
  p.S = 4096;
  p.mask = m;
  if (m == Mask::Table) p.mask_params.table = {{2}};
  return p;
}

std::vector<Mask> all_masks() {
  std::vector<Mask> out;
  for (const std::string& name : mask_names()) {
    Mask m = Mask::Full;
    EXPECT_TRUE(parse_mask(name, &m)) << name;
    out.push_back(m);
  }
  return out;
}

TEST(MaskParams, EveryMaskReadsWhatTheRegistrySays) {
  for (const Mask m : all_masks()) {
    const std::string base = regions(problem(m));
    for (const MaskParamSpec& s : mask_param_specs()) {
      Problem p = problem(m);
      s.set(&p.mask_params, other_value(s));
      ASSERT_FALSE(mask_error(p)) << to_string(m) << " " << s.name << ": " << *mask_error(p);
      EXPECT_EQ(regions(p) == base, !mask_reads(m, s)) << to_string(m) << " " << s.name;
    }
  }
}

TEST(MaskParams, DefaultsAreTheMasksOwn) {
  for (const Mask m : all_masks()) {
    const std::string base = regions(problem(m));
    for (const MaskParamSpec& s : mask_param_specs()) {
      const json d = mask_param_default(m, s);
      if (d.is_null()) continue;
      Problem p = problem(m);
      s.set(&p.mask_params, d);
      EXPECT_EQ(regions(p), base) << to_string(m) << " " << s.name << " = " << d;
      EXPECT_EQ(mask_param_value(problem(m), s), d) << to_string(m) << " " << s.name;
    }
  }
}

TEST(MaskParams, ValuesOnlyWhereRead) {
  Problem p = problem(Mask::Document);
  EXPECT_EQ(mask_param_value(p, *find_mask_param("mask_docs")), 4);
  EXPECT_TRUE(mask_param_value(p, *find_mask_param("mask_doc_tokens")).is_null());
  p.mask_params.doc_tokens = {4000, 96};
  EXPECT_TRUE(mask_param_value(p, *find_mask_param("mask_docs")).is_null()) << "replaced by mask_doc_tokens";
  EXPECT_EQ(mask_param_value(p, *find_mask_param("mask_doc_tokens")), json::array({4000, 96}));
  p.mask = Mask::Causal;
  for (const MaskParamSpec& s : mask_param_specs()) EXPECT_TRUE(mask_param_value(p, s).is_null()) << s.name;
  // Setting null restores MaskParams' default.
  MaskParams mp;
  for (const MaskParamSpec& s : mask_param_specs()) {
    s.set(&mp, other_value(s));
    s.set(&mp, nullptr);
  }
  EXPECT_EQ(mp, MaskParams{});
}

TEST(MaskParams, Names) {
  for (const MaskParamSpec& s : mask_param_specs()) {
    EXPECT_EQ(find_mask_param(s.name), &s);
    EXPECT_EQ(std::string(s.name).rfind("mask_", 0), 0u) << s.name;
    if (s.exclusive_with) {
      EXPECT_STREQ(find_mask_param(s.exclusive_with)->exclusive_with, s.name);
    }
  }
  EXPECT_EQ(find_mask_param("blocks"), nullptr);
  for (const Mask m : all_masks()) EXPECT_STRNE(mask_help(m), "") << to_string(m);
}

}  // namespace
}  // namespace cpb
