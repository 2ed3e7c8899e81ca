// Why: the dump, the sparse index and every .crate come over HTTP(S); downloads must resume, skip
// unchanged files, retry transient failures and fail with one clear line naming the URL.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>

namespace forge {

struct DownloadOptions {
  int max_attempts = 5;           // total tries for transient failures (connection errors, 5xx, 429)
  double initial_backoff_s = 1.0; // doubled after each failed try
  long connect_timeout_s = 30;
  long low_speed_time_s = 60; // abort a try that stays under 1 KiB/s this long
  bool progress = true;       // progress on stderr (bar on a terminal, periodic lines otherwise)
  std::string label;          // shown in progress lines, e.g. "db-dump.tar.gz"
};

struct DownloadResult {
  std::filesystem::path path;
  bool not_modified = false; // the server answered 304: the cached file was kept
  long http_status = 0;      // final status (0 for file:// URLs)
  uint64_t bytes = 0;        // size of the file at `path`
};

// Downloads `url` (http, https or file) to `dest`:
// - follows redirects;
// - writes to `dest` + ".part" and renames when complete; a leftover .part is resumed with Range
//   (a server that ignores Range restarts the file);
// - remembers ETag / Last-Modified in `dest` + ".meta.json" and sends If-None-Match /
//   If-Modified-Since when `dest` exists; 304 keeps `dest`;
// - retries connection errors, 5xx and 429 with exponential backoff; 4xx other than 429 fail at once.
// Throws Error(ExitCode::network) "cannot download <url>: <reason>" when it gives up.
DownloadResult download_file(const std::string &url, const std::filesystem::path &dest,
                             const DownloadOptions &options);

// GET a small resource into memory (sparse index lines, config.json), same retry rules.
// Throws Error(ExitCode::network) naming the URL; a 404 throws too.
std::string http_get(const std::string &url, const DownloadOptions &options);

// True for http://, https:// and file:// URLs.
bool is_url(const std::string &text);

} // namespace forge
