// Why: the floor of `forge ingest` is inflating the dump up to the last table it needs; this runs forge's own
// inflate thread, tar walk and stop rule over the same file without parsing, so bench/ingest.sh can print
// forge's time as a ratio to it.
#include "forge/select/catalog_loader.hpp"
#include "forge/util/error.hpp"

#include <chrono>
#include <cstdio>

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DUMP.tar.gz\n", argv[0]);
    return 2;
  }
  try {
    const auto t0 = std::chrono::steady_clock::now();
    const forge::LoadStats stats = forge::scan_catalog_tables(argv[1], argv[1]);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("inflated %llu bytes from %llu compressed in %.3f s%s; tables:",
                static_cast<unsigned long long>(stats.scan.uncompressed_bytes),
                static_cast<unsigned long long>(stats.scan.compressed_bytes), s,
                stats.scan.stopped_early ? ", stopped early" : "");
    for (const auto &t : stats.tables) {
      std::printf(" %s", t.c_str());
    }
    std::printf("\n");
  } catch (const forge::Error &e) {
    std::fprintf(stderr, "ingest_floor: error: %s\n", e.what());
    return static_cast<int>(e.code());
  }
  return 0;
}
