// An Executor for tests of the runner: runs nothing, takes a fixed time per run and per
// step run alone, verifies clean and has no output bytes.
#pragma once

#include <vector>

#include "bench/runtime.hpp"

namespace cpb::test {

class FixedTimeExecutor final : public Executor {
 public:
  explicit FixedTimeExecutor(double ms) : ms_(ms) {}
  double run(std::vector<StepTime>*) override { return ms_; }
  VerifyResult verify(VerifyMode) override { return {}; }
  std::vector<unsigned char> output_bytes() override { return {}; }
  double step_alone_ms(int) override { return ms_; }

 private:
  double ms_;  // [ms]
};

}  // namespace cpb::test
