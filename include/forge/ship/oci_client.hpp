// Why: forge pushes to GHCR itself (no oras): the OCI distribution API over libcurl, with the checks that
// keep a registry consistent: a blob is uploaded only when a HEAD says it is missing, is verified present
// after the upload, and a manifest can only be pushed after all its blobs are there.
#pragma once
#include "forge/ship/oci_auth.hpp"
#include "forge/ship/oci_manifest.hpp"
#include "forge/ship/oci_naming.hpp"
#include "forge/util/retry.hpp"
#include "forge/util/http_request.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace forge {

struct OciClientOptions {
  RegistryEndpoint endpoint;
  RegistryCredentials credentials;
  RetryPolicy retry;
  uint64_t chunk_threshold = uint64_t{64} << 20; // blobs larger than this are uploaded in PATCH chunks
  uint64_t chunk_size = uint64_t{16} << 20;
  long connect_timeout_s = 30;
  long low_speed_time_s = 60;
};

struct OciStats {
  uint64_t blobs_uploaded = 0;
  uint64_t blobs_present = 0; // found by HEAD, not uploaded
  uint64_t bytes_uploaded = 0;
  uint64_t chunked_uploads = 0;
  uint64_t restarted_uploads = 0; // an upload session abandoned after a failure and begun again
  uint64_t resumed_chunks = 0;    // a chunked upload continued from the offset the registry reported
};

class OciClient {
public:
  explicit OciClient(OciClientOptions options);

  // HEAD /v2/<repo>/blobs/<digest>: true when the registry has the blob (with `size` bytes when it says).
  bool blob_exists(const std::string &repository, const std::string &digest,
                   std::optional<uint64_t> size = {});

  // Uploads `blob` unless present; returns true when it was uploaded. Afterwards the blob is verified
  // present. Throws Error(network) after the retries, Error(registry) when refused.
  bool push_blob(const std::string &repository, const Blob &blob);

  // PUT the manifest under `tag`; returns its digest ("sha256:…").
  std::string put_manifest(const std::string &repository, const std::string &tag,
                           const std::string &manifest);

  // GET a manifest by tag or digest; the exact bytes.
  std::string get_manifest(const std::string &repository, const std::string &reference);

  // GET a blob's bytes (small blobs only: the whole body is kept in memory).
  std::string get_blob(const std::string &repository, const std::string &digest);

  // Every tag of `repository` (following pagination); empty when the repository does not exist yet.
  std::vector<std::string> list_tags(const std::string &repository);

  [[nodiscard]] const OciStats &stats() const { return stats_; }
  [[nodiscard]] const RegistryEndpoint &endpoint() const { return options_.endpoint; }

private:
  HttpResponse send(HttpRequest request, const std::string &repository, const std::string &what, bool retry);
  void upload(const std::string &repository, const Blob &blob);
  std::string upload_chunks(const std::string &repository, const Blob &blob, std::string location);
  std::optional<uint64_t> upload_offset(const std::string &repository, std::string &location);
  HttpRequest request(const std::string &method, const std::string &url) const;
  std::string url(const std::string &repository, const std::string &rest) const;

  OciClientOptions options_;
  HttpClient http_;
  RegistryAuth auth_;
  OciStats stats_;
};

// "DENIED: requested access to the resource is denied" from a registry's JSON error body, else "".
std::string registry_error_summary(const std::string &body);

} // namespace forge
