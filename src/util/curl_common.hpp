// Why: the downloader (http.cpp) and the request client (http_request.cpp) drive libcurl the same way;
// one copy of the plumbing keeps their error handling and retry rules from drifting apart.
#pragma once
#include "forge/util/ca_trust.hpp"
#include "forge/util/error.hpp"

#include <curl/curl.h>

#include <memory>
#include <string>
#include <string_view>

namespace forge::curl {

// curl_global_init exactly once per process, before the first handle.
void ensure_initialized();

template <typename T> void set_opt(CURL *handle, CURLoption option, T value) {
  const CURLcode rc = curl_easy_setopt(handle, option, value);
  if (rc != CURLE_OK) {
    fail(ExitCode::internal, "libcurl rejected option {}: {}", static_cast<int>(option),
         curl_easy_strerror(rc));
  }
}

struct SlistDeleter {
  void operator()(curl_slist *list) const { curl_slist_free_all(list); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

// Appends one header line; throws Error(internal) when libcurl cannot allocate.
void slist_append(Slist &list, const std::string &line);

using Callback = size_t (*)(char *data, size_t size, size_t count, void *user);

// The options every forge transfer sets: URL, User-Agent, the error buffer, no signals, the allowed
// protocols (also after redirects: http and https only), the connect timeout, aborting a transfer that stays
// under 1 KiB/s for `low_speed_time_s`, TCP keep-alive, and the header/body callbacks with their `data`.
void set_transfer_options(CURL *handle, const std::string &url, char *error_buffer, const char *protocols,
                          long connect_timeout_s, long low_speed_time_s, Callback on_header,
                          Callback on_write, void *data);

// Failures worth another try: name resolution, connects, cut or stalled transfers.
bool is_transient(CURLcode rc);

// A hint to append to a TLS verification error: which variables choose the certificates.
std::string_view ca_trust_hint(CURLcode rc);

std::string lower(std::string_view text);
std::string trim(std::string_view text);

} // namespace forge::curl
