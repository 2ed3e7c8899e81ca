// Why: the merge job is where shards meet the long-lived index: it checks that they belong together, folds
// them in with the monotonic rules of the aggregates, and records the result as one git commit.
#include "forge/ship/merge.hpp"

#include "forge/hash/sha256.hpp"
#include "forge/run/aggregates.hpp"
#include "forge/ship/git_commit.hpp"
#include "forge/util/error.hpp"
#include "forge/util/fs.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace forge {
namespace fs = std::filesystem;

namespace {

struct ShardDir {
  fs::path dir;
  std::optional<RunInfo> info;
};

std::string short_sha(const std::string &sha) {
  return sha.substr(0, 12);
}

std::vector<ShardDir> check_shards(const MergeRequest &req) {
  std::optional<std::string> ref_sha;
  std::string ref_name;
  if (req.queue) {
    ref_sha = sha256_file_hex(*req.queue);
    ref_name = req.queue->string();
  }
  std::vector<ShardDir> shards;
  for (const auto &dir : req.shards) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
      fail(ExitCode::io, "{}: not a directory", dir.string());
    }
    if (!fs::exists(dir / kJournalFile, ec) && !fs::exists(dir / kRunInfoFile, ec)) {
      fail(ExitCode::data, "{}: not a forge run directory (no {} or {})", dir.string(), kJournalFile,
           kRunInfoFile);
    }
    ShardDir s{dir, read_run_info(dir)};
    if (s.info && !s.info->queue.sha256.empty()) {
      if (!ref_sha) {
        ref_sha = s.info->queue.sha256;
        ref_name = dir.string();
      } else if (*ref_sha != s.info->queue.sha256) {
        fail(ExitCode::data,
             "{} was run from a different queue (sha256 {}…, generated {}) than {} (sha256 {}…): refusing to "
             "merge",
             dir.string(), short_sha(s.info->queue.sha256), s.info->queue.generated_at, ref_name,
             short_sha(*ref_sha));
      }
    }
    shards.push_back(std::move(s));
  }
  return shards;
}

// Folds what the branch already holds into `agg`, so that a merge into a fresh directory still keeps every
// package the index ever had.
void load_branch(Aggregates &agg, const MergeRequest &req) {
  const auto files =
      read_branch_files(*req.git_repo, req.branch, "metadata", {kCratesBuiltFile, kReportFile});
  for (const auto &[path, content] : files) {
    const auto doc = nlohmann::ordered_json::parse(content, nullptr, false);
    const std::string where = fmt::format("{}:{} in {}", req.branch, path, req.git_repo->string());
    if (doc.is_discarded()) {
      fail(ExitCode::data, "{}: invalid JSON", where);
    }
    if (path.rfind("metadata/", 0) == 0 && path.size() > 14 && path.ends_with(".json")) {
      const std::string host = path.substr(9, path.size() - 9 - 5);
      if (!doc.is_array()) {
        fail(ExitCode::data, "{}: not a JSON array of soar records", where);
      }
      for (const auto &record : doc) {
        merge_record(agg.metadata[host], record);
      }
    } else if (path == kCratesBuiltFile) {
      merge_index(agg.built, crates_built_from_json(doc, where));
    } else if (path == kReportFile && !agg.queue) {
      agg.queue = queue_info_from(doc);
    }
  }
}

} // namespace

MergeResult merge_shards(const MergeRequest &req) {
  if (req.shards.empty()) {
    fail(ExitCode::usage, "forge merge needs at least one shard directory");
  }
  const auto shards = check_shards(req);
  Aggregates agg = load_aggregates(req.out);
  if (req.git_repo) {
    load_branch(agg, req);
  }
  MergeResult result;
  for (const auto &s : shards) {
    const JournalReplay journal = read_journal(s.dir / kJournalFile);
    for (const auto line : journal.corrupt_lines) {
      spdlog::warn("{}: line {} is damaged and was skipped", (s.dir / kJournalFile).string(), line);
    }
    const FoldCounts c = fold_run_dir(agg, s.dir, journal, true);
    result.entries += c.entries;
    result.new_entries += c.new_entries;
    result.built += c.built;
    result.failed += c.failed;
    result.records += c.records;
    if (s.info && !s.info->queue.sha256.empty()) {
      agg.queue = s.info->queue;
    }
    ++result.shards;
  }
  write_aggregates(req.out, agg, true);

  result.index_crates = agg.built.crates.size();
  for (const auto &[name, c] : agg.built.crates) {
    bool any = false;
    for (const auto &[triple, t] : c.targets) {
      if (t.status == Status::built) {
        any = true;
        result.index_executables += t.executables.size();
      }
    }
    result.index_built += any ? 1 : 0;
  }
  result.message = fmt::format("forge merge: {} shard(s), {} job(s) ({} built, {} failed)\n\n"
                               "Index: {} crates, {} built, {} executables.\n",
                               result.shards, result.built + result.failed, result.built, result.failed,
                               result.index_crates, result.index_built, result.index_executables);
  if (agg.queue) {
    result.message += fmt::format("Queue: generated {}, {} crates, sha256 {}.\n", agg.queue->generated_at,
                                  agg.queue->crates, short_sha(agg.queue->sha256));
  }

  if (req.git_repo) {
    GitCommitRequest commit;
    commit.repo = *req.git_repo;
    commit.branch = req.branch;
    commit.message = result.message;
    commit.author = req.author;
    for (const char *name : {kCratesBuiltFile, kReportFile, kRetryFile}) {
      commit.files[name] = read_file(req.out / name);
    }
    for (const auto &[host, index] : agg.metadata) {
      commit.files["metadata/" + host + ".json"] = render_host_metadata(index);
    }
    const GitCommitResult r = commit_files(commit);
    result.committed = r.committed;
    result.commit = r.commit;
  }
  return result;
}

} // namespace forge
