// Why: `forge --version` reports the libraries forge runs with; libgit2 is the ship stage's.
#include "forge/ship/git_version.hpp"

#include <fmt/format.h>
#include <git2.h>

namespace forge {

std::string libgit2_version() {
  int major = 0;
  int minor = 0;
  int rev = 0;
  git_libgit2_version(&major, &minor, &rev);
  return fmt::format("{}.{}.{}", major, minor, rev);
}

} // namespace forge
