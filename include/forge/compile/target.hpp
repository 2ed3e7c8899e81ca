// Why: users say `aarch64`; cargo needs `aarch64-unknown-linux-musl`; soar files it under `aarch64-Linux`.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace forge {

struct Target {
  std::string triple; // rustc target triple
  std::string host;   // soar host triplet, e.g. "aarch64-Linux"
  [[nodiscard]] bool musl() const { return triple.find("-musl") != std::string::npos; }
};

// The original pipeline's four targets (musl, statically linked).
const std::vector<std::string> &default_target_aliases();

// "x86_64" | "aarch64" | "riscv64" | "loongarch64" -> the *-unknown-linux-musl triple (riscv64gc for
// riscv64); a full triple is taken as is. Throws Error(usage) for anything else.
Target resolve_target(std::string_view alias_or_triple);

// Resolves a --target list; "all" expands to the four; duplicates are dropped; empty means {"x86_64"}.
std::vector<Target> resolve_targets(const std::vector<std::string> &specs);

// "aarch64-unknown-linux-gnu" -> "aarch64-Linux", "riscv64gc-unknown-linux-musl" -> "riscv64-Linux".
std::string host_triplet(std::string_view triple);

// The triple of the machine forge runs on, as rustc names it (x86_64-unknown-linux-gnu here).
std::string native_triple();

} // namespace forge
