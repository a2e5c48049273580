// cpbench: benchmark and profiling driver for context-parallel attention.
//   cpbench run --config FILE ...      (under mpirun: one rank per GPU, or CPU ranks)
//   cpbench probe ...                  (under mpirun, like run)
//   cpbench calibrate --out FILE ...   (one rank: MPI as a singleton, or mpirun -np 1)
//   cpbench plan|list|report|compare   (no MPI needed)
#include <CLI/CLI.hpp>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <string>
#include <vector>

#include "base/exit_code.hpp"
#include "bench/cli/commands.hpp"
#include "bench/cli/error_path.hpp"
#include "bench/cli/tiling_cache_env.hpp"
#include "bench/config/diagnostics.hpp"
#include "bench/config/overrides.hpp"
#include "bench/config/schema.hpp"
#include "bench/report/compare.hpp"
#include "bench/report/report.hpp"
#include "bench/sweep/git_commit.hpp"

namespace {

// Numeric checks that read numbers as config files and -a do (cfg::parse_cli_scalar: 2.0 is
// 2) and word their range as the config errors do ("integers >= 1"), not as CLI11's range
// validators do ("not in range 0.000000 to 1797...": the 309 digits of DBL_MAX).
CLI::Validator integer_in(long long lo, long long hi = INT_MAX) {
  return CLI::Validator(
      [lo, hi](std::string& s) -> std::string {
        const nlohmann::json v = cpb::cfg::parse_cli_scalar(s);
        const std::string error = cpb::cfg::int_error(v, lo, hi);
        if (error.empty()) s = std::to_string(cpb::cfg::check_int(v, lo, hi, ""));
        return error;
      },
      "INT>=" + std::to_string(lo));
}

CLI::Validator number_at_least(double lo) {
  const std::string allowed = "; allowed: numbers >= " + CLI::detail::to_string(lo);
  return CLI::Validator(
      [lo, allowed](std::string& s) -> std::string {
        const nlohmann::json v = cpb::cfg::parse_cli_scalar(s);
        if (!v.is_number()) return "\"" + s + "\" is not a number" + allowed;
        if (v.get<double>() < lo) return s + " is too small" + allowed;
        return "";
      },
      "NUMBER>=" + CLI::detail::to_string(lo));
}

// A duration in seconds > 0, worded as the config's measure.timeout errors are.
CLI::Validator positive_seconds() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        const nlohmann::json v = cpb::cfg::parse_cli_scalar(s);
        if (!v.is_number() || !(v.get<double>() > 0))
          return (v.is_number() ? s : "\"" + s + "\"") + " is not a positive number; allowed: numbers > 0 [s]";
        return "";
      },
      "SECONDS>0");
}

// One of `names`, worded as the config errors are ("\"xml\" is not a format; allowed: md,
// csv"), with a "did you mean" hint for a near miss; CLI11's IsMember says "xml not in {md,csv}".
CLI::Validator one_of(const std::vector<std::string>& names, const std::string& noun) {
  return CLI::Validator(
      [names, noun](std::string& s) -> std::string {
        if (std::find(names.begin(), names.end(), s) != names.end()) return "";
        return "\"" + s + "\" is not " + noun + "; allowed: " + cpb::cfg::join(names) +
               cpb::cfg::suggestion(s, names);
      },
      "{" + cpb::cfg::join(names, ",") + "}");
}

// CLI11 reports a missing subcommand or option before a word it does not know ("runn",
// "--bogus": "A subcommand is required"); this names the word instead. Empty: none.
std::string unknown_word(const CLI::App& app, const std::string& commands) {
  const std::vector<CLI::App*> parsed = app.get_subcommands();
  const CLI::App& where = parsed.empty() ? app : *parsed.front();
  const std::vector<std::string> extra = where.remaining();
  if (extra.empty()) return parsed.empty() ? "a command is required; commands: " + commands : "";
  const std::string& w = extra.front();
  const std::string what = w.size() > 1 && w[0] == '-' ? "option" : parsed.empty() ? "command" : "argument";
  if (parsed.empty()) return "unknown " + what + " '" + w + "'; commands: " + commands;
  return where.get_name() + ": unknown " + what + " '" + w + "'; see cpbench " + where.get_name() + " --help";
}

// `cpbench run` and its options, parsed into `run`.
CLI::App* add_run_command(CLI::App& app, cpb::RunArgs& run) {
  CLI::App* run_cmd = app.add_subcommand("run", "Run a JSON sweep config (launch under mpirun)");
  run_cmd->add_option("-c,--config", run.config, "Sweep config (JSON)")->required();
  run_cmd->add_option("-a,--axis", run.axes, "Replace an axis: -a axis=v1,v2 (repeatable)");
  run_cmd->add_option("--filter", run.filter, "Keep matching points, e.g. 'schedule=hcms|ulysses,S>=1024'");
  run_cmd->add_flag("--dry-run", run.dry_run, "List the points and their count; run nothing");
  run_cmd->add_option("-o,--out", run.out, "Result JSON, rewritten atomically after each comparison group");
  CLI::Option* force = run_cmd->add_flag("--force", run.force, "Overwrite an existing --out");
  run_cmd->add_flag("--resume", run.resume, "Continue an existing --out: keep its points of this commit and config")
      ->excludes(force);
  run_cmd->add_option("--device", run.device, "Runtime")->check(one_of({"auto", "cpu", "cuda"}, "a device"));
  run_cmd->add_option("--trace", run.trace_dir, "Write one Chrome trace JSON per point into DIR");
  run_cmd->add_flag("-q,--quiet", run.quiet, "No progress lines");
  run_cmd->add_option("--timeout", run.timeout,
                      "Watchdog: the longest wait on other ranks before the job ends with code 3 [s]; "
                      "default: the config's measure.timeout")
      ->check(positive_seconds());
  run_cmd->add_option("--ranks-per-node", run.ranks_per_node,
                      "Emulated node size of the copy-engine transports (CUDA); replaces the config's ranks_per_node")
      ->transform(integer_in(1));
  run_cmd->add_option("--machine", run.machine,
                      "Machine model (cpbench calibrate): each record gets the simulator's predicted_ms, made before the run");
  return run_cmd;
}

// The subcommands' names in the order they were added: "run, plan, ...".
std::string command_names(CLI::App& app) {
  std::string names;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; }))
    names += (names.empty() ? "" : ", ") + sub->get_name();
  return names;
}

// `cpbench plan` and its options, parsed into `plan`.
CLI::App* add_plan_command(CLI::App& app, cpb::PlanArgs& plan) {
  CLI::App* cmd = app.add_subcommand("plan", "Print one point's plan for one rank");
  cmd->add_option("-c,--config", plan.config, "Sweep config (JSON)")->required();
  cmd->add_option("-a,--axis", plan.axes, "Replace an axis: -a axis=v1,v2 (repeatable)");
  cmd->add_option("--filter", plan.filter, "Select points (see run --filter)");
  cmd->add_option("--index", plan.index, "Which of the selected points (0-based)")->transform(integer_in(0));
  cmd->add_option("-P,--world", plan.world, "World size")->transform(integer_in(1));
  cmd->add_option("-r,--rank", plan.rank, "Rank")->transform(integer_in(0));
  cmd->add_option("--format", plan.format, "Output format")->check(one_of({"text", "json"}, "a format"));
  return cmd;
}

// `cpbench probe` and its options, parsed into `probe`; `*bytes` is the --bytes option
// (whether it was given decides the default).
CLI::App* add_probe_command(CLI::App& app, cpb::ProbeArgs& probe, CLI::Option** bytes) {
  CLI::App* probe_cmd = app.add_subcommand(
      "probe", "Interference matrix: attention alone, each transport alone and beside attention (under mpirun)");
  probe_cmd->add_option("--S", probe.S, "Tokens")->capture_default_str()->transform(integer_in(1, LLONG_MAX));
  probe_cmd->add_option("--H", probe.H, "Query heads of the model; each rank attends H/P")
      ->capture_default_str()
      ->transform(integer_in(1));
  probe_cmd->add_option("--D", probe.D, "Head dimension")->capture_default_str()->transform(integer_in(1));
  probe_cmd->add_option("--dtype", probe.dtype, "bf16, fp16 or fp32")->capture_default_str();
  probe_cmd->add_option("--device", probe.device, "Runtime")->check(one_of({"auto", "cpu", "cuda"}, "a device"));
  probe_cmd->add_option("--transports", probe.transports, "Comma-separated; default: all the runtime offers")
      ->delimiter(',');
  probe_cmd->add_option("--profile", probe.profile, "Interconnect profile: nvlink or pcie")->capture_default_str();
  *bytes = probe_cmd->add_option(
      "--bytes", probe.bytes, "All-to-all bytes per rank; default: the Ulysses input all-to-all of the shape")
      ->transform(integer_in(1, LLONG_MAX));
  probe_cmd->add_option("--seconds", probe.seconds, "Time budget of each measurement [s]")
      ->capture_default_str()
      ->check(number_at_least(0));
  probe_cmd->add_option("-o,--out", probe.out, "Result JSON (cpbench-probe), rewritten atomically after each row");
  probe_cmd
      ->add_option("--first", probe.first,
                   "The step the overlapped measurement posts first: attention (as HCMS) or exchange (as a "
                   "ring)")
      ->capture_default_str();
  probe_cmd->add_flag("-q,--quiet", probe.quiet, "No progress lines");
  probe_cmd->add_option("--timeout", probe.timeout,
                        "Watchdog: the longest wait on other ranks before the job ends with code 3 [s]")
      ->capture_default_str()
      ->check(positive_seconds());
  return probe_cmd;
}

// `cpbench calibrate` and its options, parsed into `cal`.
CLI::App* add_calibrate_command(CLI::App& app, cpb::CalibrateArgs& cal) {
  CLI::App* cmd = app.add_subcommand(
      "calibrate",
      "Write the machine model file: this GPU's kernels measured (or taken from --kernels-from), transports fitted "
      "from --from files");
  cmd->add_option("-o,--out", cal.out, "Machine model JSON (cpbench-machine), written atomically at the end")
      ->required();
  cmd->add_option("--name", cal.name, "The model's name, e.g. h200; default: the runtime's (--kernels-from: that file's)")
      ->check(CLI::Validator(
          [](std::string& s) -> std::string { return s.empty() ? "\"\" is empty; allowed: a name such as h200" : ""; },
          "NAME"));
  cmd->add_option("--from", cal.from, "cpbench probe or cpbench run result files to fit the transports from");
  cmd->add_option("--device", cal.device, "Runtime")->check(one_of({"auto", "cpu", "cuda"}, "a device"));
  cmd->add_flag("--quick", cal.quick, "The small grid of shapes");
  cmd->add_option("--kernels-from", cal.kernels_from,
                  "Take the attention table and the copy and merge models from this machine file instead of "
                  "measuring them (no runtime is started; not with --device or --quick)");
  cmd->add_flag("--scale-to-probe", cal.scale_to_probe,
                "Scale the attention table to the attention the --from probe files timed on their machine");
  cmd->add_flag("-q,--quiet", cal.quiet, "No line per measured shape");
  return cmd;
}

// `cpbench simulate` (advise false) or `cpbench advise` and their options, parsed into `sim`.
CLI::App* add_simulate_command(CLI::App& app, cpb::SimulateArgs& sim, bool advise) {
  CLI::App* cmd = advise ? app.add_subcommand("advise", "Rank schedules, transports and chunk counts by predicted time")
                         : app.add_subcommand("simulate", "Predict a sweep's times on a machine model (no GPU, no MPI)");
  cmd->add_option("-c,--config", sim.config, "Sweep config (JSON)")->required();
  cmd->add_option("--machine", sim.machine, "Machine model (cpbench calibrate; configs/machines/)")->required();
  cmd->add_option("-a,--axis", sim.axes, "Replace an axis: -a axis=v1,v2 (repeatable)");
  cmd->add_option("--filter", sim.filter, "Select points (see run --filter)");
  cmd->add_option("--world", sim.worlds, "World sizes, comma-separated; default: the config's world_size")
      ->delimiter(',')
      ->transform(integer_in(1, 1 << 20));
  cmd->add_option("--node-size", sim.node_size, "GPUs per node; default: the machine file's")
      ->transform(integer_in(1, 1 << 20));
  cmd->add_flag("-q,--quiet", sim.quiet, "No progress lines");
  cmd->add_option("--order", sim.order,
                  "Step order on the lanes: plan (as the schedule writes it) or list (the list scheduler's, "
                  "where it predicts a shorter plan; docs/SIMULATOR.md)")
      ->check(one_of({"plan", "list"}, "a step order"));
  if (advise) return cmd;
  cmd->add_option("-o,--out", sim.out, "Result JSON (records with runtime \"sim\")");
  cmd->add_flag("--force", sim.force, "Overwrite an existing --out");
  cmd->add_option("--trace", sim.trace_dir, "Write one Chrome trace JSON of the simulated timeline per point into DIR");
  return cmd;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"cpbench: benchmarks for context-parallel attention (Ulysses, Ring, HCMS, USP)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(CPBENCH_VERSION) + " (" + cpb::commit_text(cpb::build_commit()) + ")");

  cpb::RunArgs run;
  CLI::App* run_cmd = add_run_command(app, run);

  cpb::PlanArgs plan;
  CLI::App* plan_cmd = add_plan_command(app, plan);

  cpb::ProbeArgs probe;
  CLI::Option* probe_bytes = nullptr;
  CLI::App* probe_cmd = add_probe_command(app, probe, &probe_bytes);

  cpb::SimulateArgs sim, advise;
  advise.advise = true;
  CLI::App* simulate_cmd = add_simulate_command(app, sim, false);
  CLI::App* advise_cmd = add_simulate_command(app, advise, true);

  std::string list_format = "text";
  CLI::App* list_cmd = app.add_subcommand("list", "List schedules, axes, transports and masks");
  list_cmd->add_option("--format", list_format, "Output format (json: the registries, as in a result's provenance)")
      ->check(one_of({"text", "json"}, "a format"));

  std::string report_path, report_format = "md";
  CLI::App* report_cmd = app.add_subcommand("report", "Speedup tables from a result JSON");
  report_cmd->add_option("result", report_path, "Result JSON")->required();
  report_cmd->add_option("--format", report_format, "Output format")->check(one_of({"md", "csv"}, "a format"));

  std::string base_path, new_path;
  double threshold = 5.0, noise = 3.0;
  CLI::App* compare_cmd = app.add_subcommand("compare", "Gate on performance regressions: exit 1 on any");
  compare_cmd->add_option("base", base_path, "Baseline result JSON")->required();
  compare_cmd->add_option("new", new_path, "New result JSON")->required();
  compare_cmd->add_option("--threshold", threshold, "Minimum change that counts [%]")->check(number_at_least(0));
  compare_cmd->add_option("--noise", noise, "Allowed band in multiples of the combined CV")->check(number_at_least(0));

  cpb::CalibrateArgs calibrate;
  CLI::App* calibrate_cmd = add_calibrate_command(app, calibrate);

  const std::string commands = command_names(app);
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return "cpbench: error: " + std::string(e.what()) + "\nRun with --help for more information.\n";
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    const std::string word = unknown_word(app, commands);
    if (word.empty()) {
      app.exit(e);
    } else {
      std::fprintf(stderr, "cpbench: error: %s\n", word.c_str());
    }
    return cpb::exit_code::bad_input;  // usage errors, like every other bad input
  }

  cpb::configure_tiling_cache();
  // run, probe and calibrate catch their own errors (they end the whole MPI job); the commands
  // without MPI end here (bench/cli/error_path.hpp).
  if (*run_cmd) return cpb::cmd_run(run, &argc, &argv);
  if (*probe_cmd) {
    probe.bytes_given = probe_bytes->count() > 0;
    return cpb::cmd_probe(probe, &argc, &argv);
  }
  if (*calibrate_cmd) {
    calibrate.device_given = calibrate_cmd->get_option("--device")->count() > 0;
    return cpb::cmd_calibrate(calibrate, &argc, &argv);
  }
  try {
    if (*plan_cmd) return cpb::cmd_plan(plan);
    if (*list_cmd) return cpb::cmd_list(list_format);
    if (*report_cmd) return cpb::run_report(report_path, report_format, std::cout);
    if (*compare_cmd) return cpb::run_compare(base_path, new_path, threshold, noise, std::cout);
    if (*simulate_cmd || *advise_cmd)
      return cpb::cmd_simulate(*simulate_cmd ? sim : advise, std::vector<std::string>(argv, argv + argc));
  } catch (const std::exception& e) {
    return cpb::report_error(e);
  }
  return cpb::exit_code::bad_input;
}
