// Why: run.json and report.json travel with a shard's output into `forge merge` (which compares their queue
// hashes before merging) and back from the index repository; bad ones must be an Error or be ignored, never a
// crash, and report.json must render in every format.
#include "forge/run/aggregates.hpp"
#include "forge/run/report.hpp"
#include "forge/util/error.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string_view text(reinterpret_cast<const char *>(data), size);
  try {
    const forge::RunInfo info = forge::parse_run_info(text, "fuzz-run.json");
    const auto again = forge::parse_run_info(forge::run_info_to_json(info).dump(2), "rewritten");
    if (forge::run_info_to_json(again) != forge::run_info_to_json(info)) {
      std::abort();
    }
  } catch (const forge::Error &) {
  }
  const auto doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded()) {
    return 0;
  }
  (void)forge::queue_info_from(doc); // load_aggregates and merge read report.json's queue this way
  try {
    forge::check_report(doc, "fuzz-report.json");
  } catch (const forge::Error &) {
    return 0;
  }
  (void)forge::render_report_text(doc, true);
  (void)forge::render_report_markdown(doc);
  (void)forge::render_report_html(doc);
  return 0;
}
