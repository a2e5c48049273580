#include "bench/schedules/hcms_chunks_auto.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <utility>

#include "bench/sweep/measure.hpp"
#include "comm/mpi_session.hpp"

namespace cpb {
namespace {

// Least-squares coefficients x of rows[i] . x ~ t[i], from the normal equations solved by
// Gauss-Jordan elimination with partial pivoting. Precondition: the rows' columns are
// linearly independent (here: distinct chunk counts, at least as many as columns).
std::vector<double> least_squares(const std::vector<std::vector<double>>& rows, const std::vector<double>& t) {
  const size_t n = rows.front().size();
  std::vector<std::vector<double>> m(n, std::vector<double>(n + 1, 0.0));  // [R^T R | R^T t]
  for (size_t i = 0; i < rows.size(); ++i)
    for (size_t a = 0; a < n; ++a) {
      for (size_t b = 0; b < n; ++b) m[a][b] += rows[i][a] * rows[i][b];
      m[a][n] += rows[i][a] * t[i];
    }
  for (size_t col = 0; col < n; ++col) {
    size_t pivot = col;
    for (size_t r = col + 1; r < n; ++r)
      if (std::fabs(m[r][col]) > std::fabs(m[pivot][col])) pivot = r;
    std::swap(m[col], m[pivot]);
    for (size_t r = 0; r < n; ++r) {
      if (r == col) continue;
      const double f = m[r][col] / m[col][col];
      for (size_t k = col; k <= n; ++k) m[r][k] -= f * m[col][k];
    }
  }
  std::vector<double> x(n);
  for (size_t a = 0; a < n; ++a) x[a] = m[a][n] / m[a][a];
  return x;
}

Problem with_chunks(const Problem& p, int chunks) {
  Problem out = p;
  out.chunks = chunks;
  return out;
}

// `plan` under the short settings; collective.
Stats time_plan(Runtime& runtime, const Problem& p, const Plan& plan, const RunOptions& opt,
                const MeasureSettings& quick, MPI_Comm comm) {
  return measure_plan(runtime, p, plan, opt, quick, comm).stats;
}

ChunkSample sample(int chunks, const Stats& t) { return ChunkSample{chunks, t.p50, t.p10, t.p90}; }

}  // namespace

ChunkFit fit_chunk_model(const std::vector<ChunkSample>& samples, double t_comm_ms) {
  ChunkFit f;
  std::vector<std::vector<double>> rows;
  std::vector<double> t;
  if (samples.size() >= 3) {
    for (const ChunkSample& s : samples) {
      rows.push_back({1.0, 1.0 / s.chunks, static_cast<double>(s.chunks)});
      t.push_back(s.time_ms);
    }
    const std::vector<double> x = least_squares(rows, t);
    f.A_ms = x[0];
    f.X_ms = x[1];
    f.beta_ms = x[2];
    return f;
  }
  f.X_ms = t_comm_ms;
  for (const ChunkSample& s : samples) {
    rows.push_back({1.0, static_cast<double>(s.chunks)});
    t.push_back(s.time_ms - f.X_ms / s.chunks);
  }
  if (samples.size() == 2) {
    const std::vector<double> x = least_squares(rows, t);
    f.A_ms = x[0];
    f.beta_ms = x[1];
  } else {
    f.A_ms = t.front();
  }
  return f;
}

int best_chunks(const ChunkFit& fit, int max_chunks) {
  const auto faster = [&](int a, int b) { return fit.at(b) < fit.at(a) ? b : a; };  // a on a tie
  if (fit.X_ms > 0 && fit.beta_ms > 0) {
    const double c = std::sqrt(fit.X_ms / fit.beta_ms);
    const double hi = max_chunks;
    return faster(static_cast<int>(std::clamp(std::floor(c), 1.0, hi)),
                  static_cast<int>(std::clamp(std::ceil(c), 1.0, hi)));
  }
  if (fit.X_ms > 0) return max_chunks;
  if (fit.beta_ms > 0) return 1;
  return faster(1, max_chunks);
}

std::vector<int> chunk_candidates(int max_chunks) {
  std::vector<int> out;
  for (int c : {1, 2, 4, max_chunks})
    if (c <= max_chunks && std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
  std::sort(out.begin(), out.end());
  return out;
}

int max_auto_chunks(const Problem& p) { return p.H / p.P; }

std::vector<int> even_split_neighbours(int c, int heads) {
  int below = 1, above = heads;
  for (int d = 1; d <= heads; ++d) {
    if (heads % d != 0) continue;
    if (d <= c) below = d;
    if (d >= c && above == heads) above = d;
  }
  return below == above ? std::vector<int>{below} : std::vector<int>{below, above};
}

MeasureSettings calibration_settings(const MeasureSettings& point) {
  MeasureSettings s = point;
  s.warmup = std::min(point.warmup, 1);
  s.min_iterations = std::min(point.iterations, 5);
  s.max_seconds = point.max_seconds / 3;
  return s;
}

nlohmann::json ChunkCalibration::to_json() const {
  const auto to_array = [](const std::vector<ChunkSample>& xs) {
    nlohmann::json out = nlohmann::json::array();
    for (const ChunkSample& s : xs)
      out.push_back({{option_spec(Option::Chunks).name, s.chunks},
                     {"time_ms", s.time_ms},
                     {"p10_ms", s.p10_ms},
                     {"p90_ms", s.p90_ms}});
    return out;
  };
  return {{"A_ms", fit.A_ms},
          {"X_ms", fit.X_ms},
          {"beta_ms", fit.beta_ms},
          {"t_comm_ms", t_comm_ms},
          {"model_chunks", model_chunks},
          {"candidates", to_array(samples)},
          {"final_round", to_array(final_round)}};
}

ChunkCalibration calibrate_chunks(Runtime& runtime, const Schedule& schedule, const Problem& p,
                                  const RunOptions& opt, const MeasureSettings& settings, MPI_Comm comm, int rank) {
  const MeasureSettings quick = calibration_settings(settings);
  // This rank's plan at c chunks, or nullopt when some rank cannot run it. unsupported()
  // is a function of the problem alone, so every rank takes that branch alike.
  auto runnable_plan = [&](int c) -> std::optional<Plan> {
    const Problem pc = with_chunks(p, c);
    if (schedule.unsupported(pc)) return std::nullopt;
    Plan plan = schedule.plan(pc, rank);
    if (allreduce_or(runtime.unsupported_plan(pc, plan, opt).has_value(), comm)) return std::nullopt;
    return plan;
  };
  ChunkCalibration cal;
  // The plans of the first round, by chunk count, for the final round: a count that ran
  // runs again on the same plan, whatever unsupported_plan() (free memory) says by then.
  std::map<int, Plan> plans;
  const auto time_first_round = [&](int c, const Plan& plan) {
    cal.samples.push_back(sample(c, time_plan(runtime, with_chunks(p, c), plan, opt, quick, comm)));
    plans.emplace(c, plan);
  };
  for (int c : chunk_candidates(max_auto_chunks(p))) {
    const std::optional<Plan> plan = runnable_plan(c);
    if (!plan && c == 1) return cal;
    if (!plan) continue;
    if (c == 1) {
      const Problem pc = with_chunks(p, c);
      const Plan comm_only = filter_steps(*plan, [](const Step& s) { return s.is_comm(); });
      cal.t_comm_ms = comm_only.steps.empty() ? 0.0 : time_plan(runtime, pc, comm_only, opt, quick, comm).p50;
    }
    time_first_round(c, *plan);
  }
  if (cal.samples.empty()) return cal;
  cal.fit = fit_chunk_model(cal.samples, cal.t_comm_ms);
  cal.model_chunks = best_chunks(cal.fit, cal.samples.back().chunks);
  // The model knows the fill, the drain and a per-chunk cost but not the attention
  // kernel's speed at each head count, which moves a point by a few percent (even splits
  // run equal tiles). So the model's count is snapped to the even splits around it, and
  // those are timed too.
  for (int c : even_split_neighbours(cal.model_chunks, max_auto_chunks(p))) {
    if (plans.count(c) != 0) continue;
    const std::optional<Plan> plan = runnable_plan(c);
    if (plan) time_first_round(c, *plan);
  }
  const auto faster = [](const ChunkSample& a, const ChunkSample& b) { return a.time_ms < b.time_ms; };
  std::vector<ChunkSample> ranked = cal.samples;
  std::stable_sort(ranked.begin(), ranked.end(), faster);
  std::sort(cal.samples.begin(), cal.samples.end(),
            [](const ChunkSample& a, const ChunkSample& b) { return a.chunks < b.chunks; });
  cal.chosen = ranked.front().chunks;
  if (ranked.size() < 2) return cal;
  for (size_t i = 0; i < 2; ++i) {
    const int c = ranked[i].chunks;
    cal.final_round.push_back(sample(c, time_plan(runtime, with_chunks(p, c), plans.at(c), opt, settings, comm)));
  }
  std::stable_sort(cal.final_round.begin(), cal.final_round.end(), faster);
  cal.chosen = cal.final_round.front().chunks;
  return cal;
}

std::optional<ChunkCalibration> resolve_auto_chunks(Runtime& runtime, const Schedule& schedule, Problem& p,
                                                    const RunOptions& opt, const MeasureSettings& settings,
                                                    MPI_Comm comm, int rank) {
  if (!p.chunks_auto) return std::nullopt;
  ChunkCalibration cal = calibrate_chunks(runtime, schedule, p, opt, settings, comm, rank);
  p.chunks = cal.chosen;
  return cal;
}

}  // namespace cpb
