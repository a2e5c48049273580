// libFuzzer harness of the result-file reader: load_result_file, then what `cpbench
// report` (Markdown and CSV) and `cpbench compare` do with the document it returns. The
// comparison runs the document against itself and against a copy with its points
// reversed and the first one dropped, so matched, missing and new points all occur.
// UsageError is the readers' answer to bad input; any other exception, a crash or a
// sanitizer report is a finding.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <sstream>

#include <nlohmann/json.hpp>

#include "bench/report/compare.hpp"
#include "bench/report/report.hpp"
#include "bench/report/result_file.hpp"
#include "tests/fuzz/fuzz_text_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static cpb::fuzz::TextFile file;
  nlohmann::json doc;
  try {
    doc = cpb::load_result_file(file.write(data, size));
  } catch (const cpb::UsageError&) {
    return 0;
  }
  std::ostringstream out;
  cpb::write_markdown_report(doc, "fuzz.json", out);
  cpb::write_csv_report(doc, out);

  nlohmann::json other = doc;
  nlohmann::json& points = other["points"];
  std::reverse(points.begin(), points.end());
  if (!points.empty()) points.erase(points.begin());
  // compare_results refuses files without a common point (an empty file, or `other`
  // after the erase) as bad input: a UsageError, like the loader's.
  for (const nlohmann::json* fresh : {&doc, &other}) {
    try {
      cpb::print_comparison(cpb::compare_results(doc, *fresh, 5.0, 2.0), out);
    } catch (const cpb::UsageError&) {
    }
  }
  return 0;
}
