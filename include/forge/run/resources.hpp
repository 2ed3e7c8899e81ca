// Why: how many builds fit on this machine at once is a question of cores and memory (a Rust release build
// with LTO can take 2 GB); and a full disk must stop scheduling before every job fails with no-space.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>

namespace forge {

inline constexpr uint64_t kMemoryPerJob = uint64_t{2} << 30;

// min(cores, available memory / 2 GiB), at least 1. `mem_available` 0 = unknown (cores only).
int default_workers(int cores, uint64_t mem_available);

int online_cores();
uint64_t mem_available_bytes(); // MemAvailable from /proc/meminfo; 0 when unknown

// "" when at least `min_free` bytes are free on the filesystem of `dir`, else the problem in one line.
std::string space_problem(const std::filesystem::path &dir, uint64_t min_free);

} // namespace forge
