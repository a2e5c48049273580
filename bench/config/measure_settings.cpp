#include "bench/config/measure_settings.hpp"

#include <cmath>
#include <cstdio>
#include <limits>

#include "bench/config/diagnostics.hpp"
#include "bench/config/keys.hpp"
#include "bench/config/schema.hpp"

namespace cpb::cfg {
namespace {

constexpr int64_t kIntMax = std::numeric_limits<int>::max();

VerifyMode read_verify(const nlohmann::json& v, const std::string& where, double max_scores) {
  const std::vector<std::string> allowed = {"full", "sampled", "off", "auto"};
  const std::string s = v.is_string() ? v.get<std::string>() : "";
  if (s == "full") return VerifyMode::Full;
  if (s == "sampled") return VerifyMode::Sampled;
  if (s == "off") return VerifyMode::Off;
  if (s == "auto") return max_scores <= kAutoFullVerifyScores ? VerifyMode::Full : VerifyMode::Sampled;
  fail_name(where, v, "a verify mode", allowed);
}

bool read_bool(const nlohmann::json& v, const std::string& where) {
  if (!v.is_boolean()) fail(where, show(v) + " is not a boolean", "true, false");
  return v.get<bool>();
}

double read_milliseconds(const nlohmann::json& v, const std::string& where) {
  if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < 0)
    fail(where, show(v) + " is not a non-negative number", "numbers >= 0 [ms]");
  return v.get<double>();
}

double read_seconds(const nlohmann::json& v, const std::string& where) {
  if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() <= 0)
    fail(where, show(v) + " is not a positive number", "numbers > 0 [s]");
  return v.get<double>();
}

// "auto" (the default) as 0, the runtime's default_rounds(); else 1..kMaxRounds.
int read_rounds(const nlohmann::json& v, const std::string& where) {
  if (v == "auto") return 0;
  if (v.is_string()) fail(where, show(v) + " is not a round count", "\"auto\", " + range_text(1, kMaxRounds));
  return static_cast<int>(check_int(v, 1, kMaxRounds, where));
}

}  // namespace

double check_timeout_option(double seconds, const std::string& option) {
  if (!std::isfinite(seconds) || seconds <= 0) {
    char shown[32];
    std::snprintf(shown, sizeof(shown), "%g", seconds);
    fail(option, std::string(shown) + " is not a positive number", "numbers > 0 [s]");
  }
  return seconds;
}

MeasureSettings read_measure(const nlohmann::json& m, const std::string& file, double max_scores,
                             nlohmann::json* resolved) {
  const std::string at = file + ": measure";
  if (!m.is_null() && !m.is_object())
    fail(at, show(m) + " is not an object", "an object with keys " + join(measure_keys()));
  const nlohmann::json obj = m.is_null() ? nlohmann::json::object() : m;
  check_keys(obj, measure_keys(), at + ".", "a measure setting");

  MeasureSettings s;
  s.verify = read_verify(obj.value("verify", nlohmann::json("auto")), at + ".verify", max_scores);
  if (obj.contains("warmup"))
    s.warmup = static_cast<int>(check_int(obj["warmup"], 0, kIntMax, at + ".warmup"));
  if (obj.contains("warmup_ms")) s.warmup_ms = read_milliseconds(obj["warmup_ms"], at + ".warmup_ms");
  if (obj.contains("iterations"))
    s.iterations = static_cast<int>(check_int(obj["iterations"], 1, kIntMax, at + ".iterations"));
  if (obj.contains("max_seconds")) s.max_seconds = read_seconds(obj["max_seconds"], at + ".max_seconds");
  // Left out, min_iterations is the default cut to `iterations`; given, it must fit.
  if (obj.contains("min_iterations")) {
    s.min_iterations =
        static_cast<int>(check_int(obj["min_iterations"], 1, s.iterations, at + ".min_iterations"));
  } else {
    s.min_iterations = std::min(s.min_iterations, s.iterations);
  }
  if (obj.contains("rounds")) s.rounds = read_rounds(obj["rounds"], at + ".rounds");
  if (obj.contains("isolate")) s.isolate = read_bool(obj["isolate"], at + ".isolate");
  if (obj.contains("graph")) s.graph = read_bool(obj["graph"], at + ".graph");
  if (obj.contains("align_start")) s.align_start = read_bool(obj["align_start"], at + ".align_start");
  if (obj.contains("timeout")) s.timeout = read_seconds(obj["timeout"], at + ".timeout");

  *resolved = {{"warmup", s.warmup},
               {"warmup_ms", s.warmup_ms},
               {"iterations", s.iterations},
               {"max_seconds", s.max_seconds},
               {"min_iterations", s.min_iterations},
               {"rounds", s.rounds > 0 ? nlohmann::json(s.rounds) : nlohmann::json("auto")},
               {"verify", to_string(s.verify)},
               {"isolate", s.isolate},
               {"graph", s.graph},
               {"align_start", s.align_start},
               {"timeout", s.timeout}};
  return s;
}

}  // namespace cpb::cfg
