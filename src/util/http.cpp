// Why: every byte forge fetches goes through here, so resume, conditional GET and retries live in one place.
#include "forge/util/http.hpp"

#include "forge/util/error.hpp"
#include "forge/util/fs.hpp"
#include "forge/util/progress.hpp"
#include "forge/util/retry.hpp"
#include "util/curl_common.hpp"

#include <curl/curl.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

namespace forge {
namespace {

using curl::is_transient;
using curl::lower;
using curl::set_opt;
using curl::set_transfer_options;
using curl::Slist;
using curl::slist_append;
using curl::trim;

namespace fs = std::filesystem;

constexpr int kMaxRestarts = 3; // .part restarts (ignored Range, bad 416) within one call
constexpr long kMaxRedirects = 10;

// One easy handle per thread, reset between transfers: keeps the connection and DNS caches warm when
// thousands of .crate files come from the same host.
struct EasyHandle {
  CURL *handle = nullptr;
  EasyHandle() = default;
  EasyHandle(const EasyHandle &) = delete;
  EasyHandle &operator=(const EasyHandle &) = delete;
  ~EasyHandle() {
    if (handle != nullptr) {
      curl_easy_cleanup(handle);
    }
  }
};

CURL *thread_handle() {
  thread_local EasyHandle easy;
  if (easy.handle == nullptr) {
    easy.handle = curl_easy_init();
    if (easy.handle == nullptr) {
      fail(ExitCode::internal, "cannot create a libcurl handle");
    }
  } else {
    curl_easy_reset(easy.handle);
  }
  return easy.handle;
}

bool starts_with_ci(const std::string &text, const char *prefix) {
  const std::size_t n = std::strlen(prefix);
  return text.size() >= n && lower(text.substr(0, n)) == prefix;
}

bool is_http_url(const std::string &url) {
  return starts_with_ci(url, "http://") || starts_with_ci(url, "https://");
}

std::optional<uint64_t> parse_u64(const std::string &text) {
  if (text.empty() || text.size() > 19 ||
      !std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c) != 0; })) {
    return std::nullopt;
  }
  return std::stoull(text);
}

const char *standard_reason(long status) {
  switch (status) {
  case 400:
    return "Bad Request";
  case 401:
    return "Unauthorized";
  case 403:
    return "Forbidden";
  case 404:
    return "Not Found";
  case 405:
    return "Method Not Allowed";
  case 408:
    return "Request Timeout";
  case 410:
    return "Gone";
  case 416:
    return "Range Not Satisfiable";
  case 429:
    return "Too Many Requests";
  case 500:
    return "Internal Server Error";
  case 502:
    return "Bad Gateway";
  case 503:
    return "Service Unavailable";
  case 504:
    return "Gateway Timeout";
  default:
    return "";
  }
}

// What the last response in a transfer (after redirects) said in its headers.
struct ResponseHeaders {
  long status = 0;
  std::string reason;
  std::string etag;
  std::string last_modified;
  std::string content_range;
  std::string retry_after;

  void reset() { *this = ResponseHeaders{}; }
};

enum class SinkKind { file, memory };

struct Transfer {
  SinkKind kind = SinkKind::file;
  bool http = true;
  ResponseHeaders headers;
  // file sink
  std::FILE *file = nullptr;
  uint64_t resume_from = 0; // bytes already in the .part when this try started
  uint64_t written = 0;     // bytes now in the .part
  int write_errno = 0;
  bool range_mismatch = false; // a 206 that does not start where we asked
  // memory sink
  std::string *body = nullptr;
  // shared
  bool body_started = false;
  uint64_t base = 0; // offset of the first body byte of this response within the file
  std::unique_ptr<Progress> *progress = nullptr;
  std::string label;
};

bool is_success(long status) {
  return status >= 200 && status < 300;
}

size_t on_header(char *data, size_t size, size_t count, void *user) {
  auto *t = static_cast<Transfer *>(user);
  const size_t n = size * count;
  const std::string line(data, n);
  if (line.rfind("HTTP/", 0) == 0) {
    // A new response (the first, or the next one after a redirect): forget the previous headers.
    t->headers.reset();
    t->body_started = false;
    const auto sp1 = line.find(' ');
    if (sp1 != std::string::npos) {
      const auto sp2 = line.find(' ', sp1 + 1);
      const std::string code =
          line.substr(sp1 + 1, sp2 == std::string::npos ? std::string::npos : sp2 - sp1 - 1);
      if (auto v = parse_u64(trim(code))) {
        t->headers.status = static_cast<long>(*v);
      }
      if (sp2 != std::string::npos) {
        t->headers.reason = trim(line.substr(sp2 + 1));
      }
    }
    return n;
  }
  const auto colon = line.find(':');
  if (colon == std::string::npos) {
    return n;
  }
  const std::string name = lower(trim(line.substr(0, colon)));
  const std::string value = trim(line.substr(colon + 1));
  if (name == "etag") {
    t->headers.etag = value;
  } else if (name == "last-modified") {
    t->headers.last_modified = value;
  } else if (name == "content-range") {
    t->headers.content_range = value;
  } else if (name == "retry-after") {
    t->headers.retry_after = value;
  }
  return n;
}

// "bytes 100-199/1000" -> {100, 1000}; "bytes */1000" -> {nullopt, 1000}.
struct ContentRange {
  std::optional<uint64_t> start;
  std::optional<uint64_t> total;
};

ContentRange parse_content_range(const std::string &value) {
  ContentRange out;
  if (!starts_with_ci(value, "bytes")) {
    return out;
  }
  std::string rest = trim(value.substr(5));
  const auto slash = rest.find('/');
  if (slash == std::string::npos) {
    return out;
  }
  out.total = parse_u64(trim(rest.substr(slash + 1)));
  const std::string range = trim(rest.substr(0, slash));
  const auto dash = range.find('-');
  if (dash != std::string::npos) {
    out.start = parse_u64(range.substr(0, dash));
  }
  return out;
}

// Called once per response, before its first body byte.
bool start_body(Transfer &t) {
  t.body_started = true;
  if (t.kind == SinkKind::memory) {
    t.body->clear();
    return true;
  }
  const long status = t.http ? t.headers.status : 0;
  uint64_t total = 0;
  if (status == 206) {
    const ContentRange range = parse_content_range(t.headers.content_range);
    if (!range.start || *range.start != t.written) {
      t.range_mismatch = true;
      return false;
    }
    t.base = t.written;
    total = range.total.value_or(0);
  } else {
    // 200 (also the answer of a server that ignores Range) or file://: the body is the whole file.
    if (t.written > 0) {
      if (std::fflush(t.file) != 0 || ::ftruncate(::fileno(t.file), 0) != 0) {
        t.write_errno = errno;
        return false;
      }
      t.written = 0;
    }
    t.base = 0;
  }
  if (t.progress != nullptr) {
    if (!*t.progress) {
      *t.progress = std::make_unique<Progress>(t.label, total);
    } else if (total > 0) {
      (*t.progress)->set_total(total);
    }
  }
  return true;
}

size_t on_write(char *data, size_t size, size_t count, void *user) {
  auto *t = static_cast<Transfer *>(user);
  const size_t n = size * count;
  if (t->http && !is_success(t->headers.status)) {
    return n; // the body of an error or redirect: not the file
  }
  if (!t->body_started && !start_body(*t)) {
    return 0; // aborts the transfer with CURLE_WRITE_ERROR; the caller looks at the flags
  }
  if (t->kind == SinkKind::memory) {
    t->body->append(data, n);
    return n;
  }
  if (std::fwrite(data, 1, n, t->file) != n) {
    t->write_errno = errno != 0 ? errno : EIO;
    return 0;
  }
  t->written += n;
  return n;
}

int on_progress(void *user, curl_off_t dltotal, curl_off_t /*dlnow*/, curl_off_t /*ultotal*/,
                curl_off_t /*ulnow*/) {
  auto *t = static_cast<Transfer *>(user);
  if (t->progress == nullptr || !*t->progress || !t->body_started) {
    return 0;
  }
  if (dltotal > 0) {
    (*t->progress)->set_total(t->base + static_cast<uint64_t>(dltotal));
  }
  (*t->progress)->update(t->kind == SinkKind::file ? t->written : t->body->size());
  return 0;
}

void common_setup(CURL *handle, const std::string &url, const DownloadOptions &options, Transfer &t,
                  char *error_buffer) {
  set_transfer_options(handle, url, error_buffer, "http,https,file", options.connect_timeout_s,
                       options.low_speed_time_s, &on_header, &on_write, static_cast<void *>(&t));
  set_opt(handle, CURLOPT_FOLLOWLOCATION, 1L);
  set_opt(handle, CURLOPT_MAXREDIRS, kMaxRedirects);
  if (t.progress != nullptr) {
    set_opt(handle, CURLOPT_XFERINFOFUNCTION, &on_progress);
    set_opt(handle, CURLOPT_XFERINFODATA, static_cast<void *>(&t));
    set_opt(handle, CURLOPT_NOPROGRESS, 0L);
  }
}

std::string curl_reason(CURLcode rc, const char *error_buffer) {
  std::string text = trim(error_buffer);
  if (text.empty()) {
    text = curl_easy_strerror(rc);
  }
  while (!text.empty() && (text.back() == '.' || text.back() == '\n')) {
    text.pop_back();
  }
  return text + std::string(curl::ca_trust_hint(rc));
}

std::string http_reason(long status, const std::string &phrase) {
  const std::string text = phrase.empty() ? standard_reason(status) : phrase;
  return text.empty() ? fmt::format("HTTP {}", status) : fmt::format("HTTP {} {}", status, text);
}

// Why one try failed, and whether another may succeed.
struct TryFailure {
  std::string reason;
  bool transient = false;
  std::optional<double> retry_after;
};

TryFailure http_failure(long status, const ResponseHeaders &headers) {
  return TryFailure{http_reason(status, headers.reason), status == 429 || status >= 500,
                    parse_retry_after(headers.retry_after)};
}

TryFailure curl_failure(CURLcode rc, const char *error_buffer) {
  return TryFailure{curl_reason(rc, error_buffer), is_transient(rc), std::nullopt};
}

// The retry loop shared by download_file and http_get.
class Retrier {
public:
  Retrier(const std::string &url, const DownloadOptions &options)
      : url_(url), policy_{std::max(1, options.max_attempts), options.initial_backoff_s} {}

  int attempt() const { return attempt_; }
  void next() { ++attempt_; }
  bool exhausted() const { return attempt_ >= policy_.max_attempts; }

  [[noreturn]] void give_up(const std::string &reason) const {
    if (attempt_ > 1) {
      fail(ExitCode::network, "cannot download {}: {} (after {} attempts)", url_, reason, attempt_);
    }
    fail(ExitCode::network, "cannot download {}: {}", url_, reason);
  }

  void wait(const TryFailure &f) const {
    retry_wait(policy_, attempt_, "cannot download " + url_, f.reason, f.retry_after);
  }

private:
  const std::string &url_;
  RetryPolicy policy_;
  int attempt_ = 0;
};

struct Meta {
  std::string etag;
  std::string last_modified;
};

// The validators of `dest`, when `dest` is the complete file `url` gave last time.
std::optional<Meta> load_meta(const fs::path &meta_path, const std::string &url, const fs::path &dest) {
  std::error_code ec;
  if (!fs::is_regular_file(dest, ec) || !fs::is_regular_file(meta_path, ec)) {
    return std::nullopt;
  }
  try {
    const auto json = nlohmann::json::parse(read_file(meta_path));
    if (json.value("url", "") != url || json.value("size", uint64_t{0}) != fs::file_size(dest)) {
      return std::nullopt;
    }
    Meta meta{json.value("etag", ""), json.value("last_modified", "")};
    if (meta.etag.empty() && meta.last_modified.empty()) {
      return std::nullopt;
    }
    return meta;
  } catch (const std::exception &) {
    return std::nullopt; // unreadable or stale metadata only costs a full download
  }
}

uint64_t size_or_zero(const fs::path &path) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  return ec ? 0 : size;
}

void truncate_file(const fs::path &path) {
  std::error_code ec;
  fs::resize_file(path, 0, ec);
  if (ec) {
    fail(ExitCode::io, "cannot truncate {}: {}", path.string(), ec.message());
  }
}

void remove_quietly(const fs::path &path) {
  std::error_code ec;
  fs::remove(path, ec);
}

std::string default_label(const std::string &url) {
  std::string path = url;
  const auto query = path.find_first_of("?#");
  if (query != std::string::npos) {
    path.resize(query);
  }
  while (!path.empty() && path.back() == '/') {
    path.pop_back();
  }
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

struct FileCloser {
  void operator()(std::FILE *file) const { std::fclose(file); }
};

} // namespace

bool is_url(const std::string &text) {
  return starts_with_ci(text, "http://") || starts_with_ci(text, "https://") ||
         starts_with_ci(text, "file://");
}

DownloadResult download_file(const std::string &url, const fs::path &dest, const DownloadOptions &options) {
  curl::ensure_initialized();
  const fs::path part = fs::path(dest.string() + ".part");
  const fs::path meta_path = fs::path(dest.string() + ".meta.json");
  const bool http = is_http_url(url);
  if (dest.has_parent_path()) {
    std::error_code ec;
    fs::create_directories(dest.parent_path(), ec);
    if (ec) {
      fail(ExitCode::io, "cannot create {}: {}", dest.parent_path().string(), ec.message());
    }
  }
  const std::optional<Meta> cached = http ? load_meta(meta_path, url, dest) : std::nullopt;
  std::unique_ptr<Progress> progress;
  const std::string label = options.label.empty() ? default_label(url) : options.label;
  Retrier retry(url, options);
  int restarts = 0;
  std::string if_range; // the strong ETag of what this call already started writing to the .part

  auto restart = [&](const std::string &why) {
    truncate_file(part);
    if_range.clear();
    if (++restarts > kMaxRestarts) {
      retry.give_up(why);
    }
  };

  while (true) {
    retry.next();
    if (!http) {
      remove_quietly(part); // a local copy is cheap: never resume it
    }
    const uint64_t resume_from = size_or_zero(part);
    const bool conditional = cached.has_value() && resume_from == 0;

    std::unique_ptr<std::FILE, FileCloser> file(std::fopen(part.c_str(), resume_from > 0 ? "ab" : "wb"));
    if (!file) {
      fail(ExitCode::io, "cannot write {}: {}", part.string(), std::strerror(errno));
    }
    Transfer t;
    t.http = http;
    t.file = file.get();
    t.resume_from = resume_from;
    t.written = resume_from;
    t.progress = options.progress ? &progress : nullptr;
    t.label = label;

    CURL *handle = thread_handle();
    char error_buffer[CURL_ERROR_SIZE] = {};
    common_setup(handle, url, options, t, error_buffer);
    Slist headers;
    const std::string range = fmt::format("{}-", resume_from);
    if (resume_from > 0) {
      set_opt(handle, CURLOPT_RANGE, range.c_str());
      if (!if_range.empty()) {
        slist_append(headers, "If-Range: " + if_range);
      }
    }
    if (conditional) {
      if (!cached->etag.empty()) {
        slist_append(headers, "If-None-Match: " + cached->etag);
      }
      if (!cached->last_modified.empty()) {
        slist_append(headers, "If-Modified-Since: " + cached->last_modified);
      }
    }
    if (headers) {
      set_opt(handle, CURLOPT_HTTPHEADER, headers.get());
    }

    const CURLcode rc = curl_easy_perform(handle);
    long status = 0;
    if (http) {
      curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
    }
    const bool flushed = std::fflush(file.get()) == 0;
    const int flush_errno = errno;
    file.reset();
    if (t.write_errno != 0 || !flushed) {
      fail(ExitCode::io, "cannot write {}: {}", part.string(),
           std::strerror(t.write_errno != 0 ? t.write_errno : flush_errno));
    }
    if ((is_success(status) || status == 0) && !t.headers.etag.empty() &&
        t.headers.etag.rfind("W/", 0) != 0) {
      if_range = t.headers.etag;
    }
    if (t.range_mismatch) {
      restart("the server answered a range request with the wrong range");
      continue;
    }

    std::optional<TryFailure> failed;
    if (rc == CURLE_OK) {
      if (!http || is_success(status)) {
        if (http && status == 200 && !t.body_started && resume_from > 0) {
          truncate_file(part); // an empty 200 answer to a range request: the file is empty now
        }
      } else if (status == 304 && conditional) {
        remove_quietly(part);
        return DownloadResult{dest, true, status, size_or_zero(dest)};
      } else if (status == 416 && resume_from > 0) {
        const ContentRange range_info = parse_content_range(t.headers.content_range);
        if (!range_info.total || *range_info.total != resume_from) {
          restart(http_reason(status, t.headers.reason));
          continue;
        }
        // The .part is as long as the whole file: it was complete, only the rename was missing.
      } else {
        failed = http_failure(status, t.headers);
      }
    } else {
      failed = curl_failure(rc, error_buffer);
    }

    if (failed) {
      if (!failed->transient || retry.exhausted()) {
        if (!failed->transient || size_or_zero(part) == 0) {
          remove_quietly(part); // keep a partial download only when a later run can resume it
        }
        retry.give_up(failed->reason);
      }
      retry.wait(*failed);
      continue;
    }

    // Complete: publish the file, then what we know about it.
    if (progress) {
      progress->finish();
    }
    remove_quietly(meta_path);
    std::error_code ec;
    fs::rename(part, dest, ec);
    if (ec) {
      fail(ExitCode::io, "cannot rename {} to {}: {}", part.string(), dest.string(), ec.message());
    }
    const uint64_t size = size_or_zero(dest);
    const nlohmann::json meta = {
        {"url", url}, {"etag", t.headers.etag}, {"last_modified", t.headers.last_modified}, {"size", size}};
    write_file_atomic(meta_path, meta.dump(2) + "\n");
    return DownloadResult{dest, false, status, size};
  }
}

std::string http_get(const std::string &url, const DownloadOptions &options) {
  curl::ensure_initialized();
  const bool http = is_http_url(url);
  std::unique_ptr<Progress> progress;
  const std::string label = options.label.empty() ? default_label(url) : options.label;
  Retrier retry(url, options);
  while (true) {
    retry.next();
    std::string body;
    Transfer t;
    t.kind = SinkKind::memory;
    t.http = http;
    t.body = &body;
    t.progress = options.progress ? &progress : nullptr;
    t.label = label;

    CURL *handle = thread_handle();
    char error_buffer[CURL_ERROR_SIZE] = {};
    common_setup(handle, url, options, t, error_buffer);
    set_opt(handle, CURLOPT_ACCEPT_ENCODING, ""); // small text resources: let the server compress
    const CURLcode rc = curl_easy_perform(handle);
    long status = 0;
    if (http) {
      curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
    }
    if (rc == CURLE_OK && (!http || is_success(status))) {
      if (progress) {
        progress->finish();
      }
      return body;
    }
    const TryFailure failed =
        rc == CURLE_OK ? http_failure(status, t.headers) : curl_failure(rc, error_buffer);
    if (!failed.transient || retry.exhausted()) {
      retry.give_up(failed.reason);
    }
    retry.wait(failed);
  }
}

} // namespace forge
