// The options of `cpbench probe`, checked and resolved before anything runs.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/commands.hpp"
#include "bench/config.hpp"
#include "bench/probe_plan.hpp"
#include "bench/runtime.hpp"

namespace cpb {

struct ProbeSetup {
  ProbeShape shape;
  Problem problem;         // probe_problem(shape)
  int64_t peer_elems = 0;  // fp32 elements to each other rank (>= 1)
  bool bytes_given = false;               // --bytes given, else the Ulysses input all-to-all
  std::string profile;
  std::vector<std::string> transports;    // as given ("auto" included); empty = all offered
  MeasureSettings measure;                // the defaults, max_seconds = --seconds

  int64_t bytes_per_rank() const { return 4 * peer_elems * (shape.P - 1); }  // [bytes] sent
};

// Checks `args` for a job of `world` ranks; every rank finds the same errors. Throws
// UsageError naming the option, the value and what is allowed: --S, --H, --D, --bytes not
// positive integers; --dtype, --profile, a --transports name unknown; --seconds not a
// positive number; world < 2 (the exchange needs peers); H not a multiple of world;
// --bytes (or the default, when S < P) less than one fp32 element per peer.
ProbeSetup probe_setup(const ProbeArgs& args, int world);

// The transports to measure on `runtime`, each once, in the order given: setup.transports
// with "auto" as the runtime's default (names it does not offer stay, to be reported
// SKIPPED), or all the runtime offers when none were given.
std::vector<std::string> probe_transports(const ProbeSetup& setup, const Runtime& runtime);

// The params object of the result file: P, S, H, heads_per_rank, D, B, mask, dtype,
// profile, bytes_per_rank, bytes_per_peer, bytes_source ("ulysses_input" or "--bytes"),
// transports, runtime, and the measure settings.
nlohmann::json probe_params(const ProbeSetup& setup, const std::vector<std::string>& transports,
                            const std::string& runtime);

}  // namespace cpb
