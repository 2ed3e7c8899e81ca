// Why: the rungs, in the order they are tried; see attempt_ladder.hpp.
#include "forge/compile/attempt_ladder.hpp"

#include "forge/compile/classify.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace forge {

AttemptPlan first_attempt(FeatureMode mode, bool locked, std::string toolchain) {
  AttemptPlan plan;
  plan.features = mode == FeatureMode::default_ ? FeatureSet::default_ : FeatureSet::all;
  plan.locked = locked;
  plan.toolchain = std::move(toolchain);
  return plan;
}

bool nightly_feature_error(const Failure &failure, std::string_view log) {
  if (failure.reason != Reason::compile_error) {
    return false;
  }
  for (const auto &code : failure.error_codes) {
    if (code == "E0635" || code == "E0557") {
      return true;
    }
  }
  return log.find("error[E0635]") != std::string_view::npos ||
         log.find("error[E0557]") != std::string_view::npos;
}

std::vector<std::string> static_switches(const std::vector<std::string> &needed) {
  std::vector<std::string> out;
  for (const auto &soname : needed) {
    std::string name = soname.substr(0, soname.find(".so"));
    if (name.starts_with("lib")) {
      name = name.substr(3);
    }
    // glibc's own libraries: no -sys crate links them, and static glibc comes from +crt-static.
    static constexpr std::string_view libc[] = {"c", "m", "dl", "pthread", "rt", "util", "gcc_s", "resolv"};
    if (name.empty() || name.starts_with("ld-linux") || name.starts_with("ld64") ||
        std::find(std::begin(libc), std::end(libc), name) != std::end(libc)) {
      continue;
    }
    std::string var;
    for (const unsigned char c : name) {
      var += std::isalnum(c) != 0 ? static_cast<char>(std::toupper(c)) : '_';
    }
    var += "_STATIC";
    if (std::find(out.begin(), out.end(), var) == out.end()) {
      out.push_back(var);
    }
  }
  return out;
}

namespace {

bool has_env(const AttemptPlan &plan, std::string_view key) {
  return std::any_of(plan.env.begin(), plan.env.end(), [&](const auto &kv) { return kv.first == key; });
}

bool unresolved_symbols(std::string_view log) {
  return log.find("undefined symbol: ") != std::string_view::npos ||
         log.find("undefined reference to `") != std::string_view::npos;
}

// The static-closure rung: pkg-config's --static answer for every probe, plus the -sys crates' own
// switches for the libraries a dynamically linked result needs. nullopt when it adds nothing new.
std::optional<AttemptPlan> static_closure(const AttemptPlan &previous, const Failure &failure,
                                          std::string_view log) {
  std::vector<std::string> add;
  if (failure.reason == Reason::not_static) {
    add = static_switches(failure.libraries);
  } else if (failure.reason != Reason::link_error || !unresolved_symbols(log)) {
    return std::nullopt;
  }
  add.insert(add.begin(), "PKG_CONFIG_ALL_STATIC");
  AttemptPlan next = previous;
  std::vector<std::string> added;
  for (const auto &key : add) {
    if (!has_env(next, key)) {
      next.env.emplace_back(key, "1");
      added.push_back(key + "=1");
    }
  }
  if (added.empty()) {
    return std::nullopt;
  }
  next.change = fmt::format("static closure: {}", fmt::join(added, " "));
  next.note =
      failure.reason == Reason::not_static
          ? fmt::format("the executables link shared libraries; retrying with {}", fmt::join(added, " "))
          : fmt::format("a static library was linked without its own dependencies; retrying with {}",
                        fmt::join(added, " "));
  return next;
}

} // namespace

std::optional<AttemptPlan> next_attempt(FeatureMode mode, const AttemptPlan &previous, const Failure &failure,
                                        std::string_view log) {
  if (failure.spurious || failure.reason == Reason::builder_missing) {
    return std::nullopt;
  }
  const std::string why = fmt::format("{}: {}", to_string(failure.reason), failure.details);
  if (failure.reason == Reason::dependency_resolution && previous.locked && lock_problem(log)) {
    AttemptPlan next = previous;
    next.locked = false;
    next.change = "without --locked";
    next.why = why;
    next.note = "the shipped Cargo.lock is the problem: retrying without --locked";
    return next;
  }
  if (toolchain_is_nightly(previous.toolchain) && nightly_feature_error(failure, log)) {
    AttemptPlan next = previous;
    next.toolchain = kFallbackToolchain;
    next.change = fmt::format("toolchain {} instead of {}", kFallbackToolchain, previous.toolchain);
    next.why = why;
    next.note = fmt::format("{} refused a feature it no longer has ({}); retrying with the {} toolchain",
                            previous.toolchain, failure.crate.empty() ? "a crate" : failure.crate,
                            kFallbackToolchain);
    return next;
  }
  if (auto next = static_closure(previous, failure, log)) {
    next->why = why;
    return next;
  }
  if (previous.features == FeatureSet::all && mode == FeatureMode::all_then_default &&
      failure.reason != Reason::not_static) {
    AttemptPlan next = previous;
    next.features = FeatureSet::default_;
    next.change = "default features instead of --all-features";
    next.why = why;
    next.note =
        fmt::format("--all-features failed ({}); retrying with default features", to_string(failure.reason));
    return next;
  }
  return std::nullopt;
}

} // namespace forge
