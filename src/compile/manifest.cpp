#include "forge/compile/manifest.hpp"

#include "forge/util/error.hpp"
#include "forge/util/fs.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <set>

namespace forge {
namespace fs = std::filesystem;

CrateManifest read_manifest(const fs::path &crate_dir) {
  const fs::path path = crate_dir / "Cargo.toml";
  CrateManifest m;
  toml::table table;
  try {
    table = toml::parse_file(path.string());
  } catch (const toml::parse_error &e) {
    fail(ExitCode::data, "{}:{}: invalid Cargo.toml: {}", path.string(), e.source().begin.line,
         e.description());
  }
  const auto *package = table["package"].as_table();
  if (package == nullptr) {
    fail(ExitCode::data, "{}: no [package] table", path.string());
  }
  m.name = (*package)["name"].value_or(std::string{});
  m.version = (*package)["version"].value_or(std::string{});
  if (auto v = (*package)["license"].value<std::string>()) {
    m.license = *v;
  }
  if (auto v = (*package)["license-file"].value<std::string>()) {
    m.license_file = *v;
  }
  if (const auto *bins = table["bin"].as_array()) {
    for (const auto &b : *bins) {
      if (const auto *t = b.as_table()) {
        if (auto n = (*t)["name"].value<std::string>()) {
          DeclaredBin bin{*n, {}};
          if (const auto *req = (*t)["required-features"].as_array()) {
            for (const auto &f : *req) {
              if (const auto *v = f.as_string()) {
                bin.required_features.push_back(v->get());
              }
            }
          }
          m.bins.push_back(std::move(bin));
        }
      }
    }
  }
  std::error_code ec;
  m.has_lock = fs::exists(crate_dir / "Cargo.lock", ec);
  return m;
}

std::vector<std::string> missing_declared_bins(const CrateManifest &manifest,
                                               const std::vector<std::string> &built) {
  std::vector<std::string> missing;
  for (const auto &b : manifest.bins) {
    if (std::find(built.begin(), built.end(), b.name) != built.end()) {
      continue;
    }
    std::string text = b.name;
    if (!b.required_features.empty()) {
      text += " (required-features: ";
      for (size_t i = 0; i < b.required_features.size(); ++i) {
        text += (i == 0 ? "" : ", ") + b.required_features[i];
      }
      text += ")";
    }
    missing.push_back(std::move(text));
  }
  return missing;
}

std::vector<std::string> normalise_crate(const fs::path &crate_dir) {
  std::vector<std::string> removed;
  for (const char *name : {".cargo", "rust-toolchain", "rust-toolchain.toml"}) {
    std::error_code ec;
    const fs::path p = crate_dir / name;
    if (fs::symlink_status(p, ec).type() != fs::file_type::not_found) {
      fs::remove_all(p, ec);
      if (ec) {
        fail(ExitCode::io, "cannot remove {}: {}", p.string(), ec.message());
      }
      removed.emplace_back(name);
    }
  }
  return removed;
}

std::string collect_license_text(const fs::path &crate_dir, const CrateManifest &manifest) {
  std::set<fs::path> files;
  std::error_code ec;
  for (const auto &entry : fs::directory_iterator(crate_dir, ec)) {
    if (!entry.is_regular_file(ec)) {
      continue;
    }
    std::string upper = entry.path().filename().string();
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](unsigned char c) { return std::toupper(c); });
    if (upper.rfind("LICENSE", 0) == 0 || upper.rfind("LICENCE", 0) == 0 || upper.rfind("COPYING", 0) == 0 ||
        upper == "UNLICENSE") {
      files.insert(entry.path());
    }
  }
  if (manifest.license_file) {
    // Only a path inside the crate: a hostile manifest must not make forge copy /etc/shadow.
    const fs::path p = (crate_dir / *manifest.license_file).lexically_normal();
    const auto rel = p.lexically_relative(crate_dir);
    if (!rel.empty() && *rel.begin() != ".." && fs::is_regular_file(fs::symlink_status(p, ec))) {
      files.insert(p);
    }
  }
  if (files.size() == 1) {
    return read_file(*files.begin());
  }
  std::string out;
  for (const auto &f : files) {
    if (!out.empty()) {
      out += "\n";
    }
    out += "==> " + f.lexically_relative(crate_dir).string() + " <==\n" + read_file(f);
  }
  return out;
}

} // namespace forge
