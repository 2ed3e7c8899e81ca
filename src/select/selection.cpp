#include "forge/select/selection.hpp"

#include "forge/dump/pg_types.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace forge {
namespace {

std::optional<std::string> owned(std::optional<std::string_view> v) {
  return v ? std::optional<std::string>(std::string(*v)) : std::nullopt;
}

// The version's own description/homepage/repository (2024-11+ dumps), else the crate's.
std::optional<std::string> prefer(std::optional<std::string_view> version_value,
                                  const std::optional<std::string> &crate_value) {
  return version_value ? owned(version_value) : crate_value;
}

QueuedCrate make_entry(const Catalog &cat, const CrateInfo &c, const VersionInfo &v) {
  QueuedCrate q;
  q.name = c.name;
  q.version = std::string(*v.get(VersionInfo::num));
  q.checksum = std::string(v.get(VersionInfo::checksum).value_or(""));
  q.bin_names = v.bin_names();
  q.description = prefer(v.get(VersionInfo::description), c.description);
  q.homepage = prefer(v.get(VersionInfo::homepage), c.homepage);
  q.repository = prefer(v.get(VersionInfo::repository), c.repository);
  q.license = owned(v.get(VersionInfo::license));
  q.edition = owned(v.get(VersionInfo::edition));
  q.rust_version = owned(v.get(VersionInfo::rust_version));
  q.downloads = c.downloads;
  for (uint32_t k : c.categories) {
    q.categories.push_back(cat.category_slugs[k]);
  }
  for (uint32_t k : c.keywords) {
    q.keywords.push_back(cat.keyword_names[k]);
  }
  std::sort(q.categories.begin(), q.categories.end());
  std::sort(q.keywords.begin(), q.keywords.end());
  q.published_at = pg::format_rfc3339(v.created_at);
  if (v.has_lib >= 0) {
    q.has_lib = v.has_lib == 1;
  }
  return q;
}

}  // namespace

Selection select_crates(const Catalog &cat, int64_t since) {
  Selection out;
  Funnel &f = out.funnel;
  int64_t no_checksum = 0;
  for (const CrateInfo &c : cat.crates) {
    ++f.total;
    const VersionInfo *v = cat.default_version(c);
    const bool has_bins = v != nullptr && v->bin_state == BinNames::some;
    f.with_bins += has_bins ? 1 : 0;
    f.cli_category += c.cli ? 1 : 0;
    if (!(has_bins || c.cli)) {
      continue;
    }
    ++f.candidates;
    if (v == nullptr) {
      continue;  // a CLI crate without any version row: nothing to build
    }
    if (v->created_at < since) {
      continue;
    }
    ++f.recent;
    if (v->yanked) {
      ++f.yanked;
      continue;
    }
    const bool lib_only = v->bin_state == BinNames::empty && v->has_lib == 1;
    if (!has_bins && lib_only) {
      ++f.lib_only;
      continue;
    }
    ++f.selected;
    out.crates.push_back(make_entry(cat, c, *v));
    if (out.crates.back().checksum.empty()) {
      ++no_checksum;
    }
  }
  if (no_checksum > 0) {
    spdlog::warn("{} selected crates have no checksum in the dump", no_checksum);
  }
  std::sort(out.crates.begin(), out.crates.end(), [](const QueuedCrate &a, const QueuedCrate &b) {
    return a.downloads != b.downloads ? a.downloads > b.downloads : a.name < b.name;
  });
  for (size_t i = 0; i < out.crates.size(); ++i) {
    out.crates[i].rank = static_cast<int64_t>(i + 1);
  }
  return out;
}

}  // namespace forge
