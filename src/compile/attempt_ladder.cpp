// Why: the rungs, in the order they are tried; see attempt_ladder.hpp.
#include "forge/compile/attempt_ladder.hpp"

#include "forge/compile/classify.hpp"

#include <fmt/format.h>

namespace forge {

AttemptPlan first_attempt(FeatureMode mode, bool locked) {
  AttemptPlan plan;
  plan.features = mode == FeatureMode::default_ ? FeatureSet::default_ : FeatureSet::all;
  plan.locked = locked;
  return plan;
}

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
  if (previous.features == FeatureSet::all && mode == FeatureMode::all_then_default) {
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
