// Why: a .crate is an archive from a stranger; whatever its bytes, unpacking must stay inside the build
// directory (checked here after every input) and within its limits.
#include "forge/compile/crate_source.hpp"
#include "forge/util/error.hpp"

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace {

const fs::path &workdir() {
  static const fs::path dir = [] {
    fs::path d = fs::temp_directory_path() / ("forge-fuzz-unpack-" + std::to_string(::getpid()));
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const fs::path root = workdir();
  const fs::path jail = root / "jail";
  const fs::path crate = root / "input.crate";
  fs::remove_all(jail);
  fs::create_directories(jail);
  {
    std::ofstream out(crate, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char *>(data), static_cast<std::streamsize>(size));
  }
  forge::UnpackLimits limits;
  limits.max_bytes = 1 << 20;
  limits.max_entries = 256;
  limits.max_file_bytes = 1 << 19;
  try {
    (void)forge::unpack_crate(crate, jail / "dest", limits);
  } catch (const forge::Error &) {
    if (fs::exists(jail / "dest")) {
      std::abort(); // a refused archive leaves nothing behind
    }
  }
  // Nothing may appear beside dest: the jail holds at most dest itself, and root only jail + the input.
  for (const auto &e : fs::directory_iterator(jail)) {
    if (e.path().filename() != "dest") {
      std::abort();
    }
  }
  for (const auto &e : fs::directory_iterator(root)) {
    if (e.path() != jail && e.path() != crate) {
      std::abort();
    }
  }
  return 0;
}
