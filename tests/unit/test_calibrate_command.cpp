// `cpbench calibrate` end to end on the CPU runtime: the quick grid with the committed
// H200 probe file writes a machine file that reads back; bad input writes nothing.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "bench/sim/calibrate_grid.hpp"
#include "bench/sim/machine_model.hpp"

namespace cpb {
namespace {

namespace fs = std::filesystem;

// The exit code of `cpbench ARGS` (stdout and stderr to `log`).
int cpbench(const std::string& args, const fs::path& log) {
  const std::string cmd = std::string(CPB_BINARY) + " " + args + " >" + log.string() + " 2>&1";
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

class CalibrateCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cpb_calibrate_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

const std::string kProbe = std::string(CPB_SOURCE_DIR) + "/results/h200x2/2026-11-22_probe_nvlink.json";

TEST_F(CalibrateCommand, CpuQuickWritesAMachineFileThatReadsBack) {
  const fs::path out = dir_ / "machine.json";
  ASSERT_EQ(cpbench("calibrate --device cpu --quick --name tiny --out " + out.string() + " --from " + kProbe,
                    dir_ / "log"),
            0);
  const MachineModel m = read_machine_model(out.string());
  EXPECT_EQ(m.name, "tiny");
  EXPECT_EQ(m.attention.size(), calibrate_grid("cpu", true).attention.size());
  for (const KernelSample& s : m.attention) EXPECT_GT(s.ms, 0);
  EXPECT_GT(m.copy.gbps, 0);
  EXPECT_GT(m.merge.gbps, 0);
  ASSERT_EQ(m.transports.size(), 3u);
  EXPECT_EQ(m.transports[0].transport, TransportKind::Nccl);
  EXPECT_NEAR(m.transports[0].gbps, 431308800 / 1.2622399926185608e-3 / 1e9, 1e-6);
  EXPECT_EQ(m.provenance["runtime"], "cpu");
  EXPECT_EQ(m.provenance["sources"], nlohmann::json::array({kProbe}));
  EXPECT_TRUE(m.provenance.contains("git"));
  EXPECT_EQ(m.inter_node.note.rfind("assumed", 0), 0u);
}

TEST_F(CalibrateCommand, BadInputExitsTwoAndWritesNothing) {
  const fs::path out = dir_ / "out" / "machine.json";
  const std::string bad = (dir_ / "bad.json").string();
  EXPECT_EQ(cpbench("calibrate --device cpu --quick --out " + out.string() + " --from " + bad, dir_ / "log"), 2);
  EXPECT_EQ(cpbench("calibrate --device cpu --quick --out " + dir_.string(), dir_ / "log"), 2);
  EXPECT_EQ(cpbench("calibrate --device gpu --out " + out.string(), dir_ / "log"), 2);
  EXPECT_FALSE(fs::exists(dir_ / "out"));
}

}  // namespace
}  // namespace cpb
