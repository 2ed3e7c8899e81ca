// Why: a failed build is often one setting away from a good one (a shipped Cargo.lock that no longer
// resolves, a nightly that removed a feature an old build script asks for, a static archive linked without
// its own dependencies, a feature that does not build); each rung of this ladder changes one setting, only
// when the previous failure calls for it, so a good build costs nothing extra and the ladder always ends.
// Pure functions: every trigger is unit-tested without running cargo. docs/retry-ladder.md tells why.
#pragma once
#include "forge/compile/build_result.hpp"
#include "forge/compile/builder.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace forge {

// The settings of one build attempt, and how it differs from the attempt before it.
struct AttemptPlan {
  FeatureSet features = FeatureSet::all;
  bool locked = false;
  std::string toolchain;                                // the builder's +toolchain; empty: none
  std::vector<std::pair<std::string, std::string>> env; // added to the builder's environment by the ladder
  std::string change;                                   // what this attempt changed; empty for the first
  std::string why;                                      // the previous failure that called for the change
  std::string note;                                     // the build log's line announcing it
};

// The first attempt: all features unless `mode` is default-only; `locked` when a usable Cargo.lock is there;
// the configured toolchain.
AttemptPlan first_attempt(FeatureMode mode, bool locked, std::string toolchain = "");

// The toolchain the toolchain rung moves a nightly build to.
inline constexpr const char *kFallbackToolchain = "stable";

// True when the log shows rustc refusing a `#![feature(...)]` that this nightly no longer has (E0635
// unknown feature, E0557 feature removed): typically an old build script that turns features on whenever it
// sees a nightly rustc (proc-macro2 < 1.0.60, ahash 0.7's stdsimd). A stable rustc makes it take its
// stable path.
bool nightly_feature_error(const Failure &failure, std::string_view log);

// The `<LIB>_STATIC=1` switches for the shared libraries a not-static executable needs (`libnettle.so.8`
// -> NETTLE_STATIC), read by the pkg-config crate and by -sys build scripts that emit `dylib=` otherwise;
// the C library itself and the dynamic loader are left out.
std::vector<std::string> static_switches(const std::vector<std::string> &needed);

// The attempt to make after `previous` failed with `failure` (whose attempt log is `log`), or nullopt when
// no rung applies: spurious failures (retried by `forge run`, not here), a missing builder, or nothing
// left to change. Each rung moves one setting one way only, so the ladder is finite. In order: without
// --locked (lock problem), stable toolchain (nightly-feature error), static closure (link error, or a
// not-static result), default features.
std::optional<AttemptPlan> next_attempt(FeatureMode mode, const AttemptPlan &previous, const Failure &failure,
                                        std::string_view log);

} // namespace forge
