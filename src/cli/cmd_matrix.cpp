// Why: `forge matrix` plans what still needs building and splits it into balanced shards for a GitHub Actions
// matrix: JSON on stdout, and matrix=/shards=/jobs= in $GITHUB_OUTPUT.
#include "cli/commands.hpp"
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
  std::string queue = "forge-out/queue.json";
  std::string built;
  std::vector<std::string> targets;
  int shards = 0;
  int max_jobs = 256;
  std::string shard_time = "1h";
  std::string default_duration = "2m";
  std::vector<std::string> only;
  std::size_t limit = 0;
};

int matrix_action(const MatrixFlags &f) {
  const Queue queue = read_queue(f.queue);
  PlanOptions popt;
  popt.targets = resolve_targets(f.targets);
  popt.only = f.only;
  popt.limit = f.limit;
  popt.default_duration_s = static_cast<double>(parse_duration(f.default_duration).count()) / 1000.0;
  CratesBuilt built;
  if (!f.built.empty()) {
    built = read_crates_built(f.built);
  }
  const auto jobs = plan_jobs(queue, f.built.empty() ? nullptr : &built, popt);
  const double per_shard = static_cast<double>(parse_duration(f.shard_time).count()) / 1000.0;
  const MatrixPlan plan = plan_matrix(jobs, f.shards, f.max_jobs, per_shard);
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
  cmd->add_option("--queue", f->queue, "queue.json")->capture_default_str();
  cmd->add_option("--built", f->built,
                  "CRATES_BUILT.json of the index: what is already done, and past durations");
  cmd->add_option("--target", f->targets, "Targets, as forge run takes them; repeatable (default: x86_64)")
      ->delimiter(',');
  auto *shards = cmd->add_option("--shards", f->shards, "Exactly this many shards (at most one per crate)")
                     ->check(CLI::PositiveNumber);
  auto *max_jobs =
      cmd->add_option("--max-jobs", f->max_jobs, "Otherwise as many shards as the work needs, up to this")
          ->capture_default_str()
          ->check(CLI::PositiveNumber);
  shards->excludes(max_jobs);
  cmd->add_option("--shard-time", f->shard_time, "With --max-jobs: expected work per shard")
      ->capture_default_str();
  cmd->add_option("--default-duration", f->default_duration, "Expected duration of a job never built before")
      ->capture_default_str();
  cmd->add_option("--only", f->only, "Only these crates (comma-separated)")->delimiter(',');
  cmd->add_option("--limit", f->limit, "Only the first N crates of the queue (0 = all)");
  cmd->callback([&action, f] { action = [f] { return matrix_action(*f); }; });
}

} // namespace forge::cli
