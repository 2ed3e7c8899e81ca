// Why: the registry is the one shared, remote state forge writes to; every request is retried where that is
// safe, authenticated as the registry asks, and never sends credentials to a host other than the registry.
#include "forge/ship/oci_client.hpp"

#include "forge/util/error.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace forge {
namespace {

// A failure that starting the operation over may cure (a cut connection, 5xx after the retries).
class RetryableError : public Error {
public:
  explicit RetryableError(const std::string &message) : Error(ExitCode::network, message) {}
};

bool is_success(long status) {
  return status >= 200 && status < 300;
}

std::string with_registry_error(const HttpResponse &response) {
  std::string text = describe_status(response.status, response.reason);
  if (const std::string summary = registry_error_summary(response.body); !summary.empty()) {
    text += " (" + summary + ")";
  }
  return text;
}

// "<url>; rel=\"next\"" -> the URL inside <>, when rel is next.
std::string next_link(const std::vector<std::string> &links) {
  for (const auto &link : links) {
    const auto open = link.find('<');
    const auto close = link.find('>', open == std::string::npos ? 0 : open);
    if (open != std::string::npos && close != std::string::npos &&
        link.find("rel=\"next\"", close) != std::string::npos) {
      return link.substr(open + 1, close - open - 1);
    }
  }
  return {};
}

// "0-1023" -> 1024 (the number of bytes the registry holds; "0-0" is ambiguous, see the callers).
std::optional<uint64_t> range_end(const std::string &range) {
  const auto dash = range.find('-');
  if (dash == std::string::npos) {
    return std::nullopt;
  }
  try {
    return std::stoull(range.substr(dash + 1)) + 1;
  } catch (const std::exception &) {
    return std::nullopt;
  }
}

} // namespace

std::string registry_error_summary(const std::string &body) {
  try {
    const auto json = nlohmann::json::parse(body);
    if (json.contains("errors") && json["errors"].is_array() && !json["errors"].empty()) {
      const auto &e = json["errors"][0];
      const std::string code = e.value("code", "");
      const std::string message = e.is_object() && e.contains("message") && e["message"].is_string()
                                      ? e["message"].get<std::string>()
                                      : std::string();
      return code.empty() ? message : (message.empty() ? code : code + ": " + message);
    }
  } catch (const std::exception &) {
  }
  return {};
}

OciClient::OciClient(OciClientOptions options)
    : options_(std::move(options)),
      auth_(options_.credentials, http_, options_.retry, options_.endpoint.scheme == "http") {
  options_.chunk_size = std::max<uint64_t>(options_.chunk_size, 1);
  options_.retry.max_attempts = std::max(options_.retry.max_attempts, 1);
}

std::string OciClient::url(const std::string &repository, const std::string &rest) const {
  return options_.endpoint.base_url() + "/v2/" + repository + rest;
}

HttpRequest OciClient::request(const std::string &method, const std::string &target) const {
  HttpRequest r;
  r.method = method;
  r.url = target;
  r.connect_timeout_s = options_.connect_timeout_s;
  r.low_speed_time_s = options_.low_speed_time_s;
  return r;
}

HttpResponse OciClient::send(HttpRequest req, const std::string &repository, const std::string &what,
                             bool retry) {
  const std::string base = options_.endpoint.base_url() + "/";
  const bool same_host = req.url.starts_with(base); // credentials go to the registry only
  const auto base_headers = req.headers;
  bool reauthenticated = false;
  for (int attempt = 1;; ++attempt) {
    req.headers = base_headers;
    if (same_host) {
      if (const std::string authorization = auth_.authorization(repository); !authorization.empty()) {
        req.headers.emplace_back("Authorization", authorization);
      }
    }
    HttpResult result = http_.perform(req);
    if (!result.ok) {
      if (!result.transient) {
        fail(ExitCode::network, "{}: {}", what, result.error);
      }
      if (!retry || attempt >= options_.retry.max_attempts) {
        throw RetryableError(attempt > 1
                                 ? fmt::format("{}: {} (after {} attempts)", what, result.error, attempt)
                                 : fmt::format("{}: {}", what, result.error));
      }
      retry_wait(options_.retry, attempt, what, result.error);
      continue;
    }
    HttpResponse &response = result.response;
    if (response.status == 401 && same_host) {
      if (!reauthenticated && auth_.on_unauthorized(response, repository)) {
        reauthenticated = true;
        --attempt; // not a failure of the registry
        continue;
      }
      if (!auth_.has_credentials()) {
        fail(ExitCode::registry,
             "{}: {}: the registry requires credentials (set FORGE_REGISTRY_TOKEN or GITHUB_TOKEN, and "
             "--username)",
             what, with_registry_error(response));
      }
      fail(ExitCode::registry, "{}: {}: the registry refused the credentials of user '{}'", what,
           with_registry_error(response), options_.credentials.username);
    }
    if (response.status == 403) {
      fail(ExitCode::registry, "{}: {}: no permission for {}", what, with_registry_error(response),
           repository);
    }
    if (response.status == 429 || response.status >= 500) {
      const std::string reason = with_registry_error(response);
      if (!retry || attempt >= options_.retry.max_attempts) {
        throw RetryableError(attempt > 1 ? fmt::format("{}: {} (after {} attempts)", what, reason, attempt)
                                         : fmt::format("{}: {}", what, reason));
      }
      retry_wait(options_.retry, attempt, what, reason, parse_retry_after(response.header("retry-after")));
      continue;
    }
    return std::move(response);
  }
}

bool OciClient::blob_exists(const std::string &repository, const std::string &digest,
                            std::optional<uint64_t> size) {
  HttpRequest r = request("HEAD", url(repository, "/blobs/" + digest));
  r.follow_redirects = true;
  const HttpResponse response =
      send(r, repository, fmt::format("cannot check blob {} in {}", digest, repository), true);
  if (response.status == 404) {
    return false;
  }
  if (!is_success(response.status)) {
    fail(ExitCode::registry, "cannot check blob {} in {}: {}", digest, repository,
         with_registry_error(response));
  }
  if (size) {
    const std::string length = response.header("content-length");
    if (!length.empty() && length != std::to_string(*size)) {
      return false; // a registry holding other bytes under this digest: treat as missing
    }
  }
  return true;
}

bool OciClient::push_blob(const std::string &repository, const Blob &blob) {
  if (blob_exists(repository, blob.digest, blob.size)) {
    ++stats_.blobs_present;
    spdlog::debug("{} {} already present ({} bytes)", repository, blob.digest, blob.size);
    return false;
  }
  for (int attempt = 1;; ++attempt) {
    try {
      upload(repository, blob);
      break;
    } catch (const RetryableError &e) {
      if (attempt >= options_.retry.max_attempts) {
        throw;
      }
      // The failed exchange may still have completed on the registry's side.
      if (blob_exists(repository, blob.digest, blob.size)) {
        break;
      }
      ++stats_.restarted_uploads;
      retry_wait(options_.retry, attempt, fmt::format("upload of {} to {}", blob.digest, repository),
                 e.what());
    }
  }
  if (!blob_exists(repository, blob.digest, blob.size)) {
    fail(ExitCode::registry, "blob {} ({} bytes) is not in {} after its upload", blob.digest, blob.size,
         repository);
  }
  ++stats_.blobs_uploaded;
  stats_.bytes_uploaded += blob.size;
  return true;
}

void OciClient::upload(const std::string &repository, const Blob &blob) {
  const std::string what =
      fmt::format("cannot upload {} to {}", blob.title.empty() ? blob.digest : blob.title, repository);
  const HttpResponse started =
      send(request("POST", url(repository, "/blobs/uploads/")), repository, what, true);
  const std::string location = started.header("location");
  if (started.status != 202 || location.empty()) {
    fail(ExitCode::registry, "{}: starting the upload: {}", what, with_registry_error(started));
  }
  std::string target = resolve_url(url(repository, "/blobs/uploads/"), location);
  HttpRequest put = request("PUT", "");
  if (blob.size > options_.chunk_threshold) {
    target = upload_chunks(repository, blob, target);
  } else {
    put.headers.emplace_back("Content-Type", "application/octet-stream");
    if (blob.file.empty()) {
      put.body_text = blob.content;
    } else {
      put.body_file = blob.file;
      put.body_size = blob.size;
    }
  }
  put.url = add_query(target, "digest", blob.digest);
  // Not retried in place: a PUT cut short leaves the session in an unknown state, so the caller starts a
  // new one.
  const HttpResponse done = send(put, repository, what, false);
  if (done.status != 201 && done.status != 204) {
    if (done.status == 400 || done.status == 404 || done.status == 416) {
      throw RetryableError(fmt::format("{}: {}", what, with_registry_error(done)));
    }
    fail(ExitCode::registry, "{}: {}", what, with_registry_error(done));
  }
}

std::string OciClient::upload_chunks(const std::string &repository, const Blob &blob, std::string location) {
  ++stats_.chunked_uploads;
  const std::string what =
      fmt::format("cannot upload {} to {}", blob.title.empty() ? blob.digest : blob.title, repository);
  uint64_t offset = 0;
  int failures = 0;
  while (offset < blob.size) {
    const uint64_t n = std::min(options_.chunk_size, blob.size - offset);
    HttpRequest patch = request("PATCH", location);
    patch.headers.emplace_back("Content-Type", "application/octet-stream");
    patch.headers.emplace_back("Content-Range", fmt::format("{}-{}", offset, offset + n - 1));
    if (blob.file.empty()) {
      patch.body_text = blob.content.substr(offset, n);
    } else {
      patch.body_file = blob.file;
      patch.body_offset = offset;
      patch.body_size = n;
    }
    try {
      const HttpResponse response = send(patch, repository, what, false);
      if (response.status != 202) {
        throw RetryableError(fmt::format("{}: chunk at {}: {}", what, offset, with_registry_error(response)));
      }
      if (const std::string next = response.header("location"); !next.empty()) {
        location = resolve_url(location, next);
      }
      const std::string range = response.header("range");
      const auto held = range == "0-0" ? std::nullopt : range_end(range);
      offset = held.value_or(offset + n);
    } catch (const RetryableError &e) {
      // Ask the registry how much it holds and go on from there; when it cannot say, start over.
      if (++failures >= options_.retry.max_attempts) {
        throw;
      }
      const auto held = upload_offset(repository, location);
      if (!held || *held > blob.size) {
        throw;
      }
      ++stats_.resumed_chunks;
      retry_wait(options_.retry, failures, what, fmt::format("{}; resuming at byte {}", e.what(), *held));
      offset = *held;
    }
  }
  return location;
}

std::optional<uint64_t> OciClient::upload_offset(const std::string &repository, std::string &location) {
  try {
    const HttpResponse status = send(request("GET", location), repository, "upload status", false);
    if (status.status != 204 && status.status != 202 && status.status != 200) {
      return std::nullopt;
    }
    if (const std::string next = status.header("location"); !next.empty()) {
      location = resolve_url(location, next); // the distribution registry keeps the offset in the URL
    }
    const std::string range = status.header("range");
    if (range.empty() || range == "0-0") {
      return uint64_t{0}; // "0-0" is what the distribution registry says for 0 bytes (and for 1)
    }
    return range_end(range);
  } catch (const RetryableError &) {
    return std::nullopt;
  }
}

std::string OciClient::put_manifest(const std::string &repository, const std::string &tag,
                                    const std::string &manifest) {
  HttpRequest put = request("PUT", url(repository, "/manifests/" + tag));
  put.headers.emplace_back("Content-Type", kOciManifestType);
  put.body_text = manifest;
  const std::string what = fmt::format("cannot push manifest {}:{}", repository, tag);
  const HttpResponse response = send(put, repository, what, true);
  if (response.status != 201 && response.status != 200 && response.status != 202) {
    fail(ExitCode::registry, "{}: {}", what, with_registry_error(response));
  }
  const std::string expected = sha256_digest(manifest);
  const std::string digest = response.header("docker-content-digest");
  if (!digest.empty() && digest != expected) {
    fail(ExitCode::registry, "{}: the registry stored digest {}, forge sent {}", what, digest, expected);
  }
  return expected;
}

std::string OciClient::get_manifest(const std::string &repository, const std::string &reference) {
  HttpRequest get = request("GET", url(repository, "/manifests/" + reference));
  get.headers.emplace_back("Accept", kOciManifestType);
  get.follow_redirects = true;
  const std::string what = fmt::format("cannot read manifest {}:{}", repository, reference);
  HttpResponse response = send(get, repository, what, true);
  if (response.status != 200) {
    fail(ExitCode::registry, "{}: {}", what, with_registry_error(response));
  }
  return std::move(response.body);
}

std::string OciClient::get_blob(const std::string &repository, const std::string &digest) {
  HttpRequest get = request("GET", url(repository, "/blobs/" + digest));
  get.follow_redirects = true;
  const std::string what = fmt::format("cannot read blob {} of {}", digest, repository);
  HttpResponse response = send(get, repository, what, true);
  if (response.status != 200) {
    fail(ExitCode::registry, "{}: {}", what, with_registry_error(response));
  }
  return std::move(response.body);
}

std::vector<std::string> OciClient::list_tags(const std::string &repository) {
  std::vector<std::string> tags;
  std::string next = url(repository, "/tags/list?n=1000");
  const std::string what = fmt::format("cannot list the tags of {}", repository);
  for (int page = 0; !next.empty() && page < 1000; ++page) {
    HttpRequest get = request("GET", next);
    get.follow_redirects = true;
    const HttpResponse response = send(get, repository, what, true);
    if (response.status == 404) {
      return tags; // NAME_UNKNOWN: nothing published yet
    }
    if (response.status != 200) {
      fail(ExitCode::registry, "{}: {}", what, with_registry_error(response));
    }
    try {
      const auto json = nlohmann::json::parse(response.body);
      if (json.contains("tags") && json["tags"].is_array()) {
        for (const auto &t : json["tags"]) {
          if (t.is_string()) {
            tags.push_back(t.get<std::string>());
          }
        }
      }
    } catch (const nlohmann::json::exception &) {
      fail(ExitCode::registry, "{}: the registry sent no JSON", what);
    }
    const std::string link = next_link(response.header_values("link"));
    next = link.empty() ? std::string() : resolve_url(next, link);
  }
  return tags;
}

} // namespace forge
