// Bad user input (config, command line, result file). The driver prints what() and exits
// with 2. what() names the field, the value and what is allowed, e.g.
//   "configs/x.json: axes.mask[1]: \"casual\" is not a mask; allowed: full, causal"
#pragma once

#include <stdexcept>

namespace cpb {

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace cpb
