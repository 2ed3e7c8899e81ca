#include "forge/compile/crate_spec.hpp"

#include "forge/select/semver.hpp"
#include "forge/util/error.hpp"

#include <fmt/format.h>

namespace forge {
namespace {

constexpr std::size_t kMaxNameLength = 64; // crates.io's limit

bool ascii_letter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool ascii_digit(char c) {
  return c >= '0' && c <= '9';
}

} // namespace

std::string crate_name_problem(std::string_view name) {
  if (name.empty()) {
    return "the crate name is empty";
  }
  if (name.size() > kMaxNameLength) {
    return fmt::format("'{}' is not a crate name: longer than {} characters", name, kMaxNameLength);
  }
  if (!ascii_letter(name.front())) {
    return fmt::format("'{}' is not a crate name: it must start with an ASCII letter", name);
  }
  for (const char c : name) {
    if (!ascii_letter(c) && !ascii_digit(c) && c != '-' && c != '_') {
      return fmt::format("'{}' is not a crate name: only ASCII letters, digits, '-' and '_' are allowed",
                         name);
    }
  }
  return {};
}

CrateSpec parse_crate_spec(std::string_view text) {
  CrateSpec spec;
  const auto at = text.find('@');
  spec.name = std::string(text.substr(0, at));
  if (const std::string problem = crate_name_problem(spec.name); !problem.empty()) {
    fail(ExitCode::usage, "{}", problem);
  }
  if (at != std::string_view::npos) {
    const std::string_view version = text.substr(at + 1);
    if (!parse_semver(version)) {
      fail(ExitCode::usage, "'{}' in '{}' is not a version: give an exact SemVer version such as 1.2.3",
           version, text);
    }
    spec.version = std::string(version);
  }
  return spec;
}

} // namespace forge
