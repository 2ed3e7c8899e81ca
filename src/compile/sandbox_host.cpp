// Why: the machine-facing half of the sandbox: whether bwrap really works here (decided by running one, not
// by guessing from versions or sysctls), what of the cargo home a build may see, and a build directory the
// build's own uid can write.
#include "forge/compile/log_writer.hpp"
#include "forge/compile/sandbox.hpp"
#include "forge/compile/subprocess.hpp"
#include "forge/util/error.hpp"
#include "forge/util/fs.hpp"

#include <fmt/format.h>
#include <pwd.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

namespace forge {
namespace fs = std::filesystem;

namespace {

fs::path home_dir() {
  if (const char *home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return home;
  }
  if (const passwd *pw = ::getpwuid(::getuid()); pw != nullptr && pw->pw_dir != nullptr) {
    return pw->pw_dir;
  }
  return "/";
}

fs::path env_or(const char *name, const fs::path &fallback) {
  const char *v = std::getenv(name);
  return v != nullptr && *v != '\0' ? fs::path(v) : fallback;
}

uint64_t physical_memory() {
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page = ::sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(page) : 16ULL << 30;
}

bool under(const fs::path &path, const fs::path &dir) {
  const auto rel = path.lexically_normal().lexically_relative(dir.lexically_normal());
  return !rel.empty() && *rel.begin() != "..";
}

bool covered(const fs::path &p, const std::vector<fs::path> &binds) {
  return under(p, "/usr") ||
         std::any_of(binds.begin(), binds.end(), [&](const fs::path &b) { return under(p, b); });
}

void add_bind(std::vector<fs::path> &binds, const fs::path &p) {
  std::error_code ec;
  if (p.empty() || !p.is_absolute() || !fs::exists(p, ec) || covered(p, binds)) {
    return;
  }
  std::erase_if(binds, [&](const fs::path &b) { return under(b, p); });
  binds.push_back(p.lexically_normal());
}

// Gives the build directory to the build's uid, never following a symlink out of it.
void give_to(const fs::path &dir, uint32_t uid) {
  if (::lchown(dir.c_str(), uid, uid) != 0) {
    fail(ExitCode::io, "cannot give {} to uid {}: {}", dir.string(), uid, std::strerror(errno));
  }
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::none, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (::lchown(it->path().c_str(), uid, uid) != 0) {
      fail(ExitCode::io, "cannot give {} to uid {}: {}", it->path().string(), uid, std::strerror(errno));
    }
  }
  if (ec) {
    fail(ExitCode::io, "cannot walk {}: {}", dir.string(), ec.message());
  }
}

// Removes what a build must not read from a cargo config: registry tokens, proxy URLs (which may carry a
// password), and secret-looking [env] entries. Returns the names removed.
std::vector<std::string> strip_cargo_secrets(toml::table &config) {
  std::vector<std::string> removed;
  if (auto *registry = config["registry"].as_table(); registry != nullptr && registry->erase("token") > 0) {
    removed.emplace_back("registry.token");
  }
  if (auto *registries = config["registries"].as_table()) {
    for (auto &[name, node] : *registries) {
      if (auto *t = node.as_table(); t != nullptr && t->erase("token") > 0) {
        removed.push_back(fmt::format("registries.{}.token", name.str()));
      }
    }
  }
  if (auto *http = config["http"].as_table(); http != nullptr && http->erase("proxy") > 0) {
    removed.emplace_back("http.proxy");
  }
  if (auto *env = config["env"].as_table()) {
    std::vector<std::string> secret;
    for (const auto &[name, node] : *env) {
      if (is_secret_name(name.str())) {
        secret.emplace_back(name.str());
      }
    }
    for (const auto &name : secret) {
      env->erase(name);
      removed.push_back("env." + name);
    }
  }
  return removed;
}

void collect_sources(const toml::table &config, const fs::path &cargo_home, std::vector<fs::path> &out) {
  const auto *sources = config["source"].as_table();
  if (sources == nullptr) {
    return;
  }
  for (const auto &[name, node] : *sources) {
    const auto *t = node.as_table();
    if (t == nullptr) {
      continue;
    }
    for (const char *key : {"directory", "local-registry"}) {
      if (auto dir = (*t)[key].value<std::string>()) {
        fs::path p = *dir;
        // cargo resolves a config's relative paths against the directory holding its .cargo (or cargo home)
        out.push_back(p.is_absolute() ? p : cargo_home.parent_path() / p);
      }
    }
  }
}

std::string last_line(const std::string &text) {
  std::istringstream in(text);
  std::string line;
  std::string last;
  while (std::getline(in, line)) {
    // drop LogWriter's "[mm:ss.mmm] " prefix
    if (line.size() > 12 && line[0] == '[' && line.find("] ") != std::string::npos) {
      line = line.substr(line.find("] ") + 2);
    }
    if (!line.empty()) {
      last = line;
    }
  }
  return last;
}

// A short probe: a minimal PATH, 10 s, 1 s grace.
ProcessSpec probe_spec(std::vector<std::string> argv, const fs::path &log_path) {
  ProcessSpec spec;
  spec.argv = std::move(argv);
  spec.env = {"PATH=/usr/bin:/bin"};
  spec.timeout = std::chrono::seconds(10);
  spec.grace = std::chrono::seconds(1);
  spec.log_path = log_path;
  return spec;
}

std::string program_version(const std::string &program, const fs::path &scratch) {
  const ProcessSpec spec = probe_spec({program, "--version"}, scratch / "version.log");
  const ProcessResult r = run_process(spec);
  std::error_code ec;
  return r.ok() ? last_line(read_file(spec.log_path)) : std::string();
}

SandboxProbe run_probe(const SandboxSettings &settings) {
  SandboxProbe probe;
  probe.program = find_program(settings.bwrap_program);
  if (probe.program.empty()) {
    probe.why = fmt::format("{} is not installed (Debian package bubblewrap)", settings.bwrap_program);
    return probe;
  }
  if (::geteuid() == 0) {
    std::string map;
    try {
      map = read_file("/proc/self/uid_map");
    } catch (const Error &) {
      map = "0 0 4294967295";
    }
    const auto uid = pick_sandbox_uid(map, static_cast<long>(::getpid()));
    if (!uid) {
      probe.why = "forge runs as root, but no unprivileged uid is mapped here to run builds as";
      return probe;
    }
    probe.uid = *uid;
  }
  static std::atomic<int> counter{0};
  const fs::path scratch =
      fs::temp_directory_path() / fmt::format("forge-sandbox-probe-{}-{}", ::getpid(), counter.fetch_add(1));
  std::error_code ec;
  fs::remove_all(scratch, ec);
  fs::create_directories(scratch / "work", ec);
  if (ec) {
    probe.why = fmt::format("cannot create {}: {}", scratch.string(), ec.message());
    return probe;
  }
  try {
    probe.version = program_version(probe.program, scratch);
    std::vector<std::string> notes;
    const SandboxLayout layout = prepare_sandbox(settings, probe, scratch / "work", scratch / "work",
                                                 host_cargo_home(), host_rustup_home(), {}, notes);
    const ProcessSpec spec =
        probe_spec(bwrap_command(probe.program, layout, {"/bin/sh", "-c", "echo sandboxed > probe"}),
                   scratch / "probe.log");
    const ProcessResult r = run_process(spec);
    std::string wrote;
    try {
      wrote = read_file(scratch / "work" / "probe");
    } catch (const Error &) {
    }
    if (!r.started) {
      probe.why = r.spawn_error;
    } else if (!r.ok() || wrote != "sandboxed\n") {
      const std::string said = last_line(read_file(spec.log_path));
      probe.why = fmt::format("a trial sandbox failed ({}): {}",
                              r.timed_out ? "timed out" : fmt::format("exit status {}", r.exit_code),
                              said.empty() ? "no output" : said);
    } else {
      probe.works = true;
      probe.why = fmt::format("{} works here: no network, {}, at most {} processes",
                              probe.version.empty() ? "bwrap" : probe.version,
                              probe.uid != 0 ? fmt::format("builds run as uid {}", probe.uid)
                                             : std::string("a user namespace"),
                              settings.max_processes);
    }
  } catch (const Error &e) {
    probe.why = e.what();
  }
  fs::remove_all(scratch, ec);
  return probe;
}

} // namespace

fs::path host_cargo_home() {
  return env_or("CARGO_HOME", home_dir() / ".cargo");
}
fs::path host_rustup_home() {
  return env_or("RUSTUP_HOME", home_dir() / ".rustup");
}

SandboxProbe probe_bwrap(const SandboxSettings &settings) {
  static std::mutex mutex;
  static std::map<std::string, SandboxProbe> cache;
  const std::string key = fmt::format("{}|{}|{}|{}|{}", settings.bwrap_program, settings.max_processes,
                                      settings.max_file_bytes, settings.max_memory_bytes, settings.tmp_bytes);
  std::lock_guard lock(mutex);
  if (auto it = cache.find(key); it != cache.end()) {
    return it->second;
  }
  SandboxProbe probe = run_probe(settings);
  cache.emplace(key, probe);
  return probe;
}

CargoHomeView view_cargo_home(const fs::path &cargo_home, const fs::path &scratch) {
  CargoHomeView view;
  std::error_code ec;
  for (const auto &entry : fs::directory_iterator(cargo_home, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with("credentials")) {
      view.hidden.push_back(name);
      continue;
    }
    if (name != "config" && name != "config.toml") {
      view.entries.push_back(entry.path());
      continue;
    }
    toml::table config;
    try {
      config = toml::parse_file(entry.path().string());
    } catch (const toml::parse_error &e) {
      view.hidden.push_back(name + " (unparsable: " + std::string(e.description()) + ")");
      continue;
    }
    collect_sources(config, cargo_home, view.sources);
    const std::vector<std::string> removed = strip_cargo_secrets(config);
    if (removed.empty()) {
      view.entries.push_back(entry.path());
      continue;
    }
    std::ostringstream out;
    out << config << "\n";
    const fs::path copy = scratch / ("cargo-" + name);
    write_file_atomic(copy, out.str());
    view.config = std::make_pair(copy, entry.path());
    for (const auto &r : removed) {
      view.hidden.push_back(name + ": " + r);
    }
  }
  return view;
}

SandboxLayout prepare_sandbox(const SandboxSettings &settings, const SandboxProbe &probe,
                              const fs::path &build_dir, const fs::path &work_dir, const fs::path &cargo_home,
                              const fs::path &rustup_home, const std::vector<std::string> &programs,
                              std::vector<std::string> &notes) {
  SandboxLayout l;
  l.build_dir = build_dir;
  l.work_dir = work_dir;
  l.uid = probe.uid;
  l.max_processes = settings.max_processes;
  l.max_file_bytes = settings.max_file_bytes;
  l.tmp_bytes = settings.tmp_bytes;
  l.max_memory_bytes = settings.max_memory_bytes != 0 ? settings.max_memory_bytes : physical_memory();
  for (auto [tool, slot] : {std::pair{"setpriv", &l.setpriv}, {"choom", &l.choom}, {"prlimit", &l.prlimit}}) {
    *slot = find_program(tool);
    if (slot->empty()) {
      fail(ExitCode::internal, "{} is not installed (Debian package util-linux)", tool);
    }
  }
  std::error_code ec;
  for (const char *name : {"bin", "sbin", "lib", "lib32", "lib64", "libx32"}) {
    const fs::path p = fs::path("/") / name;
    const auto st = fs::symlink_status(p, ec);
    if (fs::is_symlink(st)) {
      l.root_entries.emplace_back(name, fs::read_symlink(p, ec).string());
    } else if (fs::is_directory(st)) {
      l.root_entries.emplace_back(name, "");
    }
  }
  add_bind(l.ro_binds, rustup_home);
  const fs::path scratch = build_dir / ".forge-sandbox";
  fs::create_directories(scratch, ec);
  CargoHomeView view = view_cargo_home(cargo_home, scratch);
  for (const auto &e : view.entries) {
    add_bind(l.ro_binds, e);
  }
  for (const auto &s : view.sources) {
    add_bind(l.ro_binds, s);
  }
  if (view.config) {
    l.ro_files.push_back(*view.config);
  }
  for (const auto &h : view.hidden) {
    notes.push_back("hidden from the build: " + (cargo_home / h).string());
  }
  for (const auto &program : programs) {
    const std::string found = find_program(program);
    if (found.empty()) {
      continue;
    }
    const fs::path dir = fs::weakly_canonical(fs::absolute(found), ec).parent_path();
    if (!covered(dir, l.ro_binds)) {
      add_bind(l.ro_binds, dir);
      notes.push_back(fmt::format("shown read-only for {}: {}", program, dir.string()));
    }
  }
  for (const auto &p : settings.ro_paths) {
    if (!fs::exists(p, ec)) {
      notes.push_back("--sandbox-ro path does not exist: " + p.string());
      continue;
    }
    add_bind(l.ro_binds, fs::absolute(p).lexically_normal());
  }
  // Under the build directory itself a read-only bind would be pointless (and hide the writable one).
  std::erase_if(l.ro_binds, [&](const fs::path &b) { return under(b, build_dir); });
  fs::create_directories(build_dir / "home", ec);
  if (ec) {
    fail(ExitCode::io, "cannot create {}: {}", (build_dir / "home").string(), ec.message());
  }
  if (l.uid != 0) {
    give_to(build_dir, l.uid);
  }
  return l;
}

} // namespace forge
