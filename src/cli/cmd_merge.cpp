// Why: `forge merge` folds shard directories into the aggregates and, with --git-repo, commits them to a
// branch.
#include "cli/commands.hpp"
#include "forge/ship/merge.hpp"
#include "forge/util/term.hpp"

#include <fmt/format.h>

#include <memory>

namespace forge::cli {
namespace {

struct MergeFlags {
  std::vector<std::string> shards;
  std::string out = "forge-out";
  std::string queue;
  std::string git_repo;
  std::string branch = "forge-index";
  std::string git_author;
};

int merge_action(const MergeFlags &f) {
  MergeRequest req;
  for (const auto &s : f.shards) {
    req.shards.emplace_back(s);
  }
  req.out = f.out;
  if (!f.queue.empty()) {
    req.queue = f.queue;
  }
  if (!f.git_repo.empty()) {
    req.git_repo = f.git_repo;
  }
  req.branch = f.branch;
  req.author = f.git_author;
  const MergeResult r = merge_shards(req);
  if (!ui().quiet()) {
    fmt::print("forge merge: {} shard(s): {} job(s) ({} built, {} failed), {} new journal line(s), {} soar "
               "record(s)\n",
               r.shards, r.built + r.failed, r.built, r.failed, r.new_entries, r.records);
    fmt::print("index in {}: {} crate(s), {} built, {} executable(s)\n", f.out, r.index_crates, r.index_built,
               r.index_executables);
    if (req.git_repo) {
      if (r.committed) {
        fmt::print("committed {} to {} in {}\n", r.commit.substr(0, 12), f.branch, f.git_repo);
      } else {
        fmt::print("{} in {} is unchanged: no commit\n", f.branch, f.git_repo);
      }
    }
  }
  return 0;
}

} // namespace

void add_merge(CLI::App &app, Action &action) {
  auto f = std::make_shared<MergeFlags>();
  auto *cmd = app.add_subcommand(
      "merge", "Merge shard output directories into the aggregates (metadata/<host>.json, "
               "CRATES_BUILT.json, report.json), optionally committing them to a git branch");
  cmd->add_option("shards", f->shards, "Shard directories (each a forge run --out)")->required();
  cmd->add_option("--out", f->out, "Where the merged aggregates go")->capture_default_str();
  cmd->add_option("--queue", f->queue, "Refuse shards that were not run from this queue.json");
  cmd->add_option("--git-repo", f->git_repo,
                  "Also commit the aggregates to a branch of this repository (bare is fine)");
  cmd->add_option("--branch", f->branch, "Branch for --git-repo")->capture_default_str();
  cmd->add_option("--git-author", f->git_author,
                  "Commit author 'Name <email>' (default: the repository's user, else "
                  "forge <forge@localhost>)");
  cmd->callback([&action, f] { action = [f] { return merge_action(*f); }; });
}

} // namespace forge::cli
