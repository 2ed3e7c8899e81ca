// Why: the OCI distribution API needs what a downloader does not: any method (HEAD, POST, PUT, PATCH),
// request bodies streamed from a file range, and every response header. This is one request, no retries:
// the caller (which knows about upload sessions and auth challenges) decides what to do with a failure.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace forge {

struct HttpRequest {
  std::string method = "GET"; // GET, HEAD, POST, PUT, PATCH, DELETE
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers; // never logged: may hold credentials
  // The body: `body_text`, or `body_size` bytes of `body_file` from `body_offset` (when body_file is set).
  std::string body_text;
  std::filesystem::path body_file;
  uint64_t body_offset = 0;
  uint64_t body_size = 0;
  bool follow_redirects = false; // only for GET/HEAD: a registry may send blob reads to a storage host
  long connect_timeout_s = 30;
  long low_speed_time_s = 60; // abort when under 1 KiB/s this long
};

struct HttpResponse {
  long status = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers; // names lowercased, of the last response
  std::string body;

  // The first value of header `name` (lowercase), or "".
  [[nodiscard]] std::string header(std::string_view name) const;
  [[nodiscard]] std::vector<std::string> header_values(std::string_view name) const;
};

struct HttpResult {
  bool ok = false;        // a response arrived (any status); false: the transfer failed
  bool transient = false; // !ok and worth retrying (connection refused/reset, timeout, cut body)
  std::string error;      // !ok: what went wrong, one line, no secrets
  HttpResponse response;
};

// One HTTP exchange over a reused libcurl handle (keep-alive across calls on the same client).
// Not thread-safe: one HttpClient per thread.
class HttpClient {
public:
  HttpClient();
  ~HttpClient();
  HttpClient(const HttpClient &) = delete;
  HttpClient &operator=(const HttpClient &) = delete;

  // Throws Error(io) when the body file cannot be opened; every network outcome is in the result.
  HttpResult perform(const HttpRequest &request);

private:
  void *handle_ = nullptr; // CURL*
};

// "HTTP 404 Not Found" from a status and its reason phrase.
std::string describe_status(long status, const std::string &reason);

// Resolves `location` (absolute URL, absolute path or relative path) against `base` (an absolute URL).
std::string resolve_url(const std::string &base, const std::string &location);

// `url` with `key=value` appended to its query (value percent-encoded).
std::string add_query(const std::string &url, std::string_view key, std::string_view value);

std::string percent_encode(std::string_view text);

} // namespace forge
