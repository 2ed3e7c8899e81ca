#include "forge/queue/ingest.hpp"

#include "forge/dump/pg_types.hpp"
#include "forge/queue/queue.hpp"
#include "forge/select/catalog_loader.hpp"
#include "forge/util/error.hpp"
#include "forge/util/fs.hpp"
#include "forge/util/http.hpp"
#include "forge/util/term.hpp"
#include "forge/util/time.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

namespace forge {
namespace fs = std::filesystem;

namespace {

// The cache file for a dump URL: its last path component, or db-dump.tar.gz.
fs::path cache_path_for(const std::string &url) {
  std::string name = url.substr(url.find_last_of('/') + 1);
  name = name.substr(0, name.find_first_of("?#"));
  if (name.empty()) {
    name = "db-dump.tar.gz";
  }
  return cache_dir() / name;
}

} // namespace

std::string default_since(int64_t now) {
  const std::string today = format_date(now);
  const int year = std::stoi(today.substr(0, 4));
  return fmt::format("{:04d}-01-01", year - 1);
}

IngestResult run_ingest(const IngestOptions &opt) {
  IngestResult res;
  res.since = opt.since.value_or(default_since(now_micros()));
  const auto since = pg::parse_date(res.since);
  if (!since) {
    fail(ExitCode::usage, "--since must be a date YYYY-MM-DD, not '{}'", res.since);
  }

  std::string label = opt.dump;
  if (is_url(opt.dump) && opt.dump.rfind("file://", 0) != 0) {
    DownloadOptions dl;
    dl.max_attempts = opt.download_attempts;
    dl.initial_backoff_s = opt.download_backoff_s;
    dl.progress = !ui().quiet();
    dl.label = cache_path_for(opt.dump).filename().string();
    const DownloadResult got = download_file(opt.dump, cache_path_for(opt.dump), dl);
    res.dump_path = got.path.string();
    res.download_skipped = got.not_modified;
    if (got.not_modified) {
      spdlog::info("{} has not changed since the last download; using {}", opt.dump, res.dump_path);
    }
  } else if (opt.dump.rfind("file://", 0) == 0) {
    res.dump_path = opt.dump.substr(7);
  } else {
    res.dump_path = opt.dump;
  }

  const auto start = std::chrono::steady_clock::now();
  LoadStats stats;
  {
    // The catalog is dropped before the queue is rendered: the two never need memory at the same time.
    const Catalog catalog = load_catalog(res.dump_path, label, *since, &stats);
    res.selection = select_crates(catalog, *since);
    res.dump_timestamp = catalog.dump_timestamp;
    spdlog::debug("read {} crates, {} version rows ({} kept)", catalog.crates.size(), catalog.version_rows,
                  catalog.versions.size());
  }
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  res.compressed_bytes = stats.scan.compressed_bytes;
  res.uncompressed_bytes = stats.scan.uncompressed_bytes;
  res.stopped_early = stats.scan.stopped_early;
  spdlog::debug("inflated {} bytes from {} compressed in {:.2f} s{}", res.uncompressed_bytes,
                res.compressed_bytes, res.seconds, res.stopped_early ? ", stopped early" : "");

  QueueHeader header;
  header.generated_at = format_rfc3339(now_micros());
  header.since = res.since;
  header.dump_source = opt.dump;
  header.dump_timestamp = res.dump_timestamp;
  write_queue_files(opt.out, header, res.selection);
  return res;
}

} // namespace forge
