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

// Whether `name` can be one component of a path: not empty, not "." or "..", no '/' and no NUL. Names
// that come from elsewhere and become paths (a journal's crate, version, target and host; result.json's
// executable names) must pass it before they are joined to a directory.
bool is_path_component(std::string_view name);

// `$XDG_CACHE_HOME/forge`, else `~/.cache/forge` (created on demand by callers).
std::filesystem::path cache_dir();

} // namespace forge
