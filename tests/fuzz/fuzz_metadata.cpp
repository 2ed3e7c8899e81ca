// Why: metadata/<host>.json is what soar installs from; forge merge reads it back from the index repository
// and folds every shard's records into it. A bad file must be an Error naming it; a good one must render
// stably, and folding must not depend on the order the records come in (shards arrive in any order).
#include "forge/run/metadata_index.hpp"
#include "forge/util/error.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string_view text(reinterpret_cast<const char *>(data), size);
  forge::HostMetadata index;
  try {
    index = forge::parse_host_metadata(text, "fuzz-metadata.json");
  } catch (const forge::Error &) {
    return 0;
  }
  const std::string rendered = forge::render_host_metadata(index);
  try {
    const forge::HostMetadata back = forge::parse_host_metadata(rendered, "rendered");
    if (forge::render_host_metadata(back) != rendered) {
      std::abort();
    }
    // The same records folded in the opposite order give the same index.
    const auto all = nlohmann::ordered_json::parse(text);
    forge::HostMetadata reversed;
    for (auto it = all.rbegin(); it != all.rend(); ++it) {
      forge::merge_record(reversed, *it);
    }
    if (forge::render_host_metadata(reversed) != rendered) {
      std::abort();
    }
  } catch (const forge::Error &) {
    std::abort(); // accepted once, refused the second time
  }
  return 0;
}
