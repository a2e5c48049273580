#include "bench/config/diagnostics.hpp"

#include <algorithm>
#include <cctype>

#include "bench/config/config.hpp"

namespace cpb::cfg {

std::string show(const nlohmann::json& v) {
  constexpr size_t kMax = 60;
  std::string s = v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (s.size() > kMax) s = s.substr(0, kMax - 3) + "...";
  return s;
}

std::string quote(const std::string& text) {
  return nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string join(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += sep;
    out += items[i];
  }
  return out;
}

int edit_distance(const std::string& a, const std::string& b) {
  const size_t n = a.size(), m = b.size();
  auto same = [&](size_t i, size_t j) {
    return std::tolower(static_cast<unsigned char>(a[i])) == std::tolower(static_cast<unsigned char>(b[j]));
  };
  std::vector<std::vector<int>> d(n + 1, std::vector<int>(m + 1, 0));
  for (size_t i = 0; i <= n; ++i) d[i][0] = static_cast<int>(i);
  for (size_t j = 0; j <= m; ++j) d[0][j] = static_cast<int>(j);
  for (size_t i = 1; i <= n; ++i) {
    for (size_t j = 1; j <= m; ++j) {
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (same(i - 1, j - 1) ? 0 : 1)});
      if (i > 1 && j > 1 && same(i - 1, j - 2) && same(i - 2, j - 1))
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[n][m];
}

std::string suggestion(const std::string& word, const std::vector<std::string>& candidates) {
  // Accept about one edit in three characters, so short names still get a hint.
  const int limit = word.size() <= 3 ? 1 : word.size() <= 6 ? 2 : 3;
  const std::string* best = nullptr;
  int best_d = limit + 1;
  for (const std::string& c : candidates) {
    // A name cut short ("sched" for "schedule") counts as one edit.
    const bool prefix =
        word.size() >= 3 && word.size() < c.size() && edit_distance(word, c.substr(0, word.size())) == 0;
    const int d = prefix ? 1 : edit_distance(word, c);
    if (d < best_d) {
      best_d = d;
      best = &c;
    }
  }
  return best ? " (did you mean \"" + *best + "\"?)" : "";
}

void fail(const std::string& where, const std::string& problem, const std::string& allowed) {
  throw UsageError(where + ": " + problem + "; allowed: " + allowed);
}

void fail_name(const std::string& where, const nlohmann::json& v, const std::string& noun,
               const std::vector<std::string>& allowed) {
  const std::string hint = v.is_string() ? suggestion(v.get<std::string>(), allowed) : "";
  fail(where, show(v) + " is not " + noun, join(allowed) + hint);
}

}  // namespace cpb::cfg
