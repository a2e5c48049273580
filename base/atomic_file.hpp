// Writing a file so that readers see either the old content or the new one, never a
// half-written file, even if the process dies mid-write.
#pragma once

#include <string>

namespace cpb {

// Writes `content` to a temporary file in the directory of `path`, fsyncs it, renames it
// over `path` and fsyncs the directory. Creates missing parent directories. On failure
// throws std::system_error naming the file and the call that failed, and leaves `path`
// as it was (the temporary file is removed).
void write_file_atomically(const std::string& path, const std::string& content);

}  // namespace cpb
