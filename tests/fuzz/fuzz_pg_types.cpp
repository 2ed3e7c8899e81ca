// Why: every dump value goes through these parsers (arrays quoted twice, timestamps in several forms,
// bytea); they must reject garbage without crashing, and what they accept must survive a round trip.
#include "forge/dump/pg_types.hpp"
#include "forge/select/semver.hpp"
#include "forge/util/time.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string_view text(reinterpret_cast<const char *>(data), size);
  (void)forge::pg::parse_bool(text);
  if (auto micros = forge::pg::parse_timestamp(text)) {
    // RFC 3339 output has second precision: parsing it again gives the instant floored to the second.
    constexpr int64_t kSecond = 1000000;
    const int64_t floored = *micros - ((*micros % kSecond) + kSecond) % kSecond;
    if (forge::pg::parse_timestamp(forge::format_rfc3339(*micros)) != floored) {
      std::abort();
    }
  }
  if (auto day = forge::pg::parse_date(text)) {
    if (forge::pg::parse_date(forge::format_date(*day)) != day) {
      std::abort();
    }
  }
  const auto arr = forge::pg::parse_array(text);
  if (arr) {
    for (const auto &e : *arr) {
      if (e && e->size() > text.size()) {
        std::abort(); // an element cannot be longer than its source
      }
    }
  }
  // The allocation-free variant the ingest uses must accept and reject the same, with the same elements.
  std::string joined;
  const auto named = forge::pg::parse_array_joined(text, joined);
  if (named.has_value() != arr.has_value()) {
    std::abort();
  }
  if (arr) {
    std::string expect;
    size_t n = 0;
    for (const auto &e : *arr) {
      if (e) {
        expect += (n++ > 0 ? std::string(1, '\0') : std::string()) + *e;
      }
    }
    if (n != *named || expect != joined) {
      std::abort();
    }
  }
  const auto hex = forge::pg::parse_bytea_hex(text);
  if (hex) {
    for (char c : *hex) {
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        std::abort();
      }
    }
  }
  std::string reused = "stale";
  if (forge::pg::parse_bytea_hex(text, reused).has_value() != hex.has_value() || (hex && reused != *hex)) {
    std::abort();
  }
  (void)forge::pg::is_sha256_hex(text);
  if (auto v = forge::parse_semver(text)) {
    if (forge::compare_semver(*v, *v) != 0) {
      std::abort();
    }
  }
  return 0;
}
