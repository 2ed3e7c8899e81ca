// Why: `forge run` maps flags and forge.toml [run] onto a RunRequest (the pipeline is run/run_queue.cpp) and
// says why a --strict run fails.
#include "cli/commands.hpp"
#include "cli/forge_options.hpp"
#include "cli/option_types.hpp"
#include "forge/run/run_queue.hpp"
#include "forge/util/term.hpp"
#include "forge/util/time.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <memory>

namespace forge::cli {
namespace {

// What only the command line has; everything else binds to the request, whose values are the defaults.
struct RunFlags {
  std::vector<std::string> targets;
  std::string shard;
  std::string worker;
  bool strict = false;
  bool verify_reproducible = false;
  RunRequest request;
};

// Why a --strict run exits 8: the planned jobs whose last journal line is a failure, this run's or an
// earlier one's (a resumed run may have built nothing itself).
std::string strict_failure(const RunOutcome &outcome, const std::filesystem::path &out) {
  constexpr std::size_t kShown = 5;
  std::vector<std::string> named;
  for (std::size_t i = 0; i < outcome.failed.size() && i < kShown; ++i) {
    const JournalEntry &e = outcome.failed[i];
    named.push_back(fmt::format("{}@{} [{}] {}", e.crate, e.version, e.host, e.reason_name()));
  }
  const std::size_t more = outcome.failed.size() - named.size();
  return fmt::format("--strict: {} of {} planned job(s) failed according to {}: {}{}; the list is in {}",
                     outcome.failed.size(), outcome.planned, (out / kJournalFile).string(),
                     fmt::join(named, ", "), more > 0 ? fmt::format(" and {} more", more) : "",
                     (out / "retry.txt").string());
}

int run_action(RunFlags &f) {
  RunRequest r = f.request;
  r.plan.targets = resolve_targets(f.targets);
  if (!f.shard.empty()) {
    r.shard = parse_shard(f.shard);
  }
  if (!f.worker.empty()) {
    r.child.program = f.worker;
  }
  if (f.verify_reproducible) {
    r.child.build_args.emplace_back("--verify-reproducible");
  }
  r.child.global_args = {"--color", "never"};
  if (!explicit_config_file().empty()) {
    r.child.global_args.insert(r.child.global_args.end(), {"--config", explicit_config_file().string()});
  }
  r.view.quiet = ui().quiet();
  r.view.live = ui().stderr_tty;
  r.view.color = ui().color_out;
  const char *gha = std::getenv("GITHUB_ACTIONS");
  r.view.github = gha != nullptr && std::string(gha) == "true";

  const RunOutcome outcome = run_queue(r);
  if (outcome.code != ExitCode::ok) {
    return static_cast<int>(outcome.code);
  }
  if (f.strict && !outcome.failed.empty()) {
    fail(ExitCode::build_failed, "{}", strict_failure(outcome, std::filesystem::absolute(r.out)));
  }
  return 0;
}

} // namespace

void add_run(CLI::App &app, Action &action) {
  auto f = std::make_shared<RunFlags>();
  RunRequest &r = f->request;
  auto *cmd =
      app.add_subcommand("run", "Build every queued crate for every target: many `forge build` jobs at once, "
                                "resumable, with aggregates. Arguments after -- go to each forge build");
  cmd->add_option("--queue", r.queue, "queue.json (default: <out>/queue.json)")->type_name("FILE");
  add_target_option(*cmd, f->targets, "x86_64");
  cmd->add_option("--jobs", r.schedule.workers,
                  "Builds at once (default: min(cores, available memory / 2 GiB))")
      ->type_name("N")
      ->check(whole_number(0));
  cmd->add_option("--cargo-jobs", r.schedule.cargo_jobs,
                  "A fixed cargo --jobs for every job instead of the shared jobserver (default 0: every "
                  "job's cargo draws from one jobserver of cores - 1 tokens)")
      ->type_name("N")
      ->check(whole_number(0));
  cmd->add_option("--out", r.out, "Output directory: results, journal.ndjson, aggregates")
      ->type_name("DIR")
      ->capture_default_str();
  cmd->add_option("--limit", r.plan.limit, "Only the first N crates of the queue (0 = all)")
      ->type_name("N")
      ->check(whole_number(0));
  cmd->add_option("--shard", f->shard, "Run only shard I of N (as planned by forge matrix), e.g. 2/8")
      ->type_name("I/N")
      ->check(checked_by([](const std::string &s) { (void)parse_shard(s); }));
  cmd->add_option("--only", r.plan.only, "Only these crates (comma-separated or repeated)")
      ->type_name("CRATE,...")
      ->delimiter(',')
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_flag("--retry-failed", r.retry_failed, "Rerun only the jobs the journal says failed");
  cmd->add_flag("--fresh", r.fresh, "Forget the journal and run everything again");
  cmd->add_option("--built", r.built,
                  "CRATES_BUILT.json: skip what it says is done, balance shards by its durations")
      ->type_name("FILE");
  cmd->add_option("--expect-plan", r.expect_plan,
                  "Refuse to run unless this shard's plan has this fingerprint (the matrix's \"plan\")")
      ->type_name("HEX");
  cmd->add_option("--retries", r.schedule.max_retries,
                  "Extra attempts for spurious failures (timeout, out-of-memory, no-space, network)")
      ->type_name("N")
      ->capture_default_str()
      ->check(whole_number(0));
  add_duration_s(*cmd, "--retry-backoff", r.schedule.backoff_s,
                 "Delay before the first retry, doubled each time");
  cmd->add_flag("--keep-build-dir", r.child.keep_build_dir, "Keep each job's unpacked crate and target dir");
  cmd->add_option("--build-dir", r.child.build_root, "Where build directories go (default: <cache>/builds)")
      ->type_name("DIR");
  cmd->add_flag("--sccache", r.sccache, "Use sccache as RUSTC_WRAPPER when it is on PATH");
  add_duration(*cmd, "--timeout", r.child.timeout, "Per-target build timeout of each job");
  add_duration(*cmd, "--grace", r.child.grace, "Time between SIGTERM and SIGKILL");
  add_size(*cmd, "--min-free", r.min_free,
           "Stop scheduling when less than this is free in --out (0 = never)");
  add_duration_s(*cmd, "--default-duration", r.plan.default_duration_s,
                 "Expected duration of a job never built before");
  cmd->add_option("--worker", f->worker,
                  "Program run as each job's `forge build` (default: this forge; for benchmarks)")
      ->type_name("PROGRAM");
  cmd->add_flag("--verify-reproducible", f->verify_reproducible,
                "Each job builds twice and compares the executables (forge build --verify-reproducible)");
  cmd->add_flag("--strict", f->strict,
                "Exit 8 when the journal says any planned job failed (default: 0 once every job ran)");
  cmd->add_option("build-args", r.child.build_args,
                  "After --: extra arguments for every forge build (e.g. --builder cargo --toolchain stable)")
      ->type_name("BUILD_ARGS")
      ->check(checked_by([](const std::string &a) { check_build_args({a}); }));
  cmd->callback([&action, f] { action = [f] { return run_action(*f); }; });
}

} // namespace forge::cli
