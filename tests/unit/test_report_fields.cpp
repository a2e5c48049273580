// Reading result records with missing fields, and the number formats of the tables.
#include <gtest/gtest.h>

#include <limits>

#include "bench/report/record_fields.hpp"
#include "bench/report/text_format.hpp"

namespace cpb {
namespace {

nlohmann::json hcms_record() {
  return {{"schedule", "hcms"},
          {"params",
           {{"P", 2}, {"S", 56160}, {"H", 40}, {"Hkv", 40}, {"D", 128}, {"B", 1}, {"chunks", 3},
            {"mask", "full"}, {"dtype", "bf16"}, {"transport", "nccl"}, {"profile", "nvlink"}}},
          {"status", "PASS"},
          {"time_ms", {{"p50", 12.5}, {"cv", nullptr}}}};
}

TEST(ReportFields, MissingAndNullFieldsAreAbsent) {
  const nlohmann::json r = hcms_record();
  EXPECT_EQ(number_field(r, {"time_ms", "p50"}), 12.5);
  EXPECT_FALSE(number_field(r, {"time_ms", "cv"}));   // null
  EXPECT_FALSE(number_field(r, {"time_ms", "p90"}));  // missing
  EXPECT_FALSE(number_field(r, {"status", "x"}));     // through a non-object
  EXPECT_FALSE(number_field(nlohmann::json(), {"a"}));
  EXPECT_FALSE(number_field({{"eta", std::numeric_limits<double>::infinity()}}, {"eta"}));
  EXPECT_EQ(string_field(r, {"reason"}, "none"), "none");
  EXPECT_EQ(record_status(r), "PASS");
  EXPECT_EQ(record_status(nlohmann::json::object()), "");
}

TEST(ReportFields, VariantsGroupsAndDescriptions) {
  nlohmann::json r = hcms_record();
  EXPECT_EQ(variant_label(r), "hcms C=3");
  EXPECT_EQ(schedule_options(r), (nlohmann::json{{"chunks", 3}}));
  EXPECT_FALSE(problem_group(r).contains("S"));
  EXPECT_FALSE(problem_group(r).contains("chunks"));
  EXPECT_EQ(describe_point(r), "hcms C=3 S=56160 P=2 H=40 Hkv=40 D=128 B=1 full bf16 nccl nvlink");

  r["params"]["chunk_heads"] = {8, 6, 6};
  EXPECT_EQ(variant_label(r), "hcms heads=8,6,6");
  nlohmann::json u = {{"schedule", "usp"}, {"params", {{"P", 4}, {"usp_u", 2}}}};
  EXPECT_EQ(variant_label(u), "usp u=2");
  EXPECT_EQ(variant_label(nlohmann::json::object()), "?");
  EXPECT_EQ(describe_point({{"schedule", "ring"}}), "ring");
  EXPECT_TRUE(problem_group({{"params", nullptr}}).empty());
}

TEST(ReportFields, IdentityCoversScheduleAndEveryParam) {
  const nlohmann::json a = hcms_record();
  nlohmann::json b = a;
  b["time_ms"]["p50"] = 99;  // measurements are not part of the identity
  EXPECT_EQ(point_identity(a), point_identity(b));
  b["params"]["transport"] = "ce";
  EXPECT_NE(point_identity(a), point_identity(b));
  nlohmann::json c = a;
  c["schedule"] = "ulysses";
  EXPECT_NE(point_identity(a), point_identity(c));
}

TEST(ReportFields, SummarizeNames) {
  EXPECT_EQ(summarize_names({"H200", "H200", "A100", "H200"}), "H200 x3, A100");
  EXPECT_EQ(summarize_names(nullptr), "");
}

TEST(ReportFields, ScheduleOrder) {
  EXPECT_LT(schedule_order("ulysses"), schedule_order("hcms"));
  EXPECT_LT(schedule_order("hcms"), schedule_order("ring"));
  EXPECT_LT(schedule_order("zigzag_ring"), schedule_order("usp"));
  EXPECT_LT(schedule_order("tiled"), schedule_order("something_new"));
}

TEST(ReportFormat, SignificantDigits) {
  EXPECT_EQ(format_sig(std::nullopt), "-");
  EXPECT_EQ(format_sig(0.0), "0");
  EXPECT_EQ(format_sig(12.3456), "12.35");
  EXPECT_EQ(format_sig(0.123456), "0.1235");
  EXPECT_EQ(format_sig(12345.6), "12346");
  EXPECT_EQ(format_sig(9.99996), "10.00");
  EXPECT_EQ(format_sig(-1.5), "-1.500");
  EXPECT_EQ(format_sig(1.2345e-5), "1.234e-05");
}

TEST(ReportFormat, BytesPercentSciPad) {
  EXPECT_EQ(format_bytes(512.0), "512 B");
  EXPECT_EQ(format_bytes(1536.0), "1.50 KiB");
  EXPECT_EQ(format_bytes(12.3 * 1024 * 1024), "12.3 MiB");
  EXPECT_EQ(format_bytes(1024.0 * 1024 * 1024), "1.00 GiB");
  EXPECT_EQ(format_bytes(std::nullopt), "-");
  EXPECT_EQ(format_percent(3.21), "+3.2%");
  EXPECT_EQ(format_percent(-10.0), "-10.0%");
  EXPECT_EQ(format_sci(0.00123), "1.23e-03");
  EXPECT_EQ(pad("ab", 4), "ab  ");
  EXPECT_EQ(pad("ab", 4, true), "  ab");
  EXPECT_EQ(pad("abcdef", 4), "abcdef");
}

}  // namespace
}  // namespace cpb
