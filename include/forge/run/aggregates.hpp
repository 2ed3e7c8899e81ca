// Why: after every run and every merge, one set of files in the output directory says where the whole
// catalogue stands: metadata/<host>.json, CRATES_BUILT.json, report.json, retry.txt. They are folded from
// run directories (journal + per-job results) with monotonic rules, so folding the same directory twice
// changes nothing and no package ever drops out.
#pragma once
#include "forge/queue/queue.hpp"
#include "forge/run/crates_built.hpp"
#include "forge/run/journal.hpp"
#include "forge/run/metadata_index.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace forge {

inline constexpr const char *kRunInfoFile = "run.json";
inline constexpr const char *kRunInfoFormat = "forge-run/1";
inline constexpr const char *kRetryFile = "retry.txt";
inline constexpr const char *kReportFile = "report.json";

// The queue a run was planned from: merge refuses to mix shards of different queues.
struct QueueInfo {
  std::string sha256;       // of queue.json's bytes
  std::string generated_at; // from the queue
  int64_t crates = 0;
  std::optional<Funnel> funnel;
};

QueueInfo queue_info(const std::filesystem::path &queue_path, const Queue &queue);
// The "queue" and "funnel" of a report.json or run.json document; nullopt when it has none.
std::optional<QueueInfo> queue_info_from(const nlohmann::json &doc);

// run.json in a run's --out: what was planned and how far it got.
struct RunInfo {
  QueueInfo queue;
  std::string shard; // "I/N", empty when not sharded
  std::vector<std::string> targets;
  std::size_t planned = 0; // jobs in the plan (this shard)
  std::string plan;        // plan_fingerprint of the shard's jobs
  std::string started_at, finished_at;
  std::string state; // "running" | "complete" | "interrupted" | "stopped"
};

nlohmann::ordered_json run_info_to_json(const RunInfo &info);
// The text of a run.json; Error(data) naming `source` when it is malformed.
RunInfo parse_run_info(std::string_view text, const std::string &source);
// nullopt when the directory has no run.json; Error(data) when it is malformed.
std::optional<RunInfo> read_run_info(const std::filesystem::path &dir);
void write_run_info(const std::filesystem::path &dir, const RunInfo &info);

struct Aggregates {
  CratesBuilt built;
  std::map<std::string, HostMetadata> metadata; // by host triplet
  std::vector<std::string> journal_lines;       // merged journal (merge only), compact JSON lines
  std::set<std::string> journal_seen;
  std::optional<QueueInfo> queue; // the latest queue seen (for the report's funnel)
};

// What an output directory already holds (missing files are empty). Reads report.json for the queue info.
Aggregates load_aggregates(const std::filesystem::path &out);

struct FoldCounts {
  std::size_t entries = 0;           // journal lines read
  std::size_t new_entries = 0;       // lines not seen before (merge)
  std::size_t built = 0, failed = 0; // final state of the jobs in this directory
  std::size_t records = 0;           // soar records read
  std::size_t missing_records = 0;   // built jobs whose <exe>.json was not found
};

// Folds a run directory in: every journal entry into CRATES_BUILT, every built job's
// <dir>/<host>/<crate>/<version>/<exe>.json into metadata/<host>.json, and (when `keep_journal`) the journal
// lines into the merged journal.
FoldCounts fold_run_dir(Aggregates &agg, const std::filesystem::path &dir, const JournalReplay &journal,
                        bool keep_journal);

// Writes metadata/<host>.json, CRATES_BUILT.json, report.json and retry.txt (and journal.ndjson when it was
// kept) into `out`, each atomically; files whose content is unchanged are not rewritten.
void write_aggregates(const std::filesystem::path &out, const Aggregates &agg, bool write_journal);

// retry.txt: one "crate@version target reason" line per job CRATES_BUILT says failed, sorted.
std::string render_retry_list(const CratesBuilt &built);

} // namespace forge
