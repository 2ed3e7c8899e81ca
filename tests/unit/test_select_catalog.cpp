// Why: the catalog's compact storage (id lookups dense or sparse, strings packed in an arena, version numbers
// inline or not) must give back exactly what went in; a lookup that misses must say so, never index garbage.
#include "forge/select/catalog.hpp"
#include "forge/select/id_index.hpp"
#include "forge/util/arena.hpp"

#include <gtest/gtest.h>

namespace forge {
namespace {

TEST(SelectIdIndex, DenseIdsAreFoundAndMissesAreMinusOne) {
  IdIndex index;
  for (uint32_t i = 0; i < 100; ++i) {
    index.add(i + 1, i);
  }
  index.freeze();
  EXPECT_EQ(index.find(1), 0);
  EXPECT_EQ(index.find(100), 99);
  EXPECT_EQ(index.find(0), -1);
  EXPECT_EQ(index.find(101), -1);
  EXPECT_EQ(index.find(-5), -1);
}

TEST(SelectIdIndex, SparseIdsUseTheSortedListInAnyOrder) {
  IdIndex ascending, shuffled;
  for (uint32_t i = 0; i < 5000; ++i) {
    ascending.add(int64_t{i} * 1000 + 7, i); // far too sparse for a flat array
  }
  const std::vector<int64_t> ids = {900'000'007, 7, 5'000'000'000, 123'456};
  for (uint32_t i = 0; i < ids.size(); ++i) {
    shuffled.add(ids[i], i);
  }
  ascending.freeze();
  shuffled.freeze();
  EXPECT_EQ(ascending.find(7), 0);
  EXPECT_EQ(ascending.find(4'999'007), 4999);
  EXPECT_EQ(ascending.find(8), -1) << "a miss is -1, not an unsigned wrap-around";
  EXPECT_EQ(ascending.find(10'000'000'000), -1);
  for (uint32_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ(shuffled.find(ids[i]), i) << ids[i];
  }
  EXPECT_EQ(shuffled.find(8), -1);
  EXPECT_EQ(shuffled.find(-1), -1);
}

TEST(SelectIdIndex, OfADuplicatedSparseIdTheFirstWins) {
  IdIndex index;
  index.add(1'000'000, 0);
  index.add(5, 1);
  index.add(1'000'000, 2);
  index.freeze();
  EXPECT_EQ(index.find(1'000'000), 0);
  EXPECT_EQ(index.find(5), 1);
}

TEST(SelectArena, PackedFieldsRoundTripIncludingEmptyAbsentAndLong) {
  Arena arena(64); // tiny blocks: records cross into new blocks and big ones get their own
  const std::string long_text(300, 'x');
  const std::array<std::optional<std::string_view>, 5> fields = {"name", std::nullopt, "", long_text,
                                                                 std::string_view("a\0b", 3)};
  const char *packed = pack_strings(arena, fields);
  for (size_t i = 0; i < fields.size(); ++i) {
    EXPECT_EQ(packed_field(packed, i), fields[i]) << i;
  }
  std::vector<const char *> many;
  for (int i = 0; i < 100; ++i) {
    const std::string s = std::to_string(i);
    const std::array<std::optional<std::string_view>, 1> one = {std::string_view(s)};
    many.push_back(pack_strings(arena, one));
  }
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(packed_field(many[static_cast<size_t>(i)], 0), std::to_string(i))
        << "earlier records never move";
  }
  EXPECT_EQ(packed_field(nullptr, 0), std::nullopt);
}

TEST(SelectCatalog, VersionNumbersInlineOrInTheArena) {
  Arena arena;
  ShortString a, b;
  a.assign("1.2.3", arena);
  b.assign("1.0.0-alpha.1+build.20240101.abcdef", arena);
  EXPECT_EQ(a.view(), "1.2.3");
  EXPECT_EQ(b.view(), "1.0.0-alpha.1+build.20240101.abcdef");
  ShortString c = a; // records are copied around (the selection tests build catalogs by value)
  a.assign("2.0.0", arena);
  EXPECT_EQ(c.view(), "1.2.3");
  EXPECT_EQ(a.view(), "2.0.0");
}

TEST(SelectCatalog, VersionStringsAndBinNames) {
  Catalog cat;
  VersionInfo v;
  EXPECT_EQ(v.get(VersionInfo::num), std::nullopt) << "a version without strings has none";
  EXPECT_TRUE(v.bin_names().empty());
  std::array<std::optional<std::string_view>, VersionInfo::count> fields{};
  fields[VersionInfo::num] = "0.3.1";
  fields[VersionInfo::license] = "MIT";
  fields[VersionInfo::bins] = std::string_view("tool\0tool-helper", 16);
  cat.set_strings(v, fields);
  EXPECT_EQ(v.get(VersionInfo::num), "0.3.1");
  EXPECT_EQ(v.get(VersionInfo::license), "MIT");
  EXPECT_EQ(v.get(VersionInfo::edition), std::nullopt);
  EXPECT_EQ(v.bin_names(), (std::vector<std::string>{"tool", "tool-helper"}));
}

TEST(SelectCatalog, VersionsAreFoundByIdInDumpOrderOrNot) {
  for (const bool ascending : {true, false}) {
    Catalog cat;
    const std::vector<int64_t> ids = ascending ? std::vector<int64_t>{3, 10, 4000000, 4000001}
                                               : std::vector<int64_t>{10, 3, 4000001, 4000000};
    for (const int64_t id : ids) {
      cat.versions.emplace_back().id = id;
    }
    cat.index_versions();
    EXPECT_EQ(cat.versions_ascending, ascending);
    for (size_t i = 0; i < ids.size(); ++i) {
      EXPECT_EQ(cat.find_version(ids[i]), static_cast<int64_t>(i)) << ids[i];
    }
    EXPECT_EQ(cat.find_version(5), -1);
    EXPECT_EQ(cat.find_version(4000002), -1);
    EXPECT_EQ(cat.find_version(-1), -1);
  }
}

} // namespace
} // namespace forge
