#include "bench/report/report.hpp"

#include <iostream>

#include "bench/report/result_file.hpp"

namespace cpb {

int run_report(const std::string& path, const std::string& format, std::ostream& out) {
  try {
    if (format != "md" && format != "csv")
      throw UsageError("--format: \"" + format + "\" is not a report format; allowed: md, csv");
    const nlohmann::json doc = load_result_file(path);
    if (format == "md")
      write_markdown_report(doc, path, out);
    else
      write_csv_report(doc, out);
    return 0;
  } catch (const UsageError& e) {
    std::cerr << "cpbench: error: " << e.what() << '\n';
    return 2;
  }
}

}  // namespace cpb
