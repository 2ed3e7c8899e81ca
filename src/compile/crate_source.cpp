// Why: the index tells forge which exact bytes to fetch; paths, lines and URL templates follow cargo's rules.
#include "forge/compile/crate_source.hpp"

#include "forge/hash/sha256.hpp"
#include "forge/select/semver.hpp"
#include "forge/util/error.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <system_error>

namespace forge {

namespace {

char to_lower_ascii(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char &c : out) {
    c = to_lower_ascii(c);
  }
  return out;
}

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// crates.io names are ASCII letters, digits, '-' and '_'; anything else could smuggle a path into a URL.
bool is_valid_crate_name(std::string_view name) {
  if (name.empty() || name.size() > 64) {
    return false;
  }
  for (const char c : name) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) {
      return false;
    }
  }
  return true;
}

// Version strings become file and URL parts: allow only the SemVer alphabet, not necessarily strict SemVer.
bool is_valid_version_text(std::string_view vers) {
  if (vers.empty() || vers.size() > 128) {
    return false;
  }
  for (const char c : vers) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '-' || c == '+';
    if (!ok) {
      return false;
    }
  }
  return true;
}

void require_crate_name(std::string_view name) {
  if (!is_valid_crate_name(name)) {
    fail(ExitCode::data, "invalid crate name '{}'", name);
  }
}

// The directory part of the sparse-index path, in the name's own case: "1", "2", "3/a", "se/rd".
std::string index_prefix(std::string_view name) {
  switch (name.size()) {
  case 1:
    return "1";
  case 2:
    return "2";
  case 3:
    return "3/" + std::string(name.substr(0, 1));
  default:
    return std::string(name.substr(0, 2)) + "/" + std::string(name.substr(2, 2));
  }
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

// Validates one parsed index line; returns an empty string when valid, else the reason.
std::string check_entry(const nlohmann::json &j, IndexEntry &out) {
  if (!j.is_object()) {
    return "not a JSON object";
  }
  const auto name = j.find("name");
  if (name == j.end() || !name->is_string()) {
    return "missing or non-string \"name\"";
  }
  out.name = name->get<std::string>();
  if (!is_valid_crate_name(out.name)) {
    return "bad crate name '" + out.name + "'";
  }
  const auto vers = j.find("vers");
  if (vers == j.end() || !vers->is_string()) {
    return "missing or non-string \"vers\"";
  }
  out.vers = vers->get<std::string>();
  if (!is_valid_version_text(out.vers)) {
    return "bad version '" + out.vers + "'";
  }
  const auto cksum = j.find("cksum");
  if (cksum == j.end() || !cksum->is_string()) {
    return "missing or non-string \"cksum\"";
  }
  out.cksum = lowercase(cksum->get<std::string>());
  if (out.cksum.size() != 64 || !std::all_of(out.cksum.begin(), out.cksum.end(), is_hex)) {
    return "\"cksum\" is not 64 hex digits";
  }
  if (const auto it = j.find("yanked"); it != j.end() && !it->is_null()) {
    if (!it->is_boolean()) {
      return "\"yanked\" is not a boolean";
    }
    out.yanked = it->get<bool>();
  }
  if (const auto it = j.find("rust_version"); it != j.end() && !it->is_null()) {
    if (!it->is_string()) {
      return "\"rust_version\" is not a string";
    }
    out.rust_version = it->get<std::string>();
  }
  // Newer index entries carry the publication time; a value of another type is ignored, not an error.
  if (const auto it = j.find("pubtime"); it != j.end() && it->is_string()) {
    out.pubtime = it->get<std::string>();
  }
  if (const auto it = j.find("deps"); it != j.end() && !it->is_array()) {
    return "\"deps\" is not an array";
  }
  for (const char *key : {"features", "features2"}) {
    if (const auto it = j.find(key); it != j.end() && !it->is_null() && !it->is_object()) {
      return std::string("\"") + key + "\" is not an object";
    }
  }
  for (const char *key : {"links", "pubtime"}) {
    if (const auto it = j.find(key); it != j.end() && !it->is_null() && !it->is_string()) {
      return std::string("\"") + key + "\" is not a string";
    }
  }
  if (const auto it = j.find("v"); it != j.end() && !it->is_number_unsigned()) {
    return "\"v\" is not a non-negative integer";
  }
  return {};
}

} // namespace

std::string sparse_index_path(std::string_view crate_name) {
  require_crate_name(crate_name);
  const std::string name = lowercase(crate_name);
  return index_prefix(name) + "/" + name;
}

std::vector<IndexEntry> parse_index_file(std::string_view text, const std::string &source) {
  std::vector<IndexEntry> entries;
  size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const size_t nl = text.find('\n');
    const std::string_view line = trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (line.empty()) {
      continue;
    }
    IndexEntry entry;
    std::string why;
    try {
      why = check_entry(nlohmann::json::parse(line), entry);
    } catch (const nlohmann::json::exception &e) {
      why = std::string("not valid JSON (") + e.what() + ")";
    }
    if (!why.empty()) {
      fail(ExitCode::data, "{}:{}: invalid index entry: {}", source, line_no, why);
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

std::optional<IndexEntry> pick_version(const std::vector<IndexEntry> &entries,
                                       const std::optional<std::string> &wanted) {
  if (wanted) {
    for (const auto &e : entries) {
      if (e.vers == *wanted) {
        return e;
      }
    }
    // "1.0.0" also finds "1.0.0+build" (and vice versa): SemVer precedence ignores build metadata.
    const auto want = parse_semver(*wanted);
    if (!want) {
      return std::nullopt;
    }
    for (const auto &e : entries) {
      const auto v = parse_semver(e.vers);
      if (v && compare_semver(*v, *want) == 0) {
        return e;
      }
    }
    return std::nullopt;
  }
  // Versions that are not strict SemVer cannot be ranked and are never picked by default. On equal
  // precedence the later line (published later) wins.
  const IndexEntry *best_release = nullptr;
  const IndexEntry *best_any = nullptr;
  std::optional<SemVer> best_release_v;
  std::optional<SemVer> best_any_v;
  for (const auto &e : entries) {
    if (e.yanked) {
      continue;
    }
    const auto v = parse_semver(e.vers);
    if (!v) {
      continue;
    }
    if (!best_any_v || compare_semver(*v, *best_any_v) >= 0) {
      best_any = &e;
      best_any_v = v;
    }
    if (!v->is_prerelease() && (!best_release_v || compare_semver(*v, *best_release_v) >= 0)) {
      best_release = &e;
      best_release_v = v;
    }
  }
  if (best_release) {
    return *best_release;
  }
  if (best_any) {
    return *best_any;
  }
  return std::nullopt;
}

std::string expand_download_url(std::string_view dl_template, std::string_view crate,
                                std::string_view version, std::string_view checksum) {
  require_crate_name(crate);
  const std::string prefix = index_prefix(crate);
  struct Marker {
    std::string_view name;
    std::string value;
  };
  const std::array<Marker, 5> markers{{{"{crate}", std::string(crate)},
                                       {"{version}", std::string(version)},
                                       {"{prefix}", prefix},
                                       {"{lowerprefix}", lowercase(prefix)},
                                       {"{sha256-checksum}", std::string(checksum)}}};
  bool any = false;
  for (const auto &m : markers) {
    any = any || dl_template.find(m.name) != std::string_view::npos;
  }
  if (!any) {
    // Cargo's rule; a trailing '/' on the template is dropped so the URL has no empty segment.
    std::string base(dl_template);
    if (!base.empty() && base.back() == '/') {
      base.pop_back();
    }
    return base + "/" + std::string(crate) + "/" + std::string(version) + "/download";
  }
  // Single left-to-right pass so a substituted value is never re-expanded.
  std::string out;
  size_t i = 0;
  while (i < dl_template.size()) {
    bool matched = false;
    if (dl_template[i] == '{') {
      for (const auto &m : markers) {
        if (dl_template.substr(i, m.name.size()) == m.name) {
          out += m.value;
          i += m.name.size();
          matched = true;
          break;
        }
      }
    }
    if (!matched) {
      out += dl_template[i++];
    }
  }
  return out;
}

std::string parse_index_config(std::string_view json_text, const std::string &source) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::exception &e) {
    fail(ExitCode::data, "{}: invalid index config: not valid JSON ({})", source, e.what());
  }
  if (!j.is_object()) {
    fail(ExitCode::data, "{}: invalid index config: not a JSON object", source);
  }
  const auto dl = j.find("dl");
  if (dl == j.end() || !dl->is_string() || dl->get<std::string>().empty()) {
    fail(ExitCode::data, "{}: invalid index config: missing or empty \"dl\"", source);
  }
  if (const auto api = j.find("api"); api != j.end() && !api->is_null() && !api->is_string()) {
    fail(ExitCode::data, "{}: invalid index config: \"api\" is not a string", source);
  }
  return dl->get<std::string>();
}

void verify_crate_checksum(const std::filesystem::path &crate_file, const std::string &expected_hex) {
  const std::string expected = lowercase(expected_hex);
  if (expected.size() != 64 || !std::all_of(expected.begin(), expected.end(), is_hex)) {
    fail(ExitCode::data, "invalid expected checksum '{}' for {}", expected_hex, crate_file.string());
  }
  const std::string actual = sha256_file_hex(crate_file);
  if (actual != expected) {
    std::error_code ec;
    std::filesystem::remove(crate_file, ec);
    fail(ExitCode::checksum, "checksum mismatch for {}: expected {}, got {}", crate_file.string(), expected,
         actual);
  }
}

} // namespace forge
