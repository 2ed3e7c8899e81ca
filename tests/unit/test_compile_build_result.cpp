#include "forge/compile/build_result.hpp"

#include <gtest/gtest.h>

namespace forge {
namespace {

BuildResult failed_result() {
  BuildResult r;
  r.crate = "fx";
  r.version = "1.0.0";
  r.target = "x86_64-unknown-linux-gnu";
  r.host = "x86_64-Linux";
  r.builder = "cargo";
  r.sandbox = "bwrap";
  r.argv = {"cargo", "build"};
  r.feature_mode = "default";
  r.failure = Failure::of(Reason::missing_system_library, "could not find system library 'ssl'");
  r.failure->libraries = {"ssl"};
  r.failure->crate = "openssl-sys";
  r.started_at = "2026-01-01T00:00:00Z";
  r.duration_s = 1.23456;
  r.attempts.push_back(AttemptRecord{1, "", "", "all", true, "compile-error", 1.5});
  r.attempts.push_back(AttemptRecord{2, "default features instead of --all-features", "compile-error: x",
                                     "default", true, "missing-system-library", 2.0});
  return r;
}

TEST(CompileBuildResult, RoundTripsThroughJson) {
  const BuildResult r = failed_result();
  const auto j = to_json(r);
  EXPECT_EQ(j["format"], "forge-result/1");
  EXPECT_EQ(j["status"], "failed");
  EXPECT_EQ(j["reason"], "missing-system-library");
  EXPECT_EQ(j["libraries"], nlohmann::json::array({"ssl"}));
  EXPECT_EQ(j["failed_crate"], "openssl-sys");
  EXPECT_TRUE(j["fetch_argv"].is_null()) << "no fetch phase ran";
  EXPECT_DOUBLE_EQ(j["duration_s"].get<double>(), 1.235);
  EXPECT_EQ(j["attempts"].size(), 2U);
  EXPECT_TRUE(j["attempts"][0]["change"].is_null());
  const auto back = build_result_from_json(nlohmann::json::parse(j.dump()));
  ASSERT_TRUE(back);
  EXPECT_EQ(to_json(*back).dump(), j.dump()) << "one writer, one reader: nothing lost";
}

TEST(CompileBuildResult, BuiltResultsHaveNoFailureFields) {
  BuildResult r = failed_result();
  r.failure.reset();
  r.status = Status::built;
  r.executables.push_back(ExecutableRecord{"fx", 10, "b3", "sha", true, false, "", ""});
  const auto j = to_json(r);
  EXPECT_TRUE(j["reason"].is_null());
  EXPECT_TRUE(j["details"].is_null());
  EXPECT_FALSE(j.contains("libraries"));
  const auto back = build_result_from_json(j);
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->built());
  EXPECT_FALSE(back->failure);
  ASSERT_EQ(back->executables.size(), 1U);
  EXPECT_TRUE(back->executables[0].is_static);
}

TEST(CompileBuildResult, IdentityFieldsAreRequired) {
  const auto good = to_json(failed_result());
  for (const char *key : {"format", "crate", "version", "target", "host", "status"}) {
    auto j = good;
    j.erase(key);
    EXPECT_FALSE(build_result_from_json(j)) << key;
    j = good;
    j[key] = 7;
    EXPECT_FALSE(build_result_from_json(j)) << key << " of the wrong type";
  }
  auto j = good;
  j["status"] = "maybe";
  EXPECT_FALSE(build_result_from_json(j));
  EXPECT_FALSE(build_result_from_json(nlohmann::json::array()));
}

TEST(CompileBuildResult, OtherFieldsOfTheWrongTypeReadAsAbsent) {
  auto j = to_json(failed_result());
  j["details"] = 3;
  j["spurious"] = "yes";
  j["libraries"] = "ssl";
  j["duration_s"] = "long";
  j["executables"] = nlohmann::json::array({1, {{"name", 2}}, {{"name", "ok"}, {"size", -5}}});
  j["attempts"] = nlohmann::json::object();
  const auto r = build_result_from_json(j);
  ASSERT_TRUE(r);
  ASSERT_TRUE(r->failure);
  EXPECT_EQ(r->failure->details, "");
  EXPECT_FALSE(r->failure->spurious) << "is_spurious(missing-system-library)";
  EXPECT_TRUE(r->failure->libraries.empty());
  EXPECT_EQ(r->duration_s, 0);
  ASSERT_EQ(r->executables.size(), 2U) << "non-objects are skipped";
  EXPECT_EQ(r->executables[0].name, "");
  EXPECT_EQ(r->executables[1].size, 0U);
  EXPECT_TRUE(r->attempts.empty());
}

TEST(CompileBuildResult, AnUnknownReasonReadsAsInternal) {
  auto j = to_json(failed_result());
  j["reason"] = "from-a-newer-forge";
  const auto r = build_result_from_json(j);
  ASSERT_TRUE(r && r->failure);
  EXPECT_EQ(r->failure->reason, Reason::internal);
  j["reason"] = nullptr;
  EXPECT_EQ(build_result_from_json(j)->failure->reason, Reason::internal);
}

} // namespace
} // namespace forge
