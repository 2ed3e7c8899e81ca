// Why: builders run untrusted build scripts; forge spawns them without a shell, in their own process group,
// with a deadline, forwards SIGINT/SIGTERM to them, and leaves no member of their group alive.
#include "forge/compile/subprocess.hpp"

#include "forge/compile/log_writer.hpp"
#include "forge/util/spawn.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <mutex>
#include <optional>
#include <string_view>
#include <system_error>

namespace forge {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kDrainAfterExit{1000}; // grandchildren may hold the pipe: stop reading after this
constexpr milliseconds kFallbackTick{50};     // wake-up period when pidfd or a wake slot is unavailable
constexpr std::size_t kReadChunk = 64 * 1024;
constexpr int kReadsPerWakeup = 16; // stay responsive to deadlines while a child floods the pipe

std::string errno_text(int err) {
  return std::generic_category().message(err);
}

// Closes a file descriptor on scope exit.
class UniqueFd {
public:
  explicit UniqueFd(int fd = -1) : fd_(fd) {}
  UniqueFd(const UniqueFd &) = delete;
  UniqueFd &operator=(const UniqueFd &) = delete;
  ~UniqueFd() { reset(); }
  [[nodiscard]] int get() const { return fd_; }
  void reset(int fd = -1) {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = fd;
  }

private:
  int fd_;
};

// --- Signal capture -------------------------------------------------------------------------------------
// The handler may run on any thread, so it wakes every running call through its own pipe. Slots hold fd+1
// (0 = free) so that the zero-initialised array is empty.
constexpr int kWakeSlots = 64;
std::array<std::atomic<int>, kWakeSlots> g_wake_slots{};
std::atomic<int> g_handlers_running{0};
std::atomic<uint64_t> g_signal_count{0};
std::atomic<bool> g_ever_interrupted{false};
static_assert(std::atomic<uint64_t>::is_always_lock_free && std::atomic<int>::is_always_lock_free);

std::mutex g_install_mutex;
int g_install_refs = 0;
struct sigaction g_old_sigint {};
struct sigaction g_old_sigterm {};

extern "C" void forge_on_interrupt(int /*signo*/) {
  int saved_errno = errno;
  g_handlers_running.fetch_add(1);
  g_signal_count.fetch_add(1);
  g_ever_interrupted.store(true);
  for (auto &slot : g_wake_slots) {
    if (int v = slot.load(); v > 0) {
      [[maybe_unused]] auto n = ::write(v - 1, "x", 1);
    }
  }
  g_handlers_running.fetch_sub(1);
  errno = saved_errno;
}

// Catches SIGINT/SIGTERM while alive (process-wide, reference-counted across concurrent calls) and exposes
// a pipe that becomes readable when one arrives.
class SignalCapture {
public:
  SignalCapture() {
    {
      std::lock_guard lock(g_install_mutex);
      if (g_install_refs++ == 0) {
        struct sigaction sa {};
        sa.sa_handler = forge_on_interrupt;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_RESTART;
        ::sigaction(SIGINT, &sa, &g_old_sigint);
        ::sigaction(SIGTERM, &sa, &g_old_sigterm);
      }
    }
    std::array<int, 2> fds{};
    if (::pipe2(fds.data(), O_CLOEXEC | O_NONBLOCK) != 0) {
      return;
    }
    read_.reset(fds[0]);
    write_.reset(fds[1]);
    for (auto &slot : g_wake_slots) {
      int expected = 0;
      if (slot.compare_exchange_strong(expected, fds[1] + 1)) {
        slot_ = &slot;
        break;
      }
    }
  }
  SignalCapture(const SignalCapture &) = delete;
  SignalCapture &operator=(const SignalCapture &) = delete;
  ~SignalCapture() {
    if (slot_ != nullptr) {
      slot_->store(0);
      while (g_handlers_running.load() > 0) { // a handler may still hold our fd number
      }
    }
    std::lock_guard lock(g_install_mutex);
    if (--g_install_refs == 0) {
      ::sigaction(SIGINT, &g_old_sigint, nullptr);
      ::sigaction(SIGTERM, &g_old_sigterm, nullptr);
    }
  }

  // The fd to poll, or -1 when no wake slot was free (the caller then polls the counter periodically).
  [[nodiscard]] int wake_fd() const { return slot_ != nullptr ? read_.get() : -1; }
  void drain() const {
    std::array<char, 64> buf{};
    while (::read(read_.get(), buf.data(), buf.size()) > 0) {
    }
  }

private:
  UniqueFd read_;
  UniqueFd write_;
  std::atomic<int> *slot_ = nullptr;
};

// --- Spawning -------------------------------------------------------------------------------------------

std::string env_value(const std::vector<std::string> &env, std::string_view key) {
  for (const auto &entry : env) {
    if (entry.size() > key.size() && entry.compare(0, key.size(), key) == 0 && entry[key.size()] == '=') {
      return entry.substr(key.size() + 1);
    }
  }
  return {};
}

// execvp's lookup, but in the PATH of the child's environment. Relative candidates are checked against
// the child's working directory, where they will be resolved.
std::string find_program(const std::string &name, const ProcessSpec &spec, int &error) {
  error = ENOENT;
  if (name.empty()) {
    return {};
  }
  if (name.find('/') != std::string::npos) {
    error = 0;
    return name;
  }
  bool has_path = std::any_of(spec.env.begin(), spec.env.end(),
                              [](const std::string &e) { return e.starts_with("PATH="); });
  std::string path = has_path ? env_value(spec.env, "PATH") : "/bin:/usr/bin";
  std::size_t begin = 0;
  while (begin <= path.size()) {
    std::size_t end = std::min(path.find(':', begin), path.size());
    std::string dir = path.substr(begin, end - begin);
    begin = end + 1;
    std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
    std::filesystem::path check = candidate;
    if (check.is_relative() && !spec.cwd.empty()) {
      check = spec.cwd / check;
    }
    struct stat st {};
    if (::stat(check.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      continue;
    }
    if (::access(check.c_str(), X_OK) == 0) {
      error = 0;
      return candidate;
    }
    error = EACCES;
  }
  return {};
}

// A pipe end moved to fd >= 3 so that the child's dup2 onto 0-2 never collides with it.
int high_fd(int fd) {
  if (fd >= 3) {
    return fd;
  }
  int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
  ::close(fd);
  return moved;
}

// Kills the whole group and reaps the child if run_process leaves early (e.g. on an exception).
class ChildGuard {
public:
  explicit ChildGuard(pid_t pid) : pid_(pid) {}
  ChildGuard(const ChildGuard &) = delete;
  ChildGuard &operator=(const ChildGuard &) = delete;
  ~ChildGuard() {
    if (pid_ > 0) {
      ::kill(-pid_, SIGKILL);
      wait_for_exit(pid_);
    }
  }
  // The child has exited (zombie, not reaped): kill what is left of its group, then collect its status.
  int reap() {
    ::kill(-pid_, SIGKILL); // safe: the unreaped leader keeps the group id from being reused
    int status = wait_for_exit(pid_);
    pid_ = 0;
    return status;
  }

private:
  pid_t pid_;
};

bool child_exited(pid_t pid) {
  siginfo_t info{};
  while (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) < 0) {
    if (errno != EINTR) {
      return true; // ECHILD: nothing to wait for (someone else reaped it)
    }
  }
  return info.si_pid != 0;
}

timespec to_timespec(Clock::duration d) {
  auto ns = std::max<int64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count(), 0);
  return timespec{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
}

std::string seconds_text(milliseconds ms) {
  std::array<char, 32> buf{};
  std::snprintf(buf.data(), buf.size(), "%.1f s", static_cast<double>(ms.count()) / 1000.0);
  return buf.data();
}

} // namespace

ProcessResult run_process(const ProcessSpec &spec) {
  const auto start = Clock::now();
  auto elapsed = [start] { return std::chrono::duration_cast<milliseconds>(Clock::now() - start); };
  ProcessResult result;
  std::vector<std::string> secrets = secret_values(spec.env);
  secrets.insert(secrets.end(), spec.redact.begin(), spec.redact.end());
  LogWriter log(std::move(secrets), spec.log_cap_bytes);
  auto write_log = [&] {
    log.finish();
    result.output_bytes = log.raw_bytes();
    result.log_truncated = log.truncated();
    if (!spec.log_path.empty() && !log.write_file(spec.log_path, result.log_error)) {
      result.log_error = result.log_error.empty() ? "cannot write the log" : result.log_error;
    }
  };
  auto not_started = [&](std::string message) {
    result.spawn_error = std::move(message);
    log.note("[forge: " + result.spawn_error + "]", elapsed());
    write_log();
    return result;
  };

  if (spec.argv.empty()) {
    return not_started("cannot run an empty command");
  }
  const std::string &name = spec.argv.front();
  if (!spec.cwd.empty()) {
    struct stat st {};
    int err = ::stat(spec.cwd.c_str(), &st) != 0 ? errno : (S_ISDIR(st.st_mode) ? 0 : ENOTDIR);
    if (err != 0) {
      return not_started("cannot run " + name + ": cannot enter " + spec.cwd.string() + ": " +
                         errno_text(err));
    }
  }
  int lookup_error = 0;
  std::string program = find_program(name, spec, lookup_error);
  if (program.empty()) {
    return not_started("cannot run " + name + ": " + errno_text(lookup_error));
  }

  std::array<int, 2> fds{};
  if (::pipe2(fds.data(), O_CLOEXEC) != 0) {
    return not_started("cannot run " + name + ": pipe: " + errno_text(errno));
  }
  UniqueFd out(high_fd(fds[0]));
  UniqueFd child_out(high_fd(fds[1]));
  if (out.get() < 0 || child_out.get() < 0) {
    return not_started("cannot run " + name + ": pipe: " + errno_text(errno));
  }

  SignalCapture capture; // before spawning, so that no signal is lost between spawn and the loop
  const uint64_t signals_at_start = g_signal_count.load();
  pid_t pid = 0;
  if (int rc =
          spawn_in_own_group(program, spec.argv, spec.env, spec.cwd, child_out.get(), pid, spec.stdout_path);
      rc != 0) {
    return not_started("cannot run " + name + ": " + errno_text(rc));
  }
  child_out.reset(); // only the child (and its descendants) hold the write end now
  ChildGuard guard(pid);
  result.started = true;
  result.pgid = pid;
  ::fcntl(out.get(), F_SETFL, ::fcntl(out.get(), F_GETFL) | O_NONBLOCK);
  // readable when the child exits; -1 on old kernels (glibc 2.36's <sys/pidfd.h> lacks extern "C")
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));

  std::optional<Clock::time_point> deadline;
  if (spec.timeout.count() > 0) {
    deadline = start + spec.timeout;
  }
  std::optional<Clock::time_point> term_sent;
  bool kill_sent = false;
  bool alive = true;
  Clock::time_point drain_until{};
  int status = 0;
  std::vector<char> buf(kReadChunk);

  for (;;) {
    auto now = Clock::now();
    if (!result.interrupted && g_signal_count.load() != signals_at_start) {
      result.interrupted = true;
    }
    if (alive) {
      if (!term_sent && deadline && now >= *deadline) {
        result.timed_out = true;
      }
      if (!term_sent && (result.interrupted || result.timed_out)) {
        ::kill(-pid, SIGTERM);
        term_sent = now;
      } else if (term_sent && !kill_sent && now >= *term_sent + spec.grace) {
        ::kill(-pid, SIGKILL);
        kill_sent = true;
      }
      if (child_exited(pid)) {
        status = guard.reap();
        alive = false;
        result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
        drain_until = Clock::now() + kDrainAfterExit;
      }
    }
    if (!alive && (out.get() < 0 || Clock::now() >= drain_until)) {
      break;
    }

    std::optional<Clock::time_point> wake;
    auto wake_at = [&wake](Clock::time_point t) { wake = wake ? std::min(*wake, t) : t; };
    if (alive) {
      if (!term_sent && deadline) {
        wake_at(*deadline);
      }
      if (term_sent && !kill_sent) {
        wake_at(*term_sent + spec.grace);
      }
      if (pidfd.get() < 0 || (capture.wake_fd() < 0 && !result.interrupted)) {
        wake_at(now + kFallbackTick);
      }
    } else {
      wake_at(drain_until);
    }
    std::array<pollfd, 3> pfds{};
    nfds_t count = 0;
    int out_index = -1;
    int wake_index = -1;
    if (out.get() >= 0) {
      out_index = static_cast<int>(count);
      pfds[count++] = pollfd{out.get(), POLLIN, 0};
    }
    if (alive && pidfd.get() >= 0) {
      pfds[count++] = pollfd{pidfd.get(), POLLIN, 0};
    }
    if (capture.wake_fd() >= 0 && !result.interrupted) {
      wake_index = static_cast<int>(count);
      pfds[count++] = pollfd{capture.wake_fd(), POLLIN, 0};
    }
    timespec ts{};
    if (wake) {
      ts = to_timespec(*wake - Clock::now());
    }
    int ready = ::ppoll(pfds.data(), count, wake ? &ts : nullptr, nullptr);
    if (ready < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (alive) { // cannot wait for events any more: end the child now
        ::kill(-pid, SIGKILL);
        status = guard.reap();
        alive = false;
        result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
      }
      break;
    }
    if (wake_index >= 0 && pfds[static_cast<std::size_t>(wake_index)].revents != 0) {
      capture.drain();
    }
    if (out_index >= 0 && pfds[static_cast<std::size_t>(out_index)].revents != 0) {
      for (int i = 0; i < kReadsPerWakeup; ++i) {
        ssize_t n = ::read(out.get(), buf.data(), buf.size());
        if (n > 0) {
          log.feed(std::string_view(buf.data(), static_cast<std::size_t>(n)), elapsed());
          continue;
        }
        if (n < 0 && errno == EINTR) {
          continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
          break;
        }
        out.reset(); // EOF or a read error
        break;
      }
    }
  }

  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.term_signal = WTERMSIG(status);
  }
  if (result.timed_out) {
    log.note("[forge: timed out after " + seconds_text(spec.timeout) + ", process group killed]", elapsed());
  } else if (result.interrupted) {
    log.note("[forge: interrupted, process group killed]", elapsed());
  }
  write_log();
  return result;
}

std::vector<std::string> make_environment(const std::vector<std::pair<std::string, std::string>> &overrides,
                                          bool remove_empty) {
  std::vector<std::string> env;
  for (char **entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    env.emplace_back(*entry);
  }
  for (const auto &[key, value] : overrides) {
    const std::string prefix = key + "=";
    bool remove = remove_empty && value.empty();
    bool placed = false;
    for (auto it = env.begin(); it != env.end();) {
      if (!it->starts_with(prefix)) {
        ++it;
      } else if (remove || placed) {
        it = env.erase(it);
      } else {
        *it = prefix + value;
        placed = true;
        ++it;
      }
    }
    if (!remove && !placed) {
      env.push_back(prefix + value);
    }
  }
  return env;
}

bool interrupt_requested() {
  return g_ever_interrupted.load();
}

} // namespace forge
