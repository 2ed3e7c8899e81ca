// Why: `forge doctor` decides exit code 9 ("nothing can build"); its verdicts are checked on fixed facts, and
// the probes once against this machine's real rustup, cargo and /usr/bin/rustc.
#include "forge/compile/doctor.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using forge::BuilderKind;
using forge::BuilderSettings;
using forge::DoctorReport;

bool rustup_present() {
  if (!forge::find_program("rustup").empty()) {
    return true;
  }
  const char *home = std::getenv("HOME");
  return home != nullptr && ::access((fs::path(home) / ".cargo/bin/rustup").c_str(), X_OK) == 0;
}

BuilderSettings stable_cargo() {
  BuilderSettings s;
  s.kind = BuilderKind::cargo;
  s.toolchain = "stable";
  return s;
}

// The machine is probed once for the whole suite: the probes run real programs.
const DoctorReport &machine_report() {
  static const DoctorReport report = forge::run_doctor(
      stable_cargo(), {"x86_64-unknown-linux-gnu", "aarch64-unknown-linux-musl"},
      fs::temp_directory_path() / "forge-doctor-test-missing" / "out", fs::temp_directory_path());
  return report;
}

const DoctorReport::TargetPlan *plan_for(const DoctorReport &r, const std::string &triple) {
  const auto it = std::find_if(r.targets.begin(), r.targets.end(),
                               [&](const DoctorReport::TargetPlan &t) { return t.triple == triple; });
  return it == r.targets.end() ? nullptr : &*it;
}

// Facts for the pure planner: a "stable" toolchain with the host std only, no cross, no zig.
DoctorReport fake_facts() {
  DoctorReport r;
  r.toolchains = {{"stable", {"x86_64-unknown-linux-gnu"}},
                  {"system (/usr/bin/rustc)", {"aarch64-unknown-linux-gnu", "x86_64-unknown-linux-gnu"}}};
  r.default_toolchain = "stable";
  return r;
}

BuilderSettings fake_settings(const std::string &toolchain) {
  BuilderSettings s;
  s.toolchain = toolchain;
  s.cargo_program = "/bin/sh"; // any executable that is not a rustup proxy
  return s;
}

TEST(DoctorMachine, FindsCargoAndToolchains) {
  const DoctorReport &r = machine_report();
  EXPECT_FALSE(r.cargo_programs.empty());
  for (const auto &p : r.cargo_programs) {
    EXPECT_FALSE(p.path.empty()) << p.name;
  }
  EXPECT_GT(r.free_bytes_out, 0U); // the nearest existing parent of a missing directory
  EXPECT_GT(r.free_bytes_cache, 0U);
  if (!rustup_present()) {
    GTEST_SKIP() << "no rustup on this machine";
  }
  const auto stable = std::find_if(r.toolchains.begin(), r.toolchains.end(),
                                   [](const DoctorReport::Toolchain &t) { return t.name == "stable"; });
  ASSERT_NE(stable, r.toolchains.end());
  EXPECT_NE(std::find(stable->targets.begin(), stable->targets.end(), "x86_64-unknown-linux-gnu"),
            stable->targets.end());
}

TEST(DoctorMachine, HostBuildsAndMissingStdDoesNot) {
  if (!rustup_present()) {
    GTEST_SKIP() << "no rustup on this machine";
  }
  const DoctorReport &r = machine_report();
  const auto *host = plan_for(r, "x86_64-unknown-linux-gnu");
  ASSERT_NE(host, nullptr);
  EXPECT_EQ(host->builder, "cargo");
  EXPECT_TRUE(host->can_build) << host->why_not;
  EXPECT_TRUE(host->why_not.empty());
  const auto *musl = plan_for(r, "aarch64-unknown-linux-musl");
  ASSERT_NE(musl, nullptr);
  EXPECT_EQ(musl->host, "aarch64-Linux");
  EXPECT_FALSE(musl->can_build);
  EXPECT_NE(musl->why_not.find("aarch64-unknown-linux-musl"), std::string::npos) << musl->why_not;
  EXPECT_TRUE(r.anything_can_build);
}

TEST(DoctorMachine, RenderAndJson) {
  const DoctorReport &r = machine_report();
  const std::string text = forge::render_doctor(r, false);
  for (const char *section :
       {"Toolchains", "Cargo", "Cross/containers", "Zig", "Linkers", "Disk", "Targets"}) {
    EXPECT_NE(text.find(section), std::string::npos) << section;
  }
  EXPECT_EQ(text.find("\x1b["), std::string::npos);
  EXPECT_NE(forge::render_doctor(r, true).find("\x1b["), std::string::npos);
  EXPECT_NE(text.find("x86_64-unknown-linux-gnu"), std::string::npos);
  const auto j = forge::doctor_to_json(r);
  ASSERT_TRUE(j.contains("anything_can_build"));
  EXPECT_EQ(j["anything_can_build"].get<bool>(), r.anything_can_build);
  EXPECT_EQ(j["targets"].size(), 2U);
  EXPECT_TRUE(j["cargo_programs"].is_array());
}

TEST(DoctorMachine, UnknownTargetIsAUsageError) {
  EXPECT_THROW(forge::run_doctor(stable_cargo(), {"bogus"}, "/tmp", "/tmp"), std::exception);
}

TEST(DoctorPlan, CrossAlwaysCanBuild) {
  DoctorReport r = fake_facts();
  r.have_cross = true;
  r.container_engines = {"docker"};
  const auto plan = forge::plan_target(r, fake_settings("stable"), forge::resolve_target("riscv64"));
  EXPECT_EQ(plan.builder, "cross");
  EXPECT_TRUE(plan.can_build);
  EXPECT_FALSE(plan.reason.empty());
}

TEST(DoctorPlan, CrossWithoutEngineFallsBackToCargo) {
  DoctorReport r = fake_facts();
  r.have_cross = true;
  const auto plan = forge::plan_target(r, fake_settings("stable"), forge::resolve_target("aarch64"));
  EXPECT_EQ(plan.builder, "cargo");
  EXPECT_FALSE(plan.can_build);
}

TEST(DoctorPlan, ZigbuildNeedsZig) {
  DoctorReport r = fake_facts();
  r.have_zigbuild = true;
  const forge::Target host{"x86_64-unknown-linux-gnu", "x86_64-Linux"};
  auto plan = forge::plan_target(r, fake_settings("stable"), host);
  EXPECT_EQ(plan.builder, "zigbuild");
  EXPECT_FALSE(plan.can_build);
  EXPECT_NE(plan.why_not.find("zig"), std::string::npos);
  r.have_zig = true;
  plan = forge::plan_target(r, fake_settings("stable"), host);
  EXPECT_TRUE(plan.can_build) << plan.why_not;
}

TEST(DoctorPlan, CargoForeignTargetNeedsStdAndLinker) {
  DoctorReport r = fake_facts();
  const forge::Target arm{"aarch64-unknown-linux-gnu", "aarch64-Linux"};
  // Debian's rustc (empty toolchain, non-rustup cargo) has the aarch64 std, but no linker is configured.
  auto plan = forge::plan_target(r, fake_settings(""), arm);
  EXPECT_FALSE(plan.can_build);
  EXPECT_NE(plan.why_not.find("no linker configured"), std::string::npos) << plan.why_not;
  EXPECT_EQ(plan.why_not.find("standard library"), std::string::npos) << plan.why_not;
  r.linkers = {{"aarch64-unknown-linux-gnu", "aarch64-linux-gnu-gcc"}};
  r.linker_found = {{"aarch64-linux-gnu-gcc", false}};
  plan = forge::plan_target(r, fake_settings(""), arm);
  EXPECT_FALSE(plan.can_build);
  EXPECT_NE(plan.why_not.find("not found"), std::string::npos) << plan.why_not;
  r.linker_found = {{"aarch64-linux-gnu-gcc", true}};
  plan = forge::plan_target(r, fake_settings(""), arm);
  EXPECT_TRUE(plan.can_build) << plan.why_not;
  // The same target with rustup's stable: its std is missing.
  plan = forge::plan_target(r, fake_settings("stable"), arm);
  EXPECT_FALSE(plan.can_build);
  EXPECT_NE(plan.why_not.find("aarch64-unknown-linux-gnu"), std::string::npos);
  EXPECT_NE(plan.why_not.find("stable"), std::string::npos);
}

TEST(DoctorPlan, MissingToolchainOrCargo) {
  const DoctorReport r = fake_facts();
  const forge::Target host{"x86_64-unknown-linux-gnu", "x86_64-Linux"};
  auto plan = forge::plan_target(r, fake_settings("nightly"), host);
  EXPECT_FALSE(plan.can_build);
  EXPECT_NE(plan.why_not.find("toolchain 'nightly' is not installed"), std::string::npos) << plan.why_not;
  plan = forge::plan_target(r, fake_settings("stable-x86_64-unknown-linux-gnu"), host);
  EXPECT_TRUE(plan.can_build) << plan.why_not;
  BuilderSettings s = fake_settings("stable");
  s.cargo_program = "/nonexistent/cargo";
  plan = forge::plan_target(r, s, host);
  EXPECT_FALSE(plan.can_build);
  EXPECT_NE(plan.why_not.find("/nonexistent/cargo"), std::string::npos);
}

TEST(DoctorPlan, NativeArchMuslNeedsNoLinker) {
  DoctorReport r = fake_facts();
  r.toolchains[0].targets.emplace_back("x86_64-unknown-linux-musl");
  const auto plan = forge::plan_target(r, fake_settings("stable"), forge::resolve_target("x86_64"));
  EXPECT_TRUE(plan.can_build) << plan.why_not;
}

} // namespace
