// Why: `forge run` turns the queue into many `forge build` children: it plans (queue x targets, shard, what
// the journal says is done), runs them through the scheduler and the process runner, and refreshes the
// aggregates.
#include "cli/commands.hpp"
#include "forge/compile/build_job.hpp"
#include "forge/compile/builder.hpp"
#include "forge/dump/pg_types.hpp"
#include "forge/run/aggregates.hpp"
#include "forge/run/plan.hpp"
#include "forge/run/process_runner.hpp"
#include "forge/run/resources.hpp"
#include "forge/run/run_status.hpp"
#include "forge/run/scheduler.hpp"
#include "forge/util/progress.hpp"
#include "forge/util/self_exe.hpp"
#include "forge/util/term.hpp"
#include "forge/util/time.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

namespace forge::cli {
namespace {
namespace fs = std::filesystem;

struct RunFlags {
  std::string queue;
  std::vector<std::string> targets;
  int jobs = 0;
  int cargo_jobs = 0;
  std::string out = "forge-out";
  std::size_t limit = 0;
  std::string shard;
  std::vector<std::string> only;
  bool retry_failed = false;
  bool fresh = false;
  std::string built;
  std::string expect_plan;
  int retries = 2;
  std::string retry_backoff = "30s";
  bool keep_build_dir = false;
  std::string build_dir;
  bool sccache = false;
  std::string timeout = "30m";
  std::string grace = "10s";
  uint64_t min_free = uint64_t{1} << 30;
  std::string default_duration = "2m";
  std::string worker;
  bool strict = false;
  std::vector<std::string> build_args;
};

double seconds_of(const std::string &text) {
  return static_cast<double>(parse_duration(text).count()) / 1000.0;
}

// Options that forge run sets on every child itself: giving them after `--` would contradict it.
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

fs::path self_program(const std::string &worker) {
  if (!worker.empty()) {
    return fs::absolute(worker);
  }
  return self_executable();
}

int run_action(const RunFlags &f) {
  const fs::path out = fs::absolute(f.out);
  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec) {
    fail(ExitCode::io, "cannot create {}: {}", out.string(), ec.message());
  }
  const fs::path queue_path = fs::absolute(f.queue.empty() ? out / "queue.json" : fs::path(f.queue));
  const Queue queue = read_queue(queue_path);
  PlanOptions popt;
  popt.targets = resolve_targets(f.targets);
  popt.only = f.only;
  popt.limit = f.limit;
  popt.default_duration_s = seconds_of(f.default_duration);
  CratesBuilt built;
  if (!f.built.empty()) {
    built = read_crates_built(f.built);
  }
  std::vector<PlannedJob> plan = plan_jobs(queue, f.built.empty() ? nullptr : &built, popt);
  if (!f.shard.empty()) {
    const ShardSpec spec = parse_shard(f.shard);
    plan = split_shards(plan, spec.count)[static_cast<std::size_t>(spec.index - 1)].jobs;
  }
  const std::string fingerprint = plan_fingerprint(plan);
  if (!f.expect_plan.empty() && f.expect_plan != fingerprint) {
    fail(ExitCode::usage,
         "shard {} has plan {}, but the matrix planned {}: give forge run the same queue, --built, --target, "
         "--only "
         "and --limit as forge matrix",
         f.shard.empty() ? "1/1" : f.shard, fingerprint, f.expect_plan);
  }
  check_build_args(f.build_args);

  const fs::path journal_path = out / kJournalFile;
  if (f.fresh) {
    fs::remove(journal_path, ec);
  }
  const JournalReplay replay = read_journal(journal_path);
  for (const auto line : replay.corrupt_lines) {
    spdlog::warn("{}: line {} is damaged (an interrupted write?): skipped, its job will be redone",
                 journal_path.string(), line);
  }
  std::vector<PlannedJob> todo = remaining_jobs(plan, replay, f.retry_failed);
  order_longest_first(todo, &replay);

  RunInfo info;
  info.queue = queue_info(queue_path, queue);
  info.shard = f.shard;
  for (const auto &t : popt.targets) {
    info.targets.push_back(t.triple);
  }
  info.planned = plan.size();
  info.plan = fingerprint;
  info.started_at = format_rfc3339(now_micros());
  info.state = "running";
  write_run_info(out, info);

  const int cores = online_cores();
  const int workers = f.jobs > 0 ? f.jobs : default_workers(cores, mem_available_bytes());
  const bool quiet = ui().quiet();
  if (!quiet) {
    fmt::print(stderr,
               "forge run: {} job(s) planned{}, {} to run ({} already in the journal) with {} worker(s) on "
               "{} core(s)\n",
               plan.size(), f.shard.empty() ? "" : " in shard " + f.shard, todo.size(),
               plan.size() - todo.size(), workers, cores);
  }

  RunSummary summary;
  const auto wall_start = std::chrono::steady_clock::now();
  if (!todo.empty()) {
    ChildCommand cmd;
    cmd.program = self_program(f.worker).string();
    cmd.global_args = {"--color", "never"};
    if (!explicit_config_file().empty()) {
      cmd.global_args.insert(cmd.global_args.end(), {"--config", explicit_config_file().string()});
    }
    cmd.build_args = f.build_args;
    cmd.queue = queue_path;
    cmd.out = out;
    cmd.logs = out / "logs";
    cmd.timeout = parse_duration(f.timeout);
    cmd.grace = parse_duration(f.grace);
    cmd.keep_build_dir = f.keep_build_dir;
    // One jobserver for every job's cargo: a job alone uses every core, jobs together share them. Each cargo
    // also runs one unit on its own implicit token, hence cores - 1. --cargo-jobs opts out.
    cmd.jobserver_tokens = f.cargo_jobs > 0 ? -1 : cores - 1;
    if (!f.build_dir.empty()) {
      cmd.build_root = fs::absolute(f.build_dir);
    }
    if (f.sccache) {
      const std::string sccache = find_program("sccache");
      if (sccache.empty()) {
        spdlog::warn("--sccache: sccache is not on PATH; building without it");
      } else {
        cmd.env.emplace_back("RUSTC_WRAPPER", sccache);
      }
    }
    ProcessRunner runner(cmd);
    StatusOptions sopt;
    sopt.quiet = quiet;
    sopt.live = ui().stderr_tty && !quiet;
    const char *gha = std::getenv("GITHUB_ACTIONS");
    sopt.github = gha != nullptr && std::string(gha) == "true";
    sopt.color = ui().color_out;
    sopt.total = todo.size();
    sopt.workers = workers;
    sopt.out = out;
    sopt.logs = cmd.logs;
    ConsoleObserver observer(sopt, runner.now());
    SchedulerOptions sched;
    sched.workers = workers;
    sched.cores = cores;
    sched.cargo_jobs = f.cargo_jobs;
    sched.max_retries = f.retries;
    sched.backoff_s = seconds_of(f.retry_backoff);
    const uint64_t min_free = f.min_free;
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
  if (!quiet) {
    fmt::print(
        stderr,
        "forge run: {} built, {} failed, {} not finished in {}; results in {} (forge report --out {})\n",
        summary.built, summary.failed, summary.not_run, human_duration(wall), out.string(), out.string());
  }
  if (summary.interrupted) {
    if (!quiet) {
      fmt::print(stderr, "forge run: interrupted; run the same command again to resume\n");
    }
    return static_cast<int>(ExitCode::interrupted);
  }
  if (!summary.stop_error.empty()) {
    throw Error(summary.stop_code, summary.stop_error);
  }
  if (f.strict) {
    const bool any_failed = std::any_of(plan.begin(), plan.end(), [&](const PlannedJob &j) {
      const auto it = final_journal.last.find(j.id());
      return it != final_journal.last.end() && !it->second.built();
    });
    return any_failed ? static_cast<int>(ExitCode::build_failed) : 0;
  }
  return 0;
}

} // namespace

void add_run(CLI::App &app, Action &action) {
  auto f = std::make_shared<RunFlags>();
  auto *cmd =
      app.add_subcommand("run", "Build every queued crate for every target: many `forge build` jobs at once, "
                                "resumable, with aggregates. Arguments after -- go to each forge build");
  cmd->add_option("--queue", f->queue, "queue.json (default: <out>/queue.json)");
  // One value per --target (repeat the flag): a vector option that takes all it sees would also swallow the
  // `--` before the build arguments.
  cmd->add_option("--target", f->targets, "Targets as forge build takes them; repeatable (default: x86_64)")
      ->delimiter(',')
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_option("--jobs", f->jobs, "Builds at once (default: min(cores, available memory / 2 GiB))")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--cargo-jobs", f->cargo_jobs,
                  "A fixed cargo --jobs for every job instead of the shared jobserver (default 0: every "
                  "job's cargo draws from one jobserver of cores - 1 tokens)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--out", f->out, "Output directory: results, journal.ndjson, aggregates")
      ->capture_default_str();
  cmd->add_option("--limit", f->limit, "Only the first N crates of the queue (0 = all)");
  cmd->add_option("--shard", f->shard, "Run only shard I of N (as planned by forge matrix), e.g. 2/8");
  cmd->add_option("--only", f->only, "Only these crates (comma-separated)")
      ->delimiter(',')
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_flag("--retry-failed", f->retry_failed, "Rerun only the jobs the journal says failed");
  cmd->add_flag("--fresh", f->fresh, "Forget the journal and run everything again");
  cmd->add_option("--built", f->built,
                  "CRATES_BUILT.json: skip what it says is done, balance shards by its durations");
  cmd->add_option("--expect-plan", f->expect_plan,
                  "Refuse to run unless this shard's plan has this fingerprint "
                  "(the matrix's \"plan\")");
  cmd->add_option("--retries", f->retries,
                  "Extra attempts for spurious failures (timeout, out-of-memory, no-space, "
                  "network)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--retry-backoff", f->retry_backoff, "Delay before the first retry, doubled each time")
      ->capture_default_str();
  cmd->add_flag("--keep-build-dir", f->keep_build_dir, "Keep each job's unpacked crate and target dir");
  cmd->add_option("--build-dir", f->build_dir, "Where build directories go (default: <cache>/builds)");
  cmd->add_flag("--sccache", f->sccache, "Use sccache as RUSTC_WRAPPER when it is on PATH");
  cmd->add_option("--timeout", f->timeout, "Per-target build timeout of each job")->capture_default_str();
  cmd->add_option("--grace", f->grace, "Time between SIGTERM and SIGKILL")->capture_default_str();
  cmd->add_option("--min-free", f->min_free,
                  "Stop scheduling when less than this is free in --out (e.g. 1GiB, 0 = "
                  "never)")
      ->transform(CLI::AsSizeValue(false))
      ->capture_default_str();
  cmd->add_option("--default-duration", f->default_duration, "Expected duration of a job never built before")
      ->capture_default_str();
  cmd->add_option("--worker", f->worker,
                  "Program run as each job's `forge build` (default: this forge; for "
                  "benchmarks)");
  cmd->add_flag("--strict", f->strict,
                "Exit 8 when the journal says any planned job failed (default: 0 once every "
                "job ran)");
  cmd->add_option("build-args", f->build_args,
                  "After --: extra arguments for every forge build (e.g. --builder "
                  "cargo --toolchain stable)");
  cmd->callback([&action, f] { action = [f] { return run_action(*f); }; });
}

} // namespace forge::cli
