// Why: servers fail transiently (5xx, 429, dropped connections); every request that can be repeated safely
// (downloads, registry requests) is repeated with the same exponential backoff, honouring Retry-After,
// configurable so tests need not wait.
#pragma once
#include <optional>
#include <string>

namespace forge {

struct RetryPolicy {
  int max_attempts = 5;           // total tries per request or per blob upload
  double initial_backoff_s = 1.0; // doubled after each failed try, capped at 60 s
};

// Sleeps before try number `attempt` + 1 (attempt counts from 1): a Retry-After value when the server sent
// one (capped at 60 s), else initial_backoff_s * 2^(attempt-1). Logs one warning naming `what` and `reason`.
void retry_wait(const RetryPolicy &policy, int attempt, const std::string &what, const std::string &reason,
                std::optional<double> retry_after = std::nullopt);

// Seconds from a Retry-After header value: delta-seconds or an HTTP date, capped at 60 s; nullopt when it
// is neither.
std::optional<double> parse_retry_after(const std::string &value);

} // namespace forge
