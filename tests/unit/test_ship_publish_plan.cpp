// Why: publish must take exactly what `forge build` verified (built, static, unchanged since) and name it
// where soar will look; these tests craft out dirs with each way that can go wrong.
#include "forge/hash/blake3.hpp"
#include "forge/hash/sha256.hpp"
#include "forge/metadata/soar.hpp"
#include "forge/ship/publish.hpp"
#include "forge/util/error.hpp"
#include "forge/util/fs.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

class PublishPlan : public ::testing::Test {
protected:
  void SetUp() override {
    out_ = fs::temp_directory_path() / ("forge-publish-plan-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(out_);
  }
  void TearDown() override { fs::remove_all(out_); }

  // A built crate dir as `forge build` leaves it, with one executable per entry of `exes`.
  fs::path add_build(const std::string &crate, const std::string &version,
                     const std::vector<std::string> &exes, const std::string &status = "built",
                     bool is_static = true, const std::string &host = "x86_64-Linux") {
    const fs::path dir = out_ / host / crate / version;
    ordered_json list = ordered_json::array();
    std::string checksum;
    for (const auto &exe : exes) {
      const std::string body = "\x7f"
                               "ELF fake executable " +
                               crate + "/" + exe;
      forge::write_file_atomic(dir / exe, body);
      forge::SoarInputs in;
      in.crate = crate;
      in.version = version;
      in.exe = exe;
      in.host = host;
      in.provides = exes;
      in.bsum = forge::blake3_hex(body);
      in.shasum = forge::sha256_hex(body);
      in.size = body.size();
      in.build_date = "2025-06-14T13:14:21Z";
      forge::write_file_atomic(dir / (exe + ".json"),
                               forge::soar_record(in, forge::SoarNaming{}).dump(2) + "\n");
      forge::write_file_atomic(dir / (exe + ".version"), version + "\n");
      forge::write_file_atomic(dir / (exe + ".log"), "log\n");
      checksum += exe + ":" + in.bsum + "\n";
      list.push_back({{"name", exe},
                      {"size", body.size()},
                      {"bsum", in.bsum},
                      {"shasum", in.shasum},
                      {"static", is_static}});
    }
    forge::write_file_atomic(dir / "CHECKSUM", checksum);
    forge::write_file_atomic(dir / "LICENSE", "MIT\n");
    forge::write_file_atomic(dir / "build.log", "log\n");
    ordered_json result{
        {"format", "forge-result/1"},
        {"crate", crate},
        {"version", version},
        {"target", host == "aarch64-Linux" ? "aarch64-unknown-linux-musl" : "x86_64-unknown-linux-musl"},
        {"host", host},
        {"status", status},
        {"executables", list}};
    forge::write_file_atomic(dir / "result.json", result.dump(2));
    return dir;
  }

  forge::PublishRequest request() const {
    forge::PublishRequest r;
    r.out = out_;
    r.name_space = "Test-NS";
    return r;
  }

  fs::path out_;
};

TEST_F(PublishPlan, TakesEveryBuiltStaticExecutable) {
  add_build("Multi-Tool", "1.2.0", {"mt", "mt-helper"});
  add_build("other", "0.1.0", {"other"}, "built", true, "aarch64-Linux");
  add_build("broken", "0.1.0", {}, "failed");
  forge::write_file_atomic(out_ / "queue.json", "{}"); // unrelated files are ignored
  forge::write_file_atomic(out_ / "metadata" / "x86_64-Linux.json", "[]");
  const auto items = forge::plan_publish(request());
  ASSERT_EQ(items.size(), 3U);
  EXPECT_EQ(items[0].exe, "other");
  EXPECT_EQ(items[0].tag, "0.1.0-aarch64-Linux");
  EXPECT_EQ(items[1].crate, "Multi-Tool");
  EXPECT_EQ(items[1].exe, "mt");
  EXPECT_EQ(items[1].repository, "test-ns/multi-tool/stable/mt");
  EXPECT_EQ(items[1].tag, "1.2.0-x86_64-Linux");
  EXPECT_EQ(items[2].repository, "test-ns/multi-tool/stable/mt-helper");
  const auto &files = items[1].files;
  ASSERT_EQ(files.size(), 5U);
  const std::vector<std::string> titles{"mt", "CHECKSUM", "LICENSE", "mt.log", "mt.version"};
  for (size_t i = 0; i < titles.size(); ++i) {
    EXPECT_EQ(files[i].title, titles[i]);
    EXPECT_EQ(files[i].digest, "sha256:" + forge::sha256_hex(forge::read_file(files[i].file)));
    EXPECT_EQ(files[i].size, fs::file_size(files[i].file));
  }
  EXPECT_EQ(items[1].record["pkg_name"], "mt");
}

TEST_F(PublishPlan, OnlyFiltersByCrateNameAndRejectsUnknownNames) {
  add_build("fd-find", "10.2.0", {"fd"});
  add_build("ripgrep", "14.1.0", {"rg"});
  auto req = request();
  req.only = {"FD_find"}; // crates.io treats case and -/_ alike
  const auto items = forge::plan_publish(req);
  ASSERT_EQ(items.size(), 1U);
  EXPECT_EQ(items[0].exe, "fd");
  req.only = {"fd-find", "nope"};
  try {
    forge::plan_publish(req);
    FAIL() << "expected an error";
  } catch (const forge::Error &e) {
    EXPECT_EQ(e.code(), forge::ExitCode::usage);
    EXPECT_NE(std::string(e.what()).find("nope"), std::string::npos);
  }
}

TEST_F(PublishPlan, SkipsDynamicAndFailedBuilds) {
  add_build("dyn", "1.0.0", {"dyn"}, "built", false);
  add_build("bad", "1.0.0", {"bad"}, "failed");
  EXPECT_TRUE(forge::plan_publish(request()).empty());
}

TEST_F(PublishPlan, RefusesAnExecutableChangedSinceTheBuild) {
  const fs::path dir = add_build("fd-find", "10.2.0", {"fd"});
  forge::write_file_atomic(dir / "fd", "tampered");
  try {
    forge::plan_publish(request());
    FAIL() << "expected a checksum error";
  } catch (const forge::Error &e) {
    EXPECT_EQ(e.code(), forge::ExitCode::checksum);
  }
}

TEST_F(PublishPlan, MissingFilesAndMissingOutDir) {
  const fs::path dir = add_build("fd-find", "10.2.0", {"fd"});
  fs::remove(dir / "CHECKSUM");
  EXPECT_THROW(forge::plan_publish(request()), forge::Error);
  auto req = request();
  req.out = out_ / "does-not-exist";
  try {
    forge::plan_publish(req);
    FAIL() << "expected a usage error";
  } catch (const forge::Error &e) {
    EXPECT_EQ(e.code(), forge::ExitCode::usage);
  }
}

TEST_F(PublishPlan, FallsBackToBuildLogAndRejectsPathNames) {
  const fs::path dir = add_build("fd-find", "10.2.0", {"fd"});
  fs::remove(dir / "fd.log");
  auto items = forge::plan_publish(request());
  ASSERT_EQ(items.size(), 1U);
  EXPECT_EQ(items[0].files[3].title, "fd.log");
  EXPECT_EQ(items[0].files[3].file, dir / "build.log");

  auto result = ordered_json::parse(forge::read_file(dir / "result.json"));
  result["executables"][0]["name"] = "../fd";
  forge::write_file_atomic(dir / "result.json", result.dump());
  EXPECT_THROW(forge::plan_publish(request()), forge::Error);
}

TEST_F(PublishPlan, FieldsOfTheWrongTypeAreDataErrorsNamingTheFile) {
  const fs::path dir = add_build("fd-find", "10.2.0", {"fd"});
  const auto original = ordered_json::parse(forge::read_file(dir / "result.json"));
  for (const char *field : {"format", "status", "crate", "host"}) {
    auto result = original;
    result[field] = 1;
    forge::write_file_atomic(dir / "result.json", result.dump());
    try {
      forge::plan_publish(request());
      FAIL() << "expected a data error for " << field;
    } catch (const forge::Error &e) {
      EXPECT_EQ(e.code(), forge::ExitCode::data) << field;
      EXPECT_NE(std::string(e.what()).find((dir / "result.json").string()), std::string::npos) << e.what();
    }
  }
  auto result = original;
  result["executables"][0]["static"] = "yes";
  forge::write_file_atomic(dir / "result.json", result.dump());
  EXPECT_TRUE(forge::plan_publish(request()).empty()) << "\"static\": \"yes\" is not static";
  forge::write_file_atomic(dir / "result.json", original.dump());
  auto record = ordered_json::parse(forge::read_file(dir / "fd.json"));
  record["bsum"] = 7;
  forge::write_file_atomic(dir / "fd.json", record.dump());
  try {
    forge::plan_publish(request());
    FAIL() << "expected a checksum error";
  } catch (const forge::Error &e) {
    EXPECT_EQ(e.code(), forge::ExitCode::checksum);
  }
}

TEST(PublishRecord, SameDestinationKeepsUrlsAndFillsSnapshots) {
  forge::PublishItem item;
  item.crate = "fd-find";
  item.version = "10.2.0";
  item.host = "x86_64-Linux";
  item.exe = "fd";
  item.repository = "pkgforge-cargo/fd-find/stable/fd";
  item.tag = "10.2.0-x86_64-Linux";
  ordered_json record{{"ghcr_pkg", "ghcr.io/pkgforge-cargo/fd-find/stable/fd:10.2.0-x86_64-Linux"},
                      {"download_url", "https://example/custom"},
                      {"snapshots", ordered_json::array()}};
  forge::retarget_record(record, item, forge::RegistryEndpoint{}, "pkgforge-cargo",
                         {"9.0.0-x86_64-Linux", "10.1.0-x86_64-Linux", "10.1.0-aarch64-Linux", "latest",
                          "10.2.0-x86_64-Linux", "9.10.0-x86_64-Linux"});
  EXPECT_EQ(record["download_url"], "https://example/custom");
  EXPECT_EQ(record["snapshots"], ordered_json::array({"10.2.0-x86_64-Linux", "10.1.0-x86_64-Linux",
                                                      "9.10.0-x86_64-Linux", "9.0.0-x86_64-Linux"}));
}

TEST(PublishRecord, OtherDestinationRewritesOciFields) {
  forge::PublishItem item;
  item.crate = "Fd-Find";
  item.version = "10.2.0";
  item.host = "x86_64-Linux";
  item.exe = "FD";
  item.repository = "me/fd-find/stable/fd";
  item.tag = "10.2.0-x86_64-Linux";
  ordered_json record{{"ghcr_pkg", "ghcr.io/pkgforge-cargo/fd-find/stable/fd:10.2.0-x86_64-Linux"}};
  forge::retarget_record(record, item, forge::parse_registry("http://127.0.0.1:5000"), "me", {});
  EXPECT_EQ(record["ghcr_pkg"], "127.0.0.1:5000/me/fd-find/stable/fd:10.2.0-x86_64-Linux");
  EXPECT_EQ(record["ghcr_url"], "http://127.0.0.1:5000/me/fd-find/stable/fd");
  EXPECT_EQ(record["download_url"],
            "https://api.ghcr.pkgforge.dev/me/fd-find/stable/fd?tag=10.2.0-x86_64-Linux&download=FD");
  EXPECT_EQ(record["snapshots"], ordered_json::array({"10.2.0-x86_64-Linux"}));
}

TEST(PublishRecord, TagOrderIsDigitAware) {
  EXPECT_TRUE(forge::tag_newer("1.10.0-x", "1.9.0-x"));
  EXPECT_FALSE(forge::tag_newer("1.9.0-x", "1.10.0-x"));
  EXPECT_FALSE(forge::tag_newer("2.0.0-x", "10.0.0-w"));
  EXPECT_FALSE(forge::tag_newer("1.0.0-x", "1.0.0-x"));
  EXPECT_TRUE(forge::tag_newer("1.0.01-x", "1.0.0-x"));
}

} // namespace
