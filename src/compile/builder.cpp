#include "forge/compile/builder.hpp"

#include "forge/compile/subprocess.hpp"
#include "forge/util/error.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <sstream>
#include <thread>

namespace forge {

BuilderKind parse_builder(const std::string &text) {
  if (text == "cross") {
    return BuilderKind::cross;
  }
  if (text == "zigbuild") {
    return BuilderKind::zigbuild;
  }
  if (text == "cargo") {
    return BuilderKind::cargo;
  }
  fail(ExitCode::usage, "--builder must be auto, cross, zigbuild or cargo, not '{}'", text);
}

std::string builder_name(BuilderKind kind) {
  switch (kind) {
  case BuilderKind::cross:
    return "cross";
  case BuilderKind::zigbuild:
    return "zigbuild";
  case BuilderKind::cargo:
    return "cargo";
  }
  return "cargo";
}

FeatureMode parse_feature_mode(const std::string &text) {
  if (text == "all") {
    return FeatureMode::all;
  }
  if (text == "default") {
    return FeatureMode::default_;
  }
  if (text == "all-then-default") {
    return FeatureMode::all_then_default;
  }
  fail(ExitCode::usage, "--features must be all, default or all-then-default, not '{}'", text);
}

std::string feature_mode_name(FeatureMode mode) {
  switch (mode) {
  case FeatureMode::all:
    return "all";
  case FeatureMode::default_:
    return "default";
  case FeatureMode::all_then_default:
    break;
  }
  return "all-then-default";
}

std::string feature_set_name(FeatureSet set) {
  return set == FeatureSet::all ? "all" : "default";
}

bool toolchain_is_nightly(const std::string &toolchain) {
  return toolchain.rfind("nightly", 0) == 0;
}

bool uses_artifact_dir(const BuilderSettings &s) {
  // `--artifact-dir` needs `-Z unstable-options`, which only nightly accepts, whichever front end (cross,
  // cargo-zigbuild, cargo) passes it on; any other toolchain leaves the executables in
  // target/<triple>/release.
  return toolchain_is_nightly(s.toolchain);
}

std::string rustflags_for(const Target &target, const std::string &extra) {
  std::string flags = "-C target-feature=+crt-static";
  if (target.musl()) {
    // The original pipeline's musl flags. On glibc targets default-linker-libraries=yes makes gcc add
    // libgcc_s to a static-pie link, and the result segfaults at start-up (measured with hexyl 0.8.0).
    flags += " -C default-linker-libraries=yes -C link-self-contained=yes";
  }
  flags +=
      " -C prefer-dynamic=no -C embed-bitcode=yes -C lto=yes -C opt-level=3 -C debuginfo=none"
      " -C strip=symbols -C link-arg=-Wl,-S -C link-arg=-Wl,--build-id=none -C link-arg=-Wl,--discard-all"
      " -C link-arg=-Wl,--strip-all";
  if (!extra.empty()) {
    flags += " " + extra;
  }
  return flags;
}

std::string remap_flags(const std::vector<std::pair<std::string, std::string>> &prefixes) {
  std::string out;
  for (const auto &[from, to] : prefixes) {
    const auto space = [](unsigned char c) { return std::isspace(c) != 0; };
    if (from.empty() || std::any_of(from.begin(), from.end(), space) ||
        std::any_of(to.begin(), to.end(), space)) {
      continue;
    }
    out += (out.empty() ? "" : " ") + std::string("--remap-path-prefix=") + from + "=" + to;
  }
  return out;
}

namespace {
std::string env_triple(const std::string &triple) {
  std::string out = triple;
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return c == '-' || c == '.' ? '_' : static_cast<char>(std::toupper(c));
  });
  return out;
}

std::string join_flags(const std::string &a, const std::string &b) {
  return a.empty() ? b : b.empty() ? a : a + " " + b;
}
} // namespace

BuildInvocation make_invocation(const BuilderSettings &s, const Target &target, FeatureSet features,
                                bool locked, const std::filesystem::path &target_dir,
                                const std::filesystem::path &artifact_dir) {
  BuildInvocation inv;
  const std::string plus = s.toolchain.empty() ? "" : "+" + s.toolchain;
  switch (s.kind) {
  case BuilderKind::cross:
    inv.argv = {s.cross_program};
    if (!plus.empty()) {
      inv.argv.push_back(plus);
    }
    inv.argv.emplace_back("build");
    break;
  case BuilderKind::zigbuild:
    inv.argv = {s.cargo_program};
    if (!plus.empty()) {
      inv.argv.push_back(plus);
    }
    inv.argv.emplace_back("zigbuild");
    break;
  case BuilderKind::cargo:
    inv.argv = {s.cargo_program};
    if (!plus.empty()) {
      inv.argv.push_back(plus);
    }
    inv.argv.emplace_back("build");
    break;
  }
  inv.argv.insert(inv.argv.end(), {"--target", target.triple});
  const bool artifact = uses_artifact_dir(s);
  if (artifact) {
    inv.argv.insert(inv.argv.end(), {"-Z", "unstable-options"});
  }
  if (features == FeatureSet::all) {
    inv.argv.emplace_back("--all-features");
  }
  if (artifact) {
    inv.argv.insert(inv.argv.end(), {"--artifact-dir", artifact_dir.string()});
    inv.collect_dir = artifact_dir;
  } else {
    inv.collect_dir = target_dir / target.triple / "release";
  }
  const int jobs = s.jobs > 0 ? s.jobs : static_cast<int>(std::thread::hardware_concurrency()) + 1;
  inv.argv.insert(inv.argv.end(), {"--jobs", std::to_string(jobs), "--release", "--verbose"});
  if (locked) {
    inv.argv.emplace_back("--locked");
  }
  if (s.offline) {
    inv.argv.emplace_back("--offline");
  }

  inv.env = {
      {"CARGO_TARGET_DIR", target_dir.string()},
      {"RUSTFLAGS", rustflags_for(target, join_flags(remap_flags(s.remap_path_prefixes), s.extra_rustflags))},
      // The release profile is set through cargo's environment knobs, never by editing Cargo.toml.
      {"CARGO_PROFILE_RELEASE_LTO", "true"},
      {"CARGO_PROFILE_RELEASE_OPT_LEVEL", "3"},
      {"CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "1"},
      {"CARGO_PROFILE_RELEASE_STRIP", "symbols"},
      {"CARGO_PROFILE_RELEASE_DEBUG", "false"},
      {"OPENSSL_STATIC", "1"},
      {"RUST_MIN_STACK", "33554432"},
      {"CARGO_TERM_COLOR", "never"},
      {"CARGO_ENCODED_RUSTFLAGS", ""}, // empty = removed: an inherited one would override RUSTFLAGS
  };
  if (s.source_date_epoch) {
    inv.env.emplace_back("SOURCE_DATE_EPOCH", std::to_string(*s.source_date_epoch));
  }
  for (const auto &[triple, linker] : s.linkers) {
    if (triple == target.triple) {
      inv.env.emplace_back("CARGO_TARGET_" + env_triple(triple) + "_LINKER", linker);
    }
  }
  return inv;
}

BuilderChoice choose_builder(bool container_engine_ok, bool have_cross, bool have_zigbuild) {
  if (have_cross && container_engine_ok) {
    return {BuilderKind::cross, "cross is installed and a container engine answers"};
  }
  std::string why =
      have_cross ? "cross is installed but no container engine answers" : "cross is not installed";
  if (have_zigbuild) {
    return {BuilderKind::zigbuild, why + "; cargo-zigbuild is installed"};
  }
  return {BuilderKind::cargo, why + "; cargo-zigbuild is not installed: plain cargo"};
}

std::string find_program(const std::string &program) {
  if (program.find('/') != std::string::npos) {
    return ::access(program.c_str(), X_OK) == 0 ? program : "";
  }
  const char *path = std::getenv("PATH");
  std::stringstream ss(path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin");
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    const std::string cand = (dir.empty() ? "." : dir) + "/" + program;
    if (::access(cand.c_str(), X_OK) == 0) {
      return cand;
    }
  }
  return "";
}

BuilderChoice detect_builder(const BuilderSettings &s) {
  const bool have_cross = !find_program(s.cross_program).empty();
  bool engine = false;
  if (have_cross) {
    for (const char *engine_name : {"docker", "podman"}) {
      if (find_program(engine_name).empty()) {
        continue;
      }
      ProcessSpec spec;
      spec.argv = {engine_name, "info"};
      spec.env = make_environment({});
      spec.timeout = std::chrono::seconds(10);
      spec.grace = std::chrono::seconds(1);
      spec.log_path =
          std::filesystem::temp_directory_path() / ("forge-engine-probe-" + std::to_string(::getpid()));
      const ProcessResult r = run_process(spec);
      std::error_code ec;
      std::filesystem::remove(spec.log_path, ec);
      if (r.ok()) {
        engine = true;
        break;
      }
    }
  }
  const bool have_zigbuild = !find_program("cargo-zigbuild").empty();
  return choose_builder(engine, have_cross, have_zigbuild);
}

} // namespace forge
