// Why: shard jobs each produce a run directory; the merge job folds them into the aggregates (and into a git
// branch), refusing shards of different queues, and changes nothing when the same shard comes twice.
#pragma once
#include "forge/queue/queue.hpp"
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace forge {

struct MergeRequest {
  std::vector<std::filesystem::path> shards;
  std::filesystem::path out = kDefaultOutDir;
  std::optional<std::filesystem::path> queue; // when given, every shard must have been run from it
  std::optional<std::filesystem::path> git_repo;
  std::string branch = "forge-index";
  std::string author; // "Name <email>"; empty: repository config, else forge <forge@localhost>
};

struct MergeResult {
  std::size_t shards = 0;
  std::size_t entries = 0, new_entries = 0; // journal lines read / not seen before
  std::size_t built = 0, failed = 0;        // final job states in the shards
  std::size_t records = 0;                  // soar records read
  std::size_t index_crates = 0, index_built = 0, index_executables = 0;
  bool committed = false;
  std::string commit; // hex, when a git repository was given
  std::string message;
};

MergeResult merge_shards(const MergeRequest &request);

} // namespace forge
