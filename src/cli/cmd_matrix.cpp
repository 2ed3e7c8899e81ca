// Why: `forge matrix` plans what still needs building and splits it into balanced shards for a GitHub Actions
// matrix: JSON on stdout, and matrix=/shards=/jobs= in $GITHUB_OUTPUT.
#include "cli/commands.hpp"
#include "cli/forge_options.hpp"
#include "cli/option_types.hpp"
#include "forge/compile/build_job.hpp"
#include "forge/run/plan.hpp"
#include "forge/ship/matrix.hpp"
#include "forge/util/progress.hpp"
#include "forge/util/term.hpp"
#include "forge/util/time.hpp"

#include <fmt/format.h>

#include <memory>

namespace forge::cli {
namespace {

struct MatrixFlags {
  std::filesystem::path queue = std::filesystem::path(kDefaultOutDir) / kQueueFile;
  std::string built;
  std::vector<std::string> targets;
  int shards = 0;
  int max_jobs = 256;
  double shard_time_s = 3600;
  PlanOptions plan;
};

int matrix_action(MatrixFlags &f) {
  const Queue queue = read_queue(f.queue);
  f.plan.targets = resolve_targets(f.targets);
  CratesBuilt built;
  if (!f.built.empty()) {
    built = read_crates_built(f.built);
  }
  const auto jobs = plan_jobs(queue, f.built.empty() ? nullptr : &built, f.plan);
  const MatrixPlan plan = plan_matrix(jobs, f.shards, f.max_jobs, f.shard_time_s);
  const std::string matrix = matrix_json(plan).dump();
  fmt::print("{}\n", matrix);
  write_github_output({{"matrix", matrix},
                       {"shards", std::to_string(plan.shards.size())},
                       {"jobs", std::to_string(plan.jobs)}});
  if (!ui().quiet()) {
    fmt::print(stderr, "forge matrix: {} job(s) to build in {} shard(s)\n", plan.jobs, plan.shards.size());
    for (std::size_t i = 0; i < plan.shards.size(); ++i) {
      const Shard &s = plan.shards[i];
      fmt::print(stderr, "  {}/{}: {} job(s), {} crate(s), ~{} expected\n", i + 1, plan.shards.size(),
                 s.jobs.size(), s.crates, human_duration(s.expected_s));
    }
  }
  return 0;
}

} // namespace

void add_matrix(CLI::App &app, Action &action) {
  auto f = std::make_shared<MatrixFlags>();
  auto *cmd =
      app.add_subcommand("matrix", "Plan what needs building (never built, older version, spurious failure) "
                                   "into balanced shards for a GitHub Actions matrix");
  cmd->add_option("--queue", f->queue, "queue.json")->type_name("FILE")->capture_default_str();
  cmd->add_option("--built", f->built,
                  "CRATES_BUILT.json of the index: what is already done, and past durations")
      ->type_name("FILE");
  add_target_option(*cmd, f->targets, "x86_64");
  auto *shards = cmd->add_option("--shards", f->shards, "Exactly this many shards (at most one per crate)")
                     ->type_name("N")
                     ->check(whole_number(1));
  auto *max_jobs =
      cmd->add_option("--max-jobs", f->max_jobs, "Otherwise as many shards as the work needs, up to this")
          ->type_name("N")
          ->capture_default_str()
          ->check(whole_number(1));
  shards->excludes(max_jobs);
  add_duration_s(*cmd, "--shard-time", f->shard_time_s, "With --max-jobs: expected work per shard");
  add_duration_s(*cmd, "--default-duration", f->plan.default_duration_s,
                 "Expected duration of a job never built before");
  cmd->add_option("--only", f->plan.only, "Only these crates (comma-separated or repeated)")
      ->type_name("CRATE,...")
      ->delimiter(',')
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_option("--limit", f->plan.limit, "Only the first N crates of the queue (0 = all)")
      ->type_name("N")
      ->check(whole_number(0));
  cmd->callback([&action, f] { action = [f] { return matrix_action(*f); }; });
}

} // namespace forge::cli
