// Why: every child forge starts (builders, `forge build` workers, probes) gets the same start: argv and
// environment as given (never a shell), stdin /dev/null, stdout+stderr to one descriptor, no other inherited
// descriptor, its own process group, an empty signal mask and default handlers.
#pragma once
#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace forge {

// posix_spawn of `program` (a path) with `argv` and `env` ("KEY=VALUE"), in `cwd` when not empty, output to
// `out_fd` (which must be >= 3 or already 1/2). Returns 0 with `pid` set, or the errno. With `stdout_path`,
// stdout goes to that file (created or truncated, never through a symlink) and only stderr to `out_fd`.
int spawn_in_own_group(const std::string &program, const std::vector<std::string> &argv,
                       const std::vector<std::string> &env, const std::filesystem::path &cwd, int out_fd,
                       pid_t &pid, const std::filesystem::path &stdout_path = {});

// waitpid(pid) until it answers (EINTR retried); the wait status.
int wait_for_exit(pid_t pid);

} // namespace forge
