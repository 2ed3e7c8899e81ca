// Why: see time.hpp; the calendar arithmetic is Howard Hinnant's days_from_civil and its inverse.
#include "forge/util/time.hpp"

#include "forge/util/error.hpp"

#include <fmt/format.h>

#include <cctype>

namespace forge {
namespace {

constexpr int64_t micros_per_second = 1'000'000;
constexpr int64_t seconds_per_day = 86'400;

int64_t floor_div(int64_t a, int64_t b) {
  return a / b - (a % b != 0 && (a < 0) != (b < 0) ? 1 : 0);
}

} // namespace

int64_t now_micros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Days since 1970-01-01 of a proleptic Gregorian date, using 400-year eras that start on March 1st.
int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t year_of_era = y - era * 400;                         // [0, 399]
  const int64_t shifted_month = m > 2 ? m - 3 : m + 9;               // March = 0
  const int64_t day_of_year = (153 * shifted_month + 2) / 5 + d - 1; // [0, 365]
  const int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146'097 + day_of_era - 719'468;
}

// The inverse of days_from_civil.
CivilDate civil_from_days(int64_t days) {
  days += 719'468;
  const int64_t era = (days >= 0 ? days : days - 146'096) / 146'097;
  const int64_t day_of_era = days - era * 146'097; // [0, 146096]
  const int64_t year_of_era =
      (day_of_era - day_of_era / 1'460 + day_of_era / 36'524 - day_of_era / 146'096) / 365; // [0, 399]
  const int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const int64_t shifted_month = (5 * day_of_year + 2) / 153; // March = 0
  const int64_t day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
  const int64_t month = shifted_month < 10 ? shifted_month + 3 : shifted_month - 9;
  const int64_t year = year_of_era + era * 400 + (month <= 2 ? 1 : 0);
  return {year, month, day};
}

std::string format_rfc3339(int64_t micros) {
  const int64_t seconds = floor_div(micros, micros_per_second);
  const int64_t days = floor_div(seconds, seconds_per_day);
  const int64_t of_day = seconds - days * seconds_per_day;
  const CivilDate c = civil_from_days(days);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", c.year, c.month, c.day, of_day / 3'600,
                     of_day / 60 % 60, of_day % 60);
}

std::string format_date(int64_t micros) {
  const int64_t days = floor_div(floor_div(micros, micros_per_second), seconds_per_day);
  const CivilDate c = civil_from_days(days);
  return fmt::format("{:04}-{:02}-{:02}", c.year, c.month, c.day);
}

std::chrono::milliseconds parse_duration(const std::string &text) {
  if (text.empty()) {
    fail(ExitCode::usage, "empty duration");
  }
  double total = 0;
  size_t i = 0;
  bool any = false;
  while (i < text.size()) {
    size_t j = i;
    while (j < text.size() && (std::isdigit(static_cast<unsigned char>(text[j])) != 0 || text[j] == '.')) {
      ++j;
    }
    if (j == i) {
      fail(ExitCode::usage, "invalid duration '{}': use e.g. 30m, 90s, 1h30m", text);
    }
    const double n = std::stod(text.substr(i, j - i));
    double unit = 1;
    if (j < text.size()) {
      switch (text[j]) {
      case 'h':
        unit = 3600;
        break;
      case 'm':
        unit = 60;
        break;
      case 's':
        unit = 1;
        break;
      default:
        fail(ExitCode::usage, "invalid duration '{}': use e.g. 30m, 90s, 1h30m", text);
      }
      ++j;
    }
    total += n * unit;
    any = true;
    i = j;
  }
  if (!any || total <= 0) {
    fail(ExitCode::usage, "invalid duration '{}'", text);
  }
  return std::chrono::milliseconds(static_cast<int64_t>(total * 1000));
}

std::string format_duration(std::chrono::milliseconds value) {
  const int64_t ms = value.count();
  if (ms % 1000 != 0) {
    return fmt::format("{}s", static_cast<double>(ms) / 1000.0);
  }
  const int64_t s = ms / 1000;
  std::string out;
  if (s >= 3600) {
    out += fmt::format("{}h", s / 3600);
  }
  if (s % 3600 >= 60) {
    out += fmt::format("{}m", s % 3600 / 60);
  }
  if (s % 60 != 0 || out.empty()) {
    out += fmt::format("{}s", s % 60);
  }
  return out;
}

} // namespace forge
