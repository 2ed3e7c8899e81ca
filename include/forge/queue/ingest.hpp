// Why: `forge ingest` as a library call: dump source -> catalog -> selection -> queue.json + funnel.json,
// so the CLI stays a thin layer and tests can drive the stage directly.
#pragma once
#include "forge/queue/queue.hpp"
#include "forge/select/selection.hpp"

#include <filesystem>
#include <optional>
#include <string>

namespace forge {

inline constexpr const char *kDefaultDumpUrl = "https://static.crates.io/db-dump.tar.gz";

struct IngestOptions {
  std::string dump = kDefaultDumpUrl; // local path, or http(s)/file URL
  std::optional<std::string> since;   // YYYY-MM-DD; default January 1 of the previous year (UTC)
  std::filesystem::path out = kDefaultOutDir;
  int download_attempts = 5;
  double download_backoff_s = 1.0;
};

struct IngestResult {
  Selection selection;
  std::string since;     // the date used
  std::string dump_path; // the local file read
  std::string dump_timestamp;
  bool download_skipped = false; // the cached dump was current (HTTP 304)
  double seconds = 0;            // wall time of the scan
  uint64_t compressed_bytes = 0, uncompressed_bytes = 0;
  bool stopped_early = false;
};

// "YYYY-MM-DD" of January 1 of the year before `now_micros` (UTC).
std::string default_since(int64_t now_micros);

// Runs the whole stage; throws Error with the exit code of the failure class. Nothing in `out` is
// written unless everything succeeded.
IngestResult run_ingest(const IngestOptions &options);

// The funnel as a small bar table, like the original article's (ANSI colour when `color`).
std::string render_funnel(const Funnel &funnel, const std::string &since, bool color);

} // namespace forge
