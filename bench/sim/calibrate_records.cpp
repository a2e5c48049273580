// A result record's comm-only part as a CommSample: the problem rebuilt from its params,
// the schedule's plan of rank 0, and its Exchange steps counted.
#include <climits>
#include <cstdint>

#include "bench/schedule.hpp"
#include "bench/sim/calibrate_sources.hpp"

namespace cpb {
namespace {

using nlohmann::json;

// Checks the params value of option `o` and sets it in `p`. chunks "auto" (the one
// SizeOrAuto option) takes the record's chunks_chosen, as the runner planned with it.
void set_option(const OptionSpec& o, const JsonField& f, const JsonField& record, Problem* p) {
  const json& v = f.value();
  switch (o.kind) {
    case OptionKind::Size:
      f.integer(1, o.max);
      break;
    case OptionKind::SizeOrAuto:
      if (v == "auto") {
        o.set(p, v);
        p->chunks = static_cast<int>(record["chunks_chosen"].integer(1, o.max));
        return;
      }
      f.integer(1, o.max);
      break;
    case OptionKind::HeadList:
      if (f.size() == 0) f.fail("[] is empty", "a non-empty array of integers >= 1");
      for (size_t i = 0; i < f.size(); ++i) f.item(i).integer(1, INT_MAX);
      break;
    case OptionKind::Name:
      f.name(std::string("a ") + o.name + " value", o.allowed);
      break;
  }
  o.set(p, v);
}

Problem record_problem(const JsonField& record) {
  const JsonField params = record["params"];
  Problem p;
  p.P = static_cast<int>(params["P"].integer(1, INT_MAX));
  p.S = params["S"].integer(1, INT64_MAX);
  p.H = static_cast<int>(params["H"].integer(1, INT_MAX));
  p.Hkv = static_cast<int>(params["Hkv"].integer(1, INT_MAX));
  p.D = static_cast<int>(params["D"].integer(1, INT_MAX));
  p.B = static_cast<int>(params["B"].integer(1, INT_MAX));
  parse_mask(params["mask"].name("a mask", mask_names()), &p.mask);
  parse_dtype(params["dtype"].name("a dtype", dtype_names()), &p.dtype);
  // Absent in records of the forward pass (shape_json names the pass only when not fwd).
  if (params.has("pass")) parse_pass(params["pass"].name("a pass", pass_names()), &p.pass);
  if (p.H % p.Hkv != 0) params["Hkv"].fail(std::to_string(p.Hkv) + " does not divide H", "a divisor of H");
  for (const OptionSpec& o : option_specs())
    if (params.has(o.name)) set_option(o, params[o.name], record, &p);
  return p;
}

}  // namespace

CommSample record_comm_sample(const JsonField& record) {
  CommSample s;
  s.bytes = record["comm_bytes_per_rank"].positive();
  s.ms = record["comm_ms"].positive();
  const Problem p = record_problem(record);
  const JsonField name = record["schedule"];
  const Schedule* sched = find_schedule(name.name("a schedule", schedule_names()));
  if (const Reason why = sched->unsupported(p))
    record["params"].fail("the schedule cannot split this problem: " + *why, "a problem the schedule runs");
  int exchanges = 0;
  const Plan plan = sched->plan(p, 0);
  for (const Step& step : plan.steps) exchanges += step.is_comm() && step.id >= plan.timed_from ? 1 : 0;
  if (exchanges == 0)
    record["comm_ms"].fail("a comm time of a plan without exchanges", "records of plans with exchanges");
  s.instances = exchanges;
  return s;
}

}  // namespace cpb
