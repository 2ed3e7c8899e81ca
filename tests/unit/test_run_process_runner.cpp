// Why: the real runner with real processes (a shell script stands in for `forge build`): results are read
// only when written by this job, logs are captured, killed children become internal failures, stop_all and
// a SIGTERM to forge end every child, and none is left behind.
#include "forge/run/process_runner.hpp"
#include "run_fixtures.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <map>

namespace forge {
namespace {
using namespace test_run;

constexpr const char *kScript = R"(crate=${2%@*}; ver=${2#*@}
case "$crate" in
  good) d="$8/x86_64-Linux/good/$ver"; mkdir -p "$d"
        printf '{"format":"forge-result/1","crate":"good","version":"%s","target":"%s","host":"x86_64-Linux","status":"built","executables":[{"name":"good"}]}' \
          "$ver" "$4" > "$d/result.json"; echo "built good with $*";;
  boom) echo "forge: error: internal error: boom" >&2; exit 1;;
  killed) kill -KILL $$;;
  stale) exit 3;;
  sleepy) exec sleep 60;;
  env) echo "makeflags=[$CARGO_MAKEFLAGS] parent=[$FORGE_RUN_PARENT_PID]";;
  thief) head -c1 "${CARGO_MAKEFLAGS##*fifo:}" >/dev/null;;
  giver) printf + >> "${CARGO_MAKEFLAGS##*fifo:}";;
esac)";

ChildCommand command(const TempDir &dir) {
  ChildCommand cmd;
  cmd.program = "/bin/sh";
  cmd.global_args = {"-c", kScript, "sh"};
  cmd.queue = dir.path() / "queue.json";
  cmd.out = dir.path() / "out";
  cmd.logs = dir.path() / "logs";
  cmd.grace = std::chrono::milliseconds(200);
  cmd.build_root = dir.path() / "builds";
  return cmd;
}

JobSpec job(const std::string &crate) {
  JobSpec s;
  s.job = planned(crate);
  return s;
}

std::map<uint64_t, JobOutcome> wait_all(ProcessRunner &runner, std::size_t count) {
  std::map<uint64_t, JobOutcome> done;
  for (int i = 0; i < 600 && done.size() < count; ++i) {
    for (auto &o : runner.wait(1.0)) {
      done[o.id] = o;
    }
  }
  return done;
}

// Tokens in a jobserver fifo, counted as a client would take them (and given back).
int free_tokens(const std::filesystem::path &fifo) {
  const int fd = ::open(fifo.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    return -1;
  }
  int n = 0;
  char c = 0;
  while (::read(fd, &c, 1) == 1) {
    ++n;
  }
  for (int i = 0; i < n; ++i) {
    (void)!::write(fd, "+", 1);
  }
  ::close(fd);
  return n;
}

bool alive(int pid) {
  return ::kill(pid, 0) == 0;
}

TEST(RunProcessRunner, ResultsLogsAndDeaths) {
  TempDir dir("runner");
  spit(
      dir.path() / "out/x86_64-Linux/stale/1.0.0/result.json",
      R"({"format":"forge-result/1","crate":"stale","version":"1.0.0","target":"x86_64-unknown-linux-musl","host":"x86_64-Linux","status":"built"})");
  ProcessRunner runner(command(dir));
  runner.start(1, job("good"));
  runner.start(2, job("boom"));
  runner.start(3, job("killed"));
  runner.start(4, job("stale"));
  const auto done = wait_all(runner, 4);
  ASSERT_EQ(done.size(), 4u);
  EXPECT_TRUE(done.at(1).entry.built());
  EXPECT_EQ(done.at(1).entry.executables, std::vector<std::string>{"good"});
  EXPECT_FALSE(done.at(1).entry.finished_at.empty());
  EXPECT_EQ(done.at(2).entry.reason, forge::Reason::internal);
  EXPECT_EQ(done.at(2).entry.details, "internal error: boom") << "the child's error line";
  EXPECT_EQ(done.at(3).entry.reason, forge::Reason::internal);
  EXPECT_NE(done.at(3).entry.details.find("SIGKILL"), std::string::npos);
  EXPECT_EQ(done.at(4).entry.status, forge::Status::failed)
      << "a result.json from before this job is not its result";
  const std::string log = slurp(dir.path() / "logs/x86_64-Linux/good@1.0.0.log");
  EXPECT_NE(log.find("built good with build good@1.0.0 --target x86_64-unknown-linux-musl"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("--jobs 1"), std::string::npos) << log;
  EXPECT_TRUE(runner.running_pids().empty());
}

TEST(RunProcessRunner, StopAllEndsRunningJobsAsInterrupted) {
  TempDir dir("runner");
  ProcessRunner runner(command(dir));
  runner.start(1, job("sleepy"));
  runner.start(2, job("sleepy"));
  const auto pids = runner.running_pids();
  ASSERT_EQ(pids.size(), 2u);
  EXPECT_TRUE(runner.wait(0.05).empty());
  runner.stop_all();
  const auto done = wait_all(runner, 2);
  ASSERT_EQ(done.size(), 2u);
  EXPECT_TRUE(done.at(1).interrupted);
  EXPECT_TRUE(done.at(2).interrupted);
  for (int pid : pids) {
    EXPECT_FALSE(alive(pid)) << pid;
  }
}

TEST(RunProcessRunner, ASignalToForgeWakesTheWaitAndIsSticky) {
  TempDir dir("runner");
  ProcessRunner runner(command(dir));
  runner.start(1, job("sleepy"));
  EXPECT_FALSE(runner.interrupted());
  ::raise(SIGTERM); // the runner's handler catches it: the test process lives on
  EXPECT_TRUE(runner.wait(30.0).empty()) << "woken by the signal, not by the child";
  EXPECT_TRUE(runner.interrupted());
  runner.stop_all();
  const auto done = wait_all(runner, 1);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_TRUE(done.at(1).interrupted);
}

TEST(RunProcessRunner, AMissingProgramIsAFailedJobNotACrash) {
  TempDir dir("runner");
  ChildCommand cmd = command(dir);
  cmd.program = (dir.path() / "no-such-forge").string();
  cmd.global_args.clear();
  ProcessRunner runner(cmd);
  runner.start(7, job("good"));
  const auto done = wait_all(runner, 1);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done.at(7).entry.reason, forge::Reason::internal);
  EXPECT_NE(done.at(7).entry.details.find("no-such-forge"), std::string::npos) << done.at(7).entry.details;
}

TEST(RunProcessRunner, DestructorLeavesNoChildBehind) {
  TempDir dir("runner");
  std::vector<int> pids;
  {
    ProcessRunner runner(command(dir));
    runner.start(1, job("sleepy"));
    pids = runner.running_pids();
  }
  ASSERT_EQ(pids.size(), 1u);
  EXPECT_FALSE(alive(pids[0]));
}

TEST(RunProcessRunner, ChildrenGetTheJobserverAndTheirParentPid) {
  TempDir dir("runner");
  ChildCommand cmd = command(dir);
  cmd.jobserver_tokens = 3;
  cmd.jobserver_dir = dir.path();
  ProcessRunner runner(cmd);
  ASSERT_NE(runner.jobserver(), nullptr);
  const std::string fifo = runner.jobserver()->fifo().string();
  runner.start(1, job("env"));
  ASSERT_EQ(wait_all(runner, 1).size(), 1u);
  const std::string log = slurp(dir.path() / "logs/x86_64-Linux/env@1.0.0.log");
  EXPECT_NE(log.find("makeflags=[-j4 --jobserver-auth=fifo:" + fifo + "]"), std::string::npos) << log;
  EXPECT_NE(log.find("parent=[" + std::to_string(::getpid()) + "]"), std::string::npos) << log;
}

TEST(RunProcessRunner, WithoutAJobserverNoneIsCreated) {
  TempDir dir("runner");
  ProcessRunner runner(command(dir)); // jobserver_tokens < 0, as with --cargo-jobs
  EXPECT_EQ(runner.jobserver(), nullptr);
}

TEST(RunProcessRunner, AKilledChildGetsTheNextJobsAFreshJobserver) {
  TempDir dir("runner");
  ChildCommand cmd = command(dir);
  cmd.jobserver_tokens = 1;
  cmd.jobserver_dir = dir.path();
  ProcessRunner runner(cmd);
  const std::filesystem::path first = runner.jobserver()->fifo();
  runner.start(1, job("sleepy")); // started on the first jobserver, still running when it is replaced
  runner.start(2, job("killed")); // its tokens (if it held any) are gone for good
  std::map<uint64_t, JobOutcome> done;
  for (int i = 0; i < 600 && done.empty(); ++i) {
    for (auto &o : runner.wait(1.0)) {
      done[o.id] = o;
    }
  }
  ASSERT_EQ(done.size(), 1u);
  ASSERT_TRUE(done.count(2));
  const std::filesystem::path second = runner.jobserver()->fifo();
  EXPECT_NE(second, first);
  EXPECT_TRUE(std::filesystem::exists(first)) << "job 1 may still start rustc processes that open it";
  runner.start(3, job("good"));
  ASSERT_EQ(wait_all(runner, 1).size(), 1u);
  EXPECT_EQ(runner.jobserver()->fifo(), second) << "a job that ended well keeps the jobserver";
  runner.stop_all();
  wait_all(runner, 1);
  EXPECT_FALSE(std::filesystem::exists(first)) << "removed once its last client ended";
  EXPECT_TRUE(std::filesystem::exists(second));
}

TEST(RunProcessRunner, AJobThatKeptOrAddedTokensGetsTheNextJobsAFreshJobserver) {
  for (const char *crate : {"thief", "giver"}) {
    TempDir dir("runner");
    ChildCommand cmd = command(dir);
    cmd.jobserver_tokens = 2;
    cmd.jobserver_dir = dir.path();
    ProcessRunner runner(cmd);
    const std::filesystem::path first = runner.jobserver()->fifo();
    runner.start(1, job("good"));
    ASSERT_EQ(wait_all(runner, 1).size(), 1u);
    EXPECT_EQ(runner.jobserver()->fifo(), first) << "a job that left the tokens alone keeps the jobserver";
    runner.start(2, job(crate)); // exits normally, one token taken away or one too many
    ASSERT_EQ(wait_all(runner, 1).size(), 1u);
    ASSERT_NE(runner.jobserver()->fifo(), first) << crate;
    EXPECT_EQ(free_tokens(runner.jobserver()->fifo()), 2) << crate;
  }
}

} // namespace
} // namespace forge
