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
  if (auto arr = forge::pg::parse_array(text)) {
    for (const auto &e : *arr) {
      if (e && e->size() > text.size()) {
        std::abort(); // an element cannot be longer than its source
      }
    }
  }
  if (auto hex = forge::pg::parse_bytea_hex(text)) {
    for (char c : *hex) {
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        std::abort();
      }
    }
  }
  (void)forge::pg::is_sha256_hex(text);
  if (auto v = forge::parse_semver(text)) {
    if (forge::compare_semver(*v, *v) != 0) {
      std::abort();
    }
  }
  return 0;
}
