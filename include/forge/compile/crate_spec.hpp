// Why: a crate name or version that crates.io could never have is a usage error to refuse at once, before
// the index is asked (and retried) for something that cannot exist.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace forge {

struct CrateSpec {
  std::string name;
  std::optional<std::string> version; // exact, from name@version
};

// Why `name` cannot be a crates.io crate name (ASCII letters, digits, '-' and '_', at most 64 characters,
// starting with a letter); empty when it can.
std::string crate_name_problem(std::string_view name);

// "ripgrep" or "ripgrep@14.1.0" (a SemVer 2.0.0 version); throws Error(usage) saying what is wrong.
CrateSpec parse_crate_spec(std::string_view text);

} // namespace forge
