// The options of `cpbench probe`, checked and resolved before anything runs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/config/config.hpp"
#include "bench/probe/probe_plan.hpp"
#include "bench/runtime.hpp"

namespace cpb {

// The command line of `cpbench probe` (bench/cli/cmd_probe.cpp).
struct ProbeArgs {
  int64_t S = 56160;  // tokens
  int64_t H = 40;     // query heads of the model; each rank attends H / P
  int64_t D = 128;
  std::string dtype = "bf16";
  std::string device = "auto";          // auto | cpu | cuda
  std::vector<std::string> transports;  // empty: every transport the runtime offers
  std::string profile = to_string(Profile::Nvlink);
  int64_t bytes = 0;         // all-to-all bytes per rank, when bytes_given
  bool bytes_given = false;  // else the Ulysses input all-to-all of the shape
  double seconds = MeasureSettings{}.max_seconds;  // time budget of each measurement [s]
  std::string out;
  bool quiet = false;
  double timeout = MeasureSettings{}.timeout;  // --timeout: the watchdog's [s]
  std::string first = to_string(ProbeFirst::Attention);  // --first: the step "both" posts first
};

struct ProbeSetup {
  ProbeShape shape;
  Problem problem;         // probe_problem(shape)
  int64_t peer_elems = 0;  // fp32 elements to each other rank (>= 1)
  bool bytes_given = false;               // --bytes given, else the Ulysses input all-to-all
  std::string profile;
  std::vector<std::string> transports;    // as given ("auto" included); empty = all offered
  MeasureSettings measure;                // the defaults, max_seconds = --seconds
  ProbeFirst first = ProbeFirst::Attention;

  int64_t bytes_per_rank() const { return 4 * peer_elems * (shape.P - 1); }  // [bytes] sent
};

// Checks `args` for a job of `world` ranks; every rank finds the same errors. Throws
// UsageError naming the option, the value and what is allowed: --S, --H, --D, --bytes not
// positive integers; --dtype, --profile, a --transports name unknown; --seconds not a
// positive number; --first not attention or exchange; world < 2 (the exchange needs peers); H not a multiple of world;
// --bytes (or the default, when S < P) less than one fp32 element per peer.
ProbeSetup probe_setup(const ProbeArgs& args, int world);

// The transports to measure on `runtime`, each once, in the order given: setup.transports
// with "auto" as the runtime's default (names it does not offer stay, to be reported
// SKIPPED), or all the runtime offers when none were given.
std::vector<std::string> probe_transports(const ProbeSetup& setup, const Runtime& runtime);

// The params object of the result file: P, S, H, heads_per_rank, D, B, mask, dtype,
// profile, bytes_per_rank, bytes_per_peer, bytes_source ("ulysses_input" or "--bytes"),
// first (the step posted first in "both"), transports, runtime, and the measure settings.
nlohmann::json probe_params(const ProbeSetup& setup, const std::vector<std::string>& transports,
                            const std::string& runtime);

}  // namespace cpb
