// Why: one spelling of an errno value for error messages; unlike std::strerror, safe on any thread.
#pragma once
#include <string>
#include <system_error>

namespace forge {

// "No such file or directory" for ENOENT.
inline std::string errno_text(int err) {
  return std::generic_category().message(err);
}

} // namespace forge
