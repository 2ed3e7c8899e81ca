// Why: metadata/<host>.json is what soar installs from; the original pipeline rebuilt it from the last week
// of builds and lost every older package. Here it only grows: a record is replaced only by a newer version
// (or a newer build of the same version) of the same package, and nothing else ever drops out.
#pragma once
#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <string>
#include <string_view>

namespace forge {

// One host's records, keyed by (pkg_id, pkg_name) case-insensitively, which soar treats as one package.
struct HostMetadata {
  std::map<std::string, nlohmann::ordered_json> records;
};

// Folds one soar record in. Returns whether the index changed. Throws Error(data) for a record without
// pkg_id, pkg_name or version strings.
bool merge_record(HostMetadata &index, const nlohmann::ordered_json &record);

// A JSON array, sorted by (pkg_id, pkg_name), one record per line (small git diffs).
std::string render_host_metadata(const HostMetadata &index);
// The text of a metadata/<host>.json (from a file, a git branch or another machine); a malformed one throws
// Error(data) naming `source`.
HostMetadata parse_host_metadata(std::string_view text, const std::string &source);
// A missing file is empty; a malformed one throws Error(data) naming it.
HostMetadata read_host_metadata(const std::filesystem::path &path);

} // namespace forge
