// Why: the machine's limits, read once per run or before each job start; small and separate so the rules
// (not the probes) are unit-tested.
#include "forge/run/resources.hpp"

#include "forge/util/progress.hpp"

#include <fmt/format.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <thread>

namespace forge {

int default_workers(int cores, uint64_t mem_available) {
  int n = std::max(cores, 1);
  if (mem_available > 0) {
    // The smaller of two numbers of which one is an int fits an int.
    n = static_cast<int>(std::min<uint64_t>(static_cast<uint64_t>(n), mem_available / kMemoryPerJob));
  }
  return std::max(n, 1);
}

int online_cores() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

uint64_t mem_available_bytes() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  uint64_t value = 0;
  std::string unit;
  while (in >> key >> value) {
    std::getline(in, unit);
    if (key == "MemAvailable:") {
      return value * 1024;
    }
  }
  return 0;
}

std::string space_problem(const std::filesystem::path &dir, uint64_t min_free) {
  if (min_free == 0) {
    return {};
  }
  struct statvfs st {};
  if (::statvfs(dir.c_str(), &st) != 0) {
    return {}; // cannot tell: let the jobs find out
  }
  const uint64_t free = static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
  if (free >= min_free) {
    return {};
  }
  return fmt::format(
      "only {} free in {} (--min-free {}): the disk is full; stopped scheduling, rerun to resume",
      human_bytes(static_cast<double>(free)), dir.string(), human_bytes(static_cast<double>(min_free)));
}

} // namespace forge
