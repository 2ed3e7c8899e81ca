// Why: past one machine, GitHub Actions runs the shards; the matrix says how many and which, and each shard
// job recomputes its own part of the same plan (`forge run --shard I/N`), checked by a fingerprint.
#pragma once
#include "forge/run/plan.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace forge {

struct MatrixPlan {
  std::vector<Shard> shards;
  std::size_t jobs = 0;
};

// `shards` > 0: that many (at most one per crate); else auto_shard_count(jobs, max_jobs, per_shard_s).
MatrixPlan plan_matrix(const std::vector<PlannedJob> &jobs, int shards, int max_jobs, double per_shard_s);

// {"include":[{"shard":"1/3","jobs":4,"crates":2,"expected_s":240,"plan":"<fingerprint>"}, ...]}
nlohmann::ordered_json matrix_json(const MatrixPlan &plan);

// Appends `name=value` lines to the file named by $GITHUB_OUTPUT (values must be one line). False when the
// variable is not set; Error(io) when the file cannot be written.
bool write_github_output(const std::vector<std::pair<std::string, std::string>> &values);

} // namespace forge
