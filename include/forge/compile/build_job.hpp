// Why: `forge build` as a library call: one crate, several targets, each ending in verified executables with
// metadata or a result.json that says precisely why not. A failed build is a value, not an exception.
#pragma once
#include "forge/compile/build_result.hpp"
#include "forge/compile/builder.hpp"
#include "forge/compile/crate_source.hpp"
#include "forge/compile/sandbox.hpp"
#include "forge/compile/supply_chain.hpp"
#include "forge/compile/target.hpp"
#include "forge/metadata/soar.hpp"
#include "forge/queue/queue.hpp"
#include "forge/util/error.hpp"

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace forge {

inline constexpr const char *kDefaultIndexUrl = "https://index.crates.io/";
// The time limit of each command of a build, and the grace between its SIGTERM and SIGKILL (also forge
// run's).
inline constexpr std::chrono::milliseconds kDefaultBuildTimeout{30 * 60 * 1000};
inline constexpr std::chrono::milliseconds kDefaultBuildGrace{10 * 1000};

struct BuildRequest {
  std::string crate;
  std::optional<std::string> version; // from crate@version
  std::vector<Target> targets;
  bool auto_builder = true; // --builder auto
  BuilderSettings settings;
  FeatureMode features = FeatureMode::all_then_default;
  std::optional<std::filesystem::path> queue;
  std::filesystem::path out = kDefaultOutDir;
  std::chrono::milliseconds timeout = kDefaultBuildTimeout;
  std::chrono::milliseconds grace = kDefaultBuildGrace;
  bool keep_build_dir = false;
  std::filesystem::path build_root; // empty: <cache>/builds
  std::string index_url = kDefaultIndexUrl;
  std::string crate_url; // template; empty: the index's config.json `dl`
  UnpackLimits limits;
  SandboxSettings sandbox;
  uint64_t log_cap_bytes = 8 << 20;
  int download_attempts = 5;
  double download_backoff_s = 1.0;
  SoarNaming naming;
  SupplyChainSettings supply;
};

struct TargetOutcome {
  Target target;
  std::filesystem::path dir; // <out>/<host>/<crate>/<version>
  BuildResult result;        // as written to <dir>/result.json
};

struct BuildOutcome {
  std::string crate, version;
  std::string builder, builder_reason;
  SandboxChoice sandbox;
  std::vector<TargetOutcome> targets;
  ExitCode code = ExitCode::ok; // ok, build_failed, checksum, network (download), interrupted
};

BuildOutcome run_build(const BuildRequest &request);

} // namespace forge
