// Why: a build that cannot work should be known before hours are spent; `forge doctor` says what is installed
// here, which builder `auto` would pick for each target, and whether that builder can really build it.
#pragma once
#include "forge/compile/builder.hpp"
#include "forge/compile/sandbox.hpp"
#include "forge/compile/target.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace forge {

struct DoctorReport {
  struct Toolchain {
    std::string name; // "stable", "nightly" (host suffix dropped) or "system (/usr/bin/rustc)"
    std::vector<std::string> targets; // triples whose standard library is installed
  };
  std::vector<Toolchain> toolchains;
  std::string default_toolchain; // rustup's default, empty without rustup

  struct Program {
    std::string name, path, version; // version: first line of `--version`, empty when it did not answer
  };
  std::vector<Program> cargo_programs; // each distinct cargo found (by canonical path)

  bool have_cross = false;
  std::string cross_version;
  std::vector<std::string> container_engines; // those that answered `docker info` / `podman info`

  bool have_zig = false, have_zigbuild = false;

  std::vector<std::pair<std::string, std::string>> linkers; // configured triple -> program
  std::vector<std::pair<std::string, bool>> linker_found;   // program -> found, parallel to `linkers`

  uint64_t free_bytes_out = 0, free_bytes_cache = 0;

  SandboxProbe sandbox; // whether `forge build --sandbox auto` gets bwrap here, and why (not)

  struct TargetPlan {
    std::string triple, host;
    std::string builder; // what `--builder auto` picks here
    std::string reason;  // why it picks it
    bool can_build = false;
    std::string why_not; // empty when can_build
  };
  std::vector<TargetPlan> targets;
  bool anything_can_build = false;
};

// Probes this machine (never throws for a missing or failing program: every probe has a 10 s timeout) and
// plans `target_specs` (as resolve_targets takes them; an unknown spec throws Error(usage)).
DoctorReport run_doctor(const BuilderSettings &settings, const std::vector<std::string> &target_specs,
                        const std::filesystem::path &out_dir, const std::filesystem::path &cache_dir,
                        const SandboxSettings &sandbox = {});

// The plan for one target from the probed facts already in `probed` (toolchains, cargo_programs, have_cross,
// container_engines, have_zig, have_zigbuild, linkers, linker_found). Pure: no process is run.
DoctorReport::TargetPlan plan_target(const DoctorReport &probed, const BuilderSettings &settings,
                                     const Target &target);

// A readable report: Toolchains, Cargo, Cross/containers, Zig, Linkers, Disk, Sandbox, Targets (✓/✗ with the
// reason).
std::string render_doctor(const DoctorReport &report, bool color);

nlohmann::ordered_json doctor_to_json(const DoctorReport &report);

} // namespace forge
