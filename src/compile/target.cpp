#include "forge/compile/target.hpp"

#include "forge/util/error.hpp"

#include <sys/utsname.h>

#include <algorithm>
#include <array>

namespace forge {
namespace {

struct Alias {
  std::string_view alias;
  std::string_view triple;
};
constexpr std::array<Alias, 4> kAliases = {{
    {"x86_64", "x86_64-unknown-linux-musl"},
    {"aarch64", "aarch64-unknown-linux-musl"},
    {"riscv64", "riscv64gc-unknown-linux-musl"},
    {"loongarch64", "loongarch64-unknown-linux-musl"},
}};

bool valid_triple(std::string_view t) {
  if (std::count(t.begin(), t.end(), '-') < 2) {
    return false;
  }
  return std::all_of(t.begin(), t.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
  });
}

} // namespace

const std::vector<std::string> &default_target_aliases() {
  static const std::vector<std::string> kAll = {"x86_64", "aarch64", "riscv64", "loongarch64"};
  return kAll;
}

std::string host_triplet(std::string_view triple) {
  std::string arch(triple.substr(0, triple.find('-')));
  if (arch == "riscv64gc" || arch == "riscv64imac") {
    arch = "riscv64";
  } else if (arch == "i586" || arch == "i686") {
    arch = "i686";
  } else if (arch.rfind("armv7", 0) == 0) {
    arch = "armv7";
  }
  std::string os = "Linux";
  if (triple.find("-darwin") != std::string_view::npos) {
    os = "Darwin";
  } else if (triple.find("-freebsd") != std::string_view::npos) {
    os = "FreeBSD";
  } else if (triple.find("-windows") != std::string_view::npos) {
    os = "Windows";
  }
  return arch + "-" + os;
}

Target resolve_target(std::string_view spec) {
  for (const auto &a : kAliases) {
    if (spec == a.alias) {
      return {std::string(a.triple), host_triplet(a.triple)};
    }
  }
  if (!valid_triple(spec)) {
    fail(ExitCode::usage,
         "unknown target '{}': use x86_64, aarch64, riscv64, loongarch64, all, or a rustc triple", spec);
  }
  return {std::string(spec), host_triplet(spec)};
}

std::vector<Target> resolve_targets(const std::vector<std::string> &specs) {
  std::vector<std::string> expanded;
  for (const auto &s : specs) {
    if (s == "all") {
      expanded.insert(expanded.end(), default_target_aliases().begin(), default_target_aliases().end());
    } else {
      expanded.push_back(s);
    }
  }
  if (expanded.empty()) {
    expanded.emplace_back("x86_64");
  }
  std::vector<Target> out;
  for (const auto &s : expanded) {
    Target t = resolve_target(s);
    if (std::none_of(out.begin(), out.end(), [&](const Target &o) { return o.triple == t.triple; })) {
      out.push_back(std::move(t));
    }
  }
  return out;
}

std::string native_triple() {
  struct utsname u {};
  ::uname(&u);
  const std::string machine = u.machine;
  return machine + "-unknown-linux-gnu";
}

} // namespace forge
