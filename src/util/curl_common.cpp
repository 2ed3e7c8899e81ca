#include "util/curl_common.hpp"

#include "forge/version.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <mutex>
#include <unistd.h>

namespace forge::curl {

void ensure_initialized() {
  static std::once_flag once;
  std::call_once(once, [] {
    const CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (rc != CURLE_OK) {
      fail(ExitCode::internal, "cannot initialise libcurl: {}", curl_easy_strerror(rc));
    }
  });
}

void slist_append(Slist &list, const std::string &line) {
  curl_slist *next = curl_slist_append(list.get(), line.c_str());
  if (next == nullptr) {
    fail(ExitCode::internal, "out of memory building HTTP headers");
  }
  static_cast<void>(list.release());
  list.reset(next);
}

namespace {

// choose_ca_trust()'s choice for this process (computed once), set on every transfer.
void apply_ca_trust(CURL *handle) {
  static const CaTrust trust = [] {
    const curl_version_info_data *info = curl_version_info(CURLVERSION_NOW);
    const auto exists = [](const std::string &path) { return ::access(path.c_str(), R_OK) == 0; };
    return choose_ca_trust([](const char *name) { return std::getenv(name); }, exists,
                           info->cainfo != nullptr ? info->cainfo : "",
                           info->capath != nullptr ? info->capath : "");
  }();
  if (!trust.file.empty()) {
    set_opt(handle, CURLOPT_CAINFO, trust.file.c_str());
  }
  if (!trust.dir.empty()) {
    set_opt(handle, CURLOPT_CAPATH, trust.dir.c_str());
  }
}

} // namespace

std::string_view ca_trust_hint(CURLcode rc) {
  switch (rc) {
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CACERT_BADFILE:
  case CURLE_SSL_ISSUER_ERROR:
    return " (the trusted certificates come from SSL_CERT_FILE / SSL_CERT_DIR when set, else the system's "
           "CA bundle)";
  default:
    return "";
  }
}

bool is_transient(CURLcode rc) {
  switch (rc) {
  case CURLE_COULDNT_RESOLVE_PROXY:
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_CONNECT:
  case CURLE_PARTIAL_FILE:
  case CURLE_OPERATION_TIMEDOUT:
  case CURLE_GOT_NOTHING:
  case CURLE_SEND_ERROR:
  case CURLE_RECV_ERROR:
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_HTTP2:
  case CURLE_HTTP2_STREAM:
  case CURLE_HTTP3:
  case CURLE_QUIC_CONNECT_ERROR:
  case CURLE_AGAIN:
    return true;
  default:
    return false;
  }
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) {
    return {};
  }
  const auto last = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(first, last - first + 1));
}

void set_transfer_options(CURL *handle, const std::string &url, char *error_buffer, const char *protocols,
                          long connect_timeout_s, long low_speed_time_s, Callback on_header,
                          Callback on_write, void *data) {
  static const std::string user_agent = std::string("forge/") + kVersion;
  constexpr long kLowSpeedLimit = 1024; // bytes/s
  set_opt(handle, CURLOPT_URL, url.c_str());
  set_opt(handle, CURLOPT_USERAGENT, user_agent.c_str());
  set_opt(handle, CURLOPT_ERRORBUFFER, error_buffer);
  apply_ca_trust(handle);
  set_opt(handle, CURLOPT_NOSIGNAL, 1L);
  set_opt(handle, CURLOPT_PROTOCOLS_STR, protocols);
  set_opt(handle, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  set_opt(handle, CURLOPT_CONNECTTIMEOUT, connect_timeout_s);
  set_opt(handle, CURLOPT_LOW_SPEED_LIMIT, kLowSpeedLimit);
  set_opt(handle, CURLOPT_LOW_SPEED_TIME, low_speed_time_s);
  set_opt(handle, CURLOPT_TCP_KEEPALIVE, 1L);
  set_opt(handle, CURLOPT_HEADERFUNCTION, on_header);
  set_opt(handle, CURLOPT_HEADERDATA, data);
  set_opt(handle, CURLOPT_WRITEFUNCTION, on_write);
  set_opt(handle, CURLOPT_WRITEDATA, data);
}

} // namespace forge::curl
