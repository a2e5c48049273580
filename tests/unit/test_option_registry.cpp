// The schedule option and lever registries (bench/schedule.hpp, bench/runtime.hpp): every
// name maps back to its enum, and the config schema takes its option axes from them.
#include <gtest/gtest.h>

#include <set>

#include "bench/config/schema.hpp"
#include "bench/runtime.hpp"
#include "bench/schedule.hpp"
#include "test_config_util.hpp"

namespace cpb {
namespace {

TEST(OptionRegistry, InOptionOrderWithUniqueNames) {
  std::set<std::string> names;
  for (size_t i = 0; i < option_specs().size(); ++i) {
    const OptionSpec& o = option_specs()[i];
    EXPECT_EQ(static_cast<size_t>(o.option), i) << o.name;
    EXPECT_EQ(&option_spec(o.option), &o);
    EXPECT_EQ(find_option(o.name), &o);
    EXPECT_TRUE(names.insert(o.name).second) << o.name;
    EXPECT_NE(std::string(o.help), "") << o.name;
  }
  EXPECT_EQ(find_option("ulysses_degree"), nullptr);
}

// Every value name sets its enum value, and to_string gives the name back.
TEST(OptionRegistry, EnumNamesRoundTrip) {
  const std::vector<std::string>& shapes = option_spec(Option::ChunkShape).allowed;
  ASSERT_EQ(shapes, (std::vector<std::string>{"even", "taper"}));
  for (ChunkShape v : {ChunkShape::Even, ChunkShape::Taper}) {
    Problem p;
    option_spec(Option::ChunkShape).set(&p, to_string(v));
    EXPECT_EQ(p.chunk_shape, v);
    EXPECT_EQ(shapes[static_cast<size_t>(v)], to_string(v));
  }
  const std::vector<std::string>& orders = option_spec(Option::CommOrder).allowed;
  ASSERT_EQ(orders, (std::vector<std::string>{"interleaved", "inputs_first"}));
  for (CommOrder v : {CommOrder::Interleaved, CommOrder::InputsFirst}) {
    Problem p;
    option_spec(Option::CommOrder).set(&p, to_string(v));
    EXPECT_EQ(p.comm_order, v);
    EXPECT_EQ(orders[static_cast<size_t>(v)], to_string(v));
  }
  const std::vector<std::string>& layouts = option_spec(Option::QkvLayout).allowed;
  ASSERT_EQ(layouts, (std::vector<std::string>{"separate", "packed"}));
  for (QkvLayout v : {QkvLayout::Separate, QkvLayout::Packed}) {
    Problem p;
    option_spec(Option::QkvLayout).set(&p, to_string(v));
    EXPECT_EQ(p.qkv_layout, v);
    EXPECT_EQ(layouts[static_cast<size_t>(v)], to_string(v));
  }
}

// get() of a Problem set from a value gives that value back (params carry it).
TEST(OptionRegistry, GetReturnsWhatSetWrote) {
  const std::vector<std::pair<Option, nlohmann::json>> values = {
      {Option::Chunks, 3},          {Option::Chunks, "auto"},           {Option::ChunkHeads, {4, 3, 3}},
      {Option::ChunkShape, "taper"}, {Option::UspU, 2},                  {Option::CommOrder, "inputs_first"},
      {Option::CommLanes, 2},       {Option::QkvLayout, "packed"}};
  for (const auto& [o, v] : values) {
    Problem p;
    option_spec(o).set(&p, v);
    EXPECT_EQ(option_spec(o).get(p), v) << option_spec(o).name;
  }
  // The defaults of a fresh Problem are the registry's.
  const Problem fresh;
  for (const OptionSpec& o : option_specs()) {
    if (o.default_value.is_null()) continue;
    EXPECT_EQ(o.get(fresh), o.default_value) << o.name;
  }
}

TEST(OptionRegistry, UnknownValueErrorListsTheAllowedNames) {
  for (const OptionSpec& o : option_specs()) {
    if (o.kind != OptionKind::Name) continue;
    std::string allowed;
    for (const std::string& n : o.allowed) allowed += (allowed.empty() ? "" : ", ") + n;
    const std::string msg =
        test::usage_error([&] { cfg::check_axis_value(*cfg::find_axis(o.name), "nonesuch", "axes.x"); });
    EXPECT_TRUE(test::contains(msg, "axes.x: \"nonesuch\" is not a " + std::string(o.name) + "; allowed: " + allowed))
        << msg;
  }
}

TEST(OptionRegistry, SchemaTakesOptionAndLeverAxesFromTheRegistries) {
  for (const OptionSpec& o : option_specs()) {
    const cfg::AxisSpec* a = cfg::find_axis(o.name);
    ASSERT_NE(a, nullptr) << o.name;
    EXPECT_EQ(a->option, &o);
    EXPECT_EQ(a->default_value, o.default_value);
    EXPECT_EQ(cfg::allowed_names(*a), o.allowed);
  }
  for (const LeverSpec& l : lever_specs()) {
    const cfg::AxisSpec* a = cfg::find_axis(l.name);
    ASSERT_NE(a, nullptr) << l.name;
    EXPECT_EQ(a->lever, &l);
    EXPECT_EQ(cfg::allowed_names(*a), l.allowed);
  }
}

TEST(OptionRegistry, LeversRoundTripThroughParams) {
  for (const LeverSpec& l : lever_specs()) {
    Levers off;
    EXPECT_TRUE(l.get(off).is_null()) << l.name;
    const nlohmann::json on = l.allowed.empty() ? nlohmann::json(l.max) : nlohmann::json(l.allowed.back());
    Levers set;
    l.set(&set, on);
    EXPECT_TRUE(set.any_cuda() || set.list_order) << l.name;
    EXPECT_EQ(set.any_cuda(), l.cuda_only) << l.name;
    EXPECT_EQ(l.get(set), on) << l.name;
  }
}

}  // namespace
}  // namespace cpb
