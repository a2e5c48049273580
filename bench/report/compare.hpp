// `cpbench compare BASE.json NEW.json [--threshold PCT] [--noise K]`: the CI gate on
// performance regressions (docs/CI.md). Points are matched by schedule + params; the
// p50 times of matched points are compared against a noise-aware band.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace cpb {

enum class Verdict {
  Same,     // |change| within the band
  Faster,   // change below -band: flagged, not a failure
  Slower,   // change above +band: regression
  Missing,  // timed in BASE, but absent from NEW, or present without a time: regression
  New,      // in NEW only, or first timed in NEW (BASE skipped or failed): not a failure
  Failed,   // status FAILED in NEW (wrong output): regression
  Skipped,  // timed in neither (BASE skipped or failed, NEW skipped): not compared
};
const char* to_string(Verdict v);
// Slower, Missing and Failed.
bool is_regression(Verdict v);

struct ComparedPoint {
  Verdict verdict = Verdict::Same;
  std::string point;                 // describe_point() of the record
  std::optional<double> base_ms;     // time_ms.p50 [ms]
  std::optional<double> new_ms;
  std::optional<double> change_pct;  // (new - base) / base * 100
  // max(threshold, K * sqrt(noise_base^2 + noise_new^2) * 100); a record's noise is the
  // between-round CV of its R >= 2 rounds' p50s over sqrt(R), else time_ms.cv
  std::optional<double> band_pct;
  std::string note;                  // why, for MISSING, FAILED, NEW and SKIPPED
};

struct Comparison {
  std::vector<ComparedPoint> points;  // BASE's points in BASE order, then NEW's new ones
  int count(Verdict v) const;
  bool regressed() const;             // any is_regression()
};

// Compares two loaded result documents. Records are matched by point_identity(); when an
// identity occurs several times in a file, the k-th occurrences are matched. A record is
// timed when its status is neither SKIPPED nor FAILED and time_ms.p50 > 0; a missing
// noise (no rounds, no cv) counts as 0 (the band is then the threshold alone). Throws
// UsageError when threshold_pct or noise_k is negative or not finite, and when no point of
// BASE is in NEW (files of unrelated sweeps, or an empty one: not a baseline and its new
// run).
Comparison compare_results(const nlohmann::json& base, const nlohmann::json& fresh, double threshold_pct,
                           double noise_k);

// One line per point (verdict, point, base and new p50, change, band, note), the
// regressions once more, and a summary line with the counts and the verdict.
void print_comparison(const Comparison& c, std::ostream& out);

// The `cpbench compare` command. Returns the exit code: 1 when any point is SLOWER,
// FAILED or MISSING; 0 otherwise (FASTER points are flagged in the output and counted,
// but pass); 2 after printing the error to stderr when a file cannot be read, the files
// have no point in common or an option is out of range. An incomplete file (result_file.hpp,
// incomplete_note) is compared as it is, after a warning on stderr.
int run_compare(const std::string& base_path, const std::string& new_path, double threshold_pct, double noise_k,
                std::ostream& out);

}  // namespace cpb
