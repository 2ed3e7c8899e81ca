// Why: soar 0.6 rejects a whole repository file over one wrongly typed field, so the record is built here,
// in one place, with every value already in the exact JSON form soar reads.
#include "forge/metadata/soar.hpp"

#include "forge/util/error.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <ctime>
#include <utility>

namespace forge {

namespace {

using nlohmann::ordered_json;

char to_lower_ascii(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lowercase(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), to_lower_ascii);
  return out;
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Trims and collapses every run of whitespace (crates.io descriptions are often wrapped) into one space.
std::string squeeze_spaces(std::string_view s) {
  std::string out;
  bool pending_space = false;
  for (const char c : s) {
    if (is_space(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space)
      out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

bool is_lower_hex64(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string checked_digest(std::string_view name, std::string_view value) {
  std::string lower = lowercase(value);
  if (!is_lower_hex64(lower))
    fail(ExitCode::internal, "soar record: {} is not 64 hex digits: '{}'", name, value);
  return lower;
}

// Adds `value` (trimmed) to `out` unless empty or already present under `key_of`.
template <typename KeyOf> void add_unique(ordered_json &out, std::string_view value, KeyOf key_of) {
  const std::string v = squeeze_spaces(value);
  if (v.empty())
    return;
  for (const auto &existing : out)
    if (key_of(existing.get<std::string>()) == key_of(v))
      return;
  out.push_back(v);
}

std::string same(const std::string &s) {
  return s;
}

// "https://github.com/a/b/", "https://github.com/a/b.git" and "https://github.com/a/b" name one page.
std::string url_key(const std::string &url) {
  std::string key = url;
  while (!key.empty() && key.back() == '/')
    key.pop_back();
  if (key.size() > 4 && key.ends_with(".git"))
    key.resize(key.size() - 4);
  return lowercase(key);
}

// crates.io category slugs -> freedesktop.org menu categories, which soar shows (the reference record's
// "Utility"). A full slug ("multimedia::audio") is looked up before its top level ("multimedia").
constexpr std::array<std::pair<std::string_view, std::string_view>, 32> category_map{{
    {"command-line-utilities", "Utility"},
    {"command-line-interface", "Utility"},
    {"text-editors", "TextEditor"},
    {"text-processing", "TextTools"},
    {"filesystem", "FileTools"},
    {"compression", "Archiving"},
    {"development-tools", "Development"},
    {"development-tools::debugging", "Debugger"},
    {"development-tools::profiling", "Profiling"},
    {"development-tools::build-utils", "Building"},
    {"compilers", "Development"},
    {"wasm", "Development"},
    {"embedded", "Development"},
    {"emulators", "Emulator"},
    {"games", "Game"},
    {"game-development", "Game"},
    {"multimedia", "AudioVideo"},
    {"multimedia::audio", "Audio"},
    {"multimedia::video", "Video"},
    {"multimedia::images", "Graphics"},
    {"graphics", "Graphics"},
    {"visualization", "Graphics"},
    {"network-programming", "Network"},
    {"web-programming", "Network"},
    {"email", "Email"},
    {"database", "Database"},
    {"database-implementations", "Database"},
    {"cryptography", "Security"},
    {"authentication", "Security"},
    {"science", "Science"},
    {"mathematics", "Math"},
    {"os", "System"},
}};

std::string_view map_category(std::string_view slug) {
  for (const auto &[from, to] : category_map)
    if (from == slug)
      return to;
  if (const size_t sep = slug.find("::"); sep != std::string_view::npos)
    return map_category(slug.substr(0, sep));
  return {};
}

// Mapped categories in crates.io order, deduplicated; "Utility" when none maps (every record is a CLI
// executable, and the reference pipeline files those under Utility).
ordered_json soar_categories(const std::vector<std::string> &slugs) {
  ordered_json out = ordered_json::array();
  for (const auto &slug : slugs)
    add_unique(out, map_category(lowercase(squeeze_spaces(slug))), same);
  if (out.empty())
    out.push_back("Utility");
  return out;
}

ordered_json string_array(const std::vector<std::string> &values) {
  ordered_json out = ordered_json::array();
  for (const auto &v : values)
    add_unique(out, v, same);
  return out;
}

std::string utc_now_rfc3339() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::array<char, 32> buf{};
  const size_t n = std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return std::string(buf.data(), n);
}

std::string env_or_empty(const char *name) {
  const char *value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

// Substitutes markers; with `lower_names`, {owner} {repo} {registry} {crate} {exe} are lowercased while
// they appear before the first '?' (the OCI repository path), never after it.
std::string expand(std::string_view tmpl, const SoarInputs &in, const SoarNaming &naming, bool lower_names) {
  const std::string tag = in.version + "-" + in.host;
  std::string out;
  bool in_query = false;
  size_t i = 0;
  while (i < tmpl.size()) {
    const char c = tmpl[i];
    if (c == '?')
      in_query = true;
    const size_t close = c == '{' ? tmpl.find('}', i + 1) : std::string_view::npos;
    if (close == std::string_view::npos) {
      out.push_back(c);
      ++i;
      continue;
    }
    const std::string_view marker = tmpl.substr(i + 1, close - i - 1);
    const std::string *name_value = nullptr;
    const std::string *plain_value = nullptr;
    if (marker == "owner")
      name_value = &naming.owner;
    else if (marker == "repo")
      name_value = &naming.repo;
    else if (marker == "registry")
      name_value = &naming.registry;
    else if (marker == "crate")
      name_value = &in.crate;
    else if (marker == "exe")
      name_value = &in.exe;
    else if (marker == "version")
      plain_value = &in.version;
    else if (marker == "host")
      plain_value = &in.host;
    else if (marker == "tag")
      plain_value = &tag;
    else
      fail(ExitCode::usage,
           "unknown marker {{{}}} in naming template '{}' (known: {{owner}} {{repo}} {{registry}} "
           "{{crate}} {{exe}} {{version}} {{host}} {{tag}})",
           marker, tmpl);
    if (name_value != nullptr)
      out += (lower_names && !in_query) ? lowercase(*name_value) : *name_value;
    else
      out += *plain_value;
    i = close + 1;
  }
  return out;
}

std::string digits(uint64_t n) {
  return std::to_string(n);
}

} // namespace

std::string expand_template(std::string_view tmpl, const SoarInputs &in, const SoarNaming &naming) {
  return expand(tmpl, in, naming, false);
}

std::string expand_url_template(std::string_view tmpl, const SoarInputs &in, const SoarNaming &naming) {
  return expand(tmpl, in, naming, true);
}

std::string oci_repository(const SoarInputs &in, const SoarNaming &naming) {
  return lowercase(expand(naming.ghcr_pkg, in, naming, true));
}

void fill_github_build_info(SoarInputs &in) {
  const std::string run_id = env_or_empty("GITHUB_RUN_ID");
  std::string server = env_or_empty("GITHUB_SERVER_URL");
  const std::string repository = env_or_empty("GITHUB_REPOSITORY");
  while (!server.empty() && server.back() == '/')
    server.pop_back();
  in.build_id = run_id;
  in.build_gha.clear();
  if (!run_id.empty() && !server.empty() && !repository.empty())
    in.build_gha = server + "/" + repository + "/actions/runs/" + run_id;
}

ordered_json soar_record(const SoarInputs &in, const SoarNaming &naming) {
  const std::array<std::pair<const char *, const std::string *>, 4> required{
      {{"crate", &in.crate}, {"version", &in.version}, {"exe", &in.exe}, {"host", &in.host}}};
  for (const auto &[field, value] : required)
    if (value->empty())
      fail(ExitCode::internal, "soar record: empty {} (crate '{}', exe '{}')", field, in.crate, in.exe);
  const std::string bsum = checked_digest("bsum", in.bsum);
  const std::string shasum = checked_digest("shasum", in.shasum);
  const std::string tag = in.version + "-" + in.host;
  const std::string repository = oci_repository(in, naming);

  std::string description = squeeze_spaces(in.description.value_or(""));
  if (description.empty())
    description = in.crate + " " + in.version + " (built from crates.io)";

  ordered_json homepage = ordered_json::array();
  add_unique(homepage, in.homepage.value_or(""), url_key);
  add_unique(homepage, in.repository.value_or(""), url_key);

  ordered_json license = ordered_json::array();
  add_unique(license, in.license.value_or(""), same);

  ordered_json provides = ordered_json::array({in.exe});
  for (const auto &exe : in.provides)
    add_unique(provides, exe, same);

  ordered_json r;
  r["_disabled"] = "false";
  r["pkg"] = in.exe;
  r["pkg_family"] = in.crate;
  r["pkg_id"] = naming.repo + "." + in.crate + ".stable";
  r["pkg_name"] = in.exe;
  r["pkg_type"] = "static";
  r["pkg_webpage"] = "https://crates.io/crates/" + in.crate;
  r["version"] = in.version;
  r["version_upstream"] = in.version;
  r["description"] = description;
  r["homepage"] = homepage;
  r["src_url"] =
      ordered_json::array({"https://crates.io/api/v1/crates/" + in.crate + "/" + in.version + "/download"});
  r["license"] = license;
  r["maintainer"] = string_array({naming.maintainer});
  r["note"] = string_array({naming.note});
  r["tag"] = string_array(in.keywords);
  r["category"] = soar_categories(in.categories);
  r["provides"] = provides;
  r["recurse_provides"] = "false";
  r["bsum"] = bsum;
  r["shasum"] = shasum;
  r["size"] = digits(in.size);
  r["size_raw"] = digits(in.size);
  // soar reads these with "absent or empty = unknown"; an absent key is the least surprising form.
  if (in.rank && *in.rank >= 0)
    r["rank"] = digits(static_cast<uint64_t>(*in.rank));
  if (in.downloads && *in.downloads >= 0)
    r["download_count"] = digits(static_cast<uint64_t>(*in.downloads));
  r["host"] = in.host;
  r["build_date"] = in.build_date.empty() ? utc_now_rfc3339() : in.build_date;
  r["build_id"] = in.build_id;
  r["build_gha"] = in.build_gha;
  r["build_log"] = in.build_log.empty() ? expand(naming.build_log_url, in, naming, true) : in.build_log;
  r["download_url"] = expand(naming.download_url, in, naming, true);
  r["manifest_url"] = expand(naming.manifest_url, in, naming, true);
  r["ghcr_pkg"] = repository + ":" + tag;
  r["ghcr_url"] = "https://" + repository;
  r["ghcr_files"] = ordered_json::array(
      {in.exe, "CHECKSUM", "LICENSE", in.exe + ".json", in.exe + ".log", in.exe + ".version"});
  if (in.has_sbom) {
    r["ghcr_files"].push_back(in.exe + ".cdx.json");
    r["sbom_url"] = expand(naming.sbom_url, in, naming, true);
  }
  if (in.has_provenance) {
    r["ghcr_files"].push_back(in.exe + ".intoto.json");
    r["provenance_url"] = expand(naming.provenance_url, in, naming, true);
  }
  r["snapshots"] = string_array(in.snapshots);
  r["bundle"] = "false";
  r["deprecated"] = "false";
  r["desktop_integration"] = "false";
  r["external"] = "true";
  r["installable"] = "true";
  r["portable"] = "true";
  r["soar_syms"] = "false";
  r["trusted"] = "true";
  return r;
}

} // namespace forge
