// Why: the matrix is the hand-off from planning to shard jobs; it carries each shard's fingerprint so a shard
// that computes a different plan (other queue, targets or CRATES_BUILT.json) refuses to run.
#include "forge/ship/matrix.hpp"

#include "forge/util/error.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>

namespace forge {

MatrixPlan plan_matrix(const std::vector<PlannedJob> &jobs, int shards, int max_jobs, double per_shard_s) {
  MatrixPlan plan;
  plan.jobs = jobs.size();
  if (jobs.empty()) {
    return plan;
  }
  int count = 0;
  if (shards > 0) {
    std::set<std::string> crates;
    for (const auto &j : jobs) {
      crates.insert(j.crate);
    }
    count = std::min<int>(shards, static_cast<int>(crates.size()));
  } else {
    count = auto_shard_count(jobs, max_jobs, per_shard_s);
  }
  plan.shards = split_shards(jobs, count);
  return plan;
}

nlohmann::ordered_json matrix_json(const MatrixPlan &plan) {
  auto include = nlohmann::ordered_json::array();
  const std::size_t n = plan.shards.size();
  for (std::size_t i = 0; i < n; ++i) {
    const Shard &s = plan.shards[i];
    include.push_back(nlohmann::ordered_json{{"shard", std::to_string(i + 1) + "/" + std::to_string(n)},
                                             {"jobs", s.jobs.size()},
                                             {"crates", s.crates},
                                             {"expected_s", std::round(s.expected_s)},
                                             {"plan", plan_fingerprint(s.jobs)}});
  }
  return nlohmann::ordered_json{{"include", include}};
}

bool write_github_output(const std::vector<std::pair<std::string, std::string>> &values) {
  const char *path = std::getenv("GITHUB_OUTPUT");
  if (path == nullptr || *path == '\0') {
    return false;
  }
  std::FILE *f = std::fopen(path, "a");
  if (f == nullptr) {
    fail(ExitCode::io, "cannot append to $GITHUB_OUTPUT ({})", path);
  }
  bool ok = true;
  for (const auto &[name, value] : values) {
    ok = std::fprintf(f, "%s=%s\n", name.c_str(), value.c_str()) > 0 && ok;
  }
  ok = std::fclose(f) == 0 && ok;
  if (!ok) {
    fail(ExitCode::io, "cannot write $GITHUB_OUTPUT ({})", path);
  }
  return true;
}

} // namespace forge
