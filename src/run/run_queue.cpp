#include "forge/run/run_queue.hpp"

#include "forge/compile/builder.hpp"
#include "forge/run/aggregates.hpp"
#include "forge/run/resources.hpp"
#include "forge/run/run_status.hpp"
#include "forge/util/progress.hpp"
#include "forge/util/time.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "forge/util/self_exe.hpp"

#include <chrono>

namespace forge {
namespace {
namespace fs = std::filesystem;

fs::path resolved_program(const std::string &program) {
  return program == "/proc/self/exe" ? self_executable() : fs::absolute(program);
}

// Everything decided before the disk is touched.
struct Plan {
  fs::path out, queue_path;
  Queue queue;
  std::vector<PlannedJob> jobs;
  std::string fingerprint;
};

Plan make_plan(const RunRequest &r) {
  Plan p;
  p.out = fs::absolute(r.out);
  p.queue_path = fs::absolute(r.queue.empty() ? p.out / kQueueFile : r.queue);
  p.queue = read_queue(p.queue_path);
  CratesBuilt built;
  if (!r.built.empty()) {
    built = read_crates_built(r.built);
  }
  p.jobs = plan_jobs(p.queue, r.built.empty() ? nullptr : &built, r.plan);
  if (r.shard) {
    p.jobs = split_shards(p.jobs, r.shard->count)[static_cast<std::size_t>(r.shard->index - 1)].jobs;
  }
  p.fingerprint = plan_fingerprint(p.jobs);
  const std::string shard = r.shard ? fmt::format("{}/{}", r.shard->index, r.shard->count) : "1/1";
  if (!r.expect_plan.empty() && r.expect_plan != p.fingerprint) {
    fail(ExitCode::usage,
         "shard {} has plan {}, but the matrix planned {}: give forge run the same queue, --built, --target, "
         "--only and --limit as forge matrix",
         shard, p.fingerprint, r.expect_plan);
  }
  check_build_args(r.child.build_args);
  return p;
}

} // namespace

void check_build_args(const std::vector<std::string> &args) {
  for (const auto &a : args) {
    const std::string name = a.substr(0, a.find('='));
    for (const char *own : {"--target", "--out", "--queue", "--jobs", "--timeout", "--grace",
                            "--keep-build-dir", "--build-dir"}) {
      if (name == own) {
        fail(ExitCode::usage, "give {} to forge run itself, not after '--'", own);
      }
    }
  }
}

RunOutcome run_queue(const RunRequest &request) {
  const Plan plan = make_plan(request);
  const fs::path &out = plan.out;
  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec) {
    fail(ExitCode::io, "cannot create {}: {}", out.string(), ec.message());
  }

  const fs::path journal_path = out / kJournalFile;
  if (request.fresh) {
    fs::remove(journal_path, ec);
  }
  const JournalReplay replay = read_journal(journal_path);
  for (const auto line : replay.corrupt_lines) {
    spdlog::warn("{}: line {} is damaged (an interrupted write?): skipped, its job will be redone",
                 journal_path.string(), line);
  }
  std::vector<PlannedJob> todo = remaining_jobs(plan.jobs, replay, request.retry_failed);
  order_longest_first(todo, &replay);

  RunInfo info;
  info.queue = queue_info(plan.queue_path, plan.queue);
  info.shard = request.shard ? fmt::format("{}/{}", request.shard->index, request.shard->count) : "";
  for (const auto &t : request.plan.targets) {
    info.targets.push_back(t.triple);
  }
  info.planned = plan.jobs.size();
  info.plan = plan.fingerprint;
  info.started_at = format_rfc3339(now_micros());
  info.state = "running";
  write_run_info(out, info);

  const int cores = online_cores();
  SchedulerOptions sched = request.schedule;
  sched.cores = cores;
  if (sched.workers <= 0) {
    sched.workers = default_workers(cores, mem_available_bytes());
  }
  const RunView &view = request.view;
  if (!view.quiet) {
    fmt::print(stderr,
               "forge run: {} job(s) planned{}, {} to run ({} already in the journal) with {} worker(s) on "
               "{} core(s)\n",
               plan.jobs.size(), info.shard.empty() ? "" : " in shard " + info.shard, todo.size(),
               plan.jobs.size() - todo.size(), sched.workers, cores);
  }

  RunOutcome outcome;
  outcome.planned = plan.jobs.size();
  RunSummary &summary = outcome.summary;
  const auto wall_start = std::chrono::steady_clock::now();
  if (!todo.empty()) {
    ChildCommand cmd = request.child;
    cmd.program = resolved_program(cmd.program).string();
    cmd.queue = plan.queue_path;
    cmd.out = out;
    cmd.logs = out / "logs";
    if (!cmd.build_root.empty()) {
      cmd.build_root = fs::absolute(cmd.build_root);
    }
    // One jobserver for every job's cargo: a job alone uses every core, jobs together share them. Each cargo
    // also runs one unit on its own implicit token, hence cores - 1. --cargo-jobs opts out.
    cmd.jobserver_tokens = sched.cargo_jobs > 0 ? -1 : cores - 1;
    if (request.sccache) {
      const std::string sccache = find_program("sccache");
      if (sccache.empty()) {
        spdlog::warn("--sccache: sccache is not on PATH; building without it");
      } else {
        cmd.env.emplace_back("RUSTC_WRAPPER", sccache);
      }
    }
    ProcessRunner runner(cmd);
    StatusOptions sopt;
    sopt.quiet = view.quiet;
    sopt.live = view.live && !view.quiet;
    sopt.github = view.github;
    sopt.color = view.color;
    sopt.total = todo.size();
    sopt.workers = sched.workers;
    sopt.out = out;
    sopt.logs = cmd.logs;
    ConsoleObserver observer(sopt, runner.now());
    const uint64_t min_free = request.min_free;
    sched.space_problem = [out, min_free] { return space_problem(out, min_free); };
    JournalWriter journal(journal_path);
    const std::function<void(const JournalEntry &)> record = [&journal](const JournalEntry &e) {
      journal.append(e);
    };
    summary = run_jobs(todo, runner, record, observer, sched);
  }

  // The aggregates reflect everything the journal holds, also after an interrupt or an error.
  Aggregates agg = load_aggregates(out);
  const JournalReplay final_journal = read_journal(journal_path);
  fold_run_dir(agg, out, final_journal, false);
  agg.queue = info.queue;
  write_aggregates(out, agg, false);
  info.finished_at = format_rfc3339(now_micros());
  info.state = summary.interrupted ? "interrupted" : (!summary.stop_error.empty() ? "stopped" : "complete");
  write_run_info(out, info);

  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  if (!view.quiet) {
    fmt::print(
        stderr,
        "forge run: {} built, {} failed, {} not finished in {}; results in {} (forge report --out {})\n",
        summary.built, summary.failed, summary.not_run, human_duration(wall), out.string(), out.string());
  }
  for (const auto &job : plan.jobs) {
    const auto it = final_journal.last.find(job.id());
    if (it != final_journal.last.end() && !it->second.built()) {
      outcome.failed.push_back(it->second);
    }
  }
  if (summary.interrupted) {
    if (!view.quiet) {
      fmt::print(stderr, "forge run: interrupted; run the same command again to resume\n");
    }
    outcome.code = ExitCode::interrupted;
    return outcome;
  }
  if (!summary.stop_error.empty()) {
    throw Error(summary.stop_code, summary.stop_error);
  }
  return outcome;
}

} // namespace forge
