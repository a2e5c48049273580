#include "bench/report/result_file.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "bench/report/atomic_file.hpp"

namespace cpb {

ResultFile::ResultFile(std::string path, nlohmann::json provenance) : path_(std::move(path)) {
  doc_ = {{"schema_version", kResultSchemaVersion},
          {"provenance", std::move(provenance)},
          {"points", nlohmann::json::array()}};
  write();
}

void ResultFile::add(nlohmann::json record) {
  doc_["points"].push_back(std::move(record));
  write();
}

void ResultFile::replace(std::size_t index, nlohmann::json record) {
  nlohmann::json& points = doc_["points"];
  if (index >= points.size())
    throw std::out_of_range("ResultFile::replace: index " + std::to_string(index) + " of " +
                            std::to_string(points.size()) + " points");
  points[index] = std::move(record);
  write();
}

void ResultFile::assign(const std::vector<nlohmann::json>& records) {
  doc_["points"] = records;
  write();
}

void ResultFile::write() const { write_file_atomically(path_, result_file_text(doc_)); }

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
