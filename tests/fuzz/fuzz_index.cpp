// Why: sparse-index files and config.json come over the network from a server forge does not control.
#include "forge/compile/crate_source.hpp"
#include "forge/util/error.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string_view text(reinterpret_cast<const char *>(data), size);
  try {
    const auto entries = forge::parse_index_file(text, "fuzz-index");
    const auto pick = forge::pick_version(entries, std::nullopt);
    if (pick && pick->yanked) {
      std::abort(); // without an explicit version, a yanked one is never chosen
    }
    if (!entries.empty()) {
      (void)forge::pick_version(entries, entries.front().vers);
      (void)forge::expand_download_url("https://x/{prefix}/{lowerprefix}/{crate}/{version}/{sha256-checksum}",
                                       entries.front().name, entries.front().vers, entries.front().cksum);
    }
  } catch (const forge::Error &) {
  }
  try {
    (void)forge::parse_index_config(text, "fuzz-config");
  } catch (const forge::Error &) {
  }
  try {
    const std::string path = forge::sparse_index_path(text); // invalid names are refused with an Error
    if (path.find("..") != std::string::npos || path.empty() || path.front() == '/') {
      std::abort(); // a name must never turn into a path that climbs out of the index
    }
  } catch (const forge::Error &) {
  }
  return 0;
}
