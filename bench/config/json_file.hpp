// Reading a sweep config's JSON text: missing, unreadable and directory paths, broken
// JSON (with its line and column) and keys that appear twice in one object are errors.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace cpb::cfg {

// The parsed file. Throws UsageError "<path>: <problem>" for a path that is not a readable
// file ("cannot read the <what>: no such file"), for text that is not JSON, and for a
// key written twice in one object ("<path>: axes.S: the key "S" appears twice in one
// object"), which JSON parsers otherwise resolve silently, each its own way.
nlohmann::json read_config_json(const std::string& path, const std::string& what = "config");

}  // namespace cpb::cfg
