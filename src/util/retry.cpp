// Why: one backoff rule for every repeated request, logged the same way.
#include "forge/util/retry.hpp"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
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

std::optional<double> parse_retry_after(const std::string &value) {
  if (value.empty()) {
    return std::nullopt;
  }
  if (value.size() <= 6 &&
      std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::min(std::stod(value), kMaxDelayS);
  }
  const time_t when = curl_getdate(value.c_str(), nullptr);
  if (when < 0) {
    return std::nullopt;
  }
  return std::clamp(std::difftime(when, std::time(nullptr)), 0.0, kMaxDelayS);
}

} // namespace forge
