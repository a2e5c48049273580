// read_config_json: a config file's text into JSON, with the duplicate-key check (json_file.hpp).
#include "bench/config/json_file.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <utility>
#include <vector>

#include "base/usage_error.hpp"

namespace cpb::cfg {
namespace {

using nlohmann::json;

// Follows the parser through the document to name where a duplicate key sits: one frame
// per open object or array, holding its path, the keys seen so far (objects) or the index
// of the next element (arrays).
class DuplicateKeyCheck {
 public:
  explicit DuplicateKeyCheck(std::string path) : path_(std::move(path)) {}

  bool operator()(int /*depth*/, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        frames_.push_back({event == json::parse_event_t::object_start, child_path(), {}, "", 0});
        break;
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        frames_.pop_back();
        next_element();
        break;
      case json::parse_event_t::key: {
        Frame& f = frames_.back();
        f.key = parsed.get<std::string>();
        if (!f.keys.insert(f.key).second)
          throw UsageError(path_ + ": " + child_path() + ": the key \"" + f.key + "\" appears twice in one object");
        break;
      }
      case json::parse_event_t::value: next_element(); break;
    }
    return true;
  }

 private:
  struct Frame {
    bool object;
    std::string path;  // "" for the top level, else "axes", "skip[0].if", ...
    std::set<std::string> keys;
    std::string key;   // objects: the member being read
    size_t index;      // arrays: the element being read
  };

  // The path of the value being read: "(top level)" when no container is open.
  std::string child_path() const {
    if (frames_.empty()) return "";
    const Frame& f = frames_.back();
    if (!f.object) return f.path + "[" + std::to_string(f.index) + "]";
    return f.path.empty() ? f.key : f.path + "." + f.key;
  }

  void next_element() {
    if (!frames_.empty() && !frames_.back().object) ++frames_.back().index;
  }

  std::string path_;
  std::vector<Frame> frames_;
};

}  // namespace

json read_config_json(const std::string& path, const std::string& what) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(path, ec)) throw UsageError(path + ": cannot read the " + what + ": no such file");
  if (fs::is_directory(path, ec)) throw UsageError(path + ": cannot read the " + what + ": it is a directory");
  std::ifstream in(path);
  if (!in) throw UsageError(path + ": cannot read the " + what + ": " + std::strerror(errno));
  try {
    return json::parse(in, DuplicateKeyCheck(path));
  } catch (const json::exception& e) {
    // A parse_error ("[json.exception.parse_error.101] parse error at line L, column C:
    // ...") or an out_of_range for a number beyond a double ("... number overflow parsing
    // '1e400'").
    std::string msg = e.what();
    const size_t cut = msg.find("] ");
    if (cut != std::string::npos) msg = msg.substr(cut + 2);
    throw UsageError(path + ": invalid JSON: " + msg);
  }
}

}  // namespace cpb::cfg
