// Why: `forge merge` folds shard directories into the aggregates and, with --git-repo, commits them to a
// branch.
#include "cli/commands.hpp"
#include "forge/ship/merge.hpp"
#include "forge/util/term.hpp"

#include <fmt/format.h>

#include <memory>

namespace forge::cli {
namespace {

// What only the command line has; everything else binds to the request, whose values are the defaults.
struct MergeFlags {
  std::vector<std::string> shards;
  std::string queue;
  std::string git_repo;
  MergeRequest request;
};

int merge_action(const MergeFlags &f) {
  MergeRequest req = f.request;
  for (const auto &s : f.shards) {
    req.shards.emplace_back(s);
  }
  if (!f.queue.empty()) {
    req.queue = f.queue;
  }
  if (!f.git_repo.empty()) {
    req.git_repo = f.git_repo;
  }
  const MergeResult r = merge_shards(req);
  if (!ui().quiet()) {
    fmt::print("forge merge: {} shard(s): {} job(s) ({} built, {} failed), {} new journal line(s), {} soar "
               "record(s)\n",
               r.shards, r.built + r.failed, r.built, r.failed, r.new_entries, r.records);
    fmt::print("index in {}: {} crate(s), {} built, {} executable(s)\n", req.out.string(), r.index_crates,
               r.index_built, r.index_executables);
    if (req.git_repo) {
      if (r.committed) {
        fmt::print("committed {} to {} in {}\n", r.commit.substr(0, 12), req.branch, f.git_repo);
      } else {
        fmt::print("{} in {} is unchanged: no commit\n", req.branch, f.git_repo);
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
  cmd->add_option("shards", f->shards, "Shard directories (each a forge run --out)")
      ->required()
      ->type_name("SHARD_DIR");
  cmd->add_option("--out", f->request.out, "Where the merged aggregates go")
      ->type_name("DIR")
      ->capture_default_str();
  cmd->add_option("--queue", f->queue, "Refuse shards that were not run from this queue.json")
      ->type_name("FILE");
  cmd->add_option("--git-repo", f->git_repo,
                  "Also commit the aggregates to a branch of this repository (bare is fine)")
      ->type_name("DIR");
  cmd->add_option("--branch", f->request.branch, "Branch for --git-repo")
      ->type_name("NAME")
      ->capture_default_str();
  cmd->add_option(
         "--git-author", f->request.author,
         "Commit author, as 'Name <email>' (default: the repository's user, else forge <forge@localhost>)")
      ->type_name("AUTHOR");
  cmd->callback([&action, f] { action = [f] { return merge_action(*f); }; });
}

} // namespace forge::cli
