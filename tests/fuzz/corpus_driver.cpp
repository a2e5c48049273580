// A plain main() for a harness's LLVMFuzzerTestOneInput (no libFuzzer): runs it once over
// every file of the directories given, so a regular build keeps the harnesses compiling
// and CTest keeps the seed corpus passing. Exits 1 when a directory is missing or holds
// no file (a test that ran nothing must not pass); a finding aborts the process.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  for (int i = 1; i < argc; ++i) {
    std::error_code ec;
    int files = 0;
    for (const fs::directory_entry& e : fs::directory_iterator(argv[i], ec)) {
      if (!e.is_regular_file()) continue;
      std::ifstream in(e.path(), std::ios::binary);
      const std::vector<char> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
      LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
      ++files;
    }
    if (ec || files == 0) {
      std::cerr << argv[i] << ": no corpus files" << (ec ? " (" + ec.message() + ")" : "") << '\n';
      return 1;
    }
    std::cout << argv[i] << ": " << files << " inputs, no findings\n";
  }
  return argc > 1 ? 0 : 1;
}
