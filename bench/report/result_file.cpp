#include "bench/report/result_file.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <exception>
#include <stdexcept>

#include "base/atomic_file.hpp"
#include "base/check.hpp"

namespace cpb {

ResultFile::ResultFile(std::string path, nlohmann::json provenance, int planned,
                       const std::vector<nlohmann::json>& kept)
    : path_(std::move(path)) {
  for (const nlohmann::json& r : kept) kept_[r.value("index", -1)] = r;
  doc_ = {{"schema_version", kResultSchemaVersion},
          {"complete", false},
          {"planned", planned},
          {"provenance", std::move(provenance)},
          {"points", nlohmann::json::array()}};
  for (const auto& kv : kept_) doc_["points"].push_back(kv.second);
  write();
  on_signal_ = std::make_unique<InterruptHook>([this](const std::string& signal) { mark_interrupted(signal); });
  on_abort_ = add_abort_hook([this] { mark_aborted(); });
}

ResultFile::~ResultFile() {
  remove_abort_hook(on_abort_);
  on_signal_.reset();
  if (finished_ || std::uncaught_exceptions() == 0) return;
  try {
    mark_interrupted("error");
  } catch (const std::exception&) {
    // The exception in flight says what went wrong; a second one cannot be reported.
  }
}

void ResultFile::assign(const std::vector<nlohmann::json>& records) {
  std::map<int, nlohmann::json> merged = kept_;
  for (const nlohmann::json& r : records) merged[r.value("index", -1)] = r;
  nlohmann::json points = nlohmann::json::array();
  for (auto& kv : merged) points.push_back(std::move(kv.second));
  std::lock_guard<std::mutex> lock(mu_);
  doc_["points"] = std::move(points);
  write();
}

void ResultFile::finish() {
  std::lock_guard<std::mutex> lock(mu_);
  doc_["complete"] = true;
  write();
  finished_ = true;
}

void ResultFile::mark_interrupted(const std::string& reason) {
  std::lock_guard<std::mutex> lock(mu_);
  if (finished_) return;  // complete: a late signal changes nothing in it
  doc_["interrupted"] = reason;
  write();
}

void ResultFile::mark_aborted() {
  // fatal() may run on the watchdog's thread while this one writes: then the file on disk
  // is whole (the write is atomic) and stays without the mark.
  std::unique_lock<std::mutex> lock(mu_, std::try_to_lock);
  if (!lock.owns_lock() || finished_) return;
  doc_["interrupted"] = "aborted";
  try {
    write();
  } catch (const std::exception&) {
    // fatal() goes on to end the job; its own message says what went wrong.
  }
}

nlohmann::json ResultFile::document() const {
  std::lock_guard<std::mutex> lock(mu_);
  return doc_;
}

void ResultFile::write() const { write_file_atomically(path_, result_file_text(doc_)); }

std::optional<std::string> incomplete_note(const nlohmann::json& doc) {
  const auto complete = doc.find("complete");
  if (complete == doc.end() || !complete->is_boolean() || complete->get<bool>()) return std::nullopt;
  const auto points = doc.find("points");
  std::string note = "incomplete: " + std::to_string(points != doc.end() ? points->size() : 0);
  const auto planned = doc.find("planned");
  if (planned != doc.end() && planned->is_number_integer()) note += " of " + std::to_string(planned->get<int>());
  note += " points";
  const auto why = doc.find("interrupted");
  if (why != doc.end() && why->is_string())
    note += why->get<std::string>() == "error" ? ", stopped by an error" : ", interrupted by " + why->get<std::string>();
  else
    note += ", the run was killed or is still running";
  return note;
}

std::string result_file_text(const nlohmann::json& doc) {
  return doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

nlohmann::json load_result_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw ResultFileError(path + ": cannot open the result file: it is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const std::string why = std::filesystem::exists(path, ec) ? std::strerror(errno) : "no such file";
    throw ResultFileError(path + ": cannot open the result file: " + why);
  }
  nlohmann::json doc;
  try {
    // From the stream, so text that is not JSON fails at its first bad character (a device
    // such as /dev/zero never ends).
    doc = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    // A parse_error ("[json.exception.parse_error.101] parse error at line L, column C:
    // ...") or an out_of_range for a number beyond a double ("... number overflow ...").
    const std::string msg = e.what();
    const size_t cut = msg.find("] ");
    throw ResultFileError(path + ": not valid JSON: " + (cut == std::string::npos ? msg : msg.substr(cut + 2)));
  }
  if (!doc.is_object()) throw ResultFileError(path + ": not a result file (the top level is not an object)");

  const auto version = doc.find("schema_version");
  if (version == doc.end() || !version->is_number_integer())
    throw ResultFileError(path + ": not a result file (no integer \"schema_version\")");
  const int v = version->get<int>();
  if (v != kResultSchemaVersion)
    throw ResultFileError(path + ": schema_version " + std::to_string(v) + " is not supported; this cpbench reads " +
                          std::to_string(kResultSchemaVersion) +
                          (v > kResultSchemaVersion ? " (the file was written by a newer cpbench)" : ""));

  const auto prov = doc.find("provenance");
  if (prov != doc.end() && !prov->is_object() && !prov->is_null())
    throw ResultFileError(path + ": \"provenance\" is not an object");

  const auto check_type = [&](const char* key, bool (*ok)(const nlohmann::json&), const char* allowed) {
    const auto field = doc.find(key);
    if (field != doc.end() && !ok(*field))
      throw ResultFileError(path + ": \"" + key + "\" is " + field->type_name() + ", not " + allowed);
  };
  check_type("complete", [](const nlohmann::json& j) { return j.is_boolean(); }, "a bool");
  check_type("planned", [](const nlohmann::json& j) { return j.is_number_integer(); }, "an integer");
  check_type("interrupted", [](const nlohmann::json& j) { return j.is_string(); }, "a string");

  const auto points = doc.find("points");
  if (points == doc.end() || !points->is_array())
    throw ResultFileError(path + ": \"points\" is missing or not an array");
  for (std::size_t i = 0; i < points->size(); ++i) {
    const nlohmann::json& r = (*points)[i];
    const std::string where = path + ": points[" + std::to_string(i) + "]: ";
    if (!r.is_object()) throw ResultFileError(where + "not an object");
    if (!r.contains("schedule") || !r["schedule"].is_string())
      throw ResultFileError(where + "\"schedule\" is missing or not a string");
    if (!r.contains("params") || !r["params"].is_object())
      throw ResultFileError(where + "\"params\" is missing or not an object");
  }
  return doc;
}

}  // namespace cpb
