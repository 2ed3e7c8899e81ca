// Why: soar finds an executable at `<registry>/<namespace>/<crate>/stable/<exe>:<version>-<host>`; OCI
// allows only lowercase repository paths and a narrow tag alphabet, so names are built and checked here
// before anything is uploaded.
#pragma once
#include <string>
#include <string_view>

namespace forge {

struct RegistryEndpoint {
  std::string scheme = "https"; // "http" only when asked for (the loopback test registry)
  std::string host = "ghcr.io"; // host[:port], lowercased
  [[nodiscard]] std::string base_url() const { return scheme + "://" + host; }
};

// "ghcr.io", "https://ghcr.io", "http://127.0.0.1:5000/" -> endpoint. Throws Error(usage) for anything
// else (a path, an unknown scheme, an empty host).
RegistryEndpoint parse_registry(std::string_view text);

// "<namespace>/<crate>/stable/<exe>", lowercased: the repository path on the registry (no host).
std::string oci_repository_path(std::string_view name_space, std::string_view crate, std::string_view exe);

// "<version>-<host>".
std::string oci_tag(std::string_view version, std::string_view host);

// Whether `path` is a valid OCI repository name: '/'-separated components of [a-z0-9]+ joined by '.', '_',
// '__' or runs of '-'.
bool is_valid_repository_path(std::string_view path);

// Whether `tag` matches [A-Za-z0-9_][A-Za-z0-9._-]{0,127}.
bool is_valid_tag(std::string_view tag);

} // namespace forge
