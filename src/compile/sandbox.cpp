// Why: the sandbox's policy in one place, as pure functions: which variables a build may see, which uid it
// runs as, and the exact bwrap command line, so every rule is unit-tested without starting a sandbox.
#include "forge/compile/sandbox.hpp"

#include "forge/compile/log_writer.hpp"
#include "forge/util/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <set>
#include <sstream>

namespace forge {
namespace fs = std::filesystem;

namespace {

constexpr uint32_t kUniqueUidBase = 0x7e000000; // far above regular users, subuid and systemd-nspawn ranges
constexpr uint32_t kNobody = 65534;

// What a build legitimately reads from the environment: toolchain selection, compiler and linker settings,
// pkg-config, locale. Everything else (tokens, CI variables, SSH agents, proxies) stays outside.
constexpr std::array<std::string_view, 34> kExactNames = {"PATH",
                                                          "LANG",
                                                          "LANGUAGE",
                                                          "TZ",
                                                          "SOURCE_DATE_EPOCH",
                                                          "RUST_BACKTRACE",
                                                          "RUST_MIN_STACK",
                                                          "RUSTFLAGS",
                                                          "RUSTDOCFLAGS",
                                                          "RUSTC",
                                                          "RUSTDOC",
                                                          "RUSTC_BOOTSTRAP",
                                                          "RUSTUP_TOOLCHAIN",
                                                          "CARGO_INCREMENTAL",
                                                          "CARGO_TERM_COLOR",
                                                          "CARGO_NET_OFFLINE",
                                                          "CARGO_ENCODED_RUSTFLAGS",
                                                          "CC",
                                                          "CXX",
                                                          "AR",
                                                          "LD",
                                                          "RANLIB",
                                                          "NM",
                                                          "CFLAGS",
                                                          "CXXFLAGS",
                                                          "CPPFLAGS",
                                                          "LDFLAGS",
                                                          "HOST_CC",
                                                          "HOST_CXX",
                                                          "HOST_CFLAGS",
                                                          "TARGET_CC",
                                                          "TARGET_CXX",
                                                          "TARGET_AR",
                                                          "TARGET_CFLAGS"};
constexpr std::array<std::string_view, 13> kPrefixes = {
    "LC_",     "CARGO_PROFILE_", "CARGO_TARGET_", "CARGO_BUILD_", "CC_",  "CXX_",           "AR_",
    "CFLAGS_", "CXXFLAGS_",      "PKG_CONFIG",    "OPENSSL_",     "ZIG_", "CARGO_ZIGBUILD_"};

// Read by compilers, the dynamic linker, and tools such as perl or pkg-config; nothing secret.
constexpr std::array<std::string_view, 12> kEtcEntries = {
    "alternatives", "ld.so.cache",   "ld.so.conf", "ld.so.conf.d", "localtime", "passwd",
    "group",        "nsswitch.conf", "hosts",      "os-release",   "perl",      "gai.conf"};

bool under(const fs::path &path, const fs::path &dir) {
  auto p = path.begin();
  for (auto d = dir.begin(); d != dir.end(); ++d, ++p) {
    if (p == path.end() || *p != *d) {
      return false;
    }
  }
  return true;
}

std::size_t depth(const fs::path &p) {
  return static_cast<std::size_t>(std::distance(p.begin(), p.end()));
}

// Builds the mount part of the command, creating each mount point's missing parents first. Parents under a
// bind mount exist already (the host has them); under /tmp or the bare root they are made with mode 0755,
// as bwrap would otherwise make them 0700 and owned by root, unreadable for the build's uid.
class Mounts {
public:
  explicit Mounts(std::vector<std::string> &argv) : argv_(argv) {}

  void mirror(const char *option, const fs::path &source, const fs::path &dest) {
    parents(dest);
    argv_.insert(argv_.end(), {option, source.string(), dest.string()});
    mirrored_.push_back(dest);
    made_.insert(dest);
  }
  void fresh(std::vector<std::string> options, const fs::path &dest) {
    parents(dest);
    argv_.insert(argv_.end(), options.begin(), options.end());
    argv_.push_back(dest.string());
    made_.insert(dest);
  }
  void dir(const fs::path &dest) {
    parents(dest);
    make(dest);
  }

private:
  void parents(const fs::path &dest) {
    std::vector<fs::path> missing;
    for (fs::path p = dest.parent_path(); !p.empty() && p != p.root_path(); p = p.parent_path()) {
      missing.push_back(p);
    }
    std::reverse(missing.begin(), missing.end());
    for (const auto &p : missing) {
      make(p);
    }
  }
  void make(const fs::path &p) {
    if (made_.count(p) != 0 ||
        std::any_of(mirrored_.begin(), mirrored_.end(), [&](const fs::path &m) { return under(p, m); })) {
      return;
    }
    argv_.insert(argv_.end(), {"--perms", "0755", "--dir", p.string()});
    made_.insert(p);
  }

  std::vector<std::string> &argv_;
  std::vector<fs::path> mirrored_;
  std::set<fs::path> made_;
};

} // namespace

SandboxMode parse_sandbox_mode(const std::string &text) {
  if (text == "auto") {
    return SandboxMode::auto_;
  }
  if (text == "bwrap") {
    return SandboxMode::bwrap;
  }
  if (text == "none") {
    return SandboxMode::none;
  }
  fail(ExitCode::usage, "--sandbox must be auto, bwrap or none, not '{}'", text);
}

std::string sandbox_mode_name(SandboxMode mode) {
  switch (mode) {
  case SandboxMode::bwrap:
    return "bwrap";
  case SandboxMode::none:
    return "none";
  case SandboxMode::auto_:
    break;
  }
  return "auto";
}

SandboxChoice choose_sandbox(const SandboxSettings &s, BuilderKind builder, const SandboxProbe &probe) {
  if (s.mode == SandboxMode::none) {
    return {false, "--sandbox none: build scripts run with forge's rights"};
  }
  if (builder == BuilderKind::cross) {
    return {false, "cross builds in its own container (docker/podman); bwrap is not layered on it"};
  }
  if (probe.works) {
    return {true, probe.why};
  }
  if (s.mode == SandboxMode::bwrap) {
    fail(ExitCode::usage, "--sandbox bwrap: {} (use --sandbox none to build without it)", probe.why);
  }
  return {false, "bwrap cannot sandbox here: " + probe.why};
}

std::optional<uint32_t> pick_sandbox_uid(std::string_view uid_map, long pid) {
  auto mapped = [&](uint64_t uid) {
    std::istringstream in{std::string(uid_map)};
    uint64_t inside = 0;
    uint64_t outside = 0;
    uint64_t count = 0;
    while (in >> inside >> outside >> count) {
      if (uid >= inside && uid - inside < count) {
        return true;
      }
    }
    return false;
  };
  if (pid > 0 && pid < (1L << 24)) {
    const uint64_t unique = kUniqueUidBase + static_cast<uint64_t>(pid);
    if (mapped(unique)) {
      return static_cast<uint32_t>(unique);
    }
  }
  if (mapped(kNobody)) {
    return kNobody;
  }
  return std::nullopt;
}

bool sandbox_passes_variable(std::string_view name, const std::vector<std::string> &pass) {
  if (std::find(pass.begin(), pass.end(), name) != pass.end()) {
    return true;
  }
  if (name.empty() || is_secret_name(name)) {
    return false;
  }
  return std::find(kExactNames.begin(), kExactNames.end(), name) != kExactNames.end() ||
         std::any_of(kPrefixes.begin(), kPrefixes.end(),
                     [&](std::string_view prefix) { return name.starts_with(prefix); });
}

std::vector<std::string> sandbox_environment(const std::vector<std::string> &env,
                                             const std::vector<std::string> &pass,
                                             const std::vector<std::pair<std::string, std::string>> &set) {
  std::vector<std::string> out;
  for (const auto &entry : env) {
    const auto eq = entry.find('=');
    if (eq == std::string::npos) {
      continue;
    }
    const std::string_view name = std::string_view(entry).substr(0, eq);
    const bool replaced =
        std::any_of(set.begin(), set.end(), [&](const auto &kv) { return kv.first == name; });
    if (!replaced && sandbox_passes_variable(name, pass)) {
      out.push_back(entry);
    }
  }
  for (const auto &[key, value] : set) {
    out.push_back(key + "=" + value);
  }
  return out;
}

std::optional<fs::path> jobserver_fifo(std::string_view makeflags) {
  constexpr std::string_view key = "--jobserver-auth=fifo:";
  std::optional<fs::path> found;
  std::istringstream words{std::string(makeflags)};
  for (std::string w; words >> w;) {
    if (w.starts_with(key)) {
      const fs::path p = w.substr(key.size());
      found = p.is_absolute() ? std::optional<fs::path>(p) : std::nullopt;
    }
  }
  return found;
}

std::vector<std::string> bwrap_command(const std::string &bwrap, const SandboxLayout &l,
                                       const std::vector<std::string> &command) {
  std::vector<std::string> argv{bwrap,           "--die-with-parent", "--new-session", "--unshare-pid",
                                "--unshare-net", "--unshare-ipc",     "--unshare-uts", "--unshare-cgroup-try",
                                "--hostname",    "forge-sandbox"};
  if (l.uid == 0) {
    // Not root: an unprivileged user namespace, in which the build may not create further ones.
    argv.insert(argv.end(), {"--unshare-user", "--disable-userns"});
  }
  Mounts m(argv);
  m.mirror("--ro-bind", "/usr", "/usr");
  for (const auto &[name, target] : l.root_entries) {
    if (target.empty()) {
      m.mirror("--ro-bind", "/" + name, "/" + name);
    } else {
      argv.insert(argv.end(), {"--symlink", target, "/" + name});
    }
  }
  m.dir("/etc");
  for (const auto name : kEtcEntries) {
    const std::string path = "/etc/" + std::string(name);
    argv.insert(argv.end(), {"--ro-bind-try", path, path});
  }
  m.fresh({"--proc"}, "/proc");
  m.fresh({"--dev"}, "/dev");
  m.fresh({"--perms", "1777", "--size", std::to_string(l.tmp_bytes), "--tmpfs"}, "/tmp");

  // Parents before children, so a bind inside another one (a build directory under a read-only cache)
  // is not hidden by it.
  struct Bind {
    fs::path source, dest;
    bool writable;
  };
  std::vector<Bind> binds;
  for (const auto &p : l.ro_binds) {
    binds.push_back({p, p, false});
  }
  for (const auto &[source, dest] : l.ro_files) {
    binds.push_back({source, dest, false});
  }
  for (const auto &p : l.rw_binds) {
    binds.push_back({p, p, true});
  }
  binds.push_back({l.build_dir, l.build_dir, true});
  std::stable_sort(binds.begin(), binds.end(),
                   [](const Bind &a, const Bind &b) { return depth(a.dest) < depth(b.dest); });
  for (const auto &b : binds) {
    m.mirror(b.writable ? "--bind" : "--ro-bind", b.source, b.dest);
  }
  argv.insert(argv.end(), {"--chdir", l.work_dir.string(), "--"});
  if (l.uid != 0) {
    // RLIMIT_NPROC does not bind uid 0, and root could undo every other limit: drop to a plain uid with
    // no capabilities, and no way back through setuid programs.
    argv.insert(argv.end(),
                {l.setpriv, fmt::format("--reuid={}", l.uid), fmt::format("--regid={}", l.uid),
                 "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"});
  }
  // No cgroup: the memory bound is per process, and the OOM killer is told to pick the build first.
  argv.insert(argv.end(), {l.choom, "-n", "1000", "--"});
  argv.insert(argv.end(), {l.prlimit, fmt::format("--nproc={0}:{0}", l.max_processes),
                           fmt::format("--fsize={0}:{0}", l.max_file_bytes),
                           fmt::format("--data={0}:{0}", l.max_memory_bytes), "--core=0:0", "--"});
  argv.insert(argv.end(), command.begin(), command.end());
  return argv;
}

} // namespace forge
