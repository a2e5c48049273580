// libFuzzer harness of the plan JSON reader: plan_from_json (or plans_from_json for a
// "cpbench-plans" document), then the checks a runtime and the tests run on a plan read
// from a file: check_runnable, check_plan, and plan_to_text of a plan check_runnable
// passes. Input: a plan as
// `cpbench plan --format json` writes it, or {"problem": {...}, "plan": PLAN}, where the
// problem object may set S, H, Hkv, D, B (integers) and causal (bool); the problem of a
// bare plan is kDefault (the one the seed plans were made for), its P the plan's world.
// A problem outside what a config allows (sizes < 1, H % Hkv != 0, P outside 1..8) or
// larger than the bounds below is not checked: the checks' contracts take a valid problem.
// UsageError is the reader's answer to bad input; any other exception, a crash or a
// sanitizer report is a finding.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/usage_error.hpp"
#include "bench/plan/plan_check.hpp"
#include "bench/plan/plan_io.hpp"

namespace {

using nlohmann::json;

cpb::Problem default_problem() {
  cpb::Problem p;
  p.S = 64;
  p.H = 4;
  p.Hkv = 2;
  p.D = 8;
  p.B = 1;
  p.mask = cpb::Mask::Causal;
  return p;
}

// Reads an integer field of the problem object into *out; false when it is there but not
// an integer in [1, max].
bool read_int(const json& obj, const char* key, int64_t max, int64_t* out) {
  if (!obj.contains(key)) return true;
  const json& v = obj[key];
  if (!v.is_number_integer() || v.get<int64_t>() < 1 || v.get<int64_t>() > max) return false;
  *out = v.get<int64_t>();
  return true;
}

bool read_problem(const json& obj, cpb::Problem* p) {
  if (!obj.is_object()) return false;
  int64_t H = p->H, Hkv = p->Hkv, D = p->D, B = p->B;
  bool ok = read_int(obj, "S", 4096, &p->S) && read_int(obj, "H", 64, &H) && read_int(obj, "Hkv", 64, &Hkv) &&
            read_int(obj, "D", 256, &D) && read_int(obj, "B", 4, &B);
  if (obj.contains("causal")) {
    if (!obj["causal"].is_boolean()) return false;
    p->mask = obj["causal"].get<bool>() ? cpb::Mask::Causal : cpb::Mask::Full;
  }
  p->H = static_cast<int>(H), p->Hkv = static_cast<int>(Hkv), p->D = static_cast<int>(D), p->B = static_cast<int>(B);
  return ok && p->H % p->Hkv == 0;
}

void check(const cpb::Plan& plan, cpb::Problem p) {
  if (plan.world < 1 || plan.world > 8) return;
  p.P = plan.world;
  const bool runnable = cpb::check_runnable(plan, p, int64_t{1} << 20).empty();
  (void)cpb::check_plan(plan, p);
  // plan_to_text indexes buffers and peers as a runnable plan does (it is given plans
  // that were made or checked), so it gets only those.
  if (runnable) (void)cpb::plan_to_text(plan, p);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const json doc = json::parse(data, data + size, nullptr, false);
  if (doc.is_discarded()) return 0;
  cpb::Problem p = default_problem();
  const bool wrapped = doc.is_object() && doc.contains("problem");
  if (wrapped && !read_problem(doc["problem"], &p)) return 0;
  const json& body = wrapped ? (doc.contains("plan") ? doc["plan"] : doc) : doc;
  std::vector<cpb::Plan> plans;
  try {
    if (body.is_object() && body.contains("format"))
      plans = cpb::plans_from_json(body);
    else
      plans.push_back(cpb::plan_from_json(body));
  } catch (const cpb::UsageError&) {
    return 0;
  }
  for (const cpb::Plan& plan : plans) check(plan, p);
  return 0;
}
