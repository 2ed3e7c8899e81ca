// Why: the runner turns whatever a `forge build` child left (its result.json, its exit, its log) into one
// journal entry; a malformed result.json must become a failed job, never an exception out of the runner.
// The first input byte picks how the child ended, the rest is the result.json text and the log tail.
#include "forge/run/process_runner.hpp"
#include "forge/util/error.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) {
    return 0;
  }
  const uint8_t how = data[0];
  const std::string_view text(reinterpret_cast<const char *>(data + 1), size - 1);
  forge::JobSpec spec;
  spec.job.crate = "hexyl";
  spec.job.version = "0.8.0";
  spec.job.target = forge::Target{"x86_64-unknown-linux-gnu", "x86_64-Linux"};
  spec.attempt = 1 + (how >> 6);
  forge::ChildExit exit;
  if ((how & 0x20) != 0) {
    exit.term_signal = 1 + (how & 0x0f);
  } else {
    static constexpr int kCodes[] = {0, 1, 2, 4, 5, 6, 7, 8, 130, 3, 9, 10, 255, 0, 8, 1};
    exit.exit_code = kCodes[how & 0x0f];
  }
  exit.stopped_by_us = (how & 0x10) != 0;
  exit.watchdog = (how & 0x40) != 0 && (how & 0x80) != 0;
  const auto result = forge::parse_child_result(text, "fuzz-result.json");
  const forge::JobOutcome out = forge::interpret_child(spec, exit, result, text, "2025-01-01T00:00:00Z", 1.5);
  if (!out.interrupted && out.fatal.empty()) {
    const auto &e = out.entry;
    if (e.crate != "hexyl" || e.version != "0.8.0" || (!e.built() && !e.reason)) {
      std::abort(); // every finished job becomes a journal entry of this job that the journal accepts
    }
    if (!forge::journal_entry_from_json(nlohmann::json::parse(forge::journal_entry_to_json(e).dump()))) {
      std::abort();
    }
  }
  (void)forge::may_have_lost_tokens(exit, out);
  return 0;
}
