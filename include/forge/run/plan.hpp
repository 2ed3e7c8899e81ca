// Why: `forge matrix` and each `forge run --shard I/N` must agree, on different machines, on which jobs
// exist and which shard runs each; so planning and sharding are pure, deterministic functions of the queue,
// the targets and CRATES_BUILT.json, shared by both commands.
#pragma once
#include "forge/compile/target.hpp"
#include "forge/queue/queue.hpp"
#include "forge/run/crates_built.hpp"
#include "forge/run/journal.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace forge {

struct PlannedJob {
  std::string crate, version;
  Target target;
  int64_t rank = 0;      // queue order
  double expected_s = 0; // expected duration
  bool duration_known = false;
  [[nodiscard]] std::string id() const { return job_id(crate, version, target.triple); }
};

struct PlanOptions {
  std::vector<Target> targets;
  std::vector<std::string> only;   // crate names; empty = every crate of the queue
  std::size_t limit = 0;           // at most this many crates (after `only`); 0 = no limit
  double default_duration_s = 120; // expected duration of a job never seen before
};

// Whether `built` says this job still needs building: never built, built at an older version, this target
// missing at that version, or it failed spuriously. A non-spurious failure of the same version is final.
bool needs_building(const CratesBuilt &built, const std::string &crate, const std::string &version,
                    const std::string &triple);

// The jobs of the queue (crates in queue order, each x targets), minus those `built` (when given) says are
// done. Expected durations come from `built` (the same target of any version, else the crate's mean).
std::vector<PlannedJob> plan_jobs(const Queue &queue, const CratesBuilt *built, const PlanOptions &options);

struct ShardSpec {
  int index = 1; // 1-based
  int count = 1;
};
// "I/N" with 1 <= I <= N; throws Error(usage).
ShardSpec parse_shard(const std::string &text);

struct Shard {
  std::vector<PlannedJob> jobs; // in plan order
  double expected_s = 0;
  std::size_t crates = 0;
};

// Splits whole crates (a crate's targets share one download) into `count` shards balanced by expected
// duration: longest crate first onto the least loaded shard, ties to the lower index. Deterministic.
std::vector<Shard> split_shards(const std::vector<PlannedJob> &jobs, int count);

// How many shards for `--max-jobs`: enough that each holds about `per_shard_s` of expected work, at least
// one, at most `max_jobs` and at most one per crate; 0 when there is nothing to build.
int auto_shard_count(const std::vector<PlannedJob> &jobs, int max_jobs, double per_shard_s);

// A short fingerprint of a job list (12 hex digits of SHA-256 over the ids): the matrix hands it to each
// shard so `forge run --expect-plan` can refuse a shard computed from different inputs.
std::string plan_fingerprint(const std::vector<PlannedJob> &jobs);

// What a run still has to do, given its journal: jobs without a final line (never run, interrupted, or
// interrupted while waiting for a retry); with `retry_failed`, only those whose last line is a failure.
std::vector<PlannedJob> remaining_jobs(const std::vector<PlannedJob> &jobs, const JournalReplay &journal,
                                       bool retry_failed);

// Longest expected first (unknown = the default duration; durations in `journal` refine the plan's), then
// queue order.
void order_longest_first(std::vector<PlannedJob> &jobs, const JournalReplay *journal);

} // namespace forge
