// Why: soar 0.6 drops a whole repository file over one mistyped field, so every record is checked against a
// real pkgforge-cargo record (fd-find, 2025-06) and against the type rules key by key.
#include "forge/metadata/soar.hpp"
#include "forge/util/error.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace {

using forge::SoarInputs;
using forge::SoarNaming;
using nlohmann::ordered_json;

// The reference record from soar-metadata.md, verbatim (including its old human `size`).
const char *const reference_record = R"json({"_disabled":"false",
"bsum":"4853d9abe0cb7da87cd138f7e54b4bdea83a346740f45a5a0c53b466b2a5e1bd",
"build_date":"2025-06-14T13:14:21Z","build_id":"15652012624","category":["Utility"],
"description":"fd is a simple, fast and user-friendly alternative to find.","download_count":"36792",
"download_url":
"https://api.ghcr.pkgforge.dev/pkgforge-cargo/fd-find/stable/fd?tag=10.2.0-x86_64-Linux&download=fd",
"external":"true","ghcr_pkg":"ghcr.io/pkgforge-cargo/fd-find/stable/fd:10.2.0-x86_64-Linux",
"ghcr_url":"https://ghcr.io/pkgforge-cargo/fd-find/stable/fd","homepage":["https://github.com/sharkdp/fd"],
"host":"x86_64-Linux","installable":"true","license":["MIT OR Apache-2.0"],
"maintainer":["pkgforge-cargo (https://github.com/pkgforge-cargo/builder)"],
"note":["This package was automatically built from crates.io using cargo-cross"],
"pkg":"fd","pkg_family":"fd-find","pkg_id":"pkgforge-cargo.fd-find.stable","pkg_name":"fd",
"pkg_type":"static",
"pkg_webpage":"https://crates.io/crates/fd-find","portable":"true","provides":["fd"],"rank":"1194",
"recurse_provides":"false","shasum":"c31e928be90231baebd81eab8bf408a516a62de71408ff8d4afd14dd9ed2cd6e",
"size":"4.2 MB","size_raw":"4376008","snapshots":["10.2.0-x86_64-Linux"],
"src_url":["https://crates.io/api/v1/crates/fd-find/10.2.0/download"],"tag":["file","filesystem","find"],
"trusted":"true","version":"10.2.0","version_upstream":"10.2.0"})json";

const std::set<std::string> number_fields{"rank", "size", "size_raw", "download_count"};
const std::set<std::string> boolean_fields{"_disabled",           "bundle",   "soar_syms",   "deprecated",
                                           "desktop_integration", "external", "installable", "portable",
                                           "recurse_provides",    "trusted"};
const std::set<std::string> array_fields{"src_url",   "homepage", "license",   "maintainer",
                                         "note",      "tag",      "category",  "provides",
                                         "snapshots", "repology", "ghcr_files"};

SoarInputs fd_find() {
  SoarInputs in;
  in.crate = "fd-find";
  in.version = "10.2.0";
  in.exe = "fd";
  in.host = "x86_64-Linux";
  in.provides = {"fd"};
  in.bsum = "4853d9abe0cb7da87cd138f7e54b4bdea83a346740f45a5a0c53b466b2a5e1bd";
  in.shasum = "c31e928be90231baebd81eab8bf408a516a62de71408ff8d4afd14dd9ed2cd6e";
  in.size = 4376008;
  in.description = "fd is a simple, fast and user-friendly alternative to find.";
  in.homepage = "https://github.com/sharkdp/fd";
  in.repository = "https://github.com/sharkdp/fd";
  in.license = "MIT OR Apache-2.0";
  in.keywords = {"file", "filesystem", "find"};
  in.categories = {"command-line-utilities"};
  in.rank = 1194;
  in.downloads = 36792;
  in.build_date = "2025-06-14T13:14:21Z";
  in.build_id = "15652012624";
  in.snapshots = {"10.2.0-x86_64-Linux"};
  return in;
}

// Every known soar field in `rec` has soar 0.6's type; returns the offending keys.
std::vector<std::string> type_problems(const ordered_json &rec) {
  std::vector<std::string> bad;
  for (const auto &[key, value] : rec.items()) {
    if (number_fields.count(key) != 0) {
      const std::string text = value.is_string() ? value.get<std::string>() : std::string();
      if (text.empty() || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
        bad.push_back(key);
    } else if (boolean_fields.count(key) != 0) {
      if (!value.is_string() || (value != "true" && value != "false"))
        bad.push_back(key);
    } else if (array_fields.count(key) != 0) {
      if (!value.is_array() ||
          !std::all_of(value.begin(), value.end(), [](const auto &v) { return v.is_string(); }))
        bad.push_back(key);
    } else if (!value.is_string()) {
      bad.push_back(key);
    }
  }
  return bad;
}

// Sets or clears one environment variable for a test's lifetime.
class EnvGuard {
public:
  explicit EnvGuard(const char *name) : name_(name) {
    if (const char *old = std::getenv(name); old != nullptr)
      old_ = old;
  }
  ~EnvGuard() {
    if (old_)
      setenv(name_, old_->c_str(), 1);
    else
      unsetenv(name_);
  }
  EnvGuard(const EnvGuard &) = delete;
  EnvGuard &operator=(const EnvGuard &) = delete;

private:
  const char *name_;
  std::optional<std::string> old_;
};

TEST(SoarRecord, MatchesReferenceRecord) {
  const auto ref = ordered_json::parse(reference_record);
  const auto rec = forge::soar_record(fd_find(), SoarNaming{});
  for (const char *key : {"_disabled",
                          "bsum",
                          "build_date",
                          "build_id",
                          "category",
                          "description",
                          "download_count",
                          "download_url",
                          "external",
                          "ghcr_pkg",
                          "ghcr_url",
                          "homepage",
                          "host",
                          "installable",
                          "license",
                          "maintainer",
                          "pkg",
                          "pkg_family",
                          "pkg_id",
                          "pkg_name",
                          "pkg_type",
                          "pkg_webpage",
                          "portable",
                          "provides",
                          "rank",
                          "recurse_provides",
                          "shasum",
                          "size_raw",
                          "snapshots",
                          "src_url",
                          "tag",
                          "trusted",
                          "version",
                          "version_upstream"})
    EXPECT_EQ(rec.at(key), ref.at(key)) << key;
  EXPECT_EQ(rec.at("size"), "4376008");
  EXPECT_EQ(rec.at("note"), ordered_json::array({SoarNaming{}.note}));
  // Every field of the reference is written, with the reference's JSON type.
  for (const auto &[key, value] : ref.items()) {
    ASSERT_TRUE(rec.contains(key)) << key;
    EXPECT_EQ(rec.at(key).type(), value.type()) << key;
  }
}

TEST(SoarRecord, EveryFieldHasSoarType) {
  auto in = fd_find();
  in.provides = {"fd", "fd-extra", "fd"};
  const auto rec = forge::soar_record(in, SoarNaming{});
  EXPECT_TRUE(type_problems(rec).empty()) << rec.dump();
  EXPECT_TRUE(type_problems(ordered_json::parse(reference_record)) == std::vector<std::string>{"size"});
  EXPECT_EQ(rec.at("provides"), ordered_json::array({"fd", "fd-extra"}));
  EXPECT_EQ(rec.at("recurse_provides"), "false");
  for (const char *key : {"bundle", "soar_syms", "deprecated", "desktop_integration"})
    EXPECT_EQ(rec.at(key), "false") << key;
  EXPECT_EQ(rec.at("ghcr_files"),
            ordered_json::array({"fd", "CHECKSUM", "LICENSE", "fd.json", "fd.log", "fd.version"}));
  EXPECT_EQ(
      rec.at("manifest_url"),
      "https://api.ghcr.pkgforge.dev/pkgforge-cargo/fd-find/stable/fd?tag=10.2.0-x86_64-Linux&manifest");
  EXPECT_EQ(rec.at("build_log"), "https://api.ghcr.pkgforge.dev/pkgforge-cargo/fd-find/stable/"
                                 "fd?tag=10.2.0-x86_64-Linux&download=fd.log");
  EXPECT_FALSE(rec.contains("ghcr_blob"));
  // Stable key order: the required identity fields come first.
  EXPECT_EQ(rec.begin().key(), "_disabled");
  EXPECT_EQ(rec.dump(), forge::soar_record(in, SoarNaming{}).dump());
}

TEST(SoarRecord, ProvidesAlwaysHoldsPkgName) {
  auto in = fd_find();
  in.provides = {"other"};
  const auto rec = forge::soar_record(in, SoarNaming{});
  EXPECT_EQ(rec.at("provides"), ordered_json::array({"fd", "other"}));
}

TEST(SoarRecord, UnknownsAreOmittedOrEmpty) {
  SoarInputs in;
  in.crate = "tiny";
  in.version = "0.1.0";
  in.exe = "tiny";
  in.host = "aarch64-Linux";
  in.bsum = std::string(64, 'A');
  in.shasum = std::string(64, '0');
  const auto rec = forge::soar_record(in, SoarNaming{});
  EXPECT_TRUE(type_problems(rec).empty()) << rec.dump();
  EXPECT_FALSE(rec.contains("rank"));
  EXPECT_FALSE(rec.contains("download_count"));
  EXPECT_EQ(rec.at("homepage"), ordered_json::array());
  EXPECT_EQ(rec.at("license"), ordered_json::array());
  EXPECT_EQ(rec.at("tag"), ordered_json::array());
  EXPECT_EQ(rec.at("snapshots"), ordered_json::array());
  EXPECT_EQ(rec.at("category"), ordered_json::array({"Utility"}));
  EXPECT_EQ(rec.at("size"), "0");
  EXPECT_EQ(rec.at("bsum"), std::string(64, 'a'));
  EXPECT_EQ(rec.at("build_id"), "");
  EXPECT_EQ(rec.at("build_gha"), "");
  const std::string date = rec.at("build_date");
  EXPECT_EQ(date.size(), 20u) << date;
  EXPECT_EQ(date.back(), 'Z');
  in.rank = -1;
  EXPECT_FALSE(forge::soar_record(in, SoarNaming{}).contains("rank"));
}

TEST(SoarRecord, DescriptionFallbackAndWhitespace) {
  auto in = fd_find();
  in.description.reset();
  EXPECT_EQ(forge::soar_record(in, SoarNaming{}).at("description"), "fd-find 10.2.0 (built from crates.io)");
  in.description = "  \n\t ";
  EXPECT_EQ(forge::soar_record(in, SoarNaming{}).at("description"), "fd-find 10.2.0 (built from crates.io)");
  in.description = "  A wrapped\n   description. ";
  EXPECT_EQ(forge::soar_record(in, SoarNaming{}).at("description"), "A wrapped description.");
}

TEST(SoarRecord, HomepageFallsBackToRepositoryAndDedupes) {
  auto in = fd_find();
  in.homepage.reset();
  EXPECT_EQ(forge::soar_record(in, SoarNaming{}).at("homepage"),
            ordered_json::array({"https://github.com/sharkdp/fd"}));
  in.homepage = "https://fd.example/";
  EXPECT_EQ(forge::soar_record(in, SoarNaming{}).at("homepage"),
            ordered_json::array({"https://fd.example/", "https://github.com/sharkdp/fd"}));
  in.homepage = "https://github.com/sharkdp/fd/";
  in.repository = "https://github.com/sharkdp/fd.git";
  EXPECT_EQ(forge::soar_record(in, SoarNaming{}).at("homepage"),
            ordered_json::array({"https://github.com/sharkdp/fd/"}));
}

TEST(SoarRecord, CategoriesMapToSoarNames) {
  auto in = fd_find();
  in.categories = {"development-tools::build-utils", "filesystem", "command-line-utilities", "no-such-slug",
                   "filesystem"};
  EXPECT_EQ(forge::soar_record(in, SoarNaming{}).at("category"),
            ordered_json::array({"Building", "FileTools", "Utility"}));
  in.categories = {"development-tools::unknown-sub"};
  EXPECT_EQ(forge::soar_record(in, SoarNaming{}).at("category"), ordered_json::array({"Development"}));
}

TEST(SoarRecord, RejectsBadInputs) {
  auto in = fd_find();
  in.bsum = "xyz";
  EXPECT_THROW(forge::soar_record(in, SoarNaming{}), forge::Error);
  in = fd_find();
  in.shasum = std::string(63, 'a');
  EXPECT_THROW(forge::soar_record(in, SoarNaming{}), forge::Error);
  in = fd_find();
  in.exe.clear();
  EXPECT_THROW(forge::soar_record(in, SoarNaming{}), forge::Error);
}

TEST(SoarGithub, FillsFromEnvironment) {
  EnvGuard run("GITHUB_RUN_ID"), server("GITHUB_SERVER_URL"), repo("GITHUB_REPOSITORY");
  setenv("GITHUB_RUN_ID", "15652012624", 1);
  setenv("GITHUB_SERVER_URL", "https://github.com/", 1);
  setenv("GITHUB_REPOSITORY", "pkgforge-cargo/builder", 1);
  SoarInputs in;
  forge::fill_github_build_info(in);
  EXPECT_EQ(in.build_id, "15652012624");
  EXPECT_EQ(in.build_gha, "https://github.com/pkgforge-cargo/builder/actions/runs/15652012624");

  unsetenv("GITHUB_REPOSITORY");
  forge::fill_github_build_info(in);
  EXPECT_EQ(in.build_id, "15652012624");
  EXPECT_EQ(in.build_gha, "");

  unsetenv("GITHUB_RUN_ID");
  unsetenv("GITHUB_SERVER_URL");
  in.build_id = "stale";
  in.build_gha = "stale";
  forge::fill_github_build_info(in);
  EXPECT_EQ(in.build_id, "");
  EXPECT_EQ(in.build_gha, "");
}

TEST(SoarTemplate, ExpandsMarkersVerbatim) {
  SoarInputs in;
  in.crate = "Foo_Bar";
  in.exe = "Baz";
  in.version = "1.0.0-RC1";
  in.host = "x86_64-Linux";
  SoarNaming naming;
  naming.owner = "My-Org";
  naming.repo = "My-Repo";
  naming.registry = "GHCR.io";
  EXPECT_EQ(
      forge::expand_template("{registry}|{owner}|{repo}|{crate}|{exe}|{version}|{host}|{tag}", in, naming),
      "GHCR.io|My-Org|My-Repo|Foo_Bar|Baz|1.0.0-RC1|x86_64-Linux|1.0.0-RC1-x86_64-Linux");
  EXPECT_EQ(forge::expand_template("no markers { here", in, naming), "no markers { here");
  EXPECT_EQ(forge::expand_template("", in, naming), "");
  EXPECT_THROW(forge::expand_template("{nope}", in, naming), forge::Error);
}

TEST(SoarTemplate, LowercasesOciRepository) {
  SoarInputs in;
  in.crate = "Foo_Bar";
  in.exe = "Baz";
  in.version = "1.0.0";
  in.host = "x86_64-Linux";
  in.bsum = std::string(64, 'b');
  in.shasum = std::string(64, 'c');
  SoarNaming naming;
  naming.owner = "My-Org";
  EXPECT_EQ(forge::oci_repository(in, naming), "ghcr.io/my-org/foo_bar/stable/baz");
  const auto rec = forge::soar_record(in, naming);
  EXPECT_EQ(rec.at("ghcr_pkg"), "ghcr.io/my-org/foo_bar/stable/baz:1.0.0-x86_64-Linux");
  EXPECT_EQ(rec.at("ghcr_url"), "https://ghcr.io/my-org/foo_bar/stable/baz");
  // The proxy path names the OCI repository (lowercase); download= names the layer title = pkg_name.
  EXPECT_EQ(rec.at("download_url"),
            "https://api.ghcr.pkgforge.dev/my-org/foo_bar/stable/baz?tag=1.0.0-x86_64-Linux&download=Baz");
  EXPECT_EQ(rec.at("pkg_name"), "Baz");
  EXPECT_EQ(rec.at("pkg_family"), "Foo_Bar");
  EXPECT_EQ(rec.at("pkg_id"), "pkgforge-cargo.Foo_Bar.stable");
  EXPECT_EQ(rec.at("pkg_webpage"), "https://crates.io/crates/Foo_Bar");
  EXPECT_EQ(rec.at("ghcr_files").front(), "Baz");
}

} // namespace
