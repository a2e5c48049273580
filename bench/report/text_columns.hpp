// Fixed-width console tables: plain ASCII columns joined by two spaces, so rows printed
// at different times line up; a value wider than its column widens its cell.
#pragma once

#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

namespace cpb {

struct Column {
  const char* title;
  std::size_t width;  // [characters]; 0: not padded (a trailing note)
  bool right;         // right-aligned (numbers)
};

// One line of `cells` (one per column), trailing spaces removed.
void print_line(const std::vector<Column>& cols, const std::vector<std::string>& cells, std::ostream& out);
// The line of the columns' titles.
void print_titles(const std::vector<Column>& cols, std::ostream& out);

}  // namespace cpb
