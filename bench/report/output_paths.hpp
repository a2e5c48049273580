// Checks of the paths a command will write (`run --out`, `run --trace`, `probe --out`),
// made before any work: a bad path is bad input (UsageError, exit 2, nothing written),
// not a crash after the first point. Only rank 0 writes, so only rank 0 calls these, and
// the ranks agree on the verdict before any other collective (bench/cli/cmd_run.cpp).
#pragma once

#include <string>

namespace cpb {

// A file rewritten atomically (atomic_file.hpp): `path` must not be a directory or any
// other non-regular file, and files must be creatable in the folder that will hold it
// (its nearest existing ancestor is a directory: missing folders are created, as
// write_file_atomically does). `option` names the option in the message ("--out").
// Throws UsageError naming the option, the path and what is wrong; creates nothing
// (the writability test file is removed).
void check_output_file(const std::string& option, const std::string& path);

// A folder of output files (one trace per point): an existing directory, or a path that
// can be created as one; files must be creatable in it (or in its nearest existing
// ancestor). Throws UsageError like check_output_file; creates nothing.
void check_output_dir(const std::string& option, const std::string& path);

}  // namespace cpb
