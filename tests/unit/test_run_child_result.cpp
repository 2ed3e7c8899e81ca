// Why: every way a `forge build` child can end maps to exactly one of: a journal entry, "not finished" (the
// runner stopped it) or "stop the run" (it refused its arguments).
#include "forge/run/process_runner.hpp"
#include "run_fixtures.hpp"

#include <gtest/gtest.h>

#include <csignal>

namespace forge {
namespace {
using namespace test_run;

JobSpec spec() {
  JobSpec s;
  s.job = planned("hexyl", 120, musl(), "0.8.0");
  s.attempt = 2;
  s.cargo_jobs = 3;
  return s;
}

nlohmann::json result(const std::string &status, const std::string &reason = "", bool spurious = false) {
  nlohmann::json r{{"format", "forge-result/1"},
                   {"crate", "hexyl"},
                   {"version", "0.8.0"},
                   {"target", musl().triple},
                   {"host", musl().host},
                   {"status", status},
                   {"reason", reason.empty() ? nlohmann::json(nullptr) : nlohmann::json(reason)},
                   {"details", reason.empty() ? nlohmann::json(nullptr) : nlohmann::json("details here")},
                   {"spurious", spurious},
                   {"executables", nlohmann::json::array()}};
  if (status == "built") {
    r["executables"].push_back(
        {{"name", "hexyl"}, {"size", 1}, {"bsum", "b"}, {"shasum", "s"}, {"static", true}});
  }
  return r;
}

JobOutcome interpret(ChildExit exit, std::optional<nlohmann::json> res, std::string log = "") {
  return interpret_child(spec(), exit, res, log, "2025-06-01T00:00:00Z", 12.5);
}

TEST(RunChildResult, ArgvCarriesTheJobAndItsShare) {
  ChildCommand cmd;
  cmd.program = "/usr/bin/forge";
  cmd.global_args = {"--color", "never"};
  cmd.queue = "/q/queue.json";
  cmd.out = "/o";
  cmd.timeout = std::chrono::minutes(30);
  cmd.grace = std::chrono::milliseconds(1500);
  cmd.keep_build_dir = true;
  cmd.build_root = "/b";
  cmd.build_args = {"--builder", "cargo"};
  EXPECT_EQ(child_argv(cmd, spec()), (std::vector<std::string>{"/usr/bin/forge",
                                                               "--color",
                                                               "never",
                                                               "build",
                                                               "hexyl@0.8.0",
                                                               "--target",
                                                               musl().triple,
                                                               "--queue",
                                                               "/q/queue.json",
                                                               "--out",
                                                               "/o",
                                                               "--jobs",
                                                               "3",
                                                               "--timeout",
                                                               "1800s",
                                                               "--grace",
                                                               "1.500s",
                                                               "--keep-build-dir",
                                                               "--build-dir",
                                                               "/b",
                                                               "--builder",
                                                               "cargo"}));
}

TEST(RunChildResult, ResultJsonIsTheTruth) {
  const auto built = interpret({0, 0, false, false}, result("built"));
  EXPECT_FALSE(built.interrupted);
  EXPECT_TRUE(built.entry.built());
  EXPECT_EQ(built.entry.executables, std::vector<std::string>{"hexyl"});
  EXPECT_EQ(built.entry.attempt, 2);
  EXPECT_DOUBLE_EQ(built.entry.duration_s, 12.5);
  EXPECT_EQ(built.entry.host, "x86_64-Linux");
  const auto failed = interpret({8, 0, false, false}, result("failed", "link-error"));
  EXPECT_EQ(failed.entry.status, forge::Status::failed);
  EXPECT_EQ(failed.entry.reason, forge::Reason::link_error);
  EXPECT_EQ(failed.entry.details, "details here");
  EXPECT_EQ(failed.entry.exit_code, 8);
  const auto spurious = interpret({8, 0, false, false}, result("failed", "out-of-memory", true));
  EXPECT_TRUE(spurious.entry.spurious);
}

TEST(RunChildResult, AResultOfAnotherJobIsIgnored) {
  auto other = result("built");
  other["version"] = "0.7.0";
  const auto o = interpret({0, 0, false, false}, other);
  EXPECT_EQ(o.entry.status, forge::Status::failed);
  EXPECT_EQ(o.entry.reason, forge::Reason::internal);
}

TEST(RunChildResult, KilledWorkersAreInternalFailures) {
  const auto o = interpret({-1, 9, false, false}, std::nullopt);
  EXPECT_EQ(o.entry.reason, forge::Reason::internal);
  EXPECT_NE(o.entry.details.find("SIGKILL"), std::string::npos) << o.entry.details;
  EXPECT_EQ(o.entry.exit_code, -1);
  EXPECT_FALSE(o.entry.spurious);
}

TEST(RunChildResult, StoppedByTheRunnerIsNotFinishedUnlessItFinished) {
  EXPECT_TRUE(interpret({-1, 15, true, false}, std::nullopt).interrupted);
  EXPECT_TRUE(interpret({130, 0, true, false}, result("failed", "internal")).interrupted)
      << "forge build's own 'interrupted' result is not a finished job";
  const auto raced = interpret({0, 0, true, false}, result("built"));
  EXPECT_FALSE(raced.interrupted) << "it finished just before the signal: keep it";
  EXPECT_TRUE(raced.entry.built());
}

TEST(RunChildResult, ExitCodesWithoutResult) {
  EXPECT_EQ(
      interpret({5, 0, false, false}, std::nullopt, "forge: error: cannot download x: 503").entry.reason,
      forge::Reason::network);
  EXPECT_TRUE(interpret({5, 0, false, false}, std::nullopt).entry.spurious);
  EXPECT_EQ(interpret({4, 0, false, false}, std::nullopt).entry.reason, forge::Reason::download);
  const auto io = interpret({6, 0, false, false}, std::nullopt,
                            "forge: error: cannot write x: No space left on device\n");
  EXPECT_EQ(io.entry.reason, forge::Reason::no_space);
  EXPECT_EQ(io.entry.details, "cannot write x: No space left on device");
  const auto other =
      interpret({1, 0, false, false}, std::nullopt, "noise\nforge: error: internal error: boom\nmore\n");
  EXPECT_EQ(other.entry.reason, forge::Reason::internal);
  EXPECT_EQ(other.entry.details, "internal error: boom");
  EXPECT_NE(interpret({0, 0, false, false}, std::nullopt).entry.details.find("without writing result.json"),
            std::string::npos);
}

TEST(RunChildResult, UsageErrorsAreFatalAndWatchdogKillsAreTimeouts) {
  const auto usage =
      interpret({2, 0, false, false}, std::nullopt, "forge: error: --builder: bogus not in {…}\n");
  EXPECT_NE(usage.fatal.find("--builder"), std::string::npos);
  const auto hung = interpret({-1, 9, true, true}, std::nullopt);
  EXPECT_FALSE(hung.interrupted);
  EXPECT_EQ(hung.entry.reason, forge::Reason::timeout);
  EXPECT_TRUE(hung.entry.spurious);
}

TEST(RunChildResult, TokensMayBeLostOnlyWhenSomethingWasKilled) {
  ChildExit normal;
  normal.exit_code = 0;
  EXPECT_FALSE(may_have_lost_tokens(normal, interpret(normal, result("built"))));
  ChildExit failed;
  failed.exit_code = 8;
  EXPECT_FALSE(may_have_lost_tokens(failed, interpret(failed, result("failed", "compile-error"))));
  EXPECT_TRUE(may_have_lost_tokens(failed, interpret(failed, result("failed", "timeout", true))))
      << "forge build killed its cargo at the timeout";
  EXPECT_TRUE(may_have_lost_tokens(failed, interpret(failed, result("failed", "out-of-memory", true))));
  ChildExit signalled;
  signalled.term_signal = SIGKILL;
  EXPECT_TRUE(may_have_lost_tokens(signalled, interpret(signalled, std::nullopt)));
  ChildExit watchdog;
  watchdog.watchdog = true;
  watchdog.exit_code = 0;
  EXPECT_TRUE(may_have_lost_tokens(watchdog, interpret(watchdog, std::nullopt)));
}

TEST(RunChildResult, FieldsOfTheWrongTypeAreAFailureNotAnException) {
  // Found by fuzz_child_result: nlohmann's value() throws type_error when a key holds another type.
  ChildExit done;
  done.exit_code = 8;
  auto r = result("failed", "compile-error");
  r["spurious"] = "yes";
  r["details"] = 3;
  JobOutcome o = interpret(done, r);
  EXPECT_EQ(o.entry.reason, forge::Reason::compile_error);
  EXPECT_FALSE(o.entry.spurious);
  EXPECT_EQ(o.entry.details, "");
  auto odd = result("built");
  odd["crate"] = 7;
  o = interpret(done, odd);
  EXPECT_EQ(o.entry.status, forge::Status::failed) << "not this job's result";
  auto bad_exe = result("built");
  bad_exe["executables"].push_back({{"name", "../evil"}});
  o = interpret(ChildExit{0, 0, false, false}, bad_exe);
  EXPECT_EQ(o.entry.executables, std::vector<std::string>{"hexyl"})
      << "a name that is no file name is dropped";
}

TEST(RunChildResult, AnErrorLineWithInvalidUtf8StillMakesAWritableEntry) {
  // Found by fuzz_child_result: the child's last error line may quote a crate's bytes; the journal line
  // must still serialise (nlohmann throws on invalid UTF-8).
  ChildExit exit;
  exit.exit_code = 6;
  const JobOutcome o = interpret(exit, std::nullopt, "forge: error: cannot unpack caf\xE9.rs\n");
  EXPECT_EQ(o.entry.details, "cannot unpack caf\xEF\xBF\xBD.rs");
  EXPECT_NO_THROW((void)journal_entry_to_json(o.entry).dump());
}

} // namespace
} // namespace forge
