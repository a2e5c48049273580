// The one error path of the cpbench commands (docs/RELIABILITY.md): every exception is
// caught at the top of a subcommand and reported as "cpbench: error: <what>" with the exit
// code of base/exit_code.hpp (2 for a UsageError, 1 for anything else).
#pragma once

#include <exception>

namespace cpb {

// The exit code of an exception: exit_code::bad_input for a UsageError, else failed.
int exit_code_of(const std::exception& e);

// For commands without MPI (plan, list, report, compare): prints the error, returns the
// exit code.
int report_error(const std::exception& e);

// For the commands under mpirun (run, probe), once a rank may fail alone while its peers
// wait in a collective: prints the error with this rank's tag, runs the abort hooks and
// ends the whole job with the exit code (base/check.hpp's abort_job: MPI_Abort).
[[noreturn]] void abort_on_error(const std::exception& e);

}  // namespace cpb
