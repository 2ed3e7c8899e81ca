// Why: see utf8.hpp; the well-formed sequences are those of the Unicode standard (table 3-7): no overlong
// forms, no surrogates, nothing above U+10FFFF.
#include "forge/util/utf8.hpp"

#include <cstdint>
#include <cstring>

namespace forge {
namespace {

bool in(unsigned char c, unsigned lo, unsigned hi) {
  return c >= lo && c <= hi;
}

// Length of the well-formed sequence at the start of `s`, 0 when there is none.
std::size_t sequence_length(std::string_view s) {
  const auto b = [&s](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char c = b(0);
  if (c < 0x80) {
    return 1;
  }
  std::size_t n = 0;
  unsigned lo = 0x80, hi = 0xBF; // the allowed range of the second byte
  if (in(c, 0xC2, 0xDF)) {
    n = 2;
  } else if (in(c, 0xE0, 0xEF)) {
    n = 3;
    lo = c == 0xE0 ? 0xA0 : 0x80;
    hi = c == 0xED ? 0x9F : 0xBF;
  } else if (in(c, 0xF0, 0xF4)) {
    n = 4;
    lo = c == 0xF0 ? 0x90 : 0x80;
    hi = c == 0xF4 ? 0x8F : 0xBF;
  } else {
    return 0;
  }
  if (s.size() < n || !in(b(1), lo, hi)) {
    return 0;
  }
  for (std::size_t i = 2; i < n; ++i) {
    if (!in(b(i), 0x80, 0xBF)) {
      return 0;
    }
  }
  return n;
}

} // namespace

bool is_valid_utf8(std::string_view text) {
  while (!text.empty()) {
    // ASCII runs are the common case: eight bytes at a time.
    while (text.size() >= 8) {
      uint64_t word = 0;
      std::memcpy(&word, text.data(), 8);
      if ((word & 0x8080808080808080ULL) != 0) {
        break;
      }
      text.remove_prefix(8);
    }
    if (text.empty()) {
      break;
    }
    const std::size_t n = sequence_length(text);
    if (n == 0) {
      return false;
    }
    text.remove_prefix(n);
  }
  return true;
}

std::string valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const std::size_t n = sequence_length(text);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      text.remove_prefix(1);
    } else {
      out.append(text.substr(0, n));
      text.remove_prefix(n);
    }
  }
  return out;
}

} // namespace forge
