// Why: the plan decides what thousands of CI jobs do; it must be a pure function of its inputs (so every
// shard machine computes the same split) and must never skip something that still needs building.
#include "forge/run/plan.hpp"

#include "forge/hash/sha256.hpp"
#include "forge/util/error.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <set>

namespace forge {

bool needs_building(const CratesBuilt &built, const std::string &crate, const std::string &version,
                    const std::string &triple) {
  const auto it = built.crates.find(crate);
  if (it == built.crates.end()) {
    return true;
  }
  const int cmp = compare_versions(version, it->second.version);
  if (cmp != 0) {
    return cmp > 0; // a queue that went back to an older version (the newer one yanked) builds nothing
  }
  const auto t = it->second.targets.find(triple);
  if (t == it->second.targets.end()) {
    return true;
  }
  return t->second.status == Status::failed && t->second.spurious;
}

namespace {

// Expected duration of (crate, triple) from CRATES_BUILT: that target, else the mean of the crate's targets.
std::optional<double> known_duration(const CratesBuilt *built, const std::string &crate,
                                     const std::string &triple) {
  if (built == nullptr) {
    return std::nullopt;
  }
  const auto it = built->crates.find(crate);
  if (it == built->crates.end() || it->second.targets.empty()) {
    return std::nullopt;
  }
  if (const auto t = it->second.targets.find(triple); t != it->second.targets.end()) {
    return t->second.duration_s;
  }
  double sum = 0;
  for (const auto &[tr, t] : it->second.targets) {
    sum += t.duration_s;
  }
  return sum / static_cast<double>(it->second.targets.size());
}

} // namespace

std::vector<PlannedJob> plan_jobs(const Queue &queue, const CratesBuilt *built, const PlanOptions &options) {
  const std::set<std::string> only(options.only.begin(), options.only.end());
  std::vector<PlannedJob> jobs;
  std::size_t crates = 0;
  for (const QueuedCrate &c : queue.crates) {
    if (!only.empty() && only.count(c.name) == 0) {
      continue;
    }
    if (options.limit != 0 && crates >= options.limit) {
      break;
    }
    ++crates;
    for (const Target &t : options.targets) {
      if (built != nullptr && !needs_building(*built, c.name, c.version, t.triple)) {
        continue;
      }
      PlannedJob j;
      j.crate = c.name;
      j.version = c.version;
      j.target = t;
      j.rank = c.rank;
      if (const auto d = known_duration(built, c.name, t.triple)) {
        j.expected_s = *d;
        j.duration_known = true;
      } else {
        j.expected_s = options.default_duration_s;
      }
      jobs.push_back(std::move(j));
    }
  }
  return jobs;
}

ShardSpec parse_shard(const std::string &text) {
  const auto slash = text.find('/');
  ShardSpec s;
  try {
    if (slash == std::string::npos) {
      throw std::invalid_argument("no slash");
    }
    std::size_t used = 0;
    s.index = std::stoi(text.substr(0, slash), &used);
    if (used != slash) {
      throw std::invalid_argument("trailing");
    }
    const std::string n = text.substr(slash + 1);
    s.count = std::stoi(n, &used);
    if (used != n.size()) {
      throw std::invalid_argument("trailing");
    }
  } catch (const std::exception &) {
    fail(ExitCode::usage, "--shard must be I/N (e.g. 2/8), not '{}'", text);
  }
  if (s.count < 1 || s.index < 1 || s.index > s.count) {
    fail(ExitCode::usage, "--shard {}: need 1 <= I <= N", text);
  }
  return s;
}

std::vector<Shard> split_shards(const std::vector<PlannedJob> &jobs, int count) {
  if (count < 1) {
    fail(ExitCode::usage, "the number of shards must be at least 1, not {}", count);
  }
  struct CrateLoad {
    std::string name;
    std::size_t first = 0; // index of its first job: plan order
    double expected = 0;
    std::vector<std::size_t> jobs;
  };
  std::vector<CrateLoad> crates;
  std::map<std::string, std::size_t> by_name;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    auto [it, fresh] = by_name.emplace(jobs[i].crate, crates.size());
    if (fresh) {
      crates.push_back(CrateLoad{jobs[i].crate, i, 0, {}});
    }
    crates[it->second].expected += jobs[i].expected_s;
    crates[it->second].jobs.push_back(i);
  }
  std::stable_sort(crates.begin(), crates.end(), [](const CrateLoad &a, const CrateLoad &b) {
    return a.expected > b.expected; // stable: equal loads keep plan order
  });
  std::vector<Shard> shards(static_cast<std::size_t>(count));
  std::vector<std::vector<std::size_t>> members(shards.size());
  for (const CrateLoad &c : crates) {
    std::size_t best = 0;
    for (std::size_t s = 1; s < shards.size(); ++s) {
      if (shards[s].expected_s < shards[best].expected_s) {
        best = s;
      }
    }
    shards[best].expected_s += c.expected;
    shards[best].crates += 1;
    members[best].insert(members[best].end(), c.jobs.begin(), c.jobs.end());
  }
  for (std::size_t s = 0; s < shards.size(); ++s) {
    std::sort(members[s].begin(), members[s].end());
    for (std::size_t i : members[s]) {
      shards[s].jobs.push_back(jobs[i]);
    }
  }
  return shards;
}

int auto_shard_count(const std::vector<PlannedJob> &jobs, int max_jobs, double per_shard_s) {
  if (jobs.empty()) {
    return 0;
  }
  std::set<std::string> crates;
  double total = 0;
  for (const auto &j : jobs) {
    crates.insert(j.crate);
    total += j.expected_s;
  }
  const double per = per_shard_s > 0 ? per_shard_s : 1;
  const auto wanted = static_cast<int64_t>(std::ceil(total / per));
  const int64_t cap = std::min<int64_t>(std::max(max_jobs, 1), static_cast<int64_t>(crates.size()));
  return static_cast<int>(std::clamp<int64_t>(wanted, 1, cap));
}

std::string plan_fingerprint(const std::vector<PlannedJob> &jobs) {
  std::string text;
  for (const auto &j : jobs) {
    text += j.id();
    text += '\n';
  }
  return sha256_hex(text).substr(0, 12);
}

std::vector<PlannedJob> remaining_jobs(const std::vector<PlannedJob> &jobs, const JournalReplay &journal,
                                       bool retry_failed) {
  std::vector<PlannedJob> out;
  for (const auto &j : jobs) {
    const auto it = journal.last.find(j.id());
    const bool seen = it != journal.last.end();
    const bool finished = seen && !it->second.retrying;
    if (retry_failed ? (seen && !it->second.built()) : !finished) {
      out.push_back(j);
    }
  }
  return out;
}

void order_longest_first(std::vector<PlannedJob> &jobs, const JournalReplay *journal) {
  if (journal != nullptr) {
    std::map<std::pair<std::string, std::string>, double> seen; // (crate, target) -> latest duration
    for (const auto &e : journal->entries) {
      seen[{e.crate, e.target}] = e.duration_s;
    }
    for (auto &j : jobs) {
      if (const auto it = seen.find({j.crate, j.target.triple}); it != seen.end()) {
        j.expected_s = it->second;
        j.duration_known = true;
      }
    }
  }
  std::stable_sort(jobs.begin(), jobs.end(), [](const PlannedJob &a, const PlannedJob &b) {
    return a.expected_s > b.expected_s; // unknown jobs count as the default duration; ties keep queue order
  });
}

} // namespace forge
