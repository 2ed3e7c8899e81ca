// Why: the dump's values are PostgreSQL text forms (t/f, timestamps with optional fraction and zone,
// text[] arrays quoted a second time inside the CSV quoting, bytea hex); each needs a strict parser.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace forge::pg {

// "t" -> true, "f" -> false, anything else -> nullopt.
std::optional<bool> parse_bool(std::string_view text);

// "YYYY-MM-DD HH:MM:SS[.f]{0..6 digits}[+00|+HH|+HH:MM|-HH|-HH:MM]" or "YYYY-MM-DD" (midnight), also
// accepts 'T' instead of the space. Returns microseconds since the Unix epoch, UTC; nullopt if invalid.
std::optional<int64_t> parse_timestamp(std::string_view text);

// "YYYY-MM-DD" -> microseconds since the epoch at 00:00:00 UTC; nullopt if invalid.
std::optional<int64_t> parse_date(std::string_view text);

// Two-layer text[]: `text` is the field after CSV decoding, e.g. `{fd,"null",NULL,"a\"b"}`.
// Elements: unquoted (an unquoted NULL, any case, is a null element -> nullopt) or double-quoted with
// backslash escapes. `{}` is an empty array. Returns nullopt if malformed.
std::optional<std::vector<std::optional<std::string>>> parse_array(std::string_view text);
// The same parse without an allocation per element: the non-NULL elements into `out`, NUL-separated.
// Returns how many there are, nullopt if malformed.
std::optional<size_t> parse_array_joined(std::string_view text, std::string &out);

// bytea hex form `\x0a1b…` -> lowercase hex digits without the prefix; nullopt if malformed.
std::optional<std::string> parse_bytea_hex(std::string_view text);
// The same into `out` (reused: no allocation once it is big enough); the result views `out`.
std::optional<std::string_view> parse_bytea_hex(std::string_view text, std::string &out);

// true when `text` is exactly 64 hex digits (any case).
bool is_sha256_hex(std::string_view text);

} // namespace forge::pg
