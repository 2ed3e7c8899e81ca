// Why: CRATES_BUILT.json is merged from shards in any order, any number of times; its rules must make that
// order-independent and idempotent, and a newer version must replace an older one.
#include "forge/run/crates_built.hpp"
#include "run_fixtures.hpp"

#include "forge/util/error.hpp"

#include <gtest/gtest.h>

namespace forge {
namespace {
using namespace test_run;

std::string dump(const CratesBuilt &b) {
  return crates_built_to_json(b).dump();
}

TEST(RunCratesBuilt, CompareVersions) {
  EXPECT_LT(compare_versions("1.2.3", "1.10.0"), 0) << "semver, not text";
  EXPECT_GT(compare_versions("1.0.0", "1.0.0-rc.1"), 0);
  EXPECT_EQ(compare_versions("0.8.0", "0.8.0"), 0);
  EXPECT_NE(compare_versions("weird", "1.0.0"), 0);
  EXPECT_EQ(compare_versions("weird", "1.0.0"), -compare_versions("1.0.0", "weird")) << "still an order";
  // Transitive across versions and text (found by fuzz_metadata: text order made 2.0.0 < 10.0.0 < 15
  // < 2.0.0).
  EXPECT_LT(compare_versions("2.0.0", "10.0.0"), 0);
  EXPECT_LT(compare_versions("15", "10.0.0"), 0) << "a version beats text that is none";
  EXPECT_LT(compare_versions("15", "2.0.0"), 0);
  EXPECT_LT(compare_versions("15", "9"), 0) << "text among text";
}

TEST(RunCratesBuilt, NewerVersionReplacesOlderIsIgnoredSameVersionLatestWins) {
  CratesBuilt b;
  EXPECT_TRUE(merge_entry(b, entry("a", "1.0.0", "built", "2025-06-01T00:00:00Z", musl())));
  EXPECT_TRUE(merge_entry(b, entry("a", "1.0.0", "failed", "2025-06-01T00:00:01Z", arm())));
  EXPECT_EQ(b.crates.at("a").targets.size(), 2u);
  EXPECT_EQ(b.crates.at("a").date, "2025-06-01T00:00:01Z");

  EXPECT_FALSE(merge_entry(b, entry("a", "0.9.0", "built", "2025-07-01T00:00:00Z"))) << "older: ignored";
  EXPECT_EQ(b.crates.at("a").version, "1.0.0");

  EXPECT_TRUE(merge_entry(b, entry("a", "1.0.0", "built", "2025-06-02T00:00:00Z", arm())))
      << "a later result";
  EXPECT_EQ(b.crates.at("a").targets.at(arm().triple).status, forge::Status::built);
  EXPECT_FALSE(merge_entry(b, entry("a", "1.0.0", "failed", "2025-06-01T12:00:00Z", arm())))
      << "an earlier one";

  EXPECT_TRUE(merge_entry(b, entry("a", "1.1.0", "built", "2025-06-03T00:00:00Z", musl())));
  EXPECT_EQ(b.crates.at("a").version, "1.1.0");
  EXPECT_EQ(b.crates.at("a").targets.size(), 1u)
      << "the older version's targets are gone from the crate entry";
  EXPECT_EQ(b.updated_at(), "2025-06-03T00:00:00Z");
}

TEST(RunCratesBuilt, MergingIsIdempotentAndOrderIndependent) {
  const std::vector<JournalEntry> shard_a{
      entry("x", "1.0.0", "failed", "2025-06-01T00:00:00Z", musl(), "timeout"),
      entry("x", "1.0.0", "built", "2025-06-01T00:00:00Z", musl()),
      entry("y", "2.0.0", "built", "2025-06-01T00:01:00Z")};
  const std::vector<JournalEntry> shard_b{entry("x", "1.1.0", "failed", "2025-06-02T00:00:00Z"),
                                          entry("z", "0.1.0", "built", "2025-06-02T00:00:00Z", arm())};
  auto fold = [](CratesBuilt &b, const std::vector<JournalEntry> &es) {
    for (const auto &e : es) {
      merge_entry(b, e);
    }
  };
  CratesBuilt ab;
  fold(ab, shard_a);
  fold(ab, shard_b);
  CratesBuilt ba;
  fold(ba, shard_b);
  fold(ba, shard_a);
  EXPECT_EQ(dump(ab), dump(ba));
  const std::string once = dump(ab);
  fold(ab, shard_a);
  fold(ab, shard_b);
  EXPECT_EQ(dump(ab), once) << "merging the same shards again changes nothing";
  CratesBuilt a_only;
  fold(a_only, shard_a);
  EXPECT_EQ(a_only.crates.at("x").targets.at(musl().triple).status, forge::Status::built)
      << "same second: built wins the tie, whatever the order";

  CratesBuilt via_index;
  CratesBuilt b_only;
  fold(b_only, shard_b);
  EXPECT_TRUE(merge_index(via_index, b_only));
  EXPECT_TRUE(merge_index(via_index, a_only));
  EXPECT_FALSE(merge_index(via_index, a_only));
  EXPECT_EQ(dump(via_index), once) << "index merge follows the same rules";
}

TEST(RunCratesBuilt, JsonRoundTripAndErrors) {
  CratesBuilt b;
  merge_entry(b, entry("a", "1.0.0", "built"));
  merge_entry(b, entry("f", "1.0.0", "failed", "2025-06-01T00:00:00Z", arm(), "missing-system-library"));
  const auto j = crates_built_to_json(b);
  EXPECT_EQ(j["format"], kCratesBuiltFormat);
  EXPECT_EQ(j["crates"]["f"]["targets"][arm().triple]["reason"], "missing-system-library");
  EXPECT_FALSE(j["crates"]["a"]["targets"][musl().triple].contains("reason"));
  EXPECT_EQ(dump(crates_built_from_json(nlohmann::json::parse(j.dump()), "x")), dump(b));

  TempDir dir;
  write_crates_built(dir.path() / "CRATES_BUILT.json", b);
  EXPECT_EQ(dump(read_crates_built(dir.path() / "CRATES_BUILT.json")), dump(b));
  EXPECT_TRUE(read_crates_built(dir.path() / "missing.json").crates.empty());
  spit(dir.path() / "bad.json", R"({"format":"other"})");
  EXPECT_THROW(read_crates_built(dir.path() / "bad.json"), Error);
  // A format of another type is the same data error, not nlohmann's type_error (found by fuzz_crates_built).
  spit(dir.path() / "bad-type.json", R"({"format":{"x":1},"crates":{}})");
  try {
    read_crates_built(dir.path() / "bad-type.json");
    FAIL();
  } catch (const Error &e) {
    EXPECT_EQ(e.code(), ExitCode::data);
    EXPECT_NE(std::string(e.what()).find("bad-type.json"), std::string::npos);
  }
  spit(dir.path() / "bad2.json",
       R"({"format":"forge-crates-built/1","crates":{"a":{"version":"1","targets":{"t":{}}}}})");
  try {
    read_crates_built(dir.path() / "bad2.json");
    FAIL();
  } catch (const Error &e) {
    EXPECT_EQ(e.code(), ExitCode::data);
    EXPECT_NE(std::string(e.what()).find("crate a"), std::string::npos);
  }
}

} // namespace
} // namespace forge
