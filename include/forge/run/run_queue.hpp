// Why: `forge run` as a library call, as ingest, build and publish are: plan (queue x targets, shard, what
// the journal says is done), run the jobs through the scheduler and the process runner, refresh the
// aggregates. Every argument is checked before anything is written, so a refused run leaves no trace.
#pragma once
#include "forge/queue/queue.hpp"
#include "forge/run/journal.hpp"
#include "forge/run/plan.hpp"
#include "forge/run/process_runner.hpp"
#include "forge/run/scheduler.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace forge {

// How a run shows itself (see StatusOptions).
struct RunView {
  bool quiet = false;
  bool live = false;   // a terminal: one live block on stderr
  bool github = false; // GITHUB_ACTIONS=true
  bool color = false;
};

struct RunRequest {
  std::filesystem::path out = kDefaultOutDir;
  std::filesystem::path queue; // empty: <out>/queue.json
  std::filesystem::path built; // a CRATES_BUILT.json whose finished jobs are skipped; empty: none
  PlanOptions plan;            // targets (resolved), --only, --limit, the expected duration of a new job
  std::optional<ShardSpec> shard;
  std::string expect_plan; // refuse to run unless the (shard's) plan has this fingerprint
  bool retry_failed = false;
  bool fresh = false; // forget the journal
  // workers 0: min(cores, available memory / 2 GiB); cores is this machine's.
  SchedulerOptions schedule = [] {
    SchedulerOptions s;
    s.workers = 0;
    return s;
  }();
  uint64_t min_free = uint64_t{1} << 30; // stop scheduling below this much free space in out
  // program ("/proc/self/exe": this forge), timeout, grace, build dir, extra build arguments; queue, out,
  // logs and the jobserver are filled in by run_queue.
  ChildCommand child;
  bool sccache = false;
  RunView view;
};

struct RunOutcome {
  std::size_t planned = 0;
  RunSummary summary;
  std::vector<JournalEntry> failed; // planned jobs whose last journal line is a failure (this run or before)
  ExitCode code = ExitCode::ok;     // ok, or interrupted
};

// Runs the request; throws Error for what stops the whole run (bad arguments, an unreadable queue, a full
// disk, a child refusing its command line).
RunOutcome run_queue(const RunRequest &request);

// Options forge run sets on every child itself: giving them among the extra build arguments is an error.
void check_build_args(const std::vector<std::string> &args);

} // namespace forge
