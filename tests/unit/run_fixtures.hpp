// Why: the run/ship unit tests build the same things over and over: a temp dir, journal entries, planned
// jobs, a queue; one place keeps them short and consistent.
#pragma once
#include "forge/compile/classify.hpp"
#include "forge/compile/target.hpp"
#include "forge/queue/queue.hpp"
#include "forge/run/journal.hpp"
#include "forge/run/plan.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace forge::test_run {

class TempDir {
public:
  explicit TempDir(const std::string &tag = "run") {
    static int counter = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("forge-unit-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  [[nodiscard]] const std::filesystem::path &path() const { return path_; }
  [[nodiscard]] std::filesystem::path operator/(const std::string &name) const { return path_ / name; }

private:
  std::filesystem::path path_;
};

inline std::string slurp(const std::filesystem::path &p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void spit(const std::filesystem::path &p, const std::string &text) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

inline const Target &musl() {
  static const Target t{"x86_64-unknown-linux-musl", "x86_64-Linux"};
  return t;
}
inline const Target &arm() {
  static const Target t{"aarch64-unknown-linux-musl", "aarch64-Linux"};
  return t;
}

inline JournalEntry entry(const std::string &crate, const std::string &version, const std::string &status,
                          const std::string &finished_at = "2025-06-01T00:00:00Z",
                          const Target &target = musl(), const std::string &reason = "") {
  JournalEntry e;
  e.crate = crate;
  e.version = version;
  e.target = target.triple;
  e.host = target.host;
  e.status = status == "built" ? Status::built : Status::failed;
  if (status == "failed" || !reason.empty()) {
    e.reason = parse_reason(reason.empty() ? "compile-error" : reason);
  }
  e.details = status == "failed" ? "it broke" : "";
  e.spurious = e.reason && is_spurious(*e.reason);
  e.duration_s = 10;
  e.started_at = finished_at;
  e.finished_at = finished_at;
  if (status == "built") {
    e.executables = {crate};
  }
  e.exit_code = status == "built" ? 0 : 8;
  return e;
}

inline PlannedJob planned(const std::string &crate, double expected = 120, const Target &target = musl(),
                          const std::string &version = "1.0.0") {
  PlannedJob j;
  j.crate = crate;
  j.version = version;
  j.target = target;
  j.expected_s = expected;
  return j;
}

inline Queue queue_of(const std::vector<std::pair<std::string, std::string>> &crates) {
  Queue q;
  q.header.generated_at = "2025-06-01T00:00:00Z";
  int64_t rank = 0;
  for (const auto &[name, version] : crates) {
    QueuedCrate c;
    c.rank = ++rank;
    c.name = name;
    c.version = version;
    c.checksum = std::string(64, 'a');
    q.crates.push_back(c);
  }
  return q;
}

} // namespace forge::test_run
