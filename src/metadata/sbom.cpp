#include "forge/metadata/sbom.hpp"

#include "forge/util/error.hpp"

#include <fmt/format.h>
#include <openssl/rand.h>

#include <array>
#include <cctype>

namespace forge {
namespace {

using nlohmann::ordered_json;

std::string random_uuid() {
  std::array<unsigned char, 16> b{};
  if (RAND_bytes(b.data(), static_cast<int>(b.size())) != 1) {
    fail(ExitCode::internal, "OpenSSL could not give 16 random bytes for an SBOM serial number");
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40); // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80); // RFC 4122 variant
  std::string hex;
  for (size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) {
      hex.push_back('-');
    }
    hex += fmt::format("{:02x}", b[i]);
  }
  return "urn:uuid:" + hex;
}

bool is_hex64(const std::string &s) {
  if (s.size() != 64) {
    return false;
  }
  for (const char c : s) {
    if (std::isxdigit(static_cast<unsigned char>(c)) == 0) {
      return false;
    }
  }
  return true;
}

ordered_json licenses(const std::string &license) {
  const std::string expr = spdx_license_expression(license);
  if (expr.empty()) {
    return nullptr;
  }
  if (looks_like_spdx_expression(expr)) {
    return ordered_json::array({{{"expression", expr}}});
  }
  return ordered_json::array({{{"license", {{"name", expr}}}}});
}

void add_hash(ordered_json &hashes, const char *alg, const std::string &hex) {
  if (is_hex64(hex)) {
    hashes.push_back({{"alg", alg}, {"content", hex}});
  }
}

void add_reference(ordered_json &refs, const char *type, const std::optional<std::string> &url) {
  if (url && !url->empty()) {
    refs.push_back({{"type", type}, {"url", *url}});
  }
}

ordered_json library(const DepPackage &p) {
  ordered_json c;
  c["type"] = "library";
  c["bom-ref"] = cargo_purl(p);
  c["name"] = p.name;
  c["version"] = p.version;
  ordered_json hashes = ordered_json::array();
  add_hash(hashes, "SHA-256", p.checksum);
  if (!hashes.empty()) {
    c["hashes"] = hashes;
  }
  if (auto l = licenses(p.license); !l.is_null()) {
    c["licenses"] = l;
  }
  c["purl"] = cargo_purl(p);
  if (p.source == kCratesIoSource) {
    ordered_json refs = ordered_json::array();
    refs.push_back(
        {{"type", "distribution"},
         {"url", fmt::format("https://crates.io/api/v1/crates/{}/{}/download", p.name, p.version)}});
    c["externalReferences"] = refs;
  }
  return c;
}

} // namespace

bool looks_like_spdx_expression(const std::string &text) {
  if (text.empty()) {
    return false;
  }
  int depth = 0;
  bool want_id = true; // an identifier or "(" comes next, else an operator or ")"
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == ' ') {
      ++i;
      continue;
    }
    if (c == '(') {
      if (!want_id) {
        return false;
      }
      ++depth;
      ++i;
      continue;
    }
    if (c == ')') {
      if (want_id || --depth < 0) {
        return false;
      }
      ++i;
      continue;
    }
    size_t j = i;
    while (j < text.size() && (std::isalnum(static_cast<unsigned char>(text[j])) != 0 || text[j] == '.' ||
                               text[j] == '-' || text[j] == '+' || text[j] == ':')) {
      ++j;
    }
    if (j == i) {
      return false;
    }
    const std::string word = text.substr(i, j - i);
    const bool op = word == "AND" || word == "OR" || word == "WITH";
    if (op == want_id) {
      return false;
    }
    want_id = op;
    i = j;
  }
  return !want_id && depth == 0;
}

ordered_json cyclonedx_sbom(const SbomInputs &in) {
  const DepPackage *root = in.graph != nullptr ? graph_root(*in.graph) : nullptr;
  DepPackage self;
  self.name = in.crate;
  self.version = in.version;
  self.source = root != nullptr ? root->source : std::string(kCratesIoSource);
  const std::string main_ref = cargo_purl(self) + "#" + in.exe;

  ordered_json component;
  component["type"] = "application";
  component["bom-ref"] = main_ref;
  component["name"] = in.exe;
  component["version"] = in.version;
  if (in.description && !in.description->empty()) {
    component["description"] = *in.description;
  }
  ordered_json hashes = ordered_json::array();
  add_hash(hashes, "SHA-256", in.sha256);
  add_hash(hashes, "BLAKE3", in.blake3);
  component["hashes"] = hashes;
  if (auto l = licenses(in.license.value_or(root != nullptr ? root->license : "")); !l.is_null()) {
    component["licenses"] = l;
  }
  component["purl"] = cargo_purl(self);
  ordered_json refs = ordered_json::array();
  if (!in.crate_url.empty()) {
    ordered_json dist{{"type", "distribution"}, {"url", in.crate_url}};
    if (is_hex64(in.crate_sha256)) {
      dist["hashes"] = ordered_json::array({{{"alg", "SHA-256"}, {"content", in.crate_sha256}}});
    }
    refs.push_back(dist);
  }
  add_reference(refs, "vcs", in.repository);
  add_reference(refs, "website", in.homepage);
  if (!refs.empty()) {
    component["externalReferences"] = refs;
  }
  component["properties"] = ordered_json::array(
      {{{"name", "forge:crate"}, {"value", in.crate}}, {{"name", "forge:target"}, {"value", in.target}}});

  ordered_json doc;
  doc["bomFormat"] = "CycloneDX";
  doc["specVersion"] = "1.5";
  doc["serialNumber"] = random_uuid();
  doc["version"] = 1;
  ordered_json tool{{"type", "application"}, {"name", "forge"}, {"version", in.forge_version}};
  doc["metadata"] = {{"timestamp", in.timestamp},
                     {"tools", {{"components", ordered_json::array({tool})}}},
                     {"component", component}};
  ordered_json components = ordered_json::array();
  ordered_json dependencies = ordered_json::array();
  if (in.graph != nullptr) {
    const auto &pkgs = in.graph->packages;
    const auto ref_of = [&](size_t i) { return pkgs[i].root ? main_ref : cargo_purl(pkgs[i]); };
    for (size_t i = 0; i < pkgs.size(); ++i) {
      if (!pkgs[i].root) {
        components.push_back(library(pkgs[i]));
      }
    }
    for (size_t i = 0; i < pkgs.size(); ++i) {
      ordered_json on = ordered_json::array();
      for (const size_t d : pkgs[i].deps) {
        if (d < pkgs.size()) {
          on.push_back(ref_of(d));
        }
      }
      dependencies.push_back({{"ref", ref_of(i)}, {"dependsOn", on}});
    }
  }
  if (root == nullptr) {
    dependencies.push_back({{"ref", main_ref}, {"dependsOn", ordered_json::array()}});
  }
  doc["components"] = components;
  doc["dependencies"] = dependencies;
  return doc;
}

} // namespace forge
