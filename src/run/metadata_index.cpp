// Why: the per-host index is merged from every shard of every run; keeping it a pure "max per package" makes
// merges order-independent and idempotent, and the one-record-per-line layout keeps its git history readable.
#include "forge/run/metadata_index.hpp"

#include "forge/run/crates_built.hpp"
#include "forge/util/error.hpp"
#include "forge/util/fs.hpp"
#include "forge/util/json_read.hpp"

#include <algorithm>
#include <cctype>

namespace forge {
namespace {

using json = nlohmann::ordered_json;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string field(const json &record, const char *key) {
  const auto it = record.find(key);
  if (it == record.end() || !it->is_string() || it->get<std::string>().empty()) {
    fail(ExitCode::data, "soar record without a {} string: {}", key, record.dump().substr(0, 200));
  }
  return it->get<std::string>();
}

// >0 when `a` should replace `b`: a newer version, else a later build, else (for determinism) the text.
int compare_records(const json &a, const json &b) {
  if (int c = compare_versions(field(a, "version"), field(b, "version")); c != 0) {
    return c;
  }
  const std::string da = string_or(a, "build_date");
  const std::string db = string_or(b, "build_date");
  if (da != db) {
    return da < db ? -1 : 1;
  }
  const std::string ta = a.dump();
  const std::string tb = b.dump();
  return ta == tb ? 0 : (ta < tb ? -1 : 1);
}

} // namespace

bool merge_record(HostMetadata &index, const json &record) {
  if (!record.is_object()) {
    fail(ExitCode::data, "a soar record must be a JSON object");
  }
  const std::string key = lower(field(record, "pkg_id")) + '\n' + lower(field(record, "pkg_name"));
  field(record, "version");
  auto it = index.records.find(key);
  if (it == index.records.end()) {
    index.records.emplace(key, record);
    return true;
  }
  if (compare_records(record, it->second) <= 0) {
    return false;
  }
  it->second = record;
  return true;
}

std::string render_host_metadata(const HostMetadata &index) {
  if (index.records.empty()) {
    return "[]\n";
  }
  std::string out = "[\n";
  std::size_t i = 0;
  for (const auto &[key, record] : index.records) { // std::map: sorted by (pkg_id, pkg_name), lowercased
    out += record.dump();
    out += ++i < index.records.size() ? ",\n" : "\n";
  }
  out += "]\n";
  return out;
}

HostMetadata parse_host_metadata(std::string_view text, const std::string &source) {
  HostMetadata index;
  const auto j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_array()) {
    fail(ExitCode::data, "{}: not a JSON array of soar records", source);
  }
  for (const auto &record : j) {
    try {
      merge_record(index, record);
    } catch (const Error &e) {
      fail(ExitCode::data, "{}: {}", source, e.what());
    }
  }
  return index;
}

HostMetadata read_host_metadata(const std::filesystem::path &path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return {};
  }
  return parse_host_metadata(read_file(path), path.string());
}

} // namespace forge
