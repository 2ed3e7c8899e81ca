// Why: outputs must never be half-written; every file forge produces goes through a temp file + rename.
#pragma once
#include <filesystem>
#include <string>
#include <string_view>

namespace forge {

// Writes `content` to `path` atomically: a temp file in the same directory, fsync, rename.
// Creates parent directories. Throws Error(io) naming the path on failure.
void write_file_atomic(const std::filesystem::path &path, std::string_view content);

// Reads a whole file; throws Error(io) naming the path.
std::string read_file(const std::filesystem::path &path);

// `$XDG_CACHE_HOME/forge`, else `~/.cache/forge` (created on demand by callers).
std::filesystem::path cache_dir();

} // namespace forge
