// Why: the per-host soar index only grows: a newer version replaces the older record of the same package, and
// nothing else ever drops out (the original pipeline lost every package older than a week).
#include "forge/run/metadata_index.hpp"
#include "run_fixtures.hpp"

#include "forge/util/error.hpp"

#include <gtest/gtest.h>

namespace forge {
namespace {
using namespace test_run;
using json = nlohmann::ordered_json;

json rec(const std::string &crate, const std::string &exe, const std::string &version,
         const std::string &date = "2025-06-01T00:00:00Z") {
  return json{{"pkg_id", "pkgforge-cargo." + crate + ".stable"},
              {"pkg_name", exe},
              {"version", version},
              {"build_date", date},
              {"pkg_family", crate}};
}

std::vector<std::string> versions(const HostMetadata &m) {
  std::vector<std::string> out;
  for (const auto &[k, r] : m.records) {
    out.push_back(r["pkg_name"].get<std::string>() + "=" + r["version"].get<std::string>());
  }
  return out;
}

TEST(RunMetadataIndex, NewerReplacesOlderAndNothingElseDropsOut) {
  HostMetadata m;
  EXPECT_TRUE(merge_record(m, rec("fd-find", "fd", "10.1.0")));
  EXPECT_TRUE(merge_record(m, rec("fd-find", "fd-helper", "10.1.0")));
  EXPECT_TRUE(merge_record(m, rec("ripgrep", "rg", "14.0.0")));
  EXPECT_TRUE(merge_record(m, rec("fd-find", "fd", "10.2.0")));
  EXPECT_FALSE(merge_record(m, rec("fd-find", "fd", "10.0.0"))) << "older never replaces newer";
  EXPECT_EQ(versions(m), (std::vector<std::string>{"fd=10.2.0", "fd-helper=10.1.0", "rg=14.0.0"}))
      << "fd-helper (gone in 10.2.0) and ripgrep stay";
  EXPECT_TRUE(merge_record(m, rec("ripgrep", "rg", "14.0.0", "2025-06-02T00:00:00Z")))
      << "a rebuild is newer";
  EXPECT_FALSE(merge_record(m, rec("ripgrep", "rg", "14.0.0", "2025-06-02T00:00:00Z")))
      << "the same is no change";
  EXPECT_TRUE(merge_record(m, rec("FD-Find", "FD", "11.0.0"))) << "soar ids are case-insensitive";
  EXPECT_EQ(m.records.size(), 3u);
}

TEST(RunMetadataIndex, RenderIsSortedOneRecordPerLineAndReadsBack) {
  HostMetadata m;
  merge_record(m, rec("zed", "zed", "1.0.0"));
  merge_record(m, rec("abc", "abc", "1.0.0"));
  const std::string text = render_host_metadata(m);
  EXPECT_EQ(text.front(), '[');
  EXPECT_LT(text.find("pkgforge-cargo.abc"), text.find("pkgforge-cargo.zed"));
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 4) << "[, two records, ]";
  TempDir dir;
  spit(dir.path() / "x86_64-Linux.json", text);
  EXPECT_EQ(render_host_metadata(read_host_metadata(dir.path() / "x86_64-Linux.json")), text);
  EXPECT_EQ(render_host_metadata(HostMetadata{}), "[]\n");
  EXPECT_TRUE(read_host_metadata(dir.path() / "none.json").records.empty());
  spit(dir.path() / "bad.json", "{}");
  EXPECT_THROW(read_host_metadata(dir.path() / "bad.json"), Error);
}

TEST(RunMetadataIndex, RecordsWithoutIdentityAreRefused) {
  HostMetadata m;
  json r = rec("a", "a", "1.0.0");
  r.erase("pkg_id");
  EXPECT_THROW(merge_record(m, r), Error);
  json v = rec("a", "a", "1.0.0");
  v["version"] = 1;
  EXPECT_THROW(merge_record(m, v), Error);
  EXPECT_THROW(merge_record(m, json::array()), Error);
}

// forge merge folds records whole: the SBOM and provenance fields soar does not know survive every fold.
TEST(RunMetadataIndex, SupplyChainFieldsSurviveTheFold) {
  HostMetadata m;
  json r = rec("hexyl", "hexyl", "0.8.0");
  r["ghcr_files"] = json::array({"hexyl", "hexyl.cdx.json", "hexyl.intoto.json"});
  r["sbom_url"] = "https://example.org/hexyl?download=hexyl.cdx.json";
  r["provenance_url"] = "https://example.org/hexyl?download=hexyl.intoto.json";
  EXPECT_TRUE(merge_record(m, rec("hexyl", "hexyl", "0.7.0")));
  EXPECT_TRUE(merge_record(m, r));
  const HostMetadata back = parse_host_metadata(render_host_metadata(m), "test");
  ASSERT_EQ(back.records.size(), 1U);
  const json &kept = back.records.begin()->second;
  EXPECT_EQ(kept["sbom_url"], r["sbom_url"]);
  EXPECT_EQ(kept["provenance_url"], r["provenance_url"]);
  EXPECT_EQ(kept["ghcr_files"], r["ghcr_files"]);
}

} // namespace
} // namespace forge
