// The result file: {"schema_version": 1, "complete": bool, "planned": N, "provenance":
// {...}, "points": [record, ...]} (docs/ARCHITECTURE.md gives its schema; what
// "complete" promises is in docs/RELIABILITY.md). Written by rank 0 of a sweep, read by
// `cpbench report`, `cpbench compare` and scripts/plots.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/interrupt.hpp"
#include "base/usage_error.hpp"

namespace cpb {

// The schema this build writes and reads. Bump it when a field of the schema in
// docs/ARCHITECTURE.md changes meaning or name (new fields alone do not need a bump).
inline constexpr int kResultSchemaVersion = 1;

// A result file that cannot be read: missing, not JSON, or not of the expected shape.
// A UsageError, so the driver reports it like any other bad input (exit 2). what() names
// the file and, where it applies, the offending field, e.g.
//   "base.json: points[3]: \"params\" is missing or not an object"
class ResultFileError : public UsageError {
 public:
  using UsageError::UsageError;
};

// The result file of one sweep, kept whole in memory and rewritten atomically (temporary
// file, fsync, rename: see atomic_file.hpp) after every change, so a crash or a kill
// loses nothing that finished and never leaves a half-written file.
//
// The file says "complete": false from its first write until finish(); "planned" is the
// number of points of the sweep. The constructor writes the file at once, holding the
// `kept` records (those of a resumed file, see bench/sweep/resume.hpp): a sweep that dies
// at its first point still leaves a file naming what ran (its provenance). The driver
// validates its input before it constructs a ResultFile, so bad input writes nothing.
//
// While it lives, a SIGINT/SIGTERM (base/interrupt.hpp) adds "interrupted": "<signal>"
// and rewrites the file; destroyed by an exception before finish(), it adds
// "interrupted": "error" (the message goes to stderr); a fatal() on this rank (the
// watchdog's timeout, a failed library call) adds "interrupted": "aborted" through an
// abort hook. Write failures (no permission, disk full) throw std::system_error naming
// the file. One writer (rank 0) per path; the methods may race only with the interrupt
// and abort hooks, which they exclude.
class ResultFile {
 public:
  ResultFile(std::string path, nlohmann::json provenance, int planned,
             const std::vector<nlohmann::json>& kept = {});
  ~ResultFile();
  ResultFile(const ResultFile&) = delete;
  ResultFile& operator=(const ResultFile&) = delete;

  // Replaces the records this sweep made with `records` and rewrites the file once. Kept
  // records are written too, merged by "index", where `records` has none of that index.
  void assign(const std::vector<nlohmann::json>& records);

  // Marks the file complete ("complete": true) and rewrites it.
  void finish();

  // Adds "interrupted": `reason` ("SIGINT", "SIGTERM", "error") and rewrites the file;
  // nothing once finish() ran.
  void mark_interrupted(const std::string& reason);

  const std::string& path() const { return path_; }
  nlohmann::json document() const;

 private:
  void write() const;  // with mu_ held
  // fatal()'s hook (the watchdog, a failed CUDA/NCCL/MPI call): "interrupted": "aborted",
  // unless another thread holds the file.
  void mark_aborted();

  std::string path_;
  std::map<int, nlohmann::json> kept_;  // by "index"
  mutable std::mutex mu_;
  nlohmann::json doc_;
  bool finished_ = false;
  int on_abort_ = -1;                         // fatal()'s hook (base/check.hpp): mark_aborted
  std::unique_ptr<InterruptHook> on_signal_;  // last: removed before the rest goes
};

// Whether a loaded result file is incomplete, in words for a warning: nullopt for a
// complete file or one written before "complete" existed; else e.g.
// "incomplete: 3 of 10 points, interrupted by SIGINT".
std::optional<std::string> incomplete_note(const nlohmann::json& doc);

// The text a result document is written as: 2-space indented JSON and a final newline.
// Invalid UTF-8 in strings (e.g. from an error message) is replaced, not fatal;
// non-finite numbers are written as null.
std::string result_file_text(const nlohmann::json& doc);

// Reads and validates a result file: a JSON object with "schema_version" ==
// kResultSchemaVersion, an optional "provenance" object and a "points" array whose
// elements are objects with a string "schedule" and an object "params"; "complete" a
// bool and "planned" an integer where present, "interrupted" a string. Throws
// ResultFileError otherwise. Fields of a record beyond those are not checked: readers
// must accept them missing or null.
nlohmann::json load_result_file(const std::string& path);

}  // namespace cpb
