#include "bench/report/report.hpp"

#include <iostream>

#include "bench/report/metrics.hpp"
#include "bench/report/result_file.hpp"

namespace cpb {

int run_report(const std::string& path, const std::string& format, std::ostream& out) {
  try {
    if (format != "md" && format != "csv")
      throw UsageError("--format: \"" + format + "\" is not a report format; allowed: md, csv");
    nlohmann::json doc = load_result_file(path);
    // The derived figures follow today's definitions (docs/METRICS.md), also in a file
    // written before one changed: recomputed from the measured fields.
    if (doc.contains("points") && doc["points"].is_array()) {
      std::vector<nlohmann::json> points = doc["points"];
      fill_derived_metrics(points);
      doc["points"] = points;
    }
    // Said twice: on stderr for whoever runs it, and atop the report, which outlives the run.
    if (const auto note = incomplete_note(doc)) {
      std::cerr << "cpbench: warning: " << path << " is " << *note << '\n';
      if (format == "md") out << "> **Warning: " << path << " is " << *note << ".**\n\n";
    }
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
