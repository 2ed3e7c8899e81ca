// Why: the subprocess runner is forge's only defence against hung, noisy or escaping build scripts; these
// tests run real processes to prove that no child outlives a call and that signals are handled.
#include "forge/compile/subprocess.hpp"

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// A scratch directory that removes itself.
class TempDir {
public:
  TempDir() {
    static int counter = 0;
    path_ = fs::temp_directory_path() /
            ("forge-subprocess-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  [[nodiscard]] const fs::path &path() const { return path_; }

private:
  fs::path path_;
};

std::string read_text(const fs::path &path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Each line of the log without its "[mm:ss.mmm] " prefix.
std::vector<std::string> log_lines(const fs::path &path) {
  std::vector<std::string> lines;
  std::istringstream in(read_text(path));
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line.size() >= 12 && line[0] == '[' ? line.substr(12) : line);
  }
  return lines;
}

// The test process becomes a subreaper so that orphaned group members are reparented to it and their
// zombies can be collected by group_gone (PID 1 of a container may reap late or never).
class SubprocessTest : public ::testing::Test {
protected:
  void SetUp() override { ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0); }
  void TearDown() override { ::prctl(PR_SET_CHILD_SUBREAPER, 0); }
  forge::ProcessSpec spec(std::vector<std::string> argv) const {
    forge::ProcessSpec s;
    s.argv = std::move(argv);
    s.env = forge::make_environment({});
    s.timeout = 20s;
    s.grace = 1s;
    s.log_path = dir_.path() / "logs" / "child.log";
    return s;
  }
  [[nodiscard]] fs::path log_path() const { return dir_.path() / "logs" / "child.log"; }
  TempDir dir_;
};

// Whether `text` at `at` is a "[mm:ss.mmm] " time stamp.
bool stamp_at(const std::string &text, std::size_t at) {
  static const std::string kPattern = "[dd:dd.ddd] ";
  if (text.size() < at + kPattern.size()) {
    return false;
  }
  for (std::size_t i = 0; i < kPattern.size(); ++i) {
    char c = text[at + i];
    if (kPattern[i] == 'd' ? (c < '0' || c > '9') : c != kPattern[i]) {
      return false;
    }
  }
  return true;
}

// Whether every process of group `pgid` is gone, reaping the zombies that were reparented to us.
bool group_gone(pid_t pgid, std::chrono::milliseconds within) {
  auto until = std::chrono::steady_clock::now() + within;
  for (;;) {
    while (::waitpid(-pgid, nullptr, WNOHANG) > 0) {
    }
    if (::kill(-pgid, 0) == -1 && errno == ESRCH) {
      return true;
    }
    if (std::chrono::steady_clock::now() > until) {
      return false;
    }
    std::this_thread::sleep_for(10ms);
  }
}

TEST_F(SubprocessTest, ExitCodes) {
  auto ok = forge::run_process(spec({"true"}));
  EXPECT_TRUE(ok.started);
  EXPECT_EQ(ok.exit_code, 0);
  EXPECT_TRUE(ok.ok());
  auto failed = forge::run_process(spec({"false"}));
  EXPECT_EQ(failed.exit_code, 1);
  EXPECT_FALSE(failed.ok());
  auto three = forge::run_process(spec({"sh", "-c", "exit 3"}));
  EXPECT_EQ(three.exit_code, 3);
  EXPECT_EQ(three.term_signal, 0);
  EXPECT_FALSE(three.timed_out);
  EXPECT_FALSE(three.interrupted);
}

TEST_F(SubprocessTest, MergesStdoutAndStderrInOrder) {
  auto r = forge::run_process(spec({"sh", "-c", "echo out1; echo err1 >&2; echo out2; printf tail >&2"}));
  ASSERT_TRUE(r.ok()) << r.spawn_error;
  EXPECT_EQ(log_lines(log_path()), (std::vector<std::string>{"out1", "err1", "out2", "tail"}));
  EXPECT_EQ(r.output_bytes, 19u);
  EXPECT_FALSE(r.log_truncated);
  EXPECT_TRUE(r.log_error.empty());
}

TEST_F(SubprocessTest, StdoutToAFileKeepsItOutOfTheLog) {
  auto s = spec({"sh", "-c", "echo answer; echo warning >&2"});
  s.stdout_path = dir_.path() / "answer.txt";
  auto r = forge::run_process(s);
  ASSERT_TRUE(r.ok()) << r.spawn_error;
  std::ifstream in(s.stdout_path);
  const std::string answer((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(answer, "answer\n");
  EXPECT_EQ(log_lines(log_path()), (std::vector<std::string>{"warning"}));
}

TEST_F(SubprocessTest, StdinIsDevNull) {
  auto r = forge::run_process(spec({"cat"}));
  EXPECT_TRUE(r.ok());
  EXPECT_LT(r.seconds, 2.0);
  EXPECT_EQ(r.output_bytes, 0u);
}

TEST_F(SubprocessTest, UsesEnvironmentAndPathOfTheSpec) {
  fs::path bin = dir_.path() / "bin";
  fs::create_directories(bin);
  {
    std::ofstream tool(bin / "forge-test-tool");
    tool << "#!/bin/sh\necho \"tool $FOO\"\n";
  }
  fs::permissions(bin / "forge-test-tool", fs::perms::owner_all);
  auto s = spec({"forge-test-tool"});
  s.env = {"PATH=" + bin.string() + ":/usr/bin:/bin", "FOO=bar"};
  auto r = forge::run_process(s);
  ASSERT_TRUE(r.started) << r.spawn_error;
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(log_lines(log_path()), std::vector<std::string>{"tool bar"});

  auto env = spec({"env"});
  env.env = {"PATH=/usr/bin:/bin", "ONLY=this"};
  forge::run_process(env);
  EXPECT_EQ(log_lines(log_path()), (std::vector<std::string>{"PATH=/usr/bin:/bin", "ONLY=this"}));

  auto no_path = spec({"forge-test-tool"}); // not in forge's own PATH, nor in the default one
  no_path.env = {"FOO=bar"};
  EXPECT_FALSE(forge::run_process(no_path).started);
}

TEST_F(SubprocessTest, RunsInTheGivenDirectory) {
  fs::create_directories(dir_.path() / "work");
  auto s = spec({"pwd"});
  s.cwd = dir_.path() / "work";
  auto r = forge::run_process(s);
  ASSERT_TRUE(r.ok()) << r.spawn_error;
  EXPECT_EQ(log_lines(log_path()), std::vector<std::string>{fs::canonical(dir_.path() / "work").string()});

  s.cwd = dir_.path() / "missing";
  auto missing = forge::run_process(s);
  EXPECT_FALSE(missing.started);
  EXPECT_NE(missing.spawn_error.find("No such file or directory"), std::string::npos) << missing.spawn_error;
}

TEST_F(SubprocessTest, ProgramNotFoundIsAnErrorNotAnException) {
  auto r = forge::run_process(spec({"forge-no-such-program"}));
  EXPECT_FALSE(r.started);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.spawn_error, "cannot run forge-no-such-program: No such file or directory");
  EXPECT_TRUE(fs::exists(log_path()));

  auto abs = forge::run_process(spec({"/nonexistent/forge-prog"}));
  EXPECT_FALSE(abs.started);
  EXPECT_EQ(abs.spawn_error, "cannot run /nonexistent/forge-prog: No such file or directory");

  fs::path data = dir_.path() / "data.txt";
  std::ofstream(data) << "not a program\n";
  fs::permissions(data, fs::perms::owner_read | fs::perms::owner_write);
  auto not_exec = forge::run_process(spec({data.string()}));
  EXPECT_FALSE(not_exec.started);
  EXPECT_EQ(not_exec.spawn_error, "cannot run " + data.string() + ": Permission denied");
}

TEST_F(SubprocessTest, ReportsTheKillingSignal) {
  auto r = forge::run_process(spec({"sh", "-c", "kill -KILL $$"}));
  EXPECT_TRUE(r.started);
  EXPECT_EQ(r.term_signal, SIGKILL);
  EXPECT_EQ(r.exit_code, -1);
  EXPECT_FALSE(r.ok());
}

TEST_F(SubprocessTest, TimeoutEscalatesToSigkillAfterGrace) {
  auto s = spec({"sh", "-c", "trap '' TERM; echo ready; sleep 30"});
  s.timeout = 300ms;
  s.grace = 300ms;
  auto r = forge::run_process(s);
  EXPECT_TRUE(r.started);
  EXPECT_TRUE(r.timed_out);
  EXPECT_FALSE(r.interrupted);
  EXPECT_EQ(r.term_signal, SIGKILL);
  EXPECT_FALSE(r.ok());
  EXPECT_GE(r.seconds, 0.55);
  EXPECT_LT(r.seconds, 0.3 + 0.3 + 1.0);
  auto lines = log_lines(log_path());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "ready");
  EXPECT_NE(lines[1].find("timed out"), std::string::npos);
  EXPECT_TRUE(group_gone(r.pgid, 2s));
}

TEST_F(SubprocessTest, TimeoutWithACooperativeChildEndsBySigterm) {
  auto s = spec({"sleep", "30"});
  s.timeout = 200ms;
  s.grace = 5s;
  auto r = forge::run_process(s);
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.term_signal, SIGTERM);
  EXPECT_LT(r.seconds, 2.0);
}

TEST_F(SubprocessTest, NoGrandchildSurvives) {
  auto s = spec({"sh", "-c", "sleep 100 & echo started"});
  auto t0 = std::chrono::steady_clock::now();
  auto r = forge::run_process(s);
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_TRUE(r.ok());
  EXPECT_LT(took, 2s);
  EXPECT_GT(r.pgid, 0);
  EXPECT_EQ(log_lines(log_path()), std::vector<std::string>{"started"});
  EXPECT_TRUE(group_gone(r.pgid, 2s));
}

TEST_F(SubprocessTest, StopsReadingSoonWhenAnEscapedDescendantHoldsThePipe) {
  auto t0 = std::chrono::steady_clock::now();
  auto r = forge::run_process(spec({"sh", "-c", "setsid sleep 5 & sleep 0.3; echo $!"}));
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_TRUE(r.ok());
  EXPECT_GE(took, 1200ms); // it waited for EOF a while, but not for the sleep
  EXPECT_LT(took, 2500ms);
  auto lines = log_lines(log_path());
  ASSERT_EQ(lines.size(), 1u);
  ::kill(std::stoi(lines[0]), SIGKILL); // it left forge's group on purpose; clean up after the test
}

TEST_F(SubprocessTest, SigintIsForwardedAndReported) {
  struct sigaction before {};
  ASSERT_EQ(::sigaction(SIGINT, nullptr, &before), 0);
  ASSERT_EQ(before.sa_handler, SIG_DFL);
  std::thread sender([] {
    // wait until run_process has installed its handler, so the signal cannot kill the test binary
    for (int i = 0; i < 500; ++i) {
      struct sigaction now {};
      ::sigaction(SIGINT, nullptr, &now);
      if (now.sa_handler != SIG_DFL) {
        std::this_thread::sleep_for(100ms);
        ::kill(::getpid(), SIGINT);
        return;
      }
      std::this_thread::sleep_for(10ms);
    }
  });
  auto r = forge::run_process(spec({"sleep", "30"}));
  sender.join();
  EXPECT_TRUE(r.started);
  EXPECT_TRUE(r.interrupted);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.term_signal, SIGTERM);
  EXPECT_LT(r.seconds, 3.0);
  EXPECT_TRUE(forge::interrupt_requested());
  struct sigaction after {};
  ASSERT_EQ(::sigaction(SIGINT, nullptr, &after), 0);
  EXPECT_EQ(after.sa_handler, SIG_DFL);
  EXPECT_TRUE(group_gone(r.pgid, 2s));

  auto next = forge::run_process(spec({"true"})); // a later call is not interrupted by the old signal
  EXPECT_TRUE(next.ok());
  EXPECT_FALSE(next.interrupted);
}

TEST_F(SubprocessTest, LogHasTimestampsAndNoAnsi) {
  auto r = forge::run_process(spec({"printf", "\\033[1;31merror\\033[0m: bad\\nnext\\n"}));
  ASSERT_TRUE(r.ok()) << r.spawn_error;
  std::string text = read_text(log_path());
  ASSERT_EQ(text.size(), 2 * 12 + std::string("error: bad\nnext\n").size()) << text;
  EXPECT_TRUE(stamp_at(text, 0)) << text;
  EXPECT_EQ(text.substr(12, 11), "error: bad\n");
  EXPECT_TRUE(stamp_at(text, 23)) << text;
  EXPECT_EQ(text.substr(35), "next\n");
}

TEST_F(SubprocessTest, LogRedactsSecretsOfTheEnvironment) {
  auto s = spec({"sh", "-c", "echo \"token is $GITHUB_TOKEN\"; echo \"$MY_PASSWORD\" >&2"});
  s.env.push_back("GITHUB_TOKEN=supersecret123");
  s.env.push_back("MY_PASSWORD=hunter2hunter2");
  auto r = forge::run_process(s);
  ASSERT_TRUE(r.ok()) << r.spawn_error;
  std::string text = read_text(log_path());
  EXPECT_EQ(text.find("supersecret123"), std::string::npos);
  EXPECT_EQ(text.find("hunter2"), std::string::npos);
  EXPECT_EQ(log_lines(log_path()), (std::vector<std::string>{"token is ***", "***"}));
}

// A sandboxed child gets no secrets in its environment, but may still print ones it found elsewhere.
TEST_F(SubprocessTest, LogRedactsExtraValuesNotInTheEnvironment) {
  auto s = spec({"sh", "-c", "echo 'found ghp_outsidevalue and ghp_outside'"});
  s.redact = {"ghp_outside", "", "ghp_outsidevalue"}; // in any order: the longer one is still replaced whole
  auto r = forge::run_process(s);
  ASSERT_TRUE(r.ok()) << r.spawn_error;
  EXPECT_EQ(log_lines(log_path()), (std::vector<std::string>{"found *** and ***"}));
}

TEST_F(SubprocessTest, LogCapKeepsHeadAndTailOfHugeOutput) {
  auto s = spec({"sh", "-c", "yes 0123456789abcdef | head -c 10485760; echo; echo last line"});
  s.log_cap_bytes = 64 * 1024;
  auto r = forge::run_process(s);
  ASSERT_TRUE(r.ok()) << r.spawn_error;
  EXPECT_EQ(r.output_bytes, 10485760u + 1 + 10);
  EXPECT_TRUE(r.log_truncated);
  std::string text = read_text(log_path());
  EXPECT_LE(text.size(), 64u * 1024 + 100);
  EXPECT_GE(text.size(), 64u * 1024);
  EXPECT_TRUE(stamp_at(text, 0));
  EXPECT_EQ(text.substr(12, 17), "0123456789abcdef\n");
  auto marker = text.find("\n[forge: ");
  ASSERT_NE(marker, std::string::npos);
  auto marker_end = text.find(" bytes of output omitted]\n", marker);
  ASSERT_NE(marker_end, std::string::npos);
  std::string omitted = text.substr(marker + 9, marker_end - marker - 9);
  EXPECT_GT(std::stoull(omitted), 10'000'000u) << omitted;
  EXPECT_TRUE(text.ends_with("] last line\n"));
}

TEST_F(SubprocessTest, ChildWithoutOutputStillGetsALogFile) {
  auto s = spec({"true"});
  s.log_path = dir_.path() / "new" / "dir" / "empty.log";
  auto r = forge::run_process(s);
  EXPECT_TRUE(r.ok());
  ASSERT_TRUE(fs::exists(s.log_path));
  EXPECT_EQ(fs::file_size(s.log_path), 0u);
}

TEST_F(SubprocessTest, NoPipeOrFileDescriptorLeaksIntoTheChild) {
  auto r = forge::run_process(spec({"sh", "-c", "ls /proc/self/fd | wc -l"}));
  ASSERT_TRUE(r.ok());
  // sh's ls sees 0, 1, 2 and its own directory fd; wc inherits the same
  EXPECT_EQ(log_lines(log_path()), std::vector<std::string>{"4"});
}

TEST(SubprocessEnvironment, AppliesOverrides) {
  ::setenv("FORGE_TEST_KEEP", "1", 1);
  ::setenv("FORGE_TEST_DROP", "x", 1);
  auto env = forge::make_environment(
      {{"FORGE_TEST_NEW", "n"}, {"FORGE_TEST_KEEP", "2"}, {"FORGE_TEST_DROP", ""}}, true);
  auto count = [&env](const std::string &entry) { return std::count(env.begin(), env.end(), entry); };
  EXPECT_EQ(count("FORGE_TEST_NEW=n"), 1);
  EXPECT_EQ(count("FORGE_TEST_KEEP=2"), 1);
  EXPECT_EQ(count("FORGE_TEST_KEEP=1"), 0);
  EXPECT_EQ(count("FORGE_TEST_DROP=x"), 0);
  EXPECT_EQ(count("FORGE_TEST_DROP="), 0);
  auto kept = forge::make_environment({{"FORGE_TEST_DROP", ""}});
  EXPECT_EQ(std::count(kept.begin(), kept.end(), "FORGE_TEST_DROP="), 1);
  ::unsetenv("FORGE_TEST_KEEP");
  ::unsetenv("FORGE_TEST_DROP");
}

} // namespace
