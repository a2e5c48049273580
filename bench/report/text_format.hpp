// Number and text formatting shared by the console table, the report and compare.
// Every formatter takes an optional value and prints "-" when it is absent.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace cpb {

// `sig` significant digits in fixed notation (12.35, 0.1235, 12346); values below 1e-3
// in magnitude in scientific notation (1.235e-05). nullopt -> "-".
std::string format_sig(std::optional<double> v, int sig = 4);

// Scientific notation with `digits` after the point: 1.23e-03. nullopt -> "-".
std::string format_sci(std::optional<double> v, int digits = 2);

// Bytes in binary units with 3 significant digits: "512 B", "1.50 KiB", "12.3 MiB",
// "1.00 GiB". nullopt -> "-".
std::string format_bytes(std::optional<double> bytes);

// A signed percentage with one decimal: "+3.2%", "-10.0%". nullopt -> "-".
std::string format_percent(std::optional<double> pct);

// `s` padded with spaces to `width` characters, on the right (left-aligned) or on the
// left (right-aligned). Longer strings are returned whole.
std::string pad(const std::string& s, std::size_t width, bool right_align = false);

}  // namespace cpb
