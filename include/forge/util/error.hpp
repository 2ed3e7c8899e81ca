// Why: one exception type for the unexpected, carrying the exit code that tells scripts what went wrong.
// Expected outcomes (a crate that fails to build) are values, never this.
#pragma once
#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace forge {

// Exit codes are part of the interface: documented in `forge --help` and the README.
enum class ExitCode : int {
  ok = 0,
  internal = 1,       // a bug or an unexpected system failure
  usage = 2,          // bad command line or configuration
  archive = 3,        // the dump is not gzip, or the gzip/tar stream is truncated or corrupt
  data = 4,           // a table is malformed: bad CSV, missing table or column
  network = 5,        // unreachable host, HTTP error status, download failed after retries
  io = 6,             // cannot read or write a local file (disk full, permissions)
  checksum = 7,       // a downloaded file does not match its expected SHA-256
  build_failed = 8,   // at least one build job failed (the reasons are in result.json)
  nothing_builds = 9, // `forge doctor` found no way to build anything here
  registry = 10,      // the registry refused: authentication, permission, or it rejected what was pushed
  interrupted = 130,  // SIGINT/SIGTERM
};

class Error : public std::runtime_error {
public:
  Error(ExitCode code, const std::string &message) : std::runtime_error(message), code_(code) {}
  [[nodiscard]] ExitCode code() const { return code_; }

private:
  ExitCode code_;
};

template <typename... Args>
[[noreturn]] void fail(ExitCode code, fmt::format_string<Args...> format, Args &&...args) {
  throw Error(code, fmt::format(format, std::forward<Args>(args)...));
}

} // namespace forge
