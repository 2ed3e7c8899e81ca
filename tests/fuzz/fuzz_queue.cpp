// Why: queue.json is the contract between stages and is handed between machines (matrix shards); a bad one
// must be an Error naming the file, never a crash.
#include "forge/queue/queue.hpp"
#include "forge/util/error.hpp"

#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string_view text(reinterpret_cast<const char *>(data), size);
  try {
    const forge::Queue q = forge::parse_queue(text, "fuzz-queue.json");
    for (const auto &c : q.crates) {
      (void)forge::find_crate(q, c.name);
    }
  } catch (const forge::Error &) {
  }
  return 0;
}
