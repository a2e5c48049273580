// Error messages of config and command-line validation. Every message has the form
//   <where>: <value> <problem>; allowed: <what>[ (did you mean "<x>"?)]
// where <where> is "<file>: <json path>" (e.g. "configs/x.json: axes.mask[1]"),
// "-a <axis>" for an override, or "--filter" for a filter expression.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace cpb::cfg {

// A value as it appears in JSON (strings quoted), cut to about 60 characters.
std::string show(const nlohmann::json& v);

// `text` as a JSON string literal, not cut. Bytes that are not UTF-8 (command-line text is
// not checked) are written as U+FFFD, so the message is still made.
std::string quote(const std::string& text);

std::string join(const std::vector<std::string>& items, const char* sep = ", ");

// Optimal-string-alignment distance (a transposition counts as one edit), ignoring case.
int edit_distance(const std::string& a, const std::string& b);

// " (did you mean \"x\"?)" for the candidate closest to `word`, or "" when none is close.
std::string suggestion(const std::string& word, const std::vector<std::string>& candidates);

// Throws UsageError("<where>: <problem>; allowed: <allowed>").
[[noreturn]] void fail(const std::string& where, const std::string& problem, const std::string& allowed);

// Throws for a name that is not one of `allowed`: "<v> is not <noun>; allowed: a, b (did
// you mean "a"?)". `noun` reads after "is not", e.g. "a mask".
[[noreturn]] void fail_name(const std::string& where, const nlohmann::json& v, const std::string& noun,
                            const std::vector<std::string>& allowed);

}  // namespace cpb::cfg
