// Why: CRATES_BUILT.json is the catalogue's memory across runs; it comes back from the index repository and
// from `forge matrix --built` on other machines. A bad one must be an Error naming it; a good one must be
// written back unchanged, merge into itself as a no-op, and feed the report without a crash.
#include "forge/run/crates_built.hpp"
#include "forge/run/report.hpp"
#include "forge/util/error.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string_view text(reinterpret_cast<const char *>(data), size);
  forge::CratesBuilt built;
  try {
    built = forge::parse_crates_built(text, "fuzz-CRATES_BUILT.json");
  } catch (const forge::Error &) {
    return 0;
  }
  const std::string written = forge::crates_built_to_json(built).dump(1);
  try {
    const forge::CratesBuilt back = forge::parse_crates_built(written, "rewritten");
    if (forge::crates_built_to_json(back).dump(1) != written) {
      std::abort();
    }
  } catch (const forge::Error &) {
    std::abort(); // forge wrote a file it cannot read back
  }
  forge::CratesBuilt twice = built;
  if (forge::merge_index(twice, built)) {
    std::abort();
  }
  const auto report = forge::build_report(built, std::nullopt);
  forge::check_report(report, "built report");
  (void)forge::render_report_text(report, false);
  (void)forge::render_report_markdown(report);
  (void)forge::render_report_html(report);
  (void)forge::render_retry_list(built);
  return 0;
}
