// Why: the exact builder command lines and environment are the heart of "static, optimised, reproducible";
// they are pure functions of the settings so every variant is unit-tested without running anything.
#pragma once
#include "forge/compile/target.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace forge {

enum class BuilderKind { cross, zigbuild, cargo };
enum class FeatureSet { all, default_ }; // one attempt's features
enum class FeatureMode { all, default_, all_then_default };

BuilderKind parse_builder(const std::string &text); // "cross" | "zigbuild" | "cargo"; throws Error(usage)
std::string builder_name(BuilderKind kind);
FeatureMode parse_feature_mode(const std::string &text); // "all" | "default" | "all-then-default"
std::string feature_mode_name(FeatureMode mode);
std::string feature_set_name(FeatureSet set); // "all" | "default"

struct BuilderSettings {
  BuilderKind kind = BuilderKind::cargo;
  std::string toolchain = "nightly"; // empty: no "+toolchain" (e.g. Debian's /usr/bin/cargo)
  std::string cargo_program = "cargo";
  std::string cross_program = "cross";
  int jobs = 0;                // 0: nproc + 1, as the original pipeline
  bool offline = false;        // pass --offline (directory sources, sandboxed second phase)
  std::string extra_rustflags; // appended to the original RUSTFLAGS
  std::vector<std::pair<std::string, std::string>> linkers; // triple -> linker program
  // Reproducible builds: prefixes rustc rewrites in the paths it writes into executables (panic locations,
  // file!()), FROM -> TO, given before extra_rustflags so that a user's own mapping wins; and the date build
  // scripts that embed one should use.
  std::vector<std::pair<std::string, std::string>> remap_path_prefixes;
  std::optional<int64_t> source_date_epoch;
};

// Whether `toolchain` can use nightly-only flags (`-Z unstable-options --artifact-dir`).
bool toolchain_is_nightly(const std::string &toolchain);

// Whether the executables are collected from --artifact-dir (nightly toolchains, as the original pipeline) or
// from target/<triple>/release (any other toolchain, including none).
bool uses_artifact_dir(const BuilderSettings &settings);

struct BuildInvocation {
  std::vector<std::string> argv;
  std::vector<std::pair<std::string, std::string>> env; // to add to the inherited environment
  std::filesystem::path collect_dir;                    // where the executables will be
};

// The command for one attempt, run in `crate_dir` with CARGO_TARGET_DIR = `target_dir`.
BuildInvocation make_invocation(const BuilderSettings &settings, const Target &target, FeatureSet features,
                                bool locked, const std::filesystem::path &target_dir,
                                const std::filesystem::path &artifact_dir);

// The original pipeline's RUSTFLAGS (`link-self-contained=yes` only for musl) plus `extra`.
std::string rustflags_for(const Target &target, const std::string &extra);

// `--remap-path-prefix=FROM=TO` flags for RUSTFLAGS (space-separated, so a path with whitespace is left out).
std::string remap_flags(const std::vector<std::pair<std::string, std::string>> &prefixes);

// What `--builder auto` picks, with the reason said to the user.
struct BuilderChoice {
  BuilderKind kind;
  std::string reason;
};
// `container_engine_ok`: docker/podman answered; `have_cross`/`have_zigbuild`: programs on PATH.
BuilderChoice choose_builder(bool container_engine_ok, bool have_cross, bool have_zigbuild);

// Probes the machine (PATH lookups; `docker info`/`podman info` with a short timeout) and chooses.
BuilderChoice detect_builder(const BuilderSettings &settings);

// Looks `program` up on PATH (or checks it when it contains '/'); empty when not found.
std::string find_program(const std::string &program);

} // namespace forge
