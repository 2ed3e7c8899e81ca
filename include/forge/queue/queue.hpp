// Why: queue.json and funnel.json are the versioned contract between `forge ingest` and everything after it
// (forge build/run/matrix, and other tools that check the selection).
#pragma once
#include "forge/select/selection.hpp"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace forge {

inline constexpr const char *kQueueFormat = "forge-queue/1";
inline constexpr const char *kQueueFile = "queue.json";
inline constexpr const char *kFunnelFile = "funnel.json";
// Where every stage writes unless told otherwise (--out): ingest's queue, build's results, run's journal.
inline constexpr const char *kDefaultOutDir = "forge-out";

struct QueueHeader {
  std::string generated_at; // RFC 3339 UTC
  std::string since;        // YYYY-MM-DD
  std::string dump_source;  // path or URL given to --dump
  std::string dump_timestamp;
};

nlohmann::ordered_json queue_to_json(const QueueHeader &header, const Selection &selection);
nlohmann::ordered_json funnel_to_json(const Funnel &funnel);

// Writes queue.json and funnel.json into `out_dir`, each atomically.
void write_queue_files(const std::filesystem::path &out_dir, const QueueHeader &header,
                       const Selection &selection);

struct Queue {
  QueueHeader header;
  std::vector<QueuedCrate> crates;
  std::optional<Funnel> funnel;
};

// Reads a queue.json (and the funnel.json beside it when present). Throws Error(data) naming the file for
// a wrong format tag or a malformed crate entry, Error(io) when it cannot be read.
Queue read_queue(const std::filesystem::path &path);

// The same for a queue document already in memory; `source` names it in errors. Ignores funnel.json.
Queue parse_queue(std::string_view text, const std::string &source);

// The crate of that name in the queue, or nullptr.
const QueuedCrate *find_crate(const Queue &queue, std::string_view name);

} // namespace forge
