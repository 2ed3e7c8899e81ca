// Why: strict parsers for PostgreSQL's text output forms in the dump, with our own calendar arithmetic so
// the result never depends on the process's locale or time zone.
#include "forge/dump/pg_types.hpp"

#include "forge/util/time.hpp"

#include <fmt/format.h>

namespace forge::pg {

namespace {

constexpr int64_t micros_per_second = 1'000'000;
constexpr int64_t seconds_per_day = 86'400;

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

// Reads exactly `n` digits at `pos`; advances `pos`. Returns -1 if they are not all digits.
int64_t read_digits(std::string_view s, size_t &pos, size_t n) {
  if (s.size() - pos < n)
    return -1;
  int64_t v = 0;
  for (size_t i = 0; i < n; ++i) {
    const char c = s[pos + i];
    if (!is_digit(c))
      return -1;
    v = v * 10 + (c - '0');
  }
  pos += n;
  return v;
}

bool is_leap(int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int64_t days_in_month(int64_t y, int64_t m) {
  static constexpr int64_t days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

// Parses "YYYY-MM-DD" at the start of `s`; returns the day number and advances `pos`.
std::optional<int64_t> read_date(std::string_view s, size_t &pos) {
  const int64_t y = read_digits(s, pos, 4);
  if (y < 0 || pos >= s.size() || s[pos++] != '-')
    return std::nullopt;
  const int64_t m = read_digits(s, pos, 2);
  if (m < 1 || m > 12 || pos >= s.size() || s[pos++] != '-')
    return std::nullopt;
  const int64_t d = read_digits(s, pos, 2);
  if (d < 1 || d > days_in_month(y, m))
    return std::nullopt;
  return days_from_civil(y, m, d);
}

bool is_array_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

bool iequals_null(std::string_view s) {
  if (s.size() != 4)
    return false;
  const char *want = "null";
  for (size_t i = 0; i < 4; ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
    if (c != want[i])
      return false;
  }
  return true;
}

} // namespace

std::optional<bool> parse_bool(std::string_view text) {
  if (text == "t")
    return true;
  if (text == "f")
    return false;
  return std::nullopt;
}

std::optional<int64_t> parse_date(std::string_view text) {
  size_t pos = 0;
  const auto days = read_date(text, pos);
  if (!days || pos != text.size())
    return std::nullopt;
  return *days * seconds_per_day * micros_per_second;
}

std::optional<int64_t> parse_timestamp(std::string_view text) {
  size_t pos = 0;
  const auto days = read_date(text, pos);
  if (!days)
    return std::nullopt;
  if (pos == text.size())
    return *days * seconds_per_day * micros_per_second;
  if (text[pos] != ' ' && text[pos] != 'T')
    return std::nullopt;
  ++pos;
  const int64_t hh = read_digits(text, pos, 2);
  if (hh < 0 || hh > 23 || pos >= text.size() || text[pos++] != ':')
    return std::nullopt;
  const int64_t mm = read_digits(text, pos, 2);
  if (mm < 0 || mm > 59 || pos >= text.size() || text[pos++] != ':')
    return std::nullopt;
  const int64_t ss = read_digits(text, pos, 2);
  if (ss < 0 || ss > 59)
    return std::nullopt;
  int64_t fraction = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    size_t digits = 0;
    while (pos < text.size() && is_digit(text[pos])) {
      if (++digits > 6)
        return std::nullopt;
      fraction = fraction * 10 + (text[pos] - '0');
      ++pos;
    }
    if (digits == 0)
      return std::nullopt;
    for (; digits < 6; ++digits)
      fraction *= 10;
  }
  int64_t offset_seconds = 0;
  if (pos < text.size()) {
    const char sign = text[pos++];
    if (sign == 'Z') {
      // UTC.
    } else if (sign == '+' || sign == '-') {
      const int64_t oh = read_digits(text, pos, 2);
      if (oh < 0 || oh > 15)
        return std::nullopt;
      int64_t om = 0;
      if (pos < text.size() && text[pos] == ':') {
        ++pos;
        om = read_digits(text, pos, 2);
        if (om < 0 || om > 59)
          return std::nullopt;
      }
      offset_seconds = (oh * 3'600 + om * 60) * (sign == '-' ? -1 : 1);
    } else {
      return std::nullopt;
    }
    if (pos != text.size())
      return std::nullopt;
  }
  const int64_t seconds = *days * seconds_per_day + hh * 3'600 + mm * 60 + ss - offset_seconds;
  // An offset can carry a 4-digit year past 9999 or before 0000 in UTC, which RFC 3339 output cannot
  // show (found by fuzz_pg_types: "9999-12-31 23:59:59-05").
  if (seconds < days_from_civil(0, 1, 1) * seconds_per_day ||
      seconds >= days_from_civil(10000, 1, 1) * seconds_per_day)
    return std::nullopt;
  return seconds * micros_per_second + fraction;
}

namespace {

// Walks a text[] literal, calling emit(element) for each element (nullopt for NULL); `scratch` holds a quoted
// element while it is unescaped. False when the literal is malformed.
template <typename Emit> bool walk_array(std::string_view text, std::string &scratch, Emit &&emit) {
  if (text.size() < 2 || text.front() != '{' || text.back() != '}')
    return false;
  size_t pos = 1;
  const size_t end = text.size() - 1; // index of the closing brace
  auto skip_space = [&] {
    while (pos < end && is_array_space(text[pos]))
      ++pos;
  };
  skip_space();
  if (pos == end)
    return true; // `{}`
  for (;;) {
    skip_space();
    if (pos == end)
      return false; // a missing element: `{a,}`
    if (text[pos] == '"') {
      ++pos;
      scratch.clear();
      for (;;) {
        if (pos >= end)
          return false; // unterminated quote
        const char c = text[pos++];
        if (c == '"')
          break;
        if (c == '\\') {
          if (pos >= end)
            return false;
          scratch.push_back(text[pos++]);
        } else {
          scratch.push_back(c);
        }
      }
      emit(std::optional<std::string_view>(scratch));
    } else {
      const size_t start = pos;
      while (pos < end && text[pos] != ',') {
        const char c = text[pos];
        if (c == '{' || c == '}' || c == '"' || c == '\\')
          return false;
        ++pos;
      }
      size_t stop = pos;
      while (stop > start && is_array_space(text[stop - 1]))
        --stop;
      const std::string_view element = text.substr(start, stop - start);
      if (element.empty())
        return false;
      emit(iequals_null(element) ? std::nullopt : std::optional<std::string_view>(element));
    }
    skip_space();
    if (pos == end)
      return true;
    if (text[pos] != ',')
      return false;
    ++pos;
  }
}

} // namespace

std::optional<std::vector<std::optional<std::string>>> parse_array(std::string_view text) {
  std::vector<std::optional<std::string>> out;
  std::string scratch;
  const bool ok = walk_array(text, scratch, [&](std::optional<std::string_view> e) {
    out.push_back(e ? std::optional<std::string>(std::string(*e)) : std::nullopt);
  });
  return ok ? std::optional(std::move(out)) : std::nullopt;
}

std::optional<size_t> parse_array_joined(std::string_view text, std::string &out) {
  out.clear();
  std::string scratch;
  size_t named = 0;
  const bool ok = walk_array(text, scratch, [&](std::optional<std::string_view> e) {
    if (e) {
      if (named++ > 0)
        out.push_back('\0');
      out.append(*e);
    }
  });
  return ok ? std::optional(named) : std::nullopt;
}

std::optional<std::string_view> parse_bytea_hex(std::string_view text, std::string &out) {
  out.clear();
  if (text.size() < 2 || text[0] != '\\' || text[1] != 'x' || text.size() % 2 != 0)
    return std::nullopt;
  out.resize(text.size() - 2);
  for (size_t i = 2; i < text.size(); ++i) {
    const int v = hex_value(text[i]);
    if (v < 0)
      return std::nullopt;
    out[i - 2] = "0123456789abcdef"[v];
  }
  return std::string_view(out);
}

std::optional<std::string> parse_bytea_hex(std::string_view text) {
  std::string out;
  if (!parse_bytea_hex(text, out))
    return std::nullopt;
  return out;
}

bool is_sha256_hex(std::string_view text) {
  if (text.size() != 64)
    return false;
  for (const char c : text)
    if (hex_value(c) < 0)
      return false;
  return true;
}

} // namespace forge::pg
