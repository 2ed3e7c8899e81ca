// Why: the scheduling rules (how many jobs at once, who gets how many cores, what to retry and when, how to
// stop) are the runner's logic; keeping them behind a JobRunner interface lets them be tested against a fake
// with a fake clock, while the real runner only spawns and reaps processes.
#pragma once
#include "forge/run/journal.hpp"
#include "forge/run/plan.hpp"
#include "forge/util/error.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace forge {

struct JobSpec {
  PlannedJob job;
  int attempt = 1;
  int cargo_jobs = 1; // this job's share of the cores, passed as cargo --jobs
  int nice = 0;       // CPU priority of its processes: above 0 while a job ahead of it in the order runs
};

struct JobOutcome {
  uint64_t id = 0;
  JournalEntry entry;       // meaningful unless interrupted
  bool interrupted = false; // stopped by forge itself: not finished, not written to the journal
  std::string fatal;        // the job cannot work, nor can any other (e.g. bad build arguments): stop the run
};

// Starts and watches jobs. The real one spawns `forge build` children; tests use a fake.
class JobRunner {
public:
  virtual ~JobRunner() = default;
  virtual void start(uint64_t id, const JobSpec &spec) = 0;
  // Blocks until at least one job finished, an interrupt arrived, or `timeout_s` passed (none: no timeout).
  virtual std::vector<JobOutcome> wait(std::optional<double> timeout_s) = 0;
  // SIGINT/SIGTERM arrived (sticky).
  virtual bool interrupted() = 0;
  // Asks every running job to stop; wait() goes on reporting them (as interrupted) until none is left.
  virtual void stop_all() = 0;
  // Monotonic seconds.
  virtual double now() = 0;
};

// What the scheduler tells the user interface.
class RunObserver {
public:
  virtual ~RunObserver() = default;
  virtual void started(const JobSpec & /*spec*/, double /*now*/) {}
  // `retry_in_s`: set when the failure will be retried after that delay.
  virtual void finished(const JobSpec & /*spec*/, const JournalEntry & /*entry*/,
                        std::optional<double> /*retry_in_s*/) {}
  virtual void interrupted(const JobSpec & /*spec*/) {}
  virtual void stopping(const std::string & /*why*/) {}
  // Called at least every `tick_s` while jobs run, for live displays.
  virtual void tick(double /*now*/) {}
};

struct SchedulerOptions {
  int workers = 1;       // jobs at once
  int cores = 1;         // shared out as cargo --jobs
  int cargo_jobs = 0;    // > 0: every job gets this cargo --jobs instead of a share of the cores
  int max_retries = 2;   // extra attempts for spurious failures
  double backoff_s = 30; // first retry delay, doubled each time
  double tick_s = 1;     // observer tick period
  // The nice value of a job started while a job ahead of it in the priority order (expected to be longer)
  // runs: the jobserver hands tokens to whichever cargo asks first, so the cores go to the longest job first
  // by CPU priority instead, and the short ones fill what it leaves idle. 0 = every job equal.
  int behind_nice = 10;
  // Asked before each start: a non-empty answer (e.g. "only 200 MiB free in out/") stops scheduling with that
  // error; jobs already running finish. Unset = not checked.
  std::function<std::string()> space_problem;
};

struct RunSummary {
  std::size_t built = 0, failed = 0; // jobs finished (final attempts) in this run
  std::size_t attempts = 0;          // journal lines written
  std::size_t not_run = 0;           // jobs left for a later run (interrupted, never started)
  bool interrupted = false;
  std::string stop_error;             // set when scheduling stopped on an error (disk full, journal write)
  ExitCode stop_code = ExitCode::io;  // its class: io, or usage when forge build refused its arguments
  std::vector<JournalEntry> finished; // final attempts, in finishing order
};

// Runs `jobs` (in the given priority order) through `runner`, writing each finished attempt with `record`
// (the journal). Rules: at most `workers` at once; two jobs of one crate never start together before one of
// them has finished (they share its download); each job gets cargo --jobs = ceil(cores / jobs that can run
// now); a job started while one ahead of it in the order runs gets nice = behind_nice; a spurious failure is
// retried up to max_retries times after backoff_s * 2^(n-1); an interrupt or an error stops scheduling and
// every running job. `record` throwing Error is such an error.
RunSummary run_jobs(const std::vector<PlannedJob> &jobs, JobRunner &runner,
                    const std::function<void(const JournalEntry &)> &record, RunObserver &observer,
                    const SchedulerOptions &options);

// The cargo --jobs share: ceil(cores / min(workers, runnable)), at least 1.
int cargo_jobs_share(int cores, int workers, std::size_t runnable);

} // namespace forge
