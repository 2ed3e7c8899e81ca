#include "forge/util/self_exe.hpp"

#include <cstdlib>
#include <string>
#include <system_error>

namespace forge {
namespace {

std::string &launcher() {
  static std::string path;
  return path;
}

} // namespace

void adopt_launcher() {
  if (const char *value = std::getenv("FORGE_EXE"); value != nullptr) {
    launcher() = value;
    ::unsetenv("FORGE_EXE");
  }
}

std::filesystem::path self_executable() {
  if (!launcher().empty()) {
    return launcher();
  }
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path("/proc/self/exe") : self;
}

} // namespace forge
