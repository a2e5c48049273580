// The overlap lever axes (comm_priority, nccl_ctas, attn_sms, step_order): defaults, validation,
// folding of nccl_ctas under other transports, params only when set, filters.
#include <gtest/gtest.h>

#include "bench/config/config.hpp"
#include "test_config_util.hpp"

namespace cpb::test {
namespace {

using nlohmann::json;

class ConfigLevers : public ConfigTest {};

TEST_F(ConfigLevers, DefaultsLeaveParamsAsBefore) {
  const auto p = expand(load(kBaseAxes), 2, "");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_FALSE(p[0].levers.any_cuda());
  EXPECT_FALSE(p[0].levers.list_order);
  const json params = p[0].params();
  for (const char* k : {"comm_priority", "nccl_ctas", "attn_sms", "step_order"}) EXPECT_FALSE(params.contains(k)) << k;
}

TEST_F(ConfigLevers, SetLeversReachThePointAndItsParams) {
  const auto p = expand(load(std::string(kBaseAxes) +
                                 R"(, "transport": "nccl", "comm_priority": "high", "nccl_ctas": 4, "attn_sms": 116)"),
                        2, "");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_TRUE(p[0].levers.comm_high_priority);
  EXPECT_EQ(p[0].levers.nccl_ctas, 4);
  EXPECT_EQ(p[0].levers.attn_sms, 116);
  const json params = p[0].params();
  EXPECT_EQ(params["comm_priority"], "high");
  EXPECT_EQ(params["nccl_ctas"], 4);
  EXPECT_EQ(params["attn_sms"], 116);
}

TEST_F(ConfigLevers, StepOrderListIsALeverEveryRuntimeApplies) {
  const auto p = expand(load(std::string(kBaseAxes) + R"(, "step_order": ["plan", "list"])"), 2, "step_order=list");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_TRUE(p[0].levers.list_order);
  EXPECT_FALSE(p[0].levers.any_cuda());  // the CPU runtime and the simulator apply it
  EXPECT_EQ(p[0].params()["step_order"], "list");
  EXPECT_TRUE(contains(usage_error([&] { load(std::string(kBaseAxes) + R"(, "step_order": "lst")"); }),
                       "axes.step_order: \"lst\" is not a step_order; allowed: plan, list"));
}

TEST_F(ConfigLevers, NcclCtasFoldsUnderOtherTransports) {
  const auto p = expand(load(std::string(kBaseAxes) + R"(, "transport": ["nccl", "ce"], "nccl_ctas": [0, 4])"), 2, "");
  // nccl x {0, 4} and ce once: the ce point with nccl_ctas 4 is the ce point with 0.
  ASSERT_EQ(p.size(), 3u);
  int ce = 0;
  for (const Point& pt : p)
    if (pt.transport == TransportKind::Ce) {
      ++ce;
      EXPECT_EQ(pt.levers.nccl_ctas, 0);
    }
  EXPECT_EQ(ce, 1);
}

TEST_F(ConfigLevers, BadValuesAreUsageErrors) {
  EXPECT_TRUE(contains(usage_error([&] { load(std::string(kBaseAxes) + R"(, "comm_priority": "max")"); }),
                       "axes.comm_priority: \"max\" is not a comm_priority; allowed: normal, high"));
  EXPECT_TRUE(contains(usage_error([&] { load(std::string(kBaseAxes) + R"(, "nccl_ctas": -1)"); }),
                       "axes.nccl_ctas: -1 is negative"));
  EXPECT_TRUE(contains(usage_error([&] { load(std::string(kBaseAxes) + R"(, "nccl_ctas": 65)"); }),
                       "integers from 0 to 64"));
  EXPECT_TRUE(contains(usage_error([&] { load(std::string(kBaseAxes) + R"(, "attn_sms": 1.5)"); }),
                       "axes.attn_sms: 1.5 is not an integer"));
}

TEST_F(ConfigLevers, FiltersCompareCountsNumerically) {
  const auto p = expand(load(std::string(kBaseAxes) + R"(, "transport": "nccl", "nccl_ctas": [0, 4, 8])"), 2,
                        "nccl_ctas>=4");
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].levers.nccl_ctas, 4);
  EXPECT_EQ(p[1].levers.nccl_ctas, 8);
}

}  // namespace
}  // namespace cpb::test
