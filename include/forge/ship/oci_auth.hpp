// Why: registries authenticate three ways (none, Basic, and the Bearer token flow GHCR and Docker Hub use:
// a 401 names a token endpoint, the client trades its credentials there for a short-lived token). The
// secret must never reach a log line or an error message, so it lives only in here.
#pragma once
#include "forge/util/retry.hpp"
#include "forge/util/http_request.hpp"

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace forge {

// One challenge of a WWW-Authenticate header: `Bearer realm="…",service="…",scope="…"`.
struct AuthChallenge {
  std::string scheme;                        // lowercased: "bearer", "basic"
  std::map<std::string, std::string> params; // names lowercased, values unquoted
  [[nodiscard]] std::string param(const std::string &name) const;
};

// Parses every challenge in one WWW-Authenticate value (RFC 7235: several challenges may share a header,
// parameters may be quoted with backslash escapes). Unparseable text yields what could be read.
std::vector<AuthChallenge> parse_www_authenticate(std::string_view value);

struct RegistryCredentials {
  std::string username;
  std::string secret; // password or token; never printed
  [[nodiscard]] bool present() const { return !secret.empty(); }
};

// "Basic " + base64(user:secret).
std::string basic_authorization(const RegistryCredentials &credentials);
std::string base64_encode(std::string_view data);

// What to send on each request, learned from the registry's 401 answers.
class RegistryAuth {
public:
  // `plain_http_registry`: the registry itself is reached over http://, so a http:// token realm is no
  // worse; otherwise credentials are never sent to a http:// realm.
  RegistryAuth(RegistryCredentials credentials, HttpClient &http, RetryPolicy retry,
               bool plain_http_registry = false)
      : credentials_(std::move(credentials)), http_(http), retry_(retry), plain_http_(plain_http_registry) {}

  // The Authorization header value for a request on `repository` (empty: anonymous).
  [[nodiscard]] std::string authorization(const std::string &repository);

  // Learns from a 401 on `repository`. Returns true when a new authorization was obtained and the request
  // is worth repeating; false when nothing more can be tried (no credentials, or these were refused).
  // Throws Error(registry) when the token endpoint refuses, Error(network) when it cannot be reached.
  bool on_unauthorized(const HttpResponse &response, const std::string &repository);

  [[nodiscard]] bool has_credentials() const { return credentials_.present(); }

private:
  struct Token {
    std::string value;
    std::chrono::steady_clock::time_point expires;
  };
  Token fetch_token(const AuthChallenge &challenge, const std::string &repository);

  RegistryCredentials credentials_;
  HttpClient &http_;
  RetryPolicy retry_;
  bool plain_http_ = false;
  bool basic_ = false;                  // the registry asked for Basic: send it on every request
  std::map<std::string, Token> tokens_; // per repository
  AuthChallenge bearer_;                // the last Bearer challenge (realm, service)
};

} // namespace forge
