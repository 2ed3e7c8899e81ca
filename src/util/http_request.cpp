// Why: registries speak plain HTTP verbs with bodies streamed from large files; this wraps libcurl for
// exactly one exchange so retry, auth and upload-session logic stay with the caller that understands them.
#include "forge/util/http_request.hpp"

#include "forge/util/error.hpp"
#include "util/curl_common.hpp"

#include <curl/curl.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>

namespace forge {
namespace {

using curl::is_transient;
using curl::lower;
using curl::set_opt;
using curl::set_transfer_options;
using curl::Slist;
using curl::slist_append;
using curl::trim;

struct Fd {
  int fd = -1;
  Fd() = default;
  Fd(const Fd &) = delete;
  Fd &operator=(const Fd &) = delete;
  ~Fd() {
    if (fd >= 0) {
      ::close(fd);
    }
  }
};

// State shared with the libcurl callbacks during one exchange.
struct Exchange {
  HttpResponse *response = nullptr;
  const std::string *text = nullptr; // body from memory
  int fd = -1;                       // body from a file
  uint64_t offset = 0, size = 0, sent = 0;
  int read_errno = 0;
};

size_t on_header(char *data, size_t size, size_t count, void *user) {
  auto *x = static_cast<Exchange *>(user);
  const size_t n = size * count;
  const std::string_view line(data, n);
  if (line.starts_with("HTTP/")) {
    // The first response, or the next after a redirect or a 100 Continue: start over.
    x->response->headers.clear();
    x->response->reason.clear();
    x->response->body.clear();
    const auto sp1 = line.find(' ');
    if (sp1 != std::string_view::npos) {
      const auto sp2 = line.find(' ', sp1 + 1);
      const std::string code(line.substr(sp1 + 1, sp2 == std::string_view::npos ? 3 : sp2 - sp1 - 1));
      x->response->status = std::strtol(code.c_str(), nullptr, 10);
      if (sp2 != std::string_view::npos) {
        x->response->reason = trim(line.substr(sp2 + 1));
      }
    }
    return n;
  }
  const auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    x->response->headers.emplace_back(lower(trim(line.substr(0, colon))), trim(line.substr(colon + 1)));
  }
  return n;
}

size_t on_write(char *data, size_t size, size_t count, void *user) {
  auto *x = static_cast<Exchange *>(user);
  x->response->body.append(data, size * count);
  return size * count;
}

size_t on_read(char *buffer, size_t size, size_t count, void *user) {
  auto *x = static_cast<Exchange *>(user);
  const uint64_t left = x->size - x->sent;
  const size_t want = static_cast<size_t>(std::min<uint64_t>(left, size * count));
  if (want == 0) {
    return 0;
  }
  if (x->text != nullptr) {
    std::memcpy(buffer, x->text->data() + x->sent, want);
    x->sent += want;
    return want;
  }
  ssize_t got = 0;
  do {
    got = ::pread(x->fd, buffer, want, static_cast<off_t>(x->offset + x->sent));
  } while (got < 0 && errno == EINTR);
  if (got <= 0) {
    x->read_errno = got < 0 ? errno : EIO; // the file shrank under us
    return CURL_READFUNC_ABORT;
  }
  x->sent += static_cast<uint64_t>(got);
  return static_cast<size_t>(got);
}

int on_seek(void *user, curl_off_t offset, int origin) {
  auto *x = static_cast<Exchange *>(user);
  if (origin != SEEK_SET || offset < 0 || static_cast<uint64_t>(offset) > x->size) {
    return CURL_SEEKFUNC_CANTSEEK;
  }
  x->sent = static_cast<uint64_t>(offset);
  return CURL_SEEKFUNC_OK;
}

} // namespace

std::string HttpResponse::header(std::string_view name) const {
  for (const auto &[key, value] : headers) {
    if (key == name) {
      return value;
    }
  }
  return {};
}

std::vector<std::string> HttpResponse::header_values(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto &[key, value] : headers) {
    if (key == name) {
      out.push_back(value);
    }
  }
  return out;
}

HttpClient::HttpClient() {
  curl::ensure_initialized();
  handle_ = curl_easy_init();
  if (handle_ == nullptr) {
    fail(ExitCode::internal, "cannot create a libcurl handle");
  }
}

HttpClient::~HttpClient() {
  curl_easy_cleanup(static_cast<CURL *>(handle_));
}

HttpResult HttpClient::perform(const HttpRequest &request) {
  CURL *handle = static_cast<CURL *>(handle_);
  curl_easy_reset(handle); // keeps the connection cache: the next request reuses the socket

  HttpResult result;
  Exchange x;
  x.response = &result.response;
  Fd file;
  const bool has_body = !request.body_file.empty() || !request.body_text.empty() ||
                        request.method == "POST" || request.method == "PUT" || request.method == "PATCH";
  if (!request.body_file.empty()) {
    file.fd = ::open(request.body_file.c_str(), O_RDONLY | O_CLOEXEC);
    if (file.fd < 0) {
      fail(ExitCode::io, "cannot read {}: {}", request.body_file.string(), std::strerror(errno));
    }
    x.fd = file.fd;
    x.offset = request.body_offset;
    x.size = request.body_size;
  } else {
    x.text = &request.body_text;
    x.size = request.body_text.size();
  }

  char error_buffer[CURL_ERROR_SIZE] = {};
  set_transfer_options(handle, request.url, error_buffer, "http,https", request.connect_timeout_s,
                       request.low_speed_time_s, &on_header, &on_write, static_cast<void *>(&x));
  if (request.follow_redirects && (request.method == "GET" || request.method == "HEAD")) {
    // libcurl drops an Authorization header we set ourselves when a redirect changes the host.
    set_opt(handle, CURLOPT_FOLLOWLOCATION, 1L);
    set_opt(handle, CURLOPT_MAXREDIRS, 10L);
  }
  if (request.method == "HEAD") {
    set_opt(handle, CURLOPT_NOBODY, 1L);
  } else if (request.method != "GET") {
    set_opt(handle, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  if (has_body) {
    set_opt(handle, CURLOPT_UPLOAD, 1L);
    set_opt(handle, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(x.size));
    set_opt(handle, CURLOPT_READFUNCTION, &on_read);
    set_opt(handle, CURLOPT_READDATA, static_cast<void *>(&x));
    set_opt(handle, CURLOPT_SEEKFUNCTION, &on_seek);
    set_opt(handle, CURLOPT_SEEKDATA, static_cast<void *>(&x));
  }
  Slist headers;
  for (const auto &[name, value] : request.headers) {
    slist_append(headers, name + ": " + value);
  }
  slist_append(headers, "Expect:"); // no 100-continue round trip (and its 1 s stall) before every upload
  set_opt(handle, CURLOPT_HTTPHEADER, headers.get());

  const CURLcode rc = curl_easy_perform(handle);
  if (x.read_errno != 0) {
    fail(ExitCode::io, "cannot read {}: {}", request.body_file.string(), std::strerror(x.read_errno));
  }
  if (rc != CURLE_OK) {
    std::string text = trim(error_buffer);
    if (text.empty()) {
      text = curl_easy_strerror(rc);
    }
    result.error = text + std::string(curl::ca_trust_hint(rc));
    result.transient = is_transient(rc);
    return result;
  }
  long status = 0;
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
  result.response.status = status;
  result.ok = true;
  return result;
}

std::string describe_status(long status, const std::string &reason) {
  return reason.empty() ? fmt::format("HTTP {}", status) : fmt::format("HTTP {} {}", status, reason);
}

std::string resolve_url(const std::string &base, const std::string &location) {
  const auto scheme_end = location.find("://");
  if (scheme_end != std::string::npos && location.find_first_of("/?") > scheme_end) {
    return location; // absolute
  }
  const auto base_scheme = base.find("://");
  const auto authority_end =
      base_scheme == std::string::npos ? std::string::npos : base.find('/', base_scheme + 3);
  const std::string origin = authority_end == std::string::npos ? base : base.substr(0, authority_end);
  if (location.starts_with("//")) {
    return base.substr(0, base_scheme + 1) + location;
  }
  if (location.starts_with("/")) {
    return origin + location;
  }
  std::string dir = base.substr(0, base.find_first_of("?#"));
  dir = dir.substr(0, dir.rfind('/') + 1);
  return dir + location;
}

std::string percent_encode(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(c);
    } else {
      out += fmt::format("%{:02X}", u);
    }
  }
  return out;
}

std::string add_query(const std::string &url, std::string_view key, std::string_view value) {
  const char sep = url.find('?') == std::string::npos ? '?' : '&';
  return url + sep + std::string(key) + "=" + percent_encode(value);
}

} // namespace forge
