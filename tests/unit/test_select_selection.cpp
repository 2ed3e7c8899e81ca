// Why: the selection rule is exact (other tools check against it); each clause gets a case here.
#include "forge/dump/pg_types.hpp"
#include "forge/select/catalog.hpp"
#include "forge/select/selection.hpp"

#include <gtest/gtest.h>

namespace forge {
namespace {

class CatalogBuilder {
public:
  CatalogBuilder() { cat_.has_default_versions = true; }

  // Adds a crate whose default version has the given properties.
  CatalogBuilder &crate(const std::string &name, std::optional<std::vector<std::string>> bins, int8_t has_lib,
                        bool cli, const std::string &created, bool yanked = false, int64_t downloads = 0) {
    CrateInfo c;
    c.id = static_cast<int64_t>(cat_.crates.size()) + 1;
    cat_.set_strings(c, name, std::nullopt, std::nullopt, std::nullopt);
    c.cli = cli;
    c.downloads = downloads;
    VersionInfo v;
    v.id = c.id * 100;
    v.crate = static_cast<uint32_t>(cat_.crates.size());
    v.created_at = *pg::parse_timestamp(created);
    v.yanked = yanked;
    v.has_lib = has_lib;
    v.bin_state = !bins ? BinNames::null : (bins->empty() ? BinNames::empty : BinNames::some);
    std::string packed;
    if (bins) {
      for (const auto &b : *bins) {
        packed += (packed.empty() ? "" : std::string(1, '\0')) + b;
      }
    }
    const std::string checksum(64, 'a');
    std::array<std::optional<std::string_view>, VersionInfo::count> fields{};
    fields[VersionInfo::num] = "1.0.0";
    fields[VersionInfo::checksum] = checksum;
    fields[VersionInfo::bins] = bins ? std::optional<std::string_view>(packed) : std::nullopt;
    cat_.set_strings(v, fields);
    c.default_version_id = v.id;
    cat_.versions.push_back(std::move(v));
    cat_.crate_index.add(c.id, static_cast<uint32_t>(cat_.crates.size()));
    cat_.crates.push_back(std::move(c));
    return *this;
  }
  Catalog build() {
    cat_.index_versions();
    cat_.crate_index.freeze();
    return std::move(cat_);
  }

private:
  Catalog cat_;
};

const int64_t kSince = *pg::parse_date("2025-01-01");

std::vector<std::string> names(const Selection &s) {
  std::vector<std::string> out;
  for (const auto &c : s.crates) {
    out.push_back(c.name);
  }
  return out;
}

TEST(Selection, BinCrateWithoutCategoriesIsSelected) {
  const auto cat =
      CatalogBuilder().crate("tool", std::vector<std::string>{"tool"}, 0, false, "2025-06-01").build();
  const auto s = select_crates(cat, kSince);
  EXPECT_EQ(names(s), std::vector<std::string>{"tool"});
  EXPECT_EQ(s.funnel.with_bins, 1);
  EXPECT_EQ(s.funnel.cli_category, 0);
  EXPECT_EQ(s.funnel.selected, 1);
}

TEST(Selection, LibOnlyCliCrateIsExcludedAndCounted) {
  const auto cat = CatalogBuilder().crate("libby", std::vector<std::string>{}, 1, true, "2025-06-01").build();
  const auto s = select_crates(cat, kSince);
  EXPECT_TRUE(s.crates.empty());
  EXPECT_EQ(s.funnel.candidates, 1);
  EXPECT_EQ(s.funnel.recent, 1);
  EXPECT_EQ(s.funnel.lib_only, 1);
}

TEST(Selection, CliCrateWithUnanalysedBinsIsSelected) {
  // bin_names NULL and has_lib NULL: not known to be lib-only, so a CLI crate is kept.
  const auto cat = CatalogBuilder().crate("unknown", std::nullopt, -1, true, "2025-06-01").build();
  EXPECT_EQ(select_crates(cat, kSince).funnel.selected, 1);
}

TEST(Selection, CliCrateWithEmptyBinsButNoLibIsSelected) {
  const auto cat = CatalogBuilder().crate("odd", std::vector<std::string>{}, 0, true, "2025-06-01").build();
  EXPECT_EQ(select_crates(cat, kSince).funnel.selected, 1);
}

TEST(Selection, SinceIsInclusiveAtMidnightUtc) {
  const auto cat =
      CatalogBuilder()
          .crate("at", std::vector<std::string>{"at"}, 0, false, "2025-01-01 00:00:00+00")
          .crate("before", std::vector<std::string>{"b"}, 0, false, "2024-12-31 23:59:59.999999+00")
          .build();
  const auto s = select_crates(cat, kSince);
  EXPECT_EQ(names(s), std::vector<std::string>{"at"});
  EXPECT_EQ(s.funnel.candidates, 2);
  EXPECT_EQ(s.funnel.recent, 1);
}

TEST(Selection, YankedDefaultVersionIsCounted) {
  const auto cat =
      CatalogBuilder().crate("gone", std::vector<std::string>{"g"}, 0, false, "2025-06-01", true).build();
  const auto s = select_crates(cat, kSince);
  EXPECT_TRUE(s.crates.empty());
  EXPECT_EQ(s.funnel.yanked, 1);
}

TEST(Selection, NonCandidatesOnlyCountInTotal) {
  const auto cat = CatalogBuilder().crate("lib", std::vector<std::string>{}, 1, false, "2025-06-01").build();
  const auto s = select_crates(cat, kSince);
  EXPECT_EQ(s.funnel.total, 1);
  EXPECT_EQ(s.funnel.candidates, 0);
}

TEST(Selection, SortedByDownloadsThenNameWithRanks) {
  const auto cat = CatalogBuilder()
                       .crate("b", std::vector<std::string>{"b"}, 0, false, "2025-06-01", false, 10)
                       .crate("a", std::vector<std::string>{"a"}, 0, false, "2025-06-01", false, 10)
                       .crate("c", std::vector<std::string>{"c"}, 0, false, "2025-06-01", false, 99)
                       .build();
  const auto s = select_crates(cat, kSince);
  EXPECT_EQ(names(s), (std::vector<std::string>{"c", "a", "b"}));
  EXPECT_EQ(s.crates[0].rank, 1);
  EXPECT_EQ(s.crates[2].rank, 3);
}

TEST(Selection, MultipleBinNamesSurvivePacking) {
  const auto cat =
      CatalogBuilder()
          .crate("multi", std::vector<std::string>{"one", "two", "three"}, 0, false, "2025-06-01")
          .build();
  const auto s = select_crates(cat, kSince);
  ASSERT_EQ(s.crates.size(), 1U);
  EXPECT_EQ(s.crates[0].bin_names, (std::vector<std::string>{"one", "two", "three"}));
  EXPECT_EQ(s.crates[0].published_at, "2025-06-01T00:00:00Z");
}

TEST(FallbackRule, ReleaseBeatsNewerPrereleaseAndYanked) {
  EXPECT_TRUE(better_fallback("1.0.0", false, "2.0.0-rc.1", false));
  EXPECT_FALSE(better_fallback("2.0.0-rc.1", false, "1.0.0", false));
  EXPECT_TRUE(better_fallback("1.0.0", false, "3.0.0", true));
  EXPECT_TRUE(better_fallback("0.1.0-alpha", false, "3.0.0", true)); // non-yanked pre-release beats yanked
  EXPECT_TRUE(better_fallback("1.10.0", false, "1.9.0", false));     // semver, not string order
  EXPECT_TRUE(better_fallback("3.0.0", true, "2.0.0", true));        // all yanked: highest
}

} // namespace
} // namespace forge
