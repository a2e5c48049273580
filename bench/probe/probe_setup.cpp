#include "bench/probe/probe_setup.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "bench/config/diagnostics.hpp"
#include "bench/config/measure_settings.hpp"
#include "bench/config/schema.hpp"

namespace cpb {
namespace {

// Largest Q shard [elements] the probe accepts: far beyond any device, yet small enough
// that no size computed from it overflows int64.
constexpr double kMaxShardElems = 1e15;

// The value of a config axis given on the command line, checked like a config value.
nlohmann::json axis_option(const char* axis, const nlohmann::json& value, const char* option) {
  return cfg::check_axis_value(*cfg::find_axis(axis), value, option);
}

}  // namespace

ProbeSetup probe_setup(const ProbeArgs& args, int world) {
  ProbeSetup s;
  s.shape.S = axis_option("S", args.S, "--S").get<int64_t>();
  s.shape.H = axis_option("H", args.H, "--H").get<int>();
  s.shape.D = axis_option("D", args.D, "--D").get<int>();
  parse_dtype(axis_option("dtype", args.dtype, "--dtype").get<std::string>(), &s.shape.dtype);
  s.profile = axis_option("profile", args.profile, "--profile").get<std::string>();
  for (const std::string& t : args.transports)
    s.transports.push_back(axis_option("transport", t, "--transports").get<std::string>());
  if (!std::isfinite(args.seconds) || args.seconds <= 0)
    cfg::fail("--seconds", cfg::show(args.seconds) + " is not a positive number of seconds",
              "a time budget per measurement above 0");
  s.measure.max_seconds = args.seconds;
  s.measure.timeout = cfg::check_timeout_option(args.timeout, "--timeout");
  if (args.first == to_string(ProbeFirst::Exchange))
    s.first = ProbeFirst::Exchange;
  else if (args.first != to_string(ProbeFirst::Attention))
    cfg::fail("--first", cfg::show(args.first) + " is not a step of the probe",
              cfg::join(probe_first_names()) + " (the step the overlapped measurement posts first)");

  if (world < 2)
    throw UsageError("world size " + std::to_string(world) +
                     ": cpbench probe measures an all-to-all between ranks; launch it under mpirun with 2 or "
                     "more ranks (one per GPU)");
  s.shape.P = world;
  if (s.shape.H % world != 0)
    cfg::fail("--H", std::to_string(s.shape.H) + " heads do not split evenly over " + std::to_string(world) +
                         " ranks",
              "a multiple of " + std::to_string(world) + " (each rank attends H/P heads)");
  if (static_cast<double>(s.shape.S) * (s.shape.H / world) * s.shape.D > kMaxShardElems)
    cfg::fail("--S", std::to_string(s.shape.S) + " tokens of " + std::to_string(s.shape.H / world) +
                         " heads of D=" + std::to_string(s.shape.D) + " is too large a shard",
              "S (H/P) D up to 1e15 elements");
  s.problem = probe_problem(s.shape);

  s.bytes_given = args.bytes_given;
  const int64_t bytes = args.bytes_given
                            ? cfg::check_int(args.bytes, 1, std::numeric_limits<int64_t>::max(), "--bytes")
                            : ulysses_input_bytes(s.shape);
  s.peer_elems = probe_peer_elems(bytes, world);
  if (s.peer_elems < 1) {
    const std::string least = std::to_string(4 * (world - 1));
    if (args.bytes_given)
      cfg::fail("--bytes", std::to_string(bytes) + " bytes per rank is less than one 4-byte element per peer",
                "at least " + least + " at " + std::to_string(world) + " ranks");
    cfg::fail("--S", std::to_string(s.shape.S) + " tokens give a Ulysses all-to-all of " + std::to_string(bytes) +
                         " bytes per rank at " + std::to_string(world) + " ranks",
              "S >= P, or --bytes of at least " + least);
  }
  return s;
}

std::vector<std::string> probe_transports(const ProbeSetup& setup, const Runtime& runtime) {
  std::vector<std::string> offered;
  for (TransportKind t : runtime.transports()) offered.push_back(to_string(t));
  if (setup.transports.empty()) return offered;
  std::vector<std::string> out;
  for (const std::string& t : setup.transports) {
    const std::string name = parse_transport(t) ? t : offered.front();  // the one other name is "auto"
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  }
  return out;
}

nlohmann::json probe_params(const ProbeSetup& setup, const std::vector<std::string>& transports,
                            const std::string& runtime) {
  const ProbeShape& sh = setup.shape;
  const MeasureSettings& m = setup.measure;
  return {{"P", sh.P},
          {"S", sh.S},
          {"H", sh.H},
          {"heads_per_rank", setup.problem.H},
          {"D", sh.D},
          {"B", setup.problem.B},
          {"mask", to_string(setup.problem.mask)},
          {"dtype", to_string(sh.dtype)},
          {"profile", setup.profile},
          {"bytes_per_rank", setup.bytes_per_rank()},
          {"bytes_per_peer", 4 * setup.peer_elems},
          {"bytes_source", setup.bytes_given ? "--bytes" : "ulysses_input"},
          {"first", to_string(setup.first)},
          {"transports", transports},
          {"runtime", runtime},
          {"measure",
           {{"warmup", m.warmup},
            {"iterations", m.iterations},
            {"max_seconds", m.max_seconds},
            {"min_iterations", m.min_iterations},
            {"timeout", m.timeout}}}};
}

}  // namespace cpb
