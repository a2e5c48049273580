// `cpbench list` as text: one line per mask with the parameters it reads and their
// defaults, and the mask parameters with their help.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <memory>
#include <string>

#include "base/dtype.hpp"
#include "bench/mask_params.hpp"

namespace cpb {
namespace {

// The stdout of `cpbench ARGS`; fails the test on a non-zero exit.
std::string cpbench_stdout(const std::string& args) {
  const std::string cmd = std::string(CPB_BINARY) + " " + args + " 2>/dev/null";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (!pipe) {
    ADD_FAILURE() << "cannot run " << cmd;
    return "";
  }
  std::string out;
  std::array<char, 4096> buf{};
  size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  const int status = ::pclose(pipe);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << cmd;
  return out;
}

// The line of `text` that starts with `prefix`, or "".
std::string line_starting(const std::string& text, const std::string& prefix) {
  size_t at = 0;
  while (at < text.size()) {
    const size_t end = text.find('\n', at);
    const std::string line = text.substr(at, end == std::string::npos ? std::string::npos : end - at);
    if (line.rfind(prefix, 0) == 0) return line;
    if (end == std::string::npos) break;
    at = end + 1;
  }
  return "";
}

TEST(ListCommand, OneLinePerMaskWithItsParamsAndDefaults) {
  const std::string out = cpbench_stdout("list");
  ASSERT_NE(out.find("masks (the parameters each reads, with their defaults):\n"), std::string::npos) << out;
  for (const std::string& name : mask_names()) {
    Mask m = Mask::Full;
    parse_mask(name, &m);
    const std::string line = line_starting(out, "  " + name + " ");
    ASSERT_NE(line, "") << name;
    EXPECT_NE(line.find(mask_help(m)), std::string::npos) << line;
  }
  EXPECT_EQ(line_starting(out, "  full ").find('['), std::string::npos) << "full reads no parameter";
  EXPECT_NE(line_starting(out, "  strided ").find("[mask_blocks=16, mask_group=4, mask_local=3]"), std::string::npos);
  EXPECT_NE(line_starting(out, "  streaming ").find("[mask_blocks=8, mask_local=3, mask_global=1]"), std::string::npos);
  EXPECT_NE(line_starting(out, "  document ").find("[mask_docs=4, mask_doc_tokens (instead of mask_docs)]"),
            std::string::npos);
  EXPECT_NE(line_starting(out, "  table ").find("[mask_table (required)]"), std::string::npos);
  for (const MaskParamSpec& s : mask_param_specs())
    EXPECT_NE(line_starting(out, "  " + std::string(s.name)).find(s.help), std::string::npos) << s.name;
}

}  // namespace
}  // namespace cpb
