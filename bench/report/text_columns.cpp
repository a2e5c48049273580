#include "bench/report/text_columns.hpp"

#include "bench/report/text_format.hpp"

namespace cpb {

void print_line(const std::vector<Column>& cols, const std::vector<std::string>& cells, std::ostream& out) {
  std::string line;
  for (std::size_t i = 0; i < cols.size(); ++i) {
    if (i > 0) line += "  ";
    line += cols[i].width == 0 ? cells[i] : pad(cells[i], cols[i].width, cols[i].right);
  }
  line.erase(line.find_last_not_of(' ') + 1);
  out << line << '\n';
}

void print_titles(const std::vector<Column>& cols, std::ostream& out) {
  std::vector<std::string> titles;
  for (const Column& c : cols) titles.emplace_back(c.title);
  print_line(cols, titles, out);
}

}  // namespace cpb
