// Why: journal.ndjson is read after crashes and power cuts, and comes from other machines as a shard's
// artifact into `forge merge` (the job that holds the index repository's push rights): a damaged line must
// cost one job, never the run, what is read must write back the same, and no field may steer a path.
#include "forge/run/aggregates.hpp"
#include "forge/run/crates_built.hpp"
#include "forge/run/journal.hpp"
#include "forge/util/error.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>

namespace {

bool path_component(const std::string &s) {
  return !s.empty() && s != "." && s != ".." && s.find('/') == std::string::npos &&
         s.find('\0') == std::string::npos;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string_view text(reinterpret_cast<const char *>(data), size);
  const forge::JournalReplay replay = forge::parse_journal(text); // never throws: bad lines are skipped
  forge::CratesBuilt built;
  for (const auto &e : replay.entries) {
    // fold_run_dir reads <dir>/<host>/<crate>/<version>/<exe>.json and writes metadata/<host>.json
    if (!path_component(e.crate) || !path_component(e.version) || !path_component(e.host) ||
        !path_component(e.target)) {
      std::abort();
    }
    for (const auto &x : e.executables) {
      if (!path_component(x)) {
        std::abort();
      }
    }
    // forge merge rewrites the journal from what it read: the rewritten line must read back the same.
    const std::string line = forge::journal_entry_to_json(e).dump();
    const auto again = forge::journal_entry_from_json(nlohmann::json::parse(line));
    if (!again || forge::journal_entry_to_json(*again).dump() != line) {
      std::abort();
    }
    forge::merge_entry(built, e);
  }
  // CRATES_BUILT.json written from the journal reads back as the same index, and folding it in again
  // changes nothing.
  const std::string written = forge::crates_built_to_json(built).dump(1);
  try {
    const forge::CratesBuilt back = forge::parse_crates_built(written, "fuzz-CRATES_BUILT.json");
    if (forge::crates_built_to_json(back).dump(1) != written) {
      std::abort();
    }
    forge::CratesBuilt twice = back;
    if (forge::merge_index(twice, built)) {
      std::abort();
    }
  } catch (const forge::Error &) {
    std::abort(); // forge wrote a file it cannot read
  }
  (void)forge::render_retry_list(built);
  return 0;
}
