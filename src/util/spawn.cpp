// Why: see spawn.hpp.
#include "forge/util/spawn.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <csignal>

namespace forge {

int spawn_in_own_group(const std::string &program, const std::vector<std::string> &args,
                       const std::vector<std::string> &env, const std::filesystem::path &cwd, int out_fd,
                       pid_t &pid, const std::filesystem::path &stdout_path) {
  std::vector<char *> argv;
  for (const auto &a : args) {
    argv.push_back(const_cast<char *>(a.c_str()));
  }
  argv.push_back(nullptr);
  std::vector<char *> envp;
  for (const auto &e : env) {
    envp.push_back(const_cast<char *>(e.c_str()));
  }
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  int rc = 0;
  auto check = [&rc](int r) {
    if (rc == 0) {
      rc = r;
    }
  };
  if (!cwd.empty()) {
    check(posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str()));
  }
  check(posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0));
  if (stdout_path.empty()) {
    check(posix_spawn_file_actions_adddup2(&actions, out_fd, 1));
  } else {
    check(posix_spawn_file_actions_addopen(&actions, 1, stdout_path.c_str(),
                                           O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0644));
  }
  check(posix_spawn_file_actions_adddup2(&actions, out_fd, 2));
  check(posix_spawn_file_actions_addclosefrom_np(&actions, 3)); // even fds other threads left inheritable

  sigset_t empty;
  sigemptyset(&empty);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int sig : {SIGINT, SIGTERM, SIGPIPE, SIGCHLD, SIGQUIT}) {
    sigaddset(&defaults, sig);
  }
  check(posix_spawnattr_setflags(&attr,
                                 POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF));
  check(posix_spawnattr_setpgroup(&attr, 0));
  check(posix_spawnattr_setsigmask(&attr, &empty));
  check(posix_spawnattr_setsigdefault(&attr, &defaults));
  if (rc == 0) {
    rc = ::posix_spawn(&pid, program.c_str(), &actions, &attr, argv.data(), envp.data());
  }
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  return rc;
}

int wait_for_exit(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

} // namespace forge
