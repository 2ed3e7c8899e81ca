// Why: wall-clock instants travel between machines as RFC 3339 UTC text (queue.json, result.json, the
// journal); one calendar implementation, independent of the process's locale and time zone, serves all.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>

namespace forge {

// Microseconds since the Unix epoch, now.
int64_t now_micros();

// Days since 1970-01-01 of a proleptic Gregorian date (month 1-12, day 1-31), and back.
int64_t days_from_civil(int64_t year, int64_t month, int64_t day);
struct CivilDate {
  int64_t year, month, day;
};
CivilDate civil_from_days(int64_t days);

// RFC 3339 UTC with second precision: "2017-01-17T19:13:05Z".
std::string format_rfc3339(int64_t micros);
// "YYYY-MM-DD" of a UTC instant.
std::string format_date(int64_t micros);

// "30m", "90s", "1h30m", "1800" (seconds) -> milliseconds; throws Error(usage).
std::chrono::milliseconds parse_duration(const std::string &text);
// The shortest text parse_duration reads back: 30 min -> "30m", 90 s -> "1m30s", 1.5 s -> "1.5s".
std::string format_duration(std::chrono::milliseconds value);

} // namespace forge
