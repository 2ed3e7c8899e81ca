// Why: only what `forge build` verified may be published, and it must still be what was verified: the plan
// re-reads result.json and re-hashes every executable before a single request goes to the registry.
#include "forge/compile/build_result.hpp"
#include "forge/hash/blake3.hpp"
#include "forge/metadata/provenance.hpp"
#include "forge/metadata/sbom.hpp"
#include "forge/metadata/soar.hpp"
#include "forge/ship/oci_naming.hpp"
#include "forge/ship/publish.hpp"
#include "forge/util/fs.hpp"
#include "forge/util/json_read.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <set>

namespace forge {
namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// crates.io treats '-' and '_' in crate names as the same name, and so does --only.
std::string crate_key(const std::string &name) {
  std::string key = lowercase(name);
  std::replace(key.begin(), key.end(), '_', '-');
  return key;
}

std::vector<fs::path> sorted_dirs(const fs::path &dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto &entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_directory(ec)) {
      out.push_back(entry.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

ordered_json read_json(const fs::path &path) {
  try {
    return ordered_json::parse(read_file(path));
  } catch (const nlohmann::json::exception &e) {
    fail(ExitCode::data, "{} is not valid JSON: {}", path.string(), e.what());
  }
}

fs::path required_file(const fs::path &dir, const std::string &name) {
  const fs::path path = dir / name;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    fail(ExitCode::io, "cannot publish from {}: {} is missing", dir.string(), name);
  }
  return path;
}

PublishItem plan_item(const PublishRequest &req, const fs::path &dir, const BuildResult &result,
                      const ExecutableRecord &exe) {
  const fs::path result_path = dir / "result.json";
  const std::string &crate = result.crate;
  const std::string &version = result.version;
  PublishItem item;
  item.dir = dir;
  item.crate = crate;
  item.version = version;
  item.host = result.host;
  item.exe = exe.name;
  item.bsum = lowercase(exe.bsum);
  if (item.exe.empty() || item.bsum.empty()) {
    fail(ExitCode::data, "{}: an executable without a name or bsum", result_path.string());
  }
  if (!is_path_component(item.exe)) {
    fail(ExitCode::data, "{}: executable name '{}' is not a plain file name", result_path.string(), item.exe);
  }
  item.repository = oci_repository_path(req.name_space, crate, item.exe);
  item.tag = oci_tag(version, result.host);
  if (!is_valid_repository_path(item.repository)) {
    fail(ExitCode::usage, "cannot publish {} {}: '{}' is not a valid OCI repository name", crate, item.exe,
         item.repository);
  }
  if (!is_valid_tag(item.tag)) {
    fail(ExitCode::usage, "cannot publish {} {}: '{}' is not a valid OCI tag", crate, item.exe, item.tag);
  }

  const fs::path binary = required_file(dir, item.exe);
  const std::string actual = blake3_file_hex(binary);
  if (actual != item.bsum) {
    fail(ExitCode::checksum, "{}: BLAKE3 is {}, result.json says {}: the out dir changed after the build",
         binary.string(), actual, item.bsum);
  }
  item.record = read_json(required_file(dir, item.exe + ".json"));
  if (!item.record.is_object() || string_or(item.record, "bsum") != item.bsum) {
    fail(ExitCode::checksum, "{}: its bsum does not match {} ({})", (dir / (item.exe + ".json")).string(),
         item.exe, item.bsum);
  }
  // `forge build` writes <exe>.log; an out dir from an older build has only build.log, the same text.
  std::error_code ec;
  const fs::path log = fs::is_regular_file(dir / (item.exe + ".log"), ec) ? dir / (item.exe + ".log")
                                                                          : required_file(dir, "build.log");
  item.files.push_back(file_blob(binary, item.exe));
  item.files.push_back(file_blob(required_file(dir, "CHECKSUM"), "CHECKSUM"));
  item.files.push_back(file_blob(required_file(dir, "LICENSE"), "LICENSE"));
  item.files.push_back(file_blob(log, item.exe + ".log"));
  item.files.push_back(file_blob(required_file(dir, item.exe + ".version"), item.exe + ".version"));
  const std::string sha256 = item.files[0].digest.substr(std::string_view("sha256:").size());
  const auto attach = [&](const std::string &name, const char *key, const char *media_type,
                          const ordered_json::json_pointer &digest) {
    if (name.empty()) {
      return;
    }
    if (!is_path_component(name)) {
      fail(ExitCode::data, "{}: {} '{}' is not a plain file name", result_path.string(), key, name);
    }
    const fs::path path = required_file(dir, name);
    if (string_at_pointer_or(read_json(path), digest) != sha256) {
      fail(ExitCode::checksum, "{} does not describe {} (SHA-256 {}): the out dir changed after the build",
           path.string(), item.exe, sha256);
    }
    Blob blob = file_blob(path, name);
    blob.media_type = media_type;
    item.attachments.push_back(std::move(blob));
  };
  attach(exe.sbom, "sbom", kSbomMediaType, "/metadata/component/hashes/0/content"_json_pointer);
  attach(exe.provenance, "provenance", kProvenanceMediaType, "/subject/0/digest/sha256"_json_pointer);
  return item;
}

// The numeric value of the digit run at `s[i..]` compared without leading zeros.
int compare_digit_runs(const std::string &a, size_t &i, const std::string &b, size_t &j) {
  while (i < a.size() && a[i] == '0' && i + 1 < a.size() &&
         std::isdigit(static_cast<unsigned char>(a[i + 1])) != 0) {
    ++i;
  }
  while (j < b.size() && b[j] == '0' && j + 1 < b.size() &&
         std::isdigit(static_cast<unsigned char>(b[j + 1])) != 0) {
    ++j;
  }
  size_t ei = i;
  size_t ej = j;
  while (ei < a.size() && std::isdigit(static_cast<unsigned char>(a[ei])) != 0) {
    ++ei;
  }
  while (ej < b.size() && std::isdigit(static_cast<unsigned char>(b[ej])) != 0) {
    ++ej;
  }
  int c = 0;
  if (ei - i != ej - j) {
    c = ei - i < ej - j ? -1 : 1;
  } else {
    c = a.compare(i, ei - i, b, j, ej - j);
  }
  i = ei;
  j = ej;
  return c;
}

} // namespace

bool tag_newer(const std::string &a, const std::string &b) {
  size_t i = 0;
  size_t j = 0;
  while (i < a.size() && j < b.size()) {
    const bool da = std::isdigit(static_cast<unsigned char>(a[i])) != 0;
    const bool db = std::isdigit(static_cast<unsigned char>(b[j])) != 0;
    if (da && db) {
      if (const int c = compare_digit_runs(a, i, b, j); c != 0) {
        return c > 0;
      }
      continue;
    }
    if (a[i] != b[j]) {
      return a[i] > b[j];
    }
    ++i;
    ++j;
  }
  return a.size() - i > b.size() - j;
}

void retarget_record(ordered_json &record, const PublishItem &item, const RegistryEndpoint &endpoint,
                     const std::string &name_space, const std::vector<std::string> &tags) {
  const std::string full = endpoint.host + "/" + item.repository;
  const std::string ghcr_pkg = full + ":" + item.tag;
  if (string_or(record, "ghcr_pkg") != ghcr_pkg) {
    SoarNaming naming;
    naming.owner = name_space;
    naming.registry = endpoint.host;
    SoarInputs in;
    in.crate = item.crate;
    in.version = item.version;
    in.exe = item.exe;
    in.host = item.host;
    spdlog::debug("{}: the record named {}; pointing it at {}", item.exe,
                  string_or(record, "ghcr_pkg", "(nothing)"), ghcr_pkg);
    record["ghcr_pkg"] = ghcr_pkg;
    record["ghcr_url"] = endpoint.scheme + "://" + full;
    record["download_url"] = expand_url_template(naming.download_url, in, naming);
    record["build_log"] = expand_url_template(naming.build_log_url, in, naming);
    record["manifest_url"] = expand_url_template(naming.manifest_url, in, naming);
    for (const auto &[field, tmpl] :
         {std::pair{"sbom_url", naming.sbom_url}, {"provenance_url", naming.provenance_url}}) {
      if (record.contains(field)) {
        record[field] = expand_url_template(tmpl, in, naming);
      }
    }
  }
  const std::string suffix = "-" + item.host;
  std::vector<std::string> snapshots{item.tag};
  for (const auto &t : tags) {
    if (t.size() > suffix.size() && t.ends_with(suffix) &&
        std::find(snapshots.begin(), snapshots.end(), t) == snapshots.end()) {
      snapshots.push_back(t);
    }
  }
  std::sort(snapshots.begin(), snapshots.end(), tag_newer);
  record["snapshots"] = snapshots;
}

std::vector<PublishItem> plan_publish(const PublishRequest &req) {
  std::error_code ec;
  if (!fs::is_directory(req.out, ec)) {
    fail(ExitCode::usage, "out dir {} does not exist (forge build writes it)", req.out.string());
  }
  std::set<std::string> only;
  for (const auto &name : req.only) {
    only.insert(crate_key(name));
  }
  std::set<std::string> found;
  std::vector<PublishItem> items;
  for (const auto &host_dir : sorted_dirs(req.out)) {
    for (const auto &crate_dir : sorted_dirs(host_dir)) {
      for (const auto &dir : sorted_dirs(crate_dir)) {
        const fs::path result_path = dir / "result.json";
        if (!fs::is_regular_file(result_path, ec)) {
          continue;
        }
        const auto result = build_result_from_json(read_json(result_path));
        if (!result) {
          fail(ExitCode::data, "{} is not a forge-result/1 file", result_path.string());
        }
        if (!only.empty() && only.count(crate_key(result->crate)) == 0) {
          continue;
        }
        found.insert(crate_key(result->crate));
        if (!result->built()) {
          spdlog::debug("{} {} [{}]: not built, nothing to publish", result->crate, result->version,
                        result->host);
          continue;
        }
        if (result->executables.empty()) {
          fail(ExitCode::data, "{}: 'executables' is missing", result_path.string());
        }
        for (const auto &exe : result->executables) {
          if (!exe.is_static) {
            spdlog::warn("{} {} [{}]: {} is not static: not published", result->crate, result->version,
                         result->host, exe.name.empty() ? "?" : exe.name);
            continue;
          }
          items.push_back(plan_item(req, dir, *result, exe));
        }
      }
    }
  }
  std::vector<std::string> missing;
  for (const auto &name : only) {
    if (found.count(name) == 0) {
      missing.push_back(name);
    }
  }
  if (!missing.empty()) {
    fail(ExitCode::usage, "--only names crates with no build result in {}: {}", req.out.string(),
         fmt::format("{}", fmt::join(missing, ", ")));
  }
  return items;
}

} // namespace forge
