// Why: the real JobRunner. Children are spawned as argv vectors (never a shell) into their own process groups
// with stdin from /dev/null and stdout+stderr into a per-job log file; one ppoll waits on every child's pidfd
// and a self-pipe fed by the SIGINT/SIGTERM handler, so nothing is lost between checks.
#include "forge/run/process_runner.hpp"

#include "forge/compile/subprocess.hpp"
#include "forge/dump/pg_types.hpp"
#include "forge/util/errno_text.hpp"
#include "forge/util/error.hpp"
#include "forge/util/fs.hpp"
#include "forge/util/spawn.hpp"
#include "forge/util/time.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <fstream>
#include <system_error>

namespace forge {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

constexpr double kFallbackTick = 0.1;                    // when a child has no pidfd (old kernel)
constexpr double kKillMargin = 5;                        // after the children's own grace period
constexpr std::size_t kLogTail = std::size_t{64} * 1024; // of the child's log, searched for its error line

std::atomic<int> g_signal_pipe{-1};
std::atomic<bool> g_interrupted{false};

extern "C" void forge_run_on_signal(int /*signo*/) {
  const int saved = errno;
  g_interrupted.store(true);
  if (const int fd = g_signal_pipe.load(); fd >= 0) {
    [[maybe_unused]] auto n = ::write(fd, "x", 1);
  }
  errno = saved;
}

struct sigaction g_old_int {};
struct sigaction g_old_term {};

struct FileStamp {
  bool exists = false;
  ino_t ino = 0;
  timespec mtime{};
  bool operator==(const FileStamp &o) const {
    return exists == o.exists && ino == o.ino && mtime.tv_sec == o.mtime.tv_sec &&
           mtime.tv_nsec == o.mtime.tv_nsec;
  }
};

FileStamp stamp(const fs::path &p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) {
    return {};
  }
  return FileStamp{true, st.st_ino, st.st_mtim};
}

std::string read_tail(const fs::path &p, std::size_t max) {
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    return {};
  }
  in.seekg(0, std::ios::end);
  const auto size = static_cast<std::size_t>(std::max<std::streamoff>(in.tellg(), 0));
  const std::size_t from = size > max ? size - max : 0;
  in.seekg(static_cast<std::streamoff>(from));
  std::string text(size - from, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(std::max<std::streamsize>(in.gcount(), 0)));
  return text;
}

bool has_exited(pid_t pid) {
  siginfo_t info{};
  while (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) < 0) {
    if (errno != EINTR) {
      return true;
    }
  }
  return info.si_pid != 0;
}

} // namespace

struct ProcessRunner::Child {
  uint64_t id = 0;
  JobSpec spec;
  pid_t pid = 0;
  int pidfd = -1;
  Clock::time_point started;
  std::string started_at;
  fs::path log, result;
  FileStamp result_before;
  Clock::time_point deadline;
  std::optional<Clock::time_point> term_sent;
  bool watchdog = false;
  bool stopped = false; // signalled by stop_all
  bool killed = false;
  std::optional<JobOutcome> early;      // could not even start
  std::shared_ptr<Jobserver> jobserver; // the one its cargo was given
};

ProcessRunner::ProcessRunner(ChildCommand cmd) : cmd_(std::move(cmd)) {
  if (cmd_.jobserver_tokens >= 0) {
    jobserver_ = std::make_shared<Jobserver>(cmd_.jobserver_tokens, cmd_.jobserver_dir);
  }
  std::array<int, 2> fds{};
  if (::pipe2(fds.data(), O_CLOEXEC | O_NONBLOCK) != 0) {
    fail(ExitCode::internal, "cannot create a pipe: {}", errno_text(errno));
  }
  signal_read_ = fds[0];
  g_interrupted.store(false);
  g_signal_pipe.store(fds[1]);
  struct sigaction sa {};
  sa.sa_handler = forge_run_on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  ::sigaction(SIGINT, &sa, &g_old_int);
  ::sigaction(SIGTERM, &sa, &g_old_term);
}

ProcessRunner::~ProcessRunner() {
  for (auto &[id, child] : children_) {
    if (child->pid > 0) {
      ::kill(-child->pid, SIGKILL);
      wait_for_exit(child->pid);
    }
    if (child->pidfd >= 0) {
      ::close(child->pidfd);
    }
  }
  ::sigaction(SIGINT, &g_old_int, nullptr);
  ::sigaction(SIGTERM, &g_old_term, nullptr);
  const int w = g_signal_pipe.exchange(-1);
  if (w >= 0) {
    ::close(w);
  }
  ::close(signal_read_);
}

double ProcessRunner::now() {
  return std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
}

bool ProcessRunner::interrupted() {
  return g_interrupted.load();
}

std::vector<int> ProcessRunner::running_pids() const {
  std::vector<int> pids;
  for (const auto &[id, c] : children_) {
    if (c->pid > 0) {
      pids.push_back(c->pid);
    }
  }
  return pids;
}

void ProcessRunner::start(uint64_t id, const JobSpec &spec) {
  auto child = std::make_unique<Child>();
  child->id = id;
  child->spec = spec;
  child->started = Clock::now();
  child->started_at = format_rfc3339(now_micros());
  const auto &job = spec.job;
  child->log = cmd_.logs / job.target.host / (job.crate + "@" + job.version + ".log");
  child->result = cmd_.out / job.target.host / job.crate / job.version / "result.json";
  child->result_before = stamp(child->result);
  // forge build may try several feature sets and a lock-file-free retry, each with the full timeout: the
  // watchdog only catches a child that hangs outside its own deadlines.
  child->deadline = child->started + 4 * cmd_.timeout + 4 * cmd_.grace + std::chrono::minutes(10);

  auto fail_early = [&](const std::string &why) {
    JobOutcome out;
    out.id = id;
    out.entry.crate = job.crate;
    out.entry.version = job.version;
    out.entry.target = job.target.triple;
    out.entry.host = job.target.host;
    out.entry.status = Status::failed;
    out.entry.reason = Reason::internal;
    out.entry.details = why;
    out.entry.attempt = spec.attempt;
    out.entry.started_at = child->started_at;
    out.entry.finished_at = child->started_at;
    out.entry.exit_code = -1;
    child->early = out;
    children_.emplace(id, std::move(child));
  };

  std::error_code ec;
  fs::create_directories(child->log.parent_path(), ec);
  const int log_fd = ::open(child->log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    // A full disk or a read-only --out: this is the runner's problem, not the crate's.
    fail(ExitCode::io, "cannot create {}: {}", child->log.string(), errno_text(errno));
  }
  const auto argv = child_argv(cmd_, spec);
  auto overrides = cmd_.env;
  overrides.emplace_back(kRunParentEnv, std::to_string(::getpid()));
  if (jobserver_) {
    overrides.emplace_back(kCargoMakeflagsEnv, jobserver_->makeflags());
    child->jobserver = jobserver_;
  }
  const auto env = make_environment(overrides, true);
  pid_t pid = 0;
  const int rc = spawn_in_own_group(argv.front(), argv, env, {}, log_fd, pid);
  ::close(log_fd);
  if (rc != 0) {
    fail_early(fmt::format("cannot start {}: {}", argv.front(), errno_text(rc)));
    return;
  }
  child->pid = pid;
  // Its process group, before forge build has started anything: cargo, rustc and the sandbox inherit it.
  if (spec.nice > 0 && ::setpriority(PRIO_PGRP, static_cast<id_t>(pid), spec.nice) != 0) {
    spdlog::debug("{}: cannot lower its CPU priority: {}", job.id(), errno_text(errno));
  }
  child->pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  spdlog::debug("started {} (pid {}): {}", job.id(), pid, fmt::join(argv, " "));
  children_.emplace(id, std::move(child));
}

void ProcessRunner::stop_all() {
  if (stopping_) {
    return;
  }
  stopping_ = true;
  for (auto &[id, c] : children_) {
    if (c->pid > 0) {
      ::kill(-c->pid, SIGTERM);
      c->stopped = true;
    }
  }
  kill_at_ = now() + std::chrono::duration<double>(cmd_.grace).count() + kKillMargin;
}

bool ProcessRunner::other_client_of(const std::shared_ptr<Jobserver> &js, const Child &c) const {
  return std::any_of(children_.begin(), children_.end(), [&](const auto &entry) {
    return entry.second.get() != &c && entry.second->pid > 0 && entry.second->jobserver == js;
  });
}

void ProcessRunner::reap(Child &c, int status, std::vector<JobOutcome> &out) {
  ChildExit exit;
  if (WIFEXITED(status)) {
    exit.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    exit.term_signal = WTERMSIG(status);
  }
  exit.stopped_by_us = c.stopped;
  exit.watchdog = c.watchdog;
  const double duration = std::chrono::duration<double>(Clock::now() - c.started).count();
  std::optional<nlohmann::json> result;
  if (const FileStamp now_stamp = stamp(c.result); now_stamp.exists && !(now_stamp == c.result_before)) {
    try {
      result = parse_child_result(read_file(c.result), c.result.string());
    } catch (const Error &e) {
      spdlog::warn("{}: unreadable result.json: {}", c.result.string(), e.what());
    }
  }
  JobOutcome o = interpret_child(c.spec, exit, result, read_tail(c.log, kLogTail), c.started_at, duration);
  o.id = c.id;
  if (c.jobserver && c.jobserver == jobserver_ && !stopping_) {
    // A killed cargo may have died holding tokens. A build that ended normally can still have kept some (a
    // build script that reads the fifo) or added some: when it was the last client, the count tells.
    const char *why = nullptr;
    if (may_have_lost_tokens(exit, o)) {
      why = "its cargo may have died holding jobserver tokens";
    } else if (!other_client_of(jobserver_, c) && jobserver_->count_free() != jobserver_->tokens()) {
      why = "it ended with the jobserver's tokens miscounted";
    }
    if (why != nullptr) {
      try {
        jobserver_ = std::make_shared<Jobserver>(cmd_.jobserver_tokens, cmd_.jobserver_dir);
        spdlog::debug("{}: {}: a fresh jobserver for the next jobs", c.spec.job.id(), why);
      } catch (const Error &e) {
        spdlog::warn("{}: keeping the current jobserver, which may have lost tokens", e.what());
      }
    }
  }
  o.entry.finished_at = format_rfc3339(now_micros());
  if ((exit.term_signal != 0 || c.watchdog) && !cmd_.keep_build_dir) {
    // A killed child could not remove its build directory (named <crate>-<version>-<triple>-<pid>).
    const fs::path root = cmd_.build_root.empty() ? cache_dir() / "builds" : cmd_.build_root;
    std::error_code ec;
    fs::remove_all(root / fmt::format("{}-{}-{}-{}", c.spec.job.crate, c.spec.job.version,
                                      c.spec.job.target.triple, c.pid),
                   ec);
  }
  out.push_back(std::move(o));
}

std::vector<JobOutcome> ProcessRunner::wait(std::optional<double> timeout_s) {
  std::vector<JobOutcome> out;
  for (auto it = children_.begin(); it != children_.end();) {
    if (it->second->early) {
      out.push_back(*it->second->early);
      it = children_.erase(it);
    } else {
      ++it;
    }
  }
  if (!out.empty()) {
    return out;
  }
  const double t0 = now();
  constexpr double kNever = 1e300;
  double wake = timeout_s ? t0 + *timeout_s : kNever;
  auto wake_at = [&wake](double t) { wake = std::min(wake, t); };
  bool need_tick = false;
  for (const auto &[id, c] : children_) {
    if (c->pidfd < 0) {
      need_tick = true;
    }
    if (!c->term_sent) {
      wake_at(std::chrono::duration<double>(c->deadline.time_since_epoch()).count());
    } else if (!c->killed) {
      wake_at(std::chrono::duration<double>(c->term_sent->time_since_epoch()).count() +
              std::chrono::duration<double>(cmd_.grace).count() + kKillMargin);
    }
  }
  if (kill_at_) {
    wake_at(*kill_at_);
  }
  if (need_tick) {
    wake_at(t0 + kFallbackTick);
  }

  std::vector<pollfd> pfds;
  pfds.push_back(pollfd{signal_read_, POLLIN, 0});
  for (const auto &[id, c] : children_) {
    if (c->pidfd >= 0) {
      pfds.push_back(pollfd{c->pidfd, POLLIN, 0});
    }
  }
  const bool bounded = wake < kNever;
  timespec ts{};
  if (bounded) {
    const double left = std::max(0.0, wake - now());
    ts.tv_sec = static_cast<time_t>(left);
    ts.tv_nsec = static_cast<long>((left - static_cast<double>(ts.tv_sec)) * 1e9);
  }
  const int ready = ::ppoll(pfds.data(), pfds.size(), bounded ? &ts : nullptr, nullptr);
  if (ready < 0 && errno != EINTR) {
    fail(ExitCode::internal, "ppoll: {}", errno_text(errno));
  }
  if (pfds[0].revents != 0) {
    std::array<char, 64> buf{};
    while (::read(signal_read_, buf.data(), buf.size()) > 0) {
    }
  }

  const auto now_tp = Clock::now();
  for (auto it = children_.begin(); it != children_.end();) {
    Child &c = *it->second;
    if (has_exited(c.pid)) {
      ::kill(-c.pid, SIGKILL); // whatever is left of its group; the unreaped leader keeps the id reserved
      const int status = wait_for_exit(c.pid);
      if (c.pidfd >= 0) {
        ::close(c.pidfd);
      }
      reap(c, status, out);
      it = children_.erase(it);
      continue;
    }
    if (!c.term_sent && now_tp >= c.deadline) {
      spdlog::warn("{}: forge build outlived its deadline: stopping it", c.spec.job.id());
      c.watchdog = true;
      ::kill(-c.pid, SIGTERM);
      c.term_sent = now_tp;
    } else if (c.term_sent && !c.killed &&
               now_tp >= *c.term_sent + cmd_.grace + std::chrono::seconds(static_cast<int>(kKillMargin))) {
      ::kill(-c.pid, SIGKILL);
      c.killed = true;
    }
    if (kill_at_ && now() >= *kill_at_ && !c.killed) {
      ::kill(-c.pid, SIGKILL);
      c.killed = true;
    }
    ++it;
  }
  return out;
}

} // namespace forge
