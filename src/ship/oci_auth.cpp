// Why: the token dance (401 -> token endpoint -> Bearer) is the same for GHCR, Docker Hub and the
// distribution registry; the secret is only ever put into an Authorization header, never into text.
#include "forge/ship/oci_auth.hpp"

#include "forge/util/error.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

namespace forge {
namespace {

bool is_token_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  return std::isalnum(u) != 0 || std::string_view("!#$%&'*+-.^_`|~/").find(c) != std::string_view::npos;
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// A cursor over one header value.
struct Scanner {
  std::string_view s;
  size_t i = 0;

  void skip_space() {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) {
      ++i;
    }
  }
  bool at_end() const { return i >= s.size(); }
  std::string token() {
    const size_t start = i;
    while (i < s.size() && is_token_char(s[i])) {
      ++i;
    }
    return std::string(s.substr(start, i - start));
  }
  std::string quoted() { // at '"'
    std::string out;
    ++i;
    while (i < s.size() && s[i] != '"') {
      if (s[i] == '\\' && i + 1 < s.size()) {
        ++i;
      }
      out.push_back(s[i++]);
    }
    if (i < s.size()) {
      ++i; // closing quote
    }
    return out;
  }
  // True when the text at the cursor is `name =` (an auth-param), not the next challenge's scheme.
  bool param_ahead() const {
    size_t j = i;
    while (j < s.size() && is_token_char(s[j])) {
      ++j;
    }
    while (j < s.size() && (s[j] == ' ' || s[j] == '\t')) {
      ++j;
    }
    return j < s.size() && s[j] == '=' && (j + 1 >= s.size() || s[j + 1] != '=');
  }
};

constexpr std::chrono::seconds kDefaultTokenLife{60}; // the distribution spec's default expires_in
constexpr std::chrono::seconds kTokenMargin{10};

} // namespace

std::string AuthChallenge::param(const std::string &name) const {
  const auto it = params.find(name);
  return it == params.end() ? std::string() : it->second;
}

std::vector<AuthChallenge> parse_www_authenticate(std::string_view value) {
  std::vector<AuthChallenge> out;
  Scanner sc{value};
  while (true) {
    sc.skip_space();
    while (!sc.at_end() && sc.s[sc.i] == ',') {
      ++sc.i;
      sc.skip_space();
    }
    if (sc.at_end()) {
      break;
    }
    std::string scheme = sc.token();
    if (scheme.empty()) {
      break; // garbage: keep what was read
    }
    AuthChallenge challenge;
    challenge.scheme = lower(scheme);
    sc.skip_space();
    // A token68 right after the scheme ("Negotiate abc==") is not a parameter; skip it.
    if (!sc.at_end() && sc.s[sc.i] != ',' && !sc.param_ahead()) {
      const size_t before = sc.i;
      sc.token();
      while (!sc.at_end() && sc.s[sc.i] == '=') {
        ++sc.i;
      }
      if (sc.i == before) {
        ++sc.i; // make progress on stray characters
      }
    }
    // Parameters until the next challenge (a token not followed by '=') or the end.
    while (!sc.at_end()) {
      sc.skip_space();
      if (!sc.at_end() && sc.s[sc.i] == ',') {
        ++sc.i;
        continue;
      }
      if (sc.at_end() || !sc.param_ahead()) {
        break;
      }
      std::string name = lower(sc.token());
      sc.skip_space();
      ++sc.i; // '='
      sc.skip_space();
      std::string param_value;
      if (!sc.at_end() && sc.s[sc.i] == '"') {
        param_value = sc.quoted();
      } else {
        const size_t start = sc.i;
        while (!sc.at_end() && sc.s[sc.i] != ',' && sc.s[sc.i] != ' ' && sc.s[sc.i] != '\t') {
          ++sc.i;
        }
        param_value = std::string(sc.s.substr(start, sc.i - start));
      }
      challenge.params[name] = param_value;
    }
    out.push_back(std::move(challenge));
  }
  return out;
}

std::string base64_encode(std::string_view data) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    const uint32_t n = (static_cast<uint8_t>(data[i]) << 16U) | (static_cast<uint8_t>(data[i + 1]) << 8U) |
                       static_cast<uint8_t>(data[i + 2]);
    out += {kAlphabet[(n >> 18U) & 63U], kAlphabet[(n >> 12U) & 63U], kAlphabet[(n >> 6U) & 63U],
            kAlphabet[n & 63U]};
  }
  if (i + 1 == data.size()) {
    const uint32_t n = static_cast<uint8_t>(data[i]) << 16U;
    out += {kAlphabet[(n >> 18U) & 63U], kAlphabet[(n >> 12U) & 63U], '=', '='};
  } else if (i + 2 == data.size()) {
    const uint32_t n = (static_cast<uint8_t>(data[i]) << 16U) | (static_cast<uint8_t>(data[i + 1]) << 8U);
    out += {kAlphabet[(n >> 18U) & 63U], kAlphabet[(n >> 12U) & 63U], kAlphabet[(n >> 6U) & 63U], '='};
  }
  return out;
}

std::string basic_authorization(const RegistryCredentials &credentials) {
  return "Basic " + base64_encode(credentials.username + ":" + credentials.secret);
}

std::string RegistryAuth::authorization(const std::string &repository) {
  if (const auto it = tokens_.find(repository); it != tokens_.end()) {
    if (std::chrono::steady_clock::now() < it->second.expires) {
      return "Bearer " + it->second.value;
    }
    tokens_.erase(it); // expired: the registry's next 401 fetches a new one
  }
  if (basic_ && credentials_.present()) {
    return basic_authorization(credentials_);
  }
  return {};
}

bool RegistryAuth::on_unauthorized(const HttpResponse &response, const std::string &repository) {
  std::vector<AuthChallenge> challenges;
  for (const auto &value : response.header_values("www-authenticate")) {
    auto parsed = parse_www_authenticate(value);
    challenges.insert(challenges.end(), parsed.begin(), parsed.end());
  }
  const auto bearer = std::find_if(challenges.begin(), challenges.end(),
                                   [](const AuthChallenge &c) { return c.scheme == "bearer"; });
  if (bearer != challenges.end() && !bearer->param("realm").empty()) {
    bearer_ = *bearer;
    tokens_[repository] = fetch_token(*bearer, repository);
    return true;
  }
  const bool wants_basic = std::any_of(challenges.begin(), challenges.end(),
                                       [](const AuthChallenge &c) { return c.scheme == "basic"; });
  if (wants_basic && credentials_.present() && !basic_) {
    basic_ = true;
    return true;
  }
  return false;
}

RegistryAuth::Token RegistryAuth::fetch_token(const AuthChallenge &challenge, const std::string &repository) {
  const std::string realm = challenge.param("realm");
  std::string url = realm;
  if (const std::string service = challenge.param("service"); !service.empty()) {
    url = add_query(url, "service", service);
  }
  url = add_query(url, "scope", "repository:" + repository + ":pull,push");
  HttpRequest request;
  request.url = url;
  request.follow_redirects = true;
  if (credentials_.present()) {
    if (!plain_http_ && realm.size() >= 7 && lower(realm.substr(0, 7)) == "http://") {
      fail(ExitCode::registry,
           "the registry's token endpoint {} is plain HTTP: forge will not send credentials there", realm);
    }
    request.headers.emplace_back("Authorization", basic_authorization(credentials_));
  }
  for (int attempt = 1;; ++attempt) {
    const HttpResult result = http_.perform(request);
    const long status = result.ok ? result.response.status : 0;
    std::string reason;
    if (!result.ok) {
      reason = result.error;
    } else if (status == 429 || status >= 500) {
      reason = describe_status(status, result.response.reason);
    } else if (status == 401 || status == 403) {
      fail(ExitCode::registry, "token endpoint {} refused {} ({})", realm,
           credentials_.present() ? "the credentials" : "an anonymous request (no credentials configured)",
           describe_status(status, result.response.reason));
    } else if (status < 200 || status >= 300) {
      fail(ExitCode::registry, "token endpoint {} answered {}", realm,
           describe_status(status, result.response.reason));
    } else {
      nlohmann::json body;
      try {
        body = nlohmann::json::parse(result.response.body);
      } catch (const nlohmann::json::exception &) {
        fail(ExitCode::registry, "token endpoint {} sent no JSON", realm);
      }
      std::string token = body.value("token", "");
      if (token.empty()) {
        token = body.value("access_token", "");
      }
      if (token.empty()) {
        fail(ExitCode::registry, "token endpoint {} sent no token", realm);
      }
      std::chrono::seconds life = kDefaultTokenLife;
      if (body.contains("expires_in") && body["expires_in"].is_number_integer()) {
        life = std::chrono::seconds(std::max<int64_t>(body["expires_in"].get<int64_t>(), 1));
      }
      const auto now = std::chrono::steady_clock::now();
      return Token{token, now + (life > kTokenMargin * 2 ? life - kTokenMargin : life)};
    }
    if ((result.ok || result.transient) && attempt < retry_.max_attempts) {
      retry_wait(retry_, attempt, "cannot get a token from " + realm, reason,
                 result.ok ? parse_retry_after(result.response.header("retry-after")) : std::nullopt);
      continue;
    }
    fail(ExitCode::network, "cannot get a token from {}: {}", realm, reason);
  }
}

} // namespace forge
