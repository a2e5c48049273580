// Reading checked values out of a JSON document (the machine file, the probe and result
// files calibrate fits from): a value and its path, whose getters throw UsageError
//   "<file>: <path>: <value> is not <what>; allowed: <allowed>"
// e.g. `h200.json: transports[1].gbps: -3 is not positive; allowed: numbers > 0`, and
// `<file>: <path>: missing; allowed: ...` for an absent key.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace cpb {

class JsonField {
 public:
  // `file`: what the message names first; `path`: the JSON path of `j` in it ("" for the
  // root). `j` is referenced, not copied: it must outlive the field. nullptr: absent.
  JsonField(const nlohmann::json* j, std::string file, std::string path = "")
      : j_(j), file_(std::move(file)), path_(std::move(path)) {}

  // "<file>: <path>", or "<file>" at the root.
  std::string where() const { return path_.empty() ? file_ : file_ + ": " + path_; }
  bool present() const { return j_ != nullptr; }
  const nlohmann::json& value() const;  // UsageError when absent

  // The member `key` (maybe absent); UsageError when this value is not an object.
  JsonField operator[](const char* key) const;
  bool has(const char* key) const;
  // Elements of an array: size() fails ("is not an array") for anything else.
  size_t size() const;
  JsonField item(size_t i) const;
  // Fails for a key of this object that is not in `keys`, naming them (did you mean).
  void only_keys(const std::vector<std::string>& keys) const;

  std::string str() const;
  bool boolean() const;
  // An integer in [lo, hi] (2.0 is not an integer: files are written by cpbench).
  int64_t integer(int64_t lo, int64_t hi) const;
  double positive() const;      // a number > 0
  double non_negative() const;  // a number >= 0
  double fraction() const;      // a number in [0, 1]
  double at_least_one() const;  // a number >= 1
  // One of `names` (a dtype, transport, profile, schema...), `noun` as in "a transport".
  std::string name(const std::string& noun, const std::vector<std::string>& names) const;

  [[noreturn]] void fail(const std::string& problem, const std::string& allowed) const;

 private:
  double number(const char* test, const std::string& allowed, bool ok(double)) const;
  JsonField child(const nlohmann::json* j, const std::string& step) const;
  const nlohmann::json* j_;
  std::string file_, path_;
};

// The root of document `doc` read from `file`.
inline JsonField json_root(const nlohmann::json& doc, const std::string& file) { return JsonField(&doc, file); }

}  // namespace cpb
