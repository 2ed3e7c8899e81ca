// Why: "failed" is useless at 40,000 jobs; a reason per failure (and whether it is worth retrying) turns a
// pile of logs into a triage list, as crater does.
#pragma once
#include "forge/compile/build_result.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace forge {

struct ExitInfo {
  int exit_code = 0;
  int term_signal = 0;
  bool timed_out = false;
};

// Classifies a failed builder run from its exit status and log text (the capped log forge wrote, raw or with
// the "[mm:ss.mmm] " line prefix of LogWriter). First match wins, in this order: timeout, builder-missing
// (exit 127 with "command not found"), no-space for a file-size limit hit (SIGXFSZ; not spurious), no-space,
// out-of-memory (also a SIGKILL without timeout), missing-system-library, target-not-installed, network,
// dependency-resolution, checksum-mismatch, build-script, link-error, internal (rustc ICE), compile-error,
// internal.
Failure classify_build_failure(const ExitInfo &exit, std::string_view log);

// True when the log shows that Cargo.lock itself stopped the build (--locked/--frozen refused to update
// it, or it cannot be parsed or its version is not understood): a retry without --locked may succeed.
bool lock_problem(std::string_view log);

} // namespace forge
