// Why: index paths, index lines and download URLs must match cargo exactly or forge fetches the wrong bytes.
#include "forge/compile/crate_source.hpp"
#include "forge/hash/sha256.hpp"
#include "forge/util/error.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

namespace fs = std::filesystem;

const std::string kSum1 = "a3f0c6f2e3bd1b4bfc8d5cfb2d5c5ac9a8c51e9a1c9a71a0d0b0fb8f5a17d4d3";
const std::string kSum2 = "0000000000000000000000000000000000000000000000000000000000000002";

forge::IndexEntry entry(const std::string &vers, bool yanked = false) {
  forge::IndexEntry e;
  e.name = "demo";
  e.vers = vers;
  e.cksum = kSum2;
  e.yanked = yanked;
  return e;
}

// Expects `fn` to throw forge::Error with `code` and a message containing `needle`.
template <typename Fn> void expect_error(Fn &&fn, forge::ExitCode code, const std::string &needle) {
  try {
    fn();
    FAIL() << "no exception; expected one containing: " << needle;
  } catch (const forge::Error &e) {
    EXPECT_EQ(e.code(), code) << e.what();
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(SparseIndex, PathByNameLength) {
  EXPECT_EQ(forge::sparse_index_path("a"), "1/a");
  EXPECT_EQ(forge::sparse_index_path("ab"), "2/ab");
  EXPECT_EQ(forge::sparse_index_path("abc"), "3/a/abc");
  EXPECT_EQ(forge::sparse_index_path("abcd"), "ab/cd/abcd");
  EXPECT_EQ(forge::sparse_index_path("serde"), "se/rd/serde");
  EXPECT_EQ(forge::sparse_index_path("serde_json"), "se/rd/serde_json");
  EXPECT_EQ(forge::sparse_index_path("cargo-edit"), "ca/rg/cargo-edit");
}

TEST(SparseIndex, PathIsLowercased) {
  EXPECT_EQ(forge::sparse_index_path("A"), "1/a");
  EXPECT_EQ(forge::sparse_index_path("Ab"), "2/ab");
  EXPECT_EQ(forge::sparse_index_path("ABC"), "3/a/abc");
  EXPECT_EQ(forge::sparse_index_path("Inflector"), "in/fl/inflector");
  EXPECT_EQ(forge::sparse_index_path("MySQL_Async"), "my/sq/mysql_async");
}

TEST(SparseIndex, RejectsInvalidNames) {
  expect_error([] { forge::sparse_index_path(""); }, forge::ExitCode::data, "invalid crate name");
  expect_error([] { forge::sparse_index_path("../etc"); }, forge::ExitCode::data, "invalid crate name");
  expect_error([] { forge::sparse_index_path("a/b"); }, forge::ExitCode::data, "invalid crate name");
}

TEST(CrateSource, ParsesRealLookingIndexLines) {
  const std::string text =
      R"({"name":"ripgrep","vers":"0.1.0","deps":[{"name":"docopt","req":"^0.6","features":[],)"
      R"("optional":false,)"
      R"("default_features":true,"target":null,"kind":"normal"}],"cksum":")" +
      kSum1 + R"(","features":{},"yanked":true})" + "\n" +
      R"({"name":"ripgrep","vers":"14.1.0","deps":[],"cksum":")" + kSum2 +
      R"(","features":{"pcre2":["grep/pcre2"]},"yanked":false,"rust_version":"1.72"})" + "\r\n\n" +
      R"({"name":"ripgrep","vers":"15.0.0-rc.1","deps":[],"cksum":")" + std::string(64, 'A') +
      R"(","features":{},"features2":{"simd":["dep:simd"]},"yanked":false,"links":null,"v":2,)"
      R"("pubtime":"2025-01-02T03:04:05Z","unknown_field":{"x":1}})" +
      "\n";
  const auto entries = forge::parse_index_file(text, "ri/pg/ripgrep");
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].name, "ripgrep");
  EXPECT_EQ(entries[0].vers, "0.1.0");
  EXPECT_EQ(entries[0].cksum, kSum1);
  EXPECT_TRUE(entries[0].yanked);
  EXPECT_FALSE(entries[0].rust_version);
  EXPECT_EQ(entries[1].vers, "14.1.0");
  EXPECT_FALSE(entries[1].yanked);
  ASSERT_TRUE(entries[1].rust_version);
  EXPECT_EQ(*entries[1].rust_version, "1.72");
  EXPECT_EQ(entries[2].vers, "15.0.0-rc.1");
  EXPECT_EQ(entries[2].cksum, std::string(64, 'a')); // lowercased
}

TEST(CrateSource, EmptyIndexFile) {
  EXPECT_TRUE(forge::parse_index_file("", "x").empty());
  EXPECT_TRUE(forge::parse_index_file("\n  \n", "x").empty());
}

TEST(CrateSource, MalformedIndexLinesNameTheLine) {
  const std::string good =
      R"({"name":"demo","vers":"1.0.0","deps":[],"cksum":")" + kSum1 + R"(","features":{},"yanked":false})";
  struct Case {
    std::string line;
    std::string why;
  };
  const Case cases[] = {
      {"not json", "invalid index entry: not valid JSON"},
      {"[1,2]", "not a JSON object"},
      {R"({"vers":"1.0.0","cksum":")" + kSum1 + R"("})", "\"name\""},
      {R"({"name":"demo","cksum":")" + kSum1 + R"("})", "\"vers\""},
      {R"({"name":"demo","vers":"1.0.0"})", "\"cksum\""},
      {R"({"name":"demo","vers":"1.0.0","cksum":"abc"})", "64 hex"},
      {R"({"name":"demo","vers":"1.0.0","cksum":")" + std::string(63, 'a') + "g\"}", "64 hex"},
      {R"({"name":"demo","vers":"1.0.0","cksum":")" + kSum1 + R"(","yanked":"no"})", "\"yanked\""},
      {R"({"name":"demo","vers":"1.0.0","cksum":")" + kSum1 + R"(","deps":{}})", "\"deps\""},
      {R"({"name":"demo","vers":"1.0.0","cksum":")" + kSum1 + R"(","features2":[]})", "\"features2\""},
      {R"({"name":"demo","vers":"1.0.0","cksum":")" + kSum1 + R"(","rust_version":1})", "\"rust_version\""},
      {R"({"name":"demo","vers":"1.0.0","cksum":")" + kSum1 + R"(","v":"2"})", "\"v\""},
      {R"({"name":"de/mo","vers":"1.0.0","cksum":")" + kSum1 + R"("})", "bad crate name"},
      {R"({"name":"demo","vers":"../1","cksum":")" + kSum1 + R"("})", "bad version"},
  };
  for (const auto &c : cases) {
    const std::string text = good + "\n\n" + c.line + "\n" + good + "\n";
    expect_error([&] { forge::parse_index_file(text, "de/mo/demo"); }, forge::ExitCode::data,
                 "de/mo/demo:3: invalid index entry: ");
    expect_error([&] { forge::parse_index_file(text, "de/mo/demo"); }, forge::ExitCode::data, c.why);
  }
}

TEST(CrateSource, PickNewestReleaseOverNewerPrerelease) {
  const std::vector<forge::IndexEntry> entries = {entry("1.0.0"), entry("1.10.0"), entry("1.9.0"),
                                                  entry("2.0.0-beta.1"), entry("1.11.0", true)};
  const auto pick = forge::pick_version(entries, std::nullopt);
  ASSERT_TRUE(pick);
  EXPECT_EQ(pick->vers, "1.10.0");
}

TEST(CrateSource, PickPrereleaseWhenNoRelease) {
  const std::vector<forge::IndexEntry> entries = {entry("0.1.0-alpha.1"), entry("0.1.0-alpha.2"),
                                                  entry("0.1.0-beta", true)};
  const auto pick = forge::pick_version(entries, std::nullopt);
  ASSERT_TRUE(pick);
  EXPECT_EQ(pick->vers, "0.1.0-alpha.2");
}

TEST(CrateSource, PickNothingWhenAllYanked) {
  const std::vector<forge::IndexEntry> entries = {entry("1.0.0", true), entry("2.0.0-rc.1", true)};
  EXPECT_FALSE(forge::pick_version(entries, std::nullopt));
  EXPECT_FALSE(forge::pick_version({}, std::nullopt));
}

TEST(CrateSource, PickWantedVersion) {
  const std::vector<forge::IndexEntry> entries = {entry("1.0.0", true), entry("1.1.0"), entry("2.0.0+meta")};
  auto pick = forge::pick_version(entries, std::string("1.0.0"));
  ASSERT_TRUE(pick); // yanked, but explicitly wanted
  EXPECT_EQ(pick->vers, "1.0.0");
  EXPECT_TRUE(pick->yanked);
  pick = forge::pick_version(entries, std::string("2.0.0+meta"));
  ASSERT_TRUE(pick);
  EXPECT_EQ(pick->vers, "2.0.0+meta");
  pick = forge::pick_version(entries, std::string("2.0.0")); // equal by SemVer precedence
  ASSERT_TRUE(pick);
  EXPECT_EQ(pick->vers, "2.0.0+meta");
  EXPECT_FALSE(forge::pick_version(entries, std::string("3.0.0")));
  EXPECT_FALSE(forge::pick_version(entries, std::string("not-a-version")));
}

TEST(CrateSource, DownloadUrlWithoutMarkersAppendsCargoPath) {
  EXPECT_EQ(forge::expand_download_url("https://static.crates.io/crates", "serde", "1.0.200", kSum1),
            "https://static.crates.io/crates/serde/1.0.200/download");
  EXPECT_EQ(forge::expand_download_url("http://127.0.0.1:8080/dl/", "a", "0.1.0", kSum1),
            "http://127.0.0.1:8080/dl/a/0.1.0/download");
}

TEST(CrateSource, DownloadUrlMarkers) {
  EXPECT_EQ(forge::expand_download_url("https://example.test/{crate}/{version}/{sha256-checksum}", "serde",
                                       "1.0.0", kSum1),
            "https://example.test/serde/1.0.0/" + kSum1);
  EXPECT_EQ(forge::expand_download_url("https://static.crates.io/crates/{crate}/{crate}-{version}.crate",
                                       "hexyl", "0.8.0", kSum1),
            "https://static.crates.io/crates/hexyl/hexyl-0.8.0.crate");
  EXPECT_EQ(
      forge::expand_download_url("https://m.test/{prefix}/{lowerprefix}/{crate}", "Serde", "1.0.0", kSum1),
      "https://m.test/Se/rd/se/rd/Serde");
  EXPECT_EQ(forge::expand_download_url("m/{prefix}/{crate}", "a", "1.0.0", kSum1), "m/1/a");
  EXPECT_EQ(forge::expand_download_url("m/{prefix}/{crate}", "ab", "1.0.0", kSum1), "m/2/ab");
  EXPECT_EQ(forge::expand_download_url("m/{prefix}/{lowerprefix}", "ABc", "1.0.0", kSum1), "m/3/A/3/a");
  // Only exact markers are expanded; a substituted value is not expanded again.
  EXPECT_EQ(forge::expand_download_url("m/{crate}/{other}", "x", "1.0.0", kSum1), "m/x/{other}");
}

TEST(CrateSource, IndexConfig) {
  EXPECT_EQ(forge::parse_index_config(R"({"dl":"https://static.crates.io/crates","api":"https://crates.io"})",
                                      "config.json"),
            "https://static.crates.io/crates");
  EXPECT_EQ(forge::parse_index_config(R"({"dl":"http://x/{crate}","api":null,"auth-required":false})", "c"),
            "http://x/{crate}");
  expect_error([] { forge::parse_index_config(R"({"api":"x"})", "mirror/config.json"); },
               forge::ExitCode::data, "mirror/config.json");
  expect_error([] { forge::parse_index_config(R"({"dl":5})", "c"); }, forge::ExitCode::data, "\"dl\"");
  expect_error([] { forge::parse_index_config("{", "c"); }, forge::ExitCode::data, "not valid JSON");
  expect_error([] { forge::parse_index_config("[]", "c"); }, forge::ExitCode::data, "not a JSON object");
}

class CrateSourceFile : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("forge_cs_test_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    file_ = dir_ / "demo-1.0.0.crate";
    std::ofstream(file_, std::ios::binary) << "crate bytes";
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  fs::path dir_;
  fs::path file_;
};

TEST_F(CrateSourceFile, ChecksumMatchKeepsFile) {
  const std::string sum = forge::sha256_hex("crate bytes");
  EXPECT_NO_THROW(forge::verify_crate_checksum(file_, sum));
  std::string upper = sum;
  for (char &c : upper) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  EXPECT_NO_THROW(forge::verify_crate_checksum(file_, upper));
  EXPECT_TRUE(fs::exists(file_));
}

TEST_F(CrateSourceFile, ChecksumMismatchDeletesFile) {
  const std::string actual = forge::sha256_hex("crate bytes");
  expect_error([&] { forge::verify_crate_checksum(file_, kSum1); }, forge::ExitCode::checksum,
               "checksum mismatch for " + file_.string() + ": expected " + kSum1 + ", got " + actual);
  EXPECT_FALSE(fs::exists(file_));
}

TEST_F(CrateSourceFile, ChecksumOfMissingFileIsIoError) {
  expect_error([&] { forge::verify_crate_checksum(dir_ / "missing.crate", kSum1); }, forge::ExitCode::io,
               "missing.crate");
}

} // namespace
