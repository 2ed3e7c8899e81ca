// Why: one loop decides everything about a run's order and its end (start, retry, stop), against an abstract
// runner, so that fairness, retries and interruption are tested with a fake clock in milliseconds.
#include "forge/run/scheduler.hpp"

#include "forge/util/error.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace forge {

int cargo_jobs_share(int cores, int workers, std::size_t runnable) {
  const auto slots =
      static_cast<int>(std::max<std::size_t>(1, std::min<std::size_t>(std::max(workers, 1), runnable)));
  return std::max(1, (std::max(cores, 1) + slots - 1) / slots);
}

namespace {

struct Pending {
  std::size_t order = 0; // position in the given priority order
  PlannedJob job;
  int attempt = 1;
  double ready_at = 0; // retries wait for their backoff
};

class Scheduler {
public:
  Scheduler(const std::vector<PlannedJob> &jobs, JobRunner &runner,
            const std::function<void(const JournalEntry &)> &record, RunObserver &observer,
            const SchedulerOptions &options)
      : runner_(runner), record_(record), observer_(observer), opt_(options) {
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      pending_.push_back(Pending{i, jobs[i], 1, 0});
    }
  }

  RunSummary run() {
    for (;;) {
      const double now = runner_.now();
      if (!stopping_ && runner_.interrupted()) {
        summary_.interrupted = true;
        stop("interrupted: stopping every running job", true);
      }
      if (!stopping_) {
        start_what_fits(now);
      }
      if (running_.empty() && (stopping_ || pending_.empty())) {
        break;
      }
      for (JobOutcome &out : runner_.wait(wait_timeout(now))) {
        finish(out);
      }
      observer_.tick(runner_.now());
    }
    summary_.not_run += pending_.size();
    if (runner_.interrupted()) {
      summary_.interrupted = true;
    }
    return summary_;
  }

private:
  bool startable(const Pending &p, double now) {
    if (p.ready_at > now) {
      return false;
    }
    const auto r = running_per_crate_.find(p.job.crate);
    return r == running_per_crate_.end() || r->second == 0 || crate_finished_.count(p.job.crate) != 0;
  }

  void start_what_fits(double now) {
    while (running_.size() < static_cast<std::size_t>(std::max(opt_.workers, 1))) {
      auto it =
          std::find_if(pending_.begin(), pending_.end(), [&](const Pending &p) { return startable(p, now); });
      if (it == pending_.end()) {
        return;
      }
      if (opt_.space_problem) {
        if (std::string problem = opt_.space_problem(); !problem.empty()) {
          summary_.stop_error = problem;
          stop(problem, false);
          return;
        }
      }
      const std::size_t ready = static_cast<std::size_t>(std::count_if(
          pending_.begin(), pending_.end(), [now](const Pending &p) { return p.ready_at <= now; }));
      JobSpec spec;
      spec.job = it->job;
      spec.attempt = it->attempt;
      spec.cargo_jobs = opt_.cargo_jobs > 0
                            ? opt_.cargo_jobs
                            : cargo_jobs_share(opt_.cores, opt_.workers, running_.size() + ready);
      const std::size_t order = it->order;
      const bool behind = std::any_of(running_.begin(), running_.end(),
                                      [order](const auto &r) { return r.second.order < order; });
      spec.nice = behind ? std::clamp(opt_.behind_nice, 0, 19) : 0;
      const uint64_t id = next_id_++;
      try {
        runner_.start(id, spec);
      } catch (const Error &e) { // e.g. its log file cannot be created: the disk is full
        summary_.stop_error = e.what();
        stop(std::string(e.what()) + ": stopped scheduling", false);
        return;
      }
      pending_.erase(it);
      running_.emplace(id, Running{spec, order});
      ++running_per_crate_[spec.job.crate];
      observer_.started(spec, now);
    }
  }

  [[nodiscard]] std::optional<double> wait_timeout(double now) const {
    double timeout = opt_.tick_s > 0 ? opt_.tick_s : 1;
    if (!stopping_ && running_.size() < static_cast<std::size_t>(std::max(opt_.workers, 1))) {
      for (const auto &p : pending_) {
        if (p.ready_at > now) {
          timeout = std::min(timeout, p.ready_at - now);
        }
      }
    }
    return std::max(timeout, 0.0);
  }

  void finish(JobOutcome &out) {
    const auto it = running_.find(out.id);
    if (it == running_.end()) {
      return; // not ours: a runner bug, but never a reason to stop the run
    }
    const Running done = it->second;
    running_.erase(it);
    --running_per_crate_[done.spec.job.crate];
    if (!out.fatal.empty()) {
      ++summary_.not_run;
      if (summary_.stop_error.empty()) {
        summary_.stop_error = out.fatal;
        summary_.stop_code = ExitCode::usage;
      }
      stop(out.fatal, true);
      return;
    }
    if (out.interrupted) {
      ++summary_.not_run;
      observer_.interrupted(done.spec);
      return;
    }
    crate_finished_.insert(done.spec.job.crate);
    JournalEntry &entry = out.entry;
    const bool retry =
        !entry.built() && entry.spurious && done.spec.attempt <= opt_.max_retries && !stopping_;
    entry.attempt = done.spec.attempt;
    entry.retrying = retry;
    try {
      record_(entry);
    } catch (const Error &e) {
      summary_.stop_error = e.what();
      ++summary_.not_run;
      stop(std::string(e.what()) + ": stopping every running job", true);
      return;
    }
    ++summary_.attempts;
    if (retry) {
      const double delay = opt_.backoff_s * std::pow(2.0, done.spec.attempt - 1);
      Pending again{done.order, done.spec.job, done.spec.attempt + 1, runner_.now() + delay};
      const auto pos = std::find_if(pending_.begin(), pending_.end(),
                                    [&](const Pending &p) { return p.order > done.order; });
      pending_.insert(pos, std::move(again));
      observer_.finished(done.spec, entry, delay);
      return;
    }
    (entry.built() ? summary_.built : summary_.failed) += 1;
    summary_.finished.push_back(entry);
    observer_.finished(done.spec, entry, std::nullopt);
  }

  void stop(const std::string &why, bool kill_running) {
    if (stopping_) {
      return;
    }
    stopping_ = true;
    observer_.stopping(why);
    if (kill_running) {
      runner_.stop_all();
    }
  }

  struct Running {
    JobSpec spec;
    std::size_t order;
  };

  JobRunner &runner_;
  const std::function<void(const JournalEntry &)> &record_;
  RunObserver &observer_;
  const SchedulerOptions &opt_;
  std::vector<Pending> pending_; // by priority order
  std::map<uint64_t, Running> running_;
  std::map<std::string, int> running_per_crate_;
  std::set<std::string> crate_finished_;
  uint64_t next_id_ = 1;
  bool stopping_ = false;
  RunSummary summary_;
};

} // namespace

RunSummary run_jobs(const std::vector<PlannedJob> &jobs, JobRunner &runner,
                    const std::function<void(const JournalEntry &)> &record, RunObserver &observer,
                    const SchedulerOptions &options) {
  Scheduler scheduler(jobs, runner, record, observer, options);
  return scheduler.run();
}

} // namespace forge
