// Why: picking a crate's default version needs exact SemVer 2.0.0 precedence, including pre-release
// identifier rules, without trusting crates.io strings to be well-formed.
#include "forge/select/semver.hpp"

namespace forge {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool is_ident_char(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

bool all_digits(std::string_view s) {
  for (const char c : s)
    if (!is_digit(c))
      return false;
  return !s.empty();
}

// A numeric core part: digits, no leading zero unless it is "0", fits in 64 bits.
std::optional<uint64_t> parse_number(std::string_view s) {
  if (!all_digits(s) || (s.size() > 1 && s[0] == '0'))
    return std::nullopt;
  uint64_t v = 0;
  for (const char c : s) {
    const auto digit = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - digit) / 10)
      return std::nullopt;
    v = v * 10 + digit;
  }
  return v;
}

// Splits `s` on '.' into non-empty identifiers of [0-9A-Za-z-]; false if any is empty or has another byte.
bool split_identifiers(std::string_view s, std::vector<std::string> &out) {
  size_t start = 0;
  for (;;) {
    const size_t dot = s.find('.', start);
    const std::string_view id = s.substr(start, dot == std::string_view::npos ? s.npos : dot - start);
    if (id.empty())
      return false;
    for (const char c : id)
      if (!is_ident_char(c))
        return false;
    out.emplace_back(id);
    if (dot == std::string_view::npos)
      return true;
    start = dot + 1;
  }
}

// Numeric identifiers compare as numbers (no leading zeros, so by length then bytes); they rank below
// alphanumeric ones, which compare in ASCII order.
int compare_identifier(const std::string &a, const std::string &b) {
  const bool an = all_digits(a);
  const bool bn = all_digits(b);
  if (an && bn) {
    if (a.size() != b.size())
      return a.size() < b.size() ? -1 : 1;
  } else if (an != bn) {
    return an ? -1 : 1;
  }
  const int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

} // namespace

std::optional<SemVer> parse_semver(std::string_view text) {
  SemVer v;
  const size_t plus = text.find('+');
  std::string_view rest = text;
  if (plus != std::string_view::npos) {
    const std::string_view build = text.substr(plus + 1);
    std::vector<std::string> ids;
    if (!split_identifiers(build, ids))
      return std::nullopt;
    v.build = std::string(build);
    rest = text.substr(0, plus);
  }
  const size_t dash = rest.find('-');
  if (dash != std::string_view::npos) {
    if (!split_identifiers(rest.substr(dash + 1), v.pre))
      return std::nullopt;
    for (const std::string &id : v.pre)
      if (all_digits(id) && id.size() > 1 && id[0] == '0')
        return std::nullopt;
    rest = rest.substr(0, dash);
  }
  uint64_t *parts[3] = {&v.major, &v.minor, &v.patch};
  size_t start = 0;
  for (size_t i = 0; i < 3; ++i) {
    const size_t dot = rest.find('.', start);
    if ((i < 2) == (dot == std::string_view::npos))
      return std::nullopt; // fewer or more than three parts
    const auto n = parse_number(rest.substr(start, i < 2 ? dot - start : std::string_view::npos));
    if (!n)
      return std::nullopt;
    *parts[i] = *n;
    start = dot + 1;
  }
  return v;
}

int compare_semver(const SemVer &a, const SemVer &b) {
  if (a.major != b.major)
    return a.major < b.major ? -1 : 1;
  if (a.minor != b.minor)
    return a.minor < b.minor ? -1 : 1;
  if (a.patch != b.patch)
    return a.patch < b.patch ? -1 : 1;
  if (a.pre.empty() || b.pre.empty()) {
    if (a.pre.empty() == b.pre.empty())
      return 0;
    return a.pre.empty() ? 1 : -1; // a release outranks its pre-releases
  }
  const size_t n = a.pre.size() < b.pre.size() ? a.pre.size() : b.pre.size();
  for (size_t i = 0; i < n; ++i)
    if (const int c = compare_identifier(a.pre[i], b.pre[i]); c != 0)
      return c;
  if (a.pre.size() == b.pre.size())
    return 0;
  return a.pre.size() < b.pre.size() ? -1 : 1;
}

} // namespace forge
