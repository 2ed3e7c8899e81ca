// Why: one backoff rule for every registry request, logged the same way.
#include "forge/ship/retry.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

namespace forge {

namespace {
constexpr double kMaxDelayS = 60.0;
}

void retry_wait(const RetryPolicy &policy, int attempt, const std::string &what, const std::string &reason,
                std::optional<double> retry_after) {
  double delay = retry_after.value_or(policy.initial_backoff_s * std::pow(2.0, std::max(0, attempt - 1)));
  delay = std::clamp(delay, 0.0, kMaxDelayS);
  spdlog::warn("{}: {}; retrying in {:g}s (attempt {} of {})", what, reason, delay, attempt + 1,
               policy.max_attempts);
  std::this_thread::sleep_for(std::chrono::duration<double>(delay));
}

std::optional<double> parse_retry_after_seconds(const std::string &value) {
  if (value.empty() || value.size() > 6 ||
      !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  return std::min(std::stod(value), kMaxDelayS);
}

} // namespace forge
