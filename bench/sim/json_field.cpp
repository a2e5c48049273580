#include "bench/sim/json_field.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "base/usage_error.hpp"
#include "bench/config/diagnostics.hpp"

namespace cpb {

using nlohmann::json;

void JsonField::fail(const std::string& problem, const std::string& allowed) const {
  cfg::fail(where(), problem, allowed);
}

const json& JsonField::value() const {
  if (!j_) fail("missing", "a value");
  return *j_;
}

JsonField JsonField::child(const json* j, const std::string& step) const {
  const bool index = !step.empty() && step[0] == '[';
  return JsonField(j, file_, path_.empty() || index ? path_ + step : path_ + "." + step);
}

JsonField JsonField::operator[](const char* key) const {
  if (!j_ || !j_->is_object()) fail((j_ ? cfg::show(*j_) + " is not an object" : "missing"), "a JSON object");
  const auto it = j_->find(key);
  return child(it == j_->end() ? nullptr : &*it, key);
}

bool JsonField::has(const char* key) const { return j_ && j_->is_object() && j_->contains(key); }

size_t JsonField::size() const {
  if (!j_) fail("missing", "a JSON array");
  if (!j_->is_array()) fail(cfg::show(*j_) + " is not an array", "a JSON array");
  return j_->size();
}

JsonField JsonField::item(size_t i) const { return child(&j_->at(i), "[" + std::to_string(i) + "]"); }

void JsonField::only_keys(const std::vector<std::string>& keys) const {
  if (!j_ || !j_->is_object()) return;
  for (const auto& kv : j_->items()) {
    if (std::find(keys.begin(), keys.end(), kv.key()) != keys.end()) continue;
    child(&kv.value(), kv.key())
        .fail("\"" + kv.key() + "\" is not a field here", cfg::join(keys) + cfg::suggestion(kv.key(), keys));
  }
}

std::string JsonField::str() const {
  if (!j_) fail("missing", "a string");
  if (!j_->is_string()) fail(cfg::show(*j_) + " is not a string", "a string");
  return j_->get<std::string>();
}

bool JsonField::boolean() const {
  if (!j_) fail("missing", "true or false");
  if (!j_->is_boolean()) fail(cfg::show(*j_) + " is not true or false", "true or false");
  return j_->get<bool>();
}

int64_t JsonField::integer(int64_t lo, int64_t hi) const {
  const std::string allowed = "integers from " + std::to_string(lo) + " to " + std::to_string(hi);
  if (!j_) fail("missing", allowed);
  if (!j_->is_number_integer()) fail(cfg::show(*j_) + " is not an integer", allowed);
  if (j_->is_number_unsigned() && j_->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    fail(cfg::show(*j_) + " is out of range", allowed);
  const int64_t v = j_->get<int64_t>();
  if (v < lo || v > hi) fail(cfg::show(*j_) + " is out of range", allowed);
  return v;
}

double JsonField::number(const char* test, const std::string& allowed, bool ok(double)) const {
  if (!j_) fail("missing", allowed);
  if (!j_->is_number()) fail(cfg::show(*j_) + " is not a number", allowed);
  const double v = j_->get<double>();
  if (!std::isfinite(v) || !ok(v)) fail(cfg::show(*j_) + " is not " + test, allowed);
  return v;
}

double JsonField::positive() const {
  return number("positive", "numbers > 0", [](double v) { return v > 0; });
}
double JsonField::non_negative() const {
  return number("non-negative", "numbers >= 0", [](double v) { return v >= 0; });
}
double JsonField::fraction() const {
  return number("in [0, 1]", "numbers from 0 to 1", [](double v) { return v >= 0 && v <= 1; });
}
double JsonField::at_least_one() const {
  return number("at least 1", "numbers >= 1", [](double v) { return v >= 1; });
}

std::string JsonField::name(const std::string& noun, const std::vector<std::string>& names) const {
  const std::string allowed = cfg::join(names);
  if (!j_) fail("missing", allowed);
  if (!j_->is_string()) fail(cfg::show(*j_) + " is not " + noun, allowed);
  const std::string s = j_->get<std::string>();
  if (std::find(names.begin(), names.end(), s) == names.end()) cfg::fail_name(where(), *j_, noun, names);
  return s;
}

}  // namespace cpb
