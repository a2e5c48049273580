#include "bench/report/text_format.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace cpb {
namespace {

std::string printf_double(const char* fmt, int precision, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), fmt, precision, v);
  return buf;
}

}  // namespace

std::string format_sig(std::optional<double> v, int sig) {
  if (!v) return "-";
  const double x = *v;
  if (x == 0) return "0";
  const double mag = std::fabs(x);
  if (mag < 1e-3) return format_sci(x, sig - 1);
  const int exponent = static_cast<int>(std::floor(std::log10(mag)));
  int decimals = std::max(0, sig - 1 - exponent);
  std::string s = printf_double("%.*f", decimals, x);
  // Rounding can add a digit (9.9996 -> "10.000"); print one decimal fewer then.
  if (decimals > 0 && std::fabs(std::stod(s)) >= std::pow(10.0, exponent + 1))
    s = printf_double("%.*f", --decimals, x);
  return s;
}

std::string format_sci(std::optional<double> v, int digits) {
  if (!v) return "-";
  return printf_double("%.*e", digits, *v);
}

std::string format_bytes(std::optional<double> bytes) {
  if (!bytes) return "-";
  static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double x = *bytes;
  int unit = 0;
  while (std::fabs(x) >= 1024 && unit < 5) {
    x /= 1024;
    ++unit;
  }
  if (unit == 0) return printf_double("%.*f", 0, x) + " B";
  return format_sig(x, 3) + " " + kUnits[unit];
}

std::string format_percent(std::optional<double> pct) {
  if (!pct) return "-";
  return printf_double("%+.*f", 1, *pct) + "%";
}

std::string pad(const std::string& s, std::size_t width, bool right_align) {
  if (s.size() >= width) return s;
  const std::string fill(width - s.size(), ' ');
  return right_align ? fill + s : s + fill;
}

}  // namespace cpb
