// Why: builders run untrusted crates' build scripts for up to half an hour; forge must own them completely:
// argv only (never a shell), stdin /dev/null, their own process group, a hard deadline, a bounded log, and
// no child left behind whatever happens to forge.
#pragma once
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace forge {

struct ProcessSpec {
  std::vector<std::string> argv; // argv[0] is looked up in PATH of `env` when it has no '/'
  std::vector<std::string> env;  // the child's whole environment, "KEY=VALUE"
  std::filesystem::path cwd;     // empty = inherit
  std::chrono::milliseconds timeout{30 * 60 * 1000}; // 0 = none
  std::chrono::milliseconds grace{10 * 1000};        // SIGTERM to the group, then SIGKILL after this
  std::filesystem::path log_path;                    // stdout+stderr of the child, processed as below
  std::filesystem::path stdout_path; // non-empty: the child's stdout goes here unprocessed (a program's
                                     // answer, e.g. `cargo tree`), only stderr to the log
  uint64_t log_cap_bytes = 8 << 20;  // keep the first and last halves when the output is larger
  std::vector<std::string> redact;   // more values to replace by "***" (e.g. secrets kept out of `env`)
};

struct ProcessResult {
  bool started = false; // false: spawn failed (e.g. program not found), see spawn_error
  std::string spawn_error;
  int exit_code = -1;       // when the child exited normally
  int term_signal = 0;      // when it was killed by a signal
  bool timed_out = false;   // forge killed it at the deadline
  bool interrupted = false; // forge got SIGINT/SIGTERM and stopped it
  double seconds = 0;
  uint64_t output_bytes = 0; // bytes the child wrote, before capping
  bool log_truncated = false;
  int pgid = 0;          // the child's process group (its pid), SIGKILLed on return
  std::string log_error; // set when the log file could not be written

  [[nodiscard]] bool ok() const { return started && exit_code == 0 && term_signal == 0 && !timed_out; }
};

// Runs the child to completion (or deadline) and writes its log: each line prefixed with the elapsed time
// "[mm:ss.mmm] ", ANSI escape sequences removed, the values of secret-looking variables of `env` (names
// containing TOKEN, SECRET, PASSWORD, PASSWD, CREDENTIAL, API_KEY, AUTH, or starting with
// AWS_/GH_/GITHUB_TOKEN) replaced by "***", and when the output exceeds the cap, the head and tail kept with
// a marker line between. SIGINT/SIGTERM received by forge while the child runs are forwarded to the child's
// group; the call then returns with `interrupted` set after the child is reaped. The exit status is always
// collected.
ProcessResult run_process(const ProcessSpec &spec);

// The current environment as "KEY=VALUE" strings, with `overrides` applied (an empty value removes a key
// when `remove_empty` is true).
std::vector<std::string> make_environment(const std::vector<std::pair<std::string, std::string>> &overrides,
                                          bool remove_empty = false);

// Whether SIGINT/SIGTERM arrived during some run_process call since the program started.
bool interrupt_requested();

} // namespace forge
