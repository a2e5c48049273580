// load_config rejects bad configs with a UsageError of the form
//   <file>: <json path>: <value> <problem>; allowed: <what> [(did you mean "x"?)]
#include <gtest/gtest.h>

#include "bench/config/config.hpp"
#include "test_config_util.hpp"

namespace cpb::test {
namespace {

class ConfigErrors : public ConfigTest {
 protected:
  // The message for a config with these axes and extra top-level members.
  std::string error(const std::string& axes, const std::string& extra = "") {
    return usage_error([&] { load(axes, extra); });
  }
  // The message for the base axes plus `more` (e.g. R"("B": 0)").
  std::string base_error(const std::string& more) { return error(std::string(kBaseAxes) + ", " + more); }
  std::string file() const { return (dir_ / "c.json").string(); }
};

TEST_F(ConfigErrors, MissingFile) {
  const std::string path = (dir_ / "nope.json").string();
  const std::string msg = usage_error([&] { load_config(path, {}); });
  EXPECT_TRUE(contains(msg, path + ": cannot read the config: no such file"));
}

TEST_F(ConfigErrors, Directory) {
  EXPECT_TRUE(contains(usage_error([&] { load_config(dir_.string(), {}); }), "is a directory"));
}

TEST_F(ConfigErrors, BrokenJsonNamesLineAndColumn) {
  const std::string path = write("broken.json", "{\n  \"axes\": {\n    \"S\": 256,,\n  }\n}\n");
  const std::string msg = usage_error([&] { load_config(path, {}); });
  EXPECT_TRUE(contains(msg, path + ": invalid JSON: parse error at line 3, column 14"));
  EXPECT_FALSE(contains(msg, "[json.exception"));
}

TEST_F(ConfigErrors, EmptyFile) {
  EXPECT_TRUE(contains(usage_error([&] { load_config(write("empty.json", ""), {}); }), "invalid JSON"));
}

TEST_F(ConfigErrors, TopLevelMustBeAnObject) {
  EXPECT_TRUE(contains(usage_error([&] { load_config(write("arr.json", "[1, 2]"), {}); }),
                       "(top level): [1,2] is not an object"));
}

TEST_F(ConfigErrors, UnknownTopLevelKeySuggests) {
  const std::string msg = usage_error([&] { load_config(write("c.json", R"({"axis": {}})"), {}); });
  EXPECT_EQ(msg, file() +
                     ": axis: \"axis\" is not a top-level key; allowed: name, description, world_size, "
                     "ranks_per_node, axes, skip, measure (did you mean \"axes\"?)");
}

TEST_F(ConfigErrors, MisspelledAxisSuggests) {
  const std::string msg = base_error(R"("chunk": 2)");
  EXPECT_TRUE(
      contains(msg, file() + ": axes.chunk: \"chunk\" is not an axis; allowed: S, H, Hkv, D, B, mask"));
  EXPECT_TRUE(contains(msg, "(did you mean \"chunks\"?)"));
  EXPECT_TRUE(contains(base_error(R"("b": 2)"), "(did you mean \"B\"?)"));
}

TEST_F(ConfigErrors, MisspelledMeasureKeySuggests) {
  const std::string msg = error(kBaseAxes, R"("measure": {"iteration": 3})");
  EXPECT_TRUE(contains(msg, "measure.iteration: \"iteration\" is not a measure setting; allowed: warmup, "));
  EXPECT_TRUE(contains(msg, "(did you mean \"iterations\"?)"));
}

TEST_F(ConfigErrors, MisspelledSkipKeySuggests) {
  const std::string msg = error(kBaseAxes, R"("skip": [{"if": {"S": 256}, "reasn": "x"}])");
  EXPECT_TRUE(contains(msg, "skip[0].reasn: \"reasn\" is not a skip rule key; allowed: if, reason"));
  EXPECT_TRUE(contains(msg, "(did you mean \"reason\"?)"));
}

TEST_F(ConfigErrors, NoSuggestionForFarNames) {
  EXPECT_FALSE(contains(base_error(R"("xyzzy_quux": 1)"), "did you mean"));
}

TEST_F(ConfigErrors, WrongType) {
  EXPECT_EQ(error(R"("schedule": "ulysses", "S": "big", "H": 4, "D": 16)"),
            file() + ": axes.S: \"big\" is not an integer; allowed: integers >= 1");
  EXPECT_TRUE(contains(error(R"("schedule": "ulysses", "S": 256, "H": 4, "D": 16.5)"),
                       "axes.D: 16.5 is not an integer"));
  EXPECT_TRUE(contains(error(R"("schedule": "ulysses", "S": 256, "H": true, "D": 16)"),
                       "axes.H: true is not an integer"));
  EXPECT_TRUE(
      contains(error(R"("schedule": 3, "S": 256, "H": 4, "D": 16)"), "axes.schedule: 3 is not a schedule"));
  EXPECT_TRUE(contains(error(kBaseAxes, R"("name": 7)"), ": name: 7 is not a string; allowed: a string"));
  EXPECT_TRUE(contains(error(kBaseAxes, R"("description": [])"), ": description: [] is not a string"));
  EXPECT_TRUE(contains(usage_error([&] { load_config(write("c.json", R"({"axes": [1]})"), {}); }),
                       ": axes: [1] is not an object"));
}

TEST_F(ConfigErrors, ZeroAndNegativeSizes) {
  EXPECT_EQ(error(R"("schedule": "ulysses", "S": 256, "H": 0, "D": 16)"),
            file() + ": axes.H: 0 is not positive; allowed: integers >= 1");
  EXPECT_EQ(error(R"("schedule": "ulysses", "S": 256, "H": 4, "D": [16, -64])"),
            file() + ": axes.D[1]: -64 is not positive; allowed: integers >= 1");
  EXPECT_TRUE(contains(base_error(R"("B": 0)"), "axes.B: 0 is not positive"));
  EXPECT_TRUE(contains(base_error(R"("chunks": -1)"), "axes.chunks: -1 is not positive"));
  EXPECT_TRUE(contains(base_error(R"("usp_u": 0)"), "axes.usp_u: 0 is not positive"));
  EXPECT_TRUE(contains(error(R"("schedule": "ulysses", "S": 256, "H": 3000000000, "D": 16)"),
                       "axes.H: 3000000000 is too large; allowed: integers from 1 to 2147483647"));
}

TEST_F(ConfigErrors, HkvMustDivideH) {
  EXPECT_EQ(error(R"("schedule": "ulysses", "S": 256, "H": [6, 12], "Hkv": [3, 4], "D": 16)"),
            file() + ": axes.Hkv: 4 does not divide H=6; allowed: divisors of every H value: 1, 2, 3, 6");
  EXPECT_TRUE(contains(error(R"("schedule": "ulysses", "S": 256, "H": 4, "Hkv": 8, "D": 16)"),
                       "axes.Hkv: 8 does not divide H=4"));
}

TEST_F(ConfigErrors, UnknownNamesListTheAllowedSet) {
  EXPECT_EQ(
      error(R"("schedule": "ulysses", "S": 256, "H": 4, "D": 16, "mask": ["full", "casual"])"),
      file() + ": axes.mask[1]: \"casual\" is not a mask; allowed: full, causal, strided, global_local, star, streaming, document, block_causal, sliding_window, table (did you mean \"causal\"?)");
  const std::string sched = error(R"("schedule": ["ulysses", "rign"], "S": 256, "H": 4, "D": 16)");
  EXPECT_TRUE(contains(sched, "axes.schedule[1]: \"rign\" is not a schedule; allowed: "));
  for (const char* s : {"ulysses", "hcms", "ring", "zigzag_ring", "usp"}) EXPECT_TRUE(contains(sched, s));
  EXPECT_TRUE(contains(sched, "(did you mean \"ring\"?)"));
  EXPECT_TRUE(
      contains(base_error(R"("dtype": "bf61")"),
               "axes.dtype: \"bf61\" is not a dtype; allowed: bf16, fp16, fp32 (did you mean \"bf16\"?)"));
  EXPECT_TRUE(contains(base_error(R"("transport": "nccl2")"),
                       "axes.transport: \"nccl2\" is not a transport; allowed: auto, nccl, ce, ce_host, mpi "
                       "(did you mean \"nccl\"?)"));
  EXPECT_TRUE(contains(
      base_error(R"("profile": "nvlnik")"),
      "axes.profile: \"nvlnik\" is not a profile; allowed: nvlink, pcie (did you mean \"nvlink\"?)"));
  EXPECT_TRUE(
      contains(base_error(R"("comm_order": "inputs")"),
               "axes.comm_order: \"inputs\" is not a comm_order; allowed: interleaved, inputs_first"));
  EXPECT_TRUE(contains(base_error(R"("qkv_layout": "pack")"),
                       "axes.qkv_layout: \"pack\" is not a qkv_layout; allowed: separate, packed"));
}

TEST_F(ConfigErrors, HcmsChunkOptions) {
  EXPECT_EQ(base_error(R"("chunks": [2, "max"])"),
            file() + ": axes.chunks[1]: \"max\" is neither an integer nor \"auto\"; allowed: integers >= 1 or "
                     "\"auto\"");
  EXPECT_TRUE(contains(base_error(R"("chunks": "Auto")"), "axes.chunks: \"Auto\" is neither an integer nor"));
  EXPECT_TRUE(contains(base_error(R"("chunks": true)"), "allowed: integers >= 1 or \"auto\""));
  EXPECT_TRUE(contains(base_error(R"("chunks": 0)"), "axes.chunks: 0 is not positive"));
  EXPECT_EQ(base_error(R"("chunk_shape": "tapered")"),
            file() + ": axes.chunk_shape: \"tapered\" is not a chunk_shape; allowed: even, taper (did you mean "
                     "\"taper\"?)");
  EXPECT_EQ(base_error(R"("comm_lanes": [1, 3])"),
            file() + ": axes.comm_lanes[1]: 3 is too large; allowed: integers from 1 to 2");
  EXPECT_TRUE(contains(base_error(R"("comm_lanes": "2")"), "axes.comm_lanes: \"2\" is not an integer"));
}

TEST_F(ConfigErrors, EmptyAxisArrays) {
  EXPECT_EQ(error(R"("schedule": "ulysses", "S": [], "H": 4, "D": 16)"),
            file() + ": axes.S: [] is empty; allowed: one value or a non-empty array of values");
  EXPECT_TRUE(contains(base_error(R"("chunk_heads": [])"), "axes.chunk_heads: [] is empty"));
}

TEST_F(ConfigErrors, BadChunkHeads) {
  EXPECT_TRUE(contains(base_error(R"("chunk_heads": [[2, 0]])"),
                       "axes.chunk_heads[0][1]: 0 is not positive; allowed: integers >= 1"));
  EXPECT_TRUE(contains(base_error(R"("chunk_heads": [3, -1])"), "axes.chunk_heads[1]: -1 is not positive"));
  EXPECT_TRUE(contains(base_error(R"("chunk_heads": [[2, 2], []])"), "axes.chunk_heads[1]: [] is empty"));
  EXPECT_TRUE(
      contains(base_error(R"("chunk_heads": 4)"), "axes.chunk_heads: 4 is not a list of head counts"));
  EXPECT_TRUE(contains(base_error(R"("chunk_heads": [[2, 2], 4])"),
                       "axes.chunk_heads[1]: 4 is not a list of head counts"));
}

TEST_F(ConfigErrors, RequiredAxes) {
  EXPECT_EQ(
      error(R"("schedule": "ulysses", "S": 256, "D": 16)"),
      file() +
          ": axes: \"H\" is missing; allowed: configs that set schedule, S, H and D (in axes or with -a)");
  EXPECT_TRUE(contains(usage_error([&] { load_config(write("c.json", "{}"), {}); }), "\"S\" is missing"));
  // usp has no default Ulysses degree.
  EXPECT_EQ(error(R"("schedule": ["ring", "usp"], "S": 256, "H": 4, "D": 16)"),
            file() + ": axes: \"usp_u\" is missing; allowed: configs with schedule usp also set usp_u");
}

TEST_F(ConfigErrors, WorldSize) {
  EXPECT_TRUE(contains(error(kBaseAxes, R"("world_size": 0)"), ": world_size: 0 is not positive"));
  EXPECT_TRUE(contains(error(kBaseAxes, R"("world_size": [2, "four"])"),
                       ": world_size[1]: \"four\" is not an integer"));
  EXPECT_TRUE(contains(error(kBaseAxes, R"("world_size": [])"), ": world_size: [] is empty"));
}

TEST_F(ConfigErrors, Measure) {
  EXPECT_TRUE(contains(error(kBaseAxes, R"("measure": [])"), ": measure: [] is not an object"));
  EXPECT_EQ(error(kBaseAxes, R"("measure": {"warmup": -1})"),
            file() + ": measure.warmup: -1 is negative; allowed: integers >= 0");
  EXPECT_TRUE(contains(error(kBaseAxes, R"("measure": {"warmup_ms": -5})"),
                       "measure.warmup_ms: -5 is not a non-negative number; allowed: numbers >= 0 [ms]"));
  EXPECT_TRUE(contains(error(kBaseAxes, R"("measure": {"warmup_ms": true})"),
                       "measure.warmup_ms: true is not a non-negative number"));
  EXPECT_TRUE(
      contains(error(kBaseAxes, R"("measure": {"iterations": 0})"), "measure.iterations: 0 is not positive"));
  EXPECT_TRUE(contains(error(kBaseAxes, R"("measure": {"iterations": 3, "min_iterations": 5})"),
                       "measure.min_iterations: 5 is too large; allowed: integers from 1 to 3"));
  EXPECT_TRUE(contains(error(kBaseAxes, R"("measure": {"rounds": 0})"), "measure.rounds: 0 is not positive"));
  EXPECT_TRUE(contains(error(kBaseAxes, R"("measure": {"rounds": 101})"),
                       "measure.rounds: 101 is too large; allowed: integers from 1 to 100"));
  EXPECT_TRUE(contains(error(kBaseAxes, R"("measure": {"rounds": "many"})"),
                       "measure.rounds: \"many\" is not a round count; allowed: \"auto\", integers from 1 to 100"));
  EXPECT_TRUE(contains(error(kBaseAxes, R"("measure": {"max_seconds": 0})"),
                       "measure.max_seconds: 0 is not a positive number; allowed: numbers > 0 [s]"));
  EXPECT_TRUE(contains(error(kBaseAxes, R"("measure": {"max_seconds": "1"})"),
                       "measure.max_seconds: \"1\" is not a positive number"));
  EXPECT_EQ(error(kBaseAxes, R"("measure": {"verify": "ful"})"),
            file() +
                ": measure.verify: \"ful\" is not a verify mode; allowed: full, sampled, off, auto "
                "(did you mean \"full\"?)");
  EXPECT_EQ(error(kBaseAxes, R"("measure": {"isolate": "yes"})"),
            file() + ": measure.isolate: \"yes\" is not a boolean; allowed: true, false");
  EXPECT_TRUE(contains(error(kBaseAxes, R"("measure": {"graph": 1})"), "measure.graph: 1 is not a boolean"));
}

TEST_F(ConfigErrors, SkipRules) {
  EXPECT_TRUE(contains(error(kBaseAxes, R"("skip": {})"), ": skip: {} is not an array"));
  EXPECT_TRUE(contains(error(kBaseAxes, R"("skip": [3])"), "skip[0]: 3 is not a skip rule"));
  EXPECT_TRUE(
      contains(error(kBaseAxes, R"("skip": [{"reason": "x"}])"), "skip[0].if: (missing) is not a condition"));
  EXPECT_TRUE(contains(error(kBaseAxes, R"("skip": [{"if": {}, "reason": "x"}])"),
                       "skip[0].if: {} is not a condition"));
  EXPECT_TRUE(contains(error(kBaseAxes, R"("skip": [{"if": {"S": 256}}])"),
                       "skip[0].reason: (missing) is not a reason"));
  EXPECT_TRUE(contains(error(kBaseAxes, R"("skip": [{"if": {"S": 256}, "reason": ""}])"),
                       "skip[0].reason: \"\" is not a reason; allowed: a non-empty string"));
  const std::string unknown = error(kBaseAxes, R"("skip": [{"if": {"mask": "full"}, "reason": "a"},
                                                           {"if": {"sched": "ring"}, "reason": "b"}])");
  EXPECT_TRUE(contains(unknown, "skip[1].if.sched: \"sched\" is not an axis; allowed: "));
  EXPECT_TRUE(contains(unknown, ", P (did you mean"));
  EXPECT_TRUE(contains(error(kBaseAxes, R"("skip": [{"if": {"mask": ["full", "casual"]}, "reason": "a"}])"),
                       "skip[0].if.mask[1]: \"casual\" is not a mask; allowed: full, causal, strided, global_local, star, streaming, document, block_causal, sliding_window, table"));
  EXPECT_TRUE(contains(error(kBaseAxes, R"("skip": [{"if": {"P": 0}, "reason": "a"}])"),
                       "skip[0].if.P: 0 is not positive"));
}

}  // namespace
}  // namespace cpb::test
