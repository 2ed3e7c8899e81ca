#include "forge/select/catalog.hpp"

#include "forge/select/semver.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace forge {

std::vector<std::string> VersionInfo::bin_names() const {
  std::vector<std::string> out;
  const auto packed = get(bins);
  if (!packed || packed->empty()) {
    return out;
  }
  size_t start = 0;
  for (;;) {
    const size_t nul = packed->find('\0', start);
    out.emplace_back(
        packed->substr(start, nul == std::string_view::npos ? std::string_view::npos : nul - start));
    if (nul == std::string_view::npos) {
      break;
    }
    start = nul + 1;
  }
  return out;
}

void Catalog::set_strings(CrateInfo &crate, std::string_view name,
                          std::optional<std::string_view> description,
                          std::optional<std::string_view> homepage,
                          std::optional<std::string_view> repository) {
  const std::array<std::optional<std::string_view>, CrateInfo::count> fields = {name, description, homepage,
                                                                                repository};
  crate.strings = pack_strings(arena, fields);
}

void Catalog::set_strings(VersionInfo &version,
                          const std::array<std::optional<std::string_view>, VersionInfo::count> &fields) {
  version.strings = pack_strings(arena, fields);
}

void Catalog::index_versions() {
  versions_ascending = std::adjacent_find(versions.begin(), versions.end(), [](const auto &a, const auto &b) {
                         return a.id >= b.id;
                       }) == versions.end();
  if (!versions_ascending) {
    version_index = IdIndex();
    for (size_t i = 0; i < versions.size(); ++i) {
      version_index.add(versions[i].id, static_cast<uint32_t>(i));
    }
    version_index.freeze();
  }
}

int64_t Catalog::find_version(int64_t id) const {
  if (!versions_ascending) {
    return version_index.find(id);
  }
  const auto it = std::lower_bound(versions.begin(), versions.end(), id,
                                   [](const VersionInfo &v, int64_t want) { return v.id < want; });
  return it != versions.end() && it->id == id ? it - versions.begin() : -1;
}

const VersionInfo *Catalog::default_version(const CrateInfo &crate) const {
  if (has_default_versions && crate.default_version_id >= 0) {
    const int64_t idx = find_version(crate.default_version_id);
    return idx < 0 ? nullptr : &versions[static_cast<size_t>(idx)];
  }
  if (has_default_versions && crate.default_version_id < 0) {
    spdlog::debug("crate {} has no default_versions row; using the highest version", crate.name());
  }
  return crate.fallback_kept >= 0 ? &versions[static_cast<size_t>(crate.fallback_kept)] : nullptr;
}

namespace {
int fallback_class(bool yanked, const std::optional<SemVer> &v) {
  if (yanked) {
    return 0;
  }
  return (v && !v->is_prerelease()) ? 2 : 1;
}
} // namespace

bool better_fallback(std::string_view candidate_num, bool candidate_yanked, std::string_view current_num,
                     bool current_yanked) {
  const auto a = parse_semver(candidate_num);
  const auto b = parse_semver(current_num);
  const int ca = fallback_class(candidate_yanked, a);
  const int cb = fallback_class(current_yanked, b);
  if (ca != cb) {
    return ca > cb;
  }
  if (a && b) {
    return compare_semver(*a, *b) > 0;
  }
  if (a || b) {
    return a.has_value(); // a valid version outranks an unparseable one
  }
  return candidate_num > current_num;
}

} // namespace forge
