// The result file: {"schema_version": 1, "provenance": {...}, "points": [record, ...]}
// (docs/ARCHITECTURE.md gives its schema). Written by rank 0 of a sweep, read by
// `cpbench report`, `cpbench compare` and scripts/plots.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

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
// The constructor writes the file at once, with an empty points array: a sweep that dies
// at its first point still leaves a file naming what ran (its provenance). The driver
// validates its input before it constructs a ResultFile, so bad input writes nothing.
// Write failures (no permission, disk full) throw std::system_error naming the file.
// Not thread-safe; one writer (rank 0) per path.
class ResultFile {
 public:
  ResultFile(std::string path, nlohmann::json provenance);

  // Appends a record and rewrites the file.
  void add(nlohmann::json record);
  // Replaces record `index` (e.g. when derived metrics are recomputed once later rows
  // are in) and rewrites the file. Throws std::out_of_range for a bad index.
  void replace(std::size_t index, nlohmann::json record);

  // Replaces all records with `records` and rewrites the file once (cheaper than a
  // replace() per changed record when derived metrics of many rows change together).
  void assign(const std::vector<nlohmann::json>& records);

  const std::string& path() const { return path_; }
  const nlohmann::json& document() const { return doc_; }
  const nlohmann::json& points() const { return doc_["points"]; }

 private:
  void write() const;

  std::string path_;
  nlohmann::json doc_;
};

// The text a result document is written as: 2-space indented JSON and a final newline.
// Invalid UTF-8 in strings (e.g. from an error message) is replaced, not fatal;
// non-finite numbers are written as null.
std::string result_file_text(const nlohmann::json& doc);

// Reads and validates a result file: a JSON object with "schema_version" ==
// kResultSchemaVersion, an optional "provenance" object and a "points" array whose
// elements are objects with a string "schedule" and an object "params". Throws
// ResultFileError otherwise. Fields of a record beyond those are not checked: readers
// must accept them missing or null.
nlohmann::json load_result_file(const std::string& path);

}  // namespace cpb
