// Why: the scheduling rules (bounded concurrency, fair cargo --jobs shares, one download per crate, retries
// with backoff, stopping on interrupt, a full disk or a journal error) tested against a fake runner and a
// fake clock.
#include "forge/run/scheduler.hpp"
#include "run_fixtures.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>

namespace forge {
namespace {
using namespace test_run;

struct Attempt {
  double duration = 10;
  std::string status = "built";
  std::string reason;
  std::string fatal;
};

// Jobs finish after their scripted duration on a clock that only moves inside wait().
class FakeRunner final : public JobRunner {
public:
  std::function<Attempt(const JobSpec &)> script = [](const JobSpec &) { return Attempt{}; };
  std::optional<double> interrupt_at;
  double clock = 0;
  std::size_t max_running = 0;
  bool stop_called = false;
  struct Started {
    JobSpec spec;
    double at;
  };
  std::vector<Started> started;

  void start(uint64_t id, const JobSpec &spec) override {
    started.push_back({spec, clock});
    running_.push_back({id, spec, clock + script(spec).duration});
    max_running = std::max(max_running, running_.size());
  }
  std::vector<JobOutcome> wait(std::optional<double> timeout) override {
    std::vector<JobOutcome> out;
    if (stop_called) {
      for (const auto &r : running_) {
        JobOutcome o;
        o.id = r.id;
        o.interrupted = true;
        out.push_back(o);
      }
      running_.clear();
      return out;
    }
    double until = timeout ? clock + *timeout : 1e18;
    for (const auto &r : running_) {
      until = std::min(until, r.end);
    }
    if (interrupt_at && !interrupted_ && *interrupt_at <= until) {
      clock = std::max(clock, *interrupt_at);
      interrupted_ = true;
      return out;
    }
    clock = std::max(clock, until);
    for (auto it = running_.begin(); it != running_.end();) {
      if (it->end <= clock) {
        const Attempt a = script(it->spec);
        JobOutcome o;
        o.id = it->id;
        o.fatal = a.fatal;
        o.entry =
            entry(it->spec.job.crate, it->spec.job.version, a.status, "t", it->spec.job.target, a.reason);
        o.entry.duration_s = a.duration;
        out.push_back(o);
        it = running_.erase(it);
      } else {
        ++it;
      }
    }
    return out;
  }
  bool interrupted() override { return interrupted_; }
  void stop_all() override { stop_called = true; }
  double now() override { return clock; }

private:
  struct Running {
    uint64_t id;
    JobSpec spec;
    double end;
  };
  std::vector<Running> running_;
  bool interrupted_ = false;
};

struct Recorder final : RunObserver {
  std::vector<std::string> events;
  void finished(const JobSpec &s, const JournalEntry &e, std::optional<double> retry) override {
    events.push_back(s.job.crate + (retry ? " retry" : " " + std::string(to_string(e.status))));
  }
  void interrupted(const JobSpec &s) override { events.push_back(s.job.crate + " interrupted"); }
  void stopping(const std::string &why) override { events.push_back("stopping: " + why); }
};

struct Harness {
  FakeRunner runner;
  Recorder observer;
  std::vector<JournalEntry> journal;
  std::function<void(const JournalEntry &)> record = [this](const JournalEntry &e) { journal.push_back(e); };
  SchedulerOptions options;
  RunSummary go(const std::vector<PlannedJob> &jobs) {
    return run_jobs(jobs, runner, record, observer, options);
  }
};

std::vector<PlannedJob> crates(int n) {
  std::vector<PlannedJob> jobs;
  for (int i = 0; i < n; ++i) {
    jobs.push_back(planned("c" + std::to_string(i)));
  }
  return jobs;
}

TEST(RunScheduler, CargoJobsShare) {
  EXPECT_EQ(cargo_jobs_share(2, 2, 5), 1);
  EXPECT_EQ(cargo_jobs_share(2, 1, 5), 2);
  EXPECT_EQ(cargo_jobs_share(4, 3, 10), 2);
  EXPECT_EQ(cargo_jobs_share(8, 4, 1), 8) << "the last job gets every core";
  EXPECT_EQ(cargo_jobs_share(1, 8, 8), 1);
  EXPECT_EQ(cargo_jobs_share(0, 0, 0), 1);
}

TEST(RunScheduler, EveryJobRunsOnceWithinTheWorkerLimitInPriorityOrder) {
  Harness run;
  run.options.workers = 3;
  run.options.cores = 6;
  const auto jobs = crates(10);
  const RunSummary s = run.go(jobs);
  EXPECT_EQ(s.built, 10u);
  EXPECT_EQ(s.attempts, 10u);
  EXPECT_EQ(s.not_run, 0u);
  EXPECT_FALSE(s.interrupted);
  EXPECT_EQ(run.runner.max_running, 3u);
  ASSERT_EQ(run.runner.started.size(), 10u);
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    EXPECT_EQ(run.runner.started[i].spec.job.crate, jobs[i].crate) << "started in the given order";
  }
  EXPECT_EQ(run.journal.size(), 10u);
  EXPECT_DOUBLE_EQ(run.runner.clock, 40) << "4 waves of 10 s with 3 workers";
}

TEST(RunScheduler, CoresAreSharedFairlyAndTheTailGetsMore) {
  Harness run;
  run.options.workers = 2;
  run.options.cores = 4;
  run.go(crates(3));
  ASSERT_EQ(run.runner.started.size(), 3u);
  EXPECT_EQ(run.runner.started[0].spec.cargo_jobs, 2);
  EXPECT_EQ(run.runner.started[1].spec.cargo_jobs, 2);
  EXPECT_EQ(run.runner.started[2].spec.cargo_jobs, 4) << "alone at the end: all cores";
}

TEST(RunScheduler, AFixedCargoJobsOverridesTheShare) {
  Harness run;
  run.options.workers = 2;
  run.options.cores = 4;
  run.options.cargo_jobs = 3;
  run.go(crates(3));
  for (const auto &s : run.runner.started) {
    EXPECT_EQ(s.spec.cargo_jobs, 3);
  }
}

TEST(RunScheduler, TheLongestJobIsFedFirstAndTheOthersFillIn) {
  Harness run;
  run.options.workers = 2;
  run.options.backoff_s = 1;
  // The first (longest) job fails spuriously once: its retry runs again ahead of the later jobs.
  run.runner.script = [](const JobSpec &s) {
    if (s.job.crate == "c0") {
      return s.attempt == 1 ? Attempt{25, "failed", "timeout", ""} : Attempt{25, "built", "", ""};
    }
    return Attempt{10, "built", "", ""};
  };
  run.go(crates(4));
  std::vector<std::string> started;
  for (const auto &s : run.runner.started) {
    started.push_back(s.spec.job.crate + "/" + std::to_string(s.spec.nice));
  }
  // c0 [0,25] c1 [0,10] c2 [10,20] c3 [20,30] c0 again [26,51] while c3 runs: ahead of it, so not lowered.
  EXPECT_EQ(started, (std::vector<std::string>{"c0/0", "c1/10", "c2/10", "c3/10", "c0/0"}));
}

TEST(RunScheduler, EqualPriorityWhenAloneOrWhenTurnedOff) {
  for (const int workers : {1, 2}) {
    Harness run;
    run.options.workers = workers;
    run.options.behind_nice = workers == 1 ? 10 : 0;
    run.go(crates(3));
    ASSERT_EQ(run.runner.started.size(), 3u);
    for (const auto &s : run.runner.started) {
      EXPECT_EQ(s.spec.nice, 0) << workers;
    }
  }
}

TEST(RunScheduler, ASecondJobOfACrateWaitsForItsFirst) {
  Harness run;
  run.options.workers = 3;
  run.go({planned("a", 120, musl()), planned("a", 120, arm()), planned("b")});
  ASSERT_EQ(run.runner.started.size(), 3u);
  EXPECT_EQ(run.runner.started[0].spec.job.id(), "a@1.0.0 x86_64-unknown-linux-musl");
  EXPECT_EQ(run.runner.started[1].spec.job.crate, "b") << "a/aarch64 would race a/x86_64 for the download";
  EXPECT_EQ(run.runner.started[2].spec.job.id(), "a@1.0.0 aarch64-unknown-linux-musl");
  EXPECT_DOUBLE_EQ(run.runner.started[2].at, 10);
}

TEST(RunScheduler, SpuriousFailuresAreRetriedWithDoublingBackoff) {
  Harness run;
  run.options.max_retries = 2;
  run.options.backoff_s = 30;
  run.runner.script = [](const JobSpec &s) {
    return s.attempt < 3 ? Attempt{10, "failed", "timeout", ""} : Attempt{10, "built", "", ""};
  };
  const RunSummary s = run.go({planned("flaky")});
  ASSERT_EQ(run.journal.size(), 3u);
  EXPECT_EQ(run.journal[0].attempt, 1);
  EXPECT_TRUE(run.journal[0].retrying);
  EXPECT_EQ(run.journal[1].attempt, 2);
  EXPECT_TRUE(run.journal[1].retrying);
  EXPECT_EQ(run.journal[2].attempt, 3);
  EXPECT_FALSE(run.journal[2].retrying);
  EXPECT_EQ(s.built, 1u);
  EXPECT_EQ(s.failed, 0u);
  ASSERT_EQ(run.runner.started.size(), 3u);
  EXPECT_DOUBLE_EQ(run.runner.started[1].at, 10 + 30);
  EXPECT_DOUBLE_EQ(run.runner.started[2].at, 50 + 60);
  EXPECT_EQ(run.observer.events, (std::vector<std::string>{"flaky retry", "flaky retry", "flaky built"}));
}

TEST(RunScheduler, RetriesAreBoundedAndRealFailuresAreNotRetried) {
  Harness run;
  run.options.max_retries = 1;
  run.options.backoff_s = 1;
  run.runner.script = [](const JobSpec &s) {
    return s.job.crate == "flaky" ? Attempt{5, "failed", "network", ""}
                                  : Attempt{5, "failed", "compile-error", ""};
  };
  const RunSummary s = run.go({planned("flaky"), planned("broken")});
  EXPECT_EQ(s.failed, 2u);
  EXPECT_EQ(s.attempts, 3u);
  EXPECT_EQ(std::count_if(run.journal.begin(), run.journal.end(),
                          [](const JournalEntry &e) { return e.crate == "flaky"; }),
            2);
  EXPECT_FALSE(run.journal.back().retrying);
}

TEST(RunScheduler, WhileARetryWaitsOtherJobsRun) {
  Harness run;
  run.options.workers = 1;
  run.options.backoff_s = 100;
  run.runner.script = [](const JobSpec &s) {
    return s.job.crate == "flaky" && s.attempt == 1 ? Attempt{1, "failed", "timeout", ""} : Attempt{};
  };
  run.go({planned("flaky"), planned("b"), planned("c")});
  std::vector<std::string> order;
  for (const auto &st : run.runner.started) {
    order.push_back(st.spec.job.crate);
  }
  EXPECT_EQ(order, (std::vector<std::string>{"flaky", "b", "c", "flaky"}));
  EXPECT_DOUBLE_EQ(run.runner.started.back().at, 101) << "not before its backoff";
}

TEST(RunScheduler, AnInterruptStopsSchedulingAndNothingUnfinishedIsJournalled) {
  Harness run;
  run.options.workers = 2;
  run.runner.interrupt_at = 15;
  const RunSummary s = run.go(crates(6));
  EXPECT_TRUE(s.interrupted);
  EXPECT_TRUE(run.runner.stop_called);
  EXPECT_EQ(run.runner.started.size(), 4u) << "two waves started, nothing after the interrupt";
  EXPECT_EQ(run.journal.size(), 2u) << "only the first wave finished";
  EXPECT_EQ(s.built, 2u);
  EXPECT_EQ(s.not_run, 4u) << "2 interrupted + 2 never started";
  EXPECT_EQ(std::count(run.observer.events.begin(), run.observer.events.end(), "c2 interrupted"), 1);
}

TEST(RunScheduler, AFullDiskStopsSchedulingButLetsRunningJobsFinish) {
  Harness run;
  run.options.workers = 2;
  int calls = 0;
  run.options.space_problem = [&calls] {
    return ++calls > 2 ? std::string("only 10 MiB free") : std::string();
  };
  const RunSummary s = run.go(crates(5));
  EXPECT_EQ(s.stop_error, "only 10 MiB free");
  EXPECT_EQ(s.stop_code, ExitCode::io);
  EXPECT_FALSE(run.runner.stop_called) << "running jobs finish";
  EXPECT_EQ(run.journal.size(), 2u);
  EXPECT_EQ(s.not_run, 3u);
}

TEST(RunScheduler, AJournalWriteErrorStopsEverything) {
  Harness run;
  run.options.workers = 2;
  int writes = 0;
  run.record = [&](const JournalEntry &e) {
    if (++writes == 2) {
      fail(ExitCode::io, "cannot write journal.ndjson: No space left on device");
    }
    run.journal.push_back(e);
  };
  const RunSummary s = run.go(crates(3));
  EXPECT_NE(s.stop_error.find("No space left"), std::string::npos);
  EXPECT_TRUE(run.runner.stop_called);
  EXPECT_EQ(run.journal.size(), 1u);
  EXPECT_EQ(s.attempts, 1u);
}

TEST(RunScheduler, AFatalOutcomeStopsTheRunAsAUsageError) {
  Harness run;
  run.runner.script = [](const JobSpec &) { return Attempt{1, "failed", "internal", "forge build refused"}; };
  const RunSummary s = run.go(crates(3));
  EXPECT_EQ(s.stop_error, "forge build refused");
  EXPECT_EQ(s.stop_code, ExitCode::usage);
  EXPECT_TRUE(run.journal.empty());
  EXPECT_EQ(run.runner.started.size(), 1u);
}

TEST(RunScheduler, NothingToDo) {
  Harness run;
  const RunSummary s = run.go({});
  EXPECT_EQ(s.attempts, 0u);
  EXPECT_TRUE(run.runner.started.empty());
}

} // namespace
} // namespace forge
