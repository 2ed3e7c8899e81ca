#include "forge/select/selection.hpp"

#include "forge/dump/pg_types.hpp"
#include "forge/util/time.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace forge {
namespace {

std::optional<std::string> owned(std::optional<std::string_view> v) {
  return v ? std::optional<std::string>(std::string(*v)) : std::nullopt;
}

// The version's own description/homepage/repository (2024-11+ dumps), else the crate's.
std::optional<std::string> prefer(std::optional<std::string_view> version_value,
                                  std::optional<std::string_view> crate_value) {
  return owned(version_value ? version_value : crate_value);
}

// The targets linked to crate `index` in a (crate, target) table ordered by crate.
std::vector<std::string> linked(const std::vector<std::pair<uint32_t, uint32_t>> &links, uint32_t index,
                                const std::vector<std::string> &names) {
  std::vector<std::string> out;
  auto it = std::lower_bound(links.begin(), links.end(), std::make_pair(index, uint32_t{0}));
  for (; it != links.end() && it->first == index; ++it) {
    out.push_back(names[it->second]);
  }
  std::sort(out.begin(), out.end());
  return out;
}

QueuedCrate make_entry(const Catalog &cat, uint32_t index, const CrateInfo &c, const VersionInfo &v) {
  QueuedCrate q;
  q.name = std::string(c.name());
  q.version = std::string(*v.get(VersionInfo::num));
  q.checksum = std::string(v.get(VersionInfo::checksum).value_or(""));
  q.bin_names = v.bin_names();
  q.description = prefer(v.get(VersionInfo::description), c.get(CrateInfo::description_s));
  q.homepage = prefer(v.get(VersionInfo::homepage), c.get(CrateInfo::homepage_s));
  q.repository = prefer(v.get(VersionInfo::repository), c.get(CrateInfo::repository_s));
  q.license = owned(v.get(VersionInfo::license));
  q.edition = owned(v.get(VersionInfo::edition));
  q.rust_version = owned(v.get(VersionInfo::rust_version));
  q.downloads = c.downloads;
  q.categories = linked(cat.crate_categories, index, cat.category_slugs);
  q.keywords = linked(cat.crate_keywords, index, cat.keyword_names);
  q.published_at = format_rfc3339(v.created_at);
  if (v.has_lib >= 0) {
    q.has_lib = v.has_lib == 1;
  }
  return q;
}

} // namespace

Selection select_crates(const Catalog &cat, int64_t since) {
  Selection out;
  Funnel &f = out.funnel;
  // The selected crates are ranked first and built afterwards, in rank order: sorting tens of thousands of
  // finished entries would move every string of each many times.
  struct Pick {
    uint32_t index;
    const VersionInfo *version;
  };
  std::vector<Pick> picks;
  for (uint32_t index = 0; index < cat.crates.size(); ++index) {
    const CrateInfo &c = cat.crates[index];
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
      continue; // a CLI crate without any version row: nothing to build
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
    picks.push_back({index, v});
  }
  std::sort(picks.begin(), picks.end(), [&](const Pick &a, const Pick &b) {
    const CrateInfo &ca = cat.crates[a.index];
    const CrateInfo &cb = cat.crates[b.index];
    return ca.downloads != cb.downloads ? ca.downloads > cb.downloads : ca.name() < cb.name();
  });
  out.crates.reserve(picks.size());
  int64_t no_checksum = 0;
  for (const Pick &p : picks) {
    out.crates.push_back(make_entry(cat, p.index, cat.crates[p.index], *p.version));
    out.crates.back().rank = static_cast<int64_t>(out.crates.size());
    if (out.crates.back().checksum.empty()) {
      ++no_checksum;
    }
  }
  if (no_checksum > 0) {
    spdlog::warn("{} selected crates have no checksum in the dump", no_checksum);
  }
  return out;
}

} // namespace forge
