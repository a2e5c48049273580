// cpbench_mutations: runs one schedule's plan with one planted bug (plan_mutations.hpp)
// on the CPU or CUDA runtime, verifies it as `cpbench run` does, and prints one JSON line
// (rank 0): the mutation, the point, max_abs_err, tolerance, their ratio, the ratio to the
// tolerance rule at the problem's dtype (ratio_at_dtype) and the verdict (PASS, FAILED, or
// NOT_APPLICABLE when the mutation does not apply to this plan).
//
//   mpirun -np P cpbench_mutations --device cpu --schedule ring --mutation skip_ring_step
//          --S 256 --H 4 --D 32 [--Hkv H] [--B 1] [--mask full] [--dtype bf16] [--chunks 1]
//          [--usp_u 0] [--verify auto] [--pass fwd]
// --mutation none runs the clean plan. --verify auto picks full or sampled as a config's
// "auto" does (bench/config/measure_settings.hpp).
#include <cstdio>
#include <map>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "bench/cli/runtime_select.hpp"
#include "bench/config/measure_settings.hpp"
#include "bench/runtime/tolerance.hpp"
#include "bench/schedule.hpp"
#include "comm/mpi_session.hpp"
#include "tests/mutations/plan_mutations.hpp"

namespace cpb {
namespace {

struct Args {
  std::map<std::string, std::string> kv{{"device", "cpu"}, {"mutation", "none"}, {"Hkv", "0"},  {"B", "1"},
                                        {"mask", "full"},  {"dtype", "bf16"},    {"chunks", "1"}, {"usp_u", "0"},
                                        {"verify", "auto"}, {"pass", "fwd"}};
  std::string operator[](const std::string& k) const {
    const auto it = kv.find(k);
    if (it == kv.end()) throw std::invalid_argument("missing --" + k);
    return it->second;
  }
  int64_t num(const std::string& k) const { return std::stoll((*this)[k]); }
};

Args parse_args(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i];
    if (key.rfind("--", 0) != 0) throw std::invalid_argument("expected --name value, got " + key);
    a.kv[key.substr(2)] = argv[i + 1];
  }
  return a;
}

Problem problem_of(const Args& a, int world) {
  Problem p;
  p.P = world;
  p.S = a.num("S");
  p.H = static_cast<int>(a.num("H"));
  p.Hkv = a.num("Hkv") > 0 ? static_cast<int>(a.num("Hkv")) : p.H;
  p.D = static_cast<int>(a.num("D"));
  p.B = static_cast<int>(a.num("B"));
  p.chunks = static_cast<int>(a.num("chunks"));
  p.usp_u = static_cast<int>(a.num("usp_u"));
  if (!parse_mask(a["mask"], &p.mask)) throw std::invalid_argument("bad --mask " + a["mask"]);
  if (!parse_dtype(a["dtype"], &p.dtype)) throw std::invalid_argument("bad --dtype " + a["dtype"]);
  if (!parse_pass(a["pass"], &p.pass)) throw std::invalid_argument("bad --pass " + a["pass"]);
  return p;
}

VerifyMode verify_mode(const std::string& s, const Problem& p) {
  if (s == "full") return VerifyMode::Full;
  if (s == "sampled") return VerifyMode::Sampled;
  if (s != "auto") throw std::invalid_argument("bad --verify " + s);
  const double scores = static_cast<double>(p.B) * p.H * static_cast<double>(p.S) * static_cast<double>(p.S);
  return scores <= cfg::kAutoFullVerifyScores ? VerifyMode::Full : VerifyMode::Sampled;
}

nlohmann::json run_point(const Args& a, const MpiSession& mpi) {
  const Problem p = problem_of(a, mpi.size());
  const Schedule* sched = find_schedule(a["schedule"]);
  if (!sched) throw std::invalid_argument("unknown --schedule " + a["schedule"]);
  if (const Reason why = sched->unsupported(p)) throw std::invalid_argument("unsupported point: " + *why);
  const VerifyMode mode = verify_mode(a["verify"], p);
  nlohmann::json row{{"mutation", a["mutation"]}, {"schedule", sched->name()}, {"device", a["device"]},
                     {"P", p.P}, {"S", p.S}, {"H", p.H}, {"Hkv", p.Hkv}, {"D", p.D}, {"B", p.B},
                     {"mask", a["mask"]}, {"dtype", a["dtype"]}, {"verify", to_string(mode)},
                     {"pass", to_string(p.pass)}};
  Plan plan = sched->plan(p, mpi.rank());
  const std::string why = a["mutation"] == "none" ? "" : test::apply_mutation(a["mutation"], p, plan);
  if (!allreduce_or(why.empty(), mpi.world())) {
    row["verdict"] = "NOT_APPLICABLE";
    return row;
  }
  std::unique_ptr<Runtime> runtime = make_runtime(a["device"], mpi);
  RunOptions opt;
  opt.transport = runtime->transports().front();
  auto exec = runtime->prepare(p, plan, opt);
  exec->run(nullptr);
  const VerifyResult v = exec->verify(mode);
  // The output O, then each gradient: the row reports the one closest to (or furthest
  // past) its tolerance.
  struct Checked {
    std::string tensor;
    double err, tol;
    bool nonfinite;
    int64_t terms;  // the longest sum of its tolerance rule
  };
  std::vector<Checked> all{{"o", v.max_abs_err, v.tolerance, v.nonfinite, p.S}};
  for (const TensorVerify& g : v.gradients)
    all.push_back({g.tensor, g.max_abs_err, g.tolerance, g.nonfinite, g.tensor == "dq" ? p.S : p.S * p.group_size()});
  bool nonfinite = false;
  size_t worst = 0;
  for (size_t i = 0; i < all.size(); ++i) {
    all[i].err = allreduce_max(all[i].err, mpi.world());
    all[i].tol = allreduce_min(all[i].tol, mpi.world());
    nonfinite = allreduce_or(all[i].nonfinite, mpi.world()) || nonfinite;
    if (all[i].err / all[i].tol > all[worst].err / all[worst].tol) worst = i;
  }
  const Checked& w = all[worst];
  row["tensor"] = w.tensor;
  row["max_abs_err"] = w.err;
  row["tolerance"] = w.tol;
  row["ratio"] = w.err / w.tol;
  // The same error against the tolerance rule at the problem's dtype (what a GPU run of
  // this point would be held to; equal to ratio on the GPU): the rule's magnitude (max|ref|
  // for O, the largest rounding magnitude for a gradient) is recovered from tol.
  const DType storage = runtime->name() == "cpu" ? DType::FP32 : p.dtype;
  const double magnitude = w.tol / verify_tolerance(storage, w.terms, p.D, 1.0);
  row["ratio_at_dtype"] = w.err / verify_tolerance(p.dtype, w.terms, p.D, magnitude);
  row["nonfinite"] = nonfinite;
  row["verdict"] = !nonfinite && w.err <= w.tol ? "PASS" : "FAILED";
  return row;
}

}  // namespace
}  // namespace cpb

int main(int argc, char** argv) {
  cpb::MpiSession mpi(&argc, &argv);
  try {
    const nlohmann::json row = cpb::run_point(cpb::parse_args(argc, argv), mpi);
    if (mpi.rank() == 0) std::printf("%s\n", row.dump().c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cpbench_mutations: %s\n", e.what());
    return 2;
  }
}
