#include "forge/metadata/dep_graph.hpp"

#include <algorithm>
#include <cctype>

namespace forge {
namespace {

// purl-spec: qualifier values are percent-encoded except unreserved characters and a few that are safe.
std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~' || c == ':' || c == '/') {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) {
    s.remove_prefix(1);
  }
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) {
    s.remove_suffix(1);
  }
  return s;
}

} // namespace

const DepPackage *graph_root(const DepGraph &graph) {
  const auto it =
      std::find_if(graph.packages.begin(), graph.packages.end(), [](const DepPackage &p) { return p.root; });
  return it == graph.packages.end() ? nullptr : &*it;
}

std::string auditable_source(std::string_view lock_source) {
  if (lock_source.empty()) {
    return "local";
  }
  if (lock_source == kCratesIoSource) {
    return "crates.io";
  }
  const auto plus = lock_source.find('+');
  return std::string(lock_source.substr(0, plus));
}

std::string cargo_purl(const DepPackage &package) {
  std::string purl = "pkg:cargo/" + percent_encode(package.name) + "@" + percent_encode(package.version);
  const std::string_view source = package.source;
  if (source.empty() || source == kCratesIoSource) {
    return purl;
  }
  const auto plus = source.find('+');
  if (plus == std::string_view::npos) {
    return purl;
  }
  const std::string_view scheme = source.substr(0, plus);
  std::string_view url = source.substr(plus + 1);
  if (scheme == "git") {
    // "git+https://host/repo?rev=x#commit": the commit pins the source.
    const auto hash = url.find('#');
    const auto query = url.find('?');
    std::string vcs(url.substr(0, std::min(hash, query)));
    if (hash != std::string_view::npos) {
      vcs += "@" + std::string(url.substr(hash + 1));
    }
    return purl + "?vcs_url=" + percent_encode("git+" + vcs);
  }
  return purl + "?repository_url=" + percent_encode(url);
}

std::string spdx_license_expression(std::string_view license) {
  const std::string_view text = trim(license);
  std::string out;
  for (const char c : text) {
    if (c == '/') {
      // "MIT/Apache-2.0" and "MIT / Apache-2.0" alike: no doubled spaces.
      while (!out.empty() && out.back() == ' ') {
        out.pop_back();
      }
      out += " OR ";
    } else if (c == ' ' && !out.empty() && out.back() == ' ') {
      continue;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

} // namespace forge
