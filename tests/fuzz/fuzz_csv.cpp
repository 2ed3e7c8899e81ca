// Why: the CSV parser reads gigabytes of untrusted dump text; whatever the bytes, it must either deliver
// records or throw forge::Error, and how the stream is cut into chunks must never change what it delivers.
#include "forge/dump/csv.hpp"
#include "forge/util/error.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

struct Parsed {
  std::vector<std::vector<std::pair<std::string, bool>>> records;
  std::string error;
};

Parsed parse(std::string_view text, size_t chunk) {
  Parsed out;
  size_t header_width = 0;
  forge::dump::CsvReader reader(
      "fuzz.csv", [&](const forge::dump::Record &r) { header_width = r.size(); },
      [&](const forge::dump::Record &r) {
        if (r.size() != header_width) {
          std::abort(); // the parser promised equal widths
        }
        auto &rec = out.records.emplace_back();
        for (size_t i = 0; i < r.size(); ++i) {
          if (r[i].null && !r[i].text.empty()) {
            std::abort(); // NULL is an empty unquoted field
          }
          rec.emplace_back(std::string(r[i].text), r[i].null);
        }
      });
  try {
    for (size_t at = 0; at < text.size(); at += chunk) {
      reader.feed(text.substr(at, chunk));
    }
    reader.finish();
  } catch (const forge::Error &e) {
    out.error = e.what();
  }
  return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) {
    return 0;
  }
  const size_t chunk = 1 + data[0] % 17;
  const std::string_view text(reinterpret_cast<const char *>(data) + 1, size - 1);
  const Parsed whole = parse(text, text.empty() ? 1 : text.size());
  const Parsed pieces = parse(text, chunk);
  if (whole.records != pieces.records || whole.error.empty() != pieces.error.empty()) {
    std::abort(); // chunking changed the result
  }
  return 0;
}
