// registry_json() (bench/sweep/registry_json.hpp): every registry, in its order, with the
// fields scripts read (defaults, how, split tags); what `cpbench list --format json` prints
// and a result file's provenance holds.
#include <gtest/gtest.h>

#include "base/dtype.hpp"
#include "bench/mask_params.hpp"
#include "bench/runtime.hpp"
#include "bench/schedule.hpp"
#include "bench/sweep/registry_json.hpp"

namespace cpb {
namespace {

using nlohmann::json;

TEST(RegistryJson, OptionsInOptionOrderWithTheirSpecs) {
  const json r = registry_json();
  ASSERT_EQ(r["options"].size(), option_specs().size());
  for (size_t i = 0; i < option_specs().size(); ++i) {
    const OptionSpec& o = option_specs()[i];
    const json& j = r["options"][i];
    EXPECT_EQ(j["name"], o.name);
    EXPECT_EQ(j["default"], o.default_value) << o.name;
    EXPECT_EQ(j["allowed"], o.allowed) << o.name;
    EXPECT_EQ(j["how"], o.how) << o.name;
    EXPECT_EQ(j["omit_default"], o.omit_default) << o.name;
    EXPECT_EQ(j["split_tag"], o.split_tag ? json(o.split_tag) : json()) << o.name;
  }
  EXPECT_EQ(r["options"][static_cast<size_t>(Option::Chunks)]["kind"], "size_or_auto");
  EXPECT_EQ(r["options"][static_cast<size_t>(Option::ChunkHeads)]["kind"], "head_list");
  EXPECT_EQ(r["options"][static_cast<size_t>(Option::QkvLayout)]["kind"], "name");
  EXPECT_TRUE(r["options"][static_cast<size_t>(Option::QkvLayout)]["max"].is_null());
}

// The options that size the split are exactly the ones with a tag; reports use the tags.
TEST(RegistryJson, SplitTagsOnTheSplitSizingOptionsOnly) {
  EXPECT_STREQ(option_spec(Option::Chunks).split_tag, "C");
  EXPECT_STREQ(option_spec(Option::ChunkHeads).split_tag, "heads");
  EXPECT_STREQ(option_spec(Option::UspU).split_tag, "u");
  for (Option o : {Option::ChunkShape, Option::CommOrder, Option::CommLanes, Option::QkvLayout})
    EXPECT_EQ(option_spec(o).split_tag, nullptr) << option_spec(o).name;
}

// A named lever defaults to its first value, a count lever to 0: what a record leaves out.
TEST(RegistryJson, LeversWithTheirDefaults) {
  const json r = registry_json();
  ASSERT_EQ(r["levers"].size(), lever_specs().size());
  for (size_t i = 0; i < lever_specs().size(); ++i) {
    const LeverSpec& l = lever_specs()[i];
    const json& j = r["levers"][i];
    EXPECT_EQ(j["name"], l.name);
    EXPECT_EQ(j["default"], l.allowed.empty() ? json(0) : json(l.allowed.front())) << l.name;
    Levers off;
    EXPECT_TRUE(l.get(off).is_null()) << l.name << ": a lever at its default is left out of params";
  }
}

TEST(RegistryJson, NamesInRegistryOrder) {
  const json r = registry_json();
  ASSERT_EQ(r["transports"].size(), transport_specs().size());
  for (size_t i = 0; i < transport_specs().size(); ++i)
    EXPECT_EQ(r["transports"][i]["name"], transport_specs()[i].name);
  EXPECT_EQ(r["transports"][0]["name"], to_string(TransportKind::Nccl));
  EXPECT_EQ(r["profiles"], profile_names());
  ASSERT_EQ(r["masks"].size(), mask_names().size());
  for (size_t i = 0; i < mask_names().size(); ++i) EXPECT_EQ(r["masks"][i]["name"], mask_names()[i]);
  EXPECT_EQ(r["dtypes"], dtype_names());
  EXPECT_EQ(r["passes"], json::parse(R"(["fwd", "bwd", "fwd_bwd"])"));  // fwd first: what params leave out
  ASSERT_EQ(r["schedules"].size(), all_schedules().size());
  for (size_t i = 0; i < all_schedules().size(); ++i) {
    EXPECT_EQ(r["schedules"][i]["name"], all_schedules()[i]->name());
    EXPECT_EQ(r["schedules"][i]["options"], all_schedules()[i]->option_axes());
  }
}

// Each mask with the parameters it reads, in registry order, and its default there; the
// parameters with their specs.
TEST(RegistryJson, MasksWithTheirParams) {
  const json r = registry_json();
  for (const json& mask : r["masks"]) {
    Mask m = Mask::Full;
    ASSERT_TRUE(parse_mask(mask["name"].get<std::string>(), &m));
    EXPECT_EQ(mask["help"], mask_help(m));
    json want = json::array();
    for (const MaskParamSpec& s : mask_param_specs())
      if (mask_reads(m, s)) want.push_back({{"name", s.name}, {"default", mask_param_default(m, s)}});
    EXPECT_EQ(mask["params"], want) << mask["name"];
  }
  EXPECT_EQ(r["masks"][0]["params"], json::array()) << "full reads none";
  EXPECT_EQ(r["masks"][2]["params"], json::parse(R"([{"name": "mask_blocks", "default": 16},
      {"name": "mask_group", "default": 4}, {"name": "mask_local", "default": 3}])"))
      << r["masks"][2]["name"];
  ASSERT_EQ(r["mask_params"].size(), mask_param_specs().size());
  for (size_t i = 0; i < mask_param_specs().size(); ++i) {
    const MaskParamSpec& s = mask_param_specs()[i];
    const json& j = r["mask_params"][i];
    EXPECT_EQ(j["name"], s.name);
    EXPECT_EQ(j["max"], s.max) << s.name;
    EXPECT_EQ(j["required_when_read"], s.required_when_read) << s.name;
    EXPECT_EQ(j["exclusive_with"], s.exclusive_with ? json(s.exclusive_with) : json()) << s.name;
    EXPECT_EQ(j["help"], s.help) << s.name;
  }
  EXPECT_EQ(r["mask_params"][0]["kind"], "size");
  EXPECT_EQ(r["mask_params"][3]["kind"], "count");
  EXPECT_EQ(r["mask_params"][5]["kind"], "token_list");
  EXPECT_EQ(r["mask_params"][8]["kind"], "table");
}

}  // namespace
}  // namespace cpb
