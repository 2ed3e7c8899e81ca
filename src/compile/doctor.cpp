// Why: `forge doctor` must tell the truth about this machine without ever failing itself: every probe is a
// short, bounded subprocess whose failure only means "not there", and the verdicts reuse the builder logic.
#include "forge/compile/doctor.hpp"

#include "forge/compile/subprocess.hpp"

#include <fmt/format.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>

namespace forge {
namespace {

namespace fs = std::filesystem;

constexpr const char *kSystemToolchain = "system (/usr/bin/rustc)";
constexpr const char *kSystemRustc = "/usr/bin/rustc";

struct ProbeOutput {
  bool ok = false;
  std::vector<std::string> lines; // the child's output lines, without the log's elapsed-time prefix
};

// "[mm:ss.mmm] text" -> "text"; other lines unchanged.
std::string strip_elapsed(const std::string &line) {
  if (line.size() < 12 || line[0] != '[') {
    return line;
  }
  const auto close = line.find("] ");
  if (close == std::string::npos || close > 16) {
    return line;
  }
  const bool stamp = std::all_of(line.begin() + 1, line.begin() + static_cast<std::ptrdiff_t>(close),
                                 [](char c) { return (c >= '0' && c <= '9') || c == ':' || c == '.'; });
  return stamp ? line.substr(close + 2) : line;
}

std::string trim(std::string s) {
  const auto not_space = [](unsigned char c) { return std::isspace(c) == 0; };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

// Runs `argv` with a 10 s deadline; never throws.
ProbeOutput probe(const std::vector<std::string> &argv) {
  static std::atomic<int> counter{0};
  ProbeOutput out;
  std::error_code ec;
  fs::path log_path;
  try {
    ProcessSpec spec;
    spec.argv = argv;
    spec.env = make_environment({});
    spec.timeout = std::chrono::seconds(10);
    spec.grace = std::chrono::seconds(1);
    spec.log_cap_bytes = 1 << 20;
    log_path =
        fs::temp_directory_path() / fmt::format("forge-doctor-{}-{}.log", ::getpid(), counter.fetch_add(1));
    spec.log_path = log_path;
    const ProcessResult r = run_process(spec);
    out.ok = r.ok();
    std::ifstream in(log_path);
    std::string line;
    while (std::getline(in, line)) {
      line = trim(strip_elapsed(line));
      if (!line.empty()) {
        out.lines.push_back(line);
      }
    }
  } catch (const std::exception &) {
    out.ok = false;
  }
  if (!log_path.empty()) {
    fs::remove(log_path, ec);
  }
  return out;
}

std::string first_line(const ProbeOutput &p) {
  return p.ok && !p.lines.empty() ? p.lines.front() : "";
}

std::string env_or(const char *name, const std::string &fallback) {
  const char *v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

// Where rustup puts cargo, rustup and the proxies: $CARGO_HOME/bin, else ~/.cargo/bin.
fs::path cargo_home_bin() {
  const std::string cargo_home = env_or("CARGO_HOME", "");
  if (!cargo_home.empty()) {
    return fs::path(cargo_home) / "bin";
  }
  return fs::path(env_or("HOME", "/root")) / ".cargo" / "bin";
}

bool executable(const fs::path &p) {
  return ::access(p.c_str(), X_OK) == 0;
}

// Target triples under `sysroot`/lib/rustlib whose lib/ holds a libstd.
std::vector<std::string> sysroot_targets(const fs::path &sysroot) {
  std::vector<std::string> triples;
  std::error_code ec;
  for (const auto &entry : fs::directory_iterator(sysroot / "lib" / "rustlib", ec)) {
    std::error_code ec2;
    if (!entry.is_directory(ec2)) {
      continue;
    }
    for (const auto &lib : fs::directory_iterator(entry.path() / "lib", ec2)) {
      if (lib.path().filename().string().rfind("libstd", 0) == 0) {
        triples.push_back(entry.path().filename().string());
        break;
      }
    }
  }
  std::sort(triples.begin(), triples.end());
  return triples;
}

bool looks_like_triple(const std::string &s) {
  return s.find(' ') == std::string::npos && std::count(s.begin(), s.end(), '-') >= 2;
}

void probe_toolchains(DoctorReport &report) {
  std::string rustup = find_program("rustup");
  if (rustup.empty() && executable(cargo_home_bin() / "rustup")) {
    rustup = (cargo_home_bin() / "rustup").string();
  }
  if (!rustup.empty()) {
    const ProbeOutput list = probe({rustup, "toolchain", "list"});
    const std::string host_suffix = "-" + native_triple();
    for (const auto &line : list.ok ? list.lines : std::vector<std::string>{}) {
      const auto space = line.find(' ');
      const std::string full = line.substr(0, space);
      const std::string rest = space == std::string::npos ? "" : trim(line.substr(space));
      if (full.empty() || (!rest.empty() && rest[0] != '(')) {
        continue; // e.g. "no installed toolchains"
      }
      std::string name = full;
      if (name.size() > host_suffix.size() && name.ends_with(host_suffix)) {
        name.resize(name.size() - host_suffix.size());
      }
      if (rest.find("default") != std::string::npos) {
        report.default_toolchain = name;
      }
      DoctorReport::Toolchain tc{name, {}};
      const ProbeOutput targets = probe({rustup, "target", "list", "--installed", "--toolchain", full});
      if (targets.ok) {
        for (const auto &t : targets.lines) {
          if (looks_like_triple(t)) {
            tc.targets.push_back(t);
          }
        }
      } else {
        const std::string sysroot = first_line(probe({rustup, "run", full, "rustc", "--print", "sysroot"}));
        if (!sysroot.empty()) {
          tc.targets = sysroot_targets(sysroot);
        }
      }
      report.toolchains.push_back(std::move(tc));
    }
  }
  if (executable(kSystemRustc)) {
    const std::string sysroot = first_line(probe({kSystemRustc, "--print", "sysroot"}));
    if (!sysroot.empty()) {
      report.toolchains.push_back({kSystemToolchain, sysroot_targets(sysroot)});
    }
  }
}

void probe_cargos(DoctorReport &report, const BuilderSettings &settings) {
  const std::vector<std::pair<std::string, std::string>> candidates = {
      {"cargo", find_program("cargo")},
      {(cargo_home_bin() / "cargo").string(), find_program((cargo_home_bin() / "cargo").string())},
      {"/usr/bin/cargo", find_program("/usr/bin/cargo")},
      {settings.cargo_program, find_program(settings.cargo_program)},
  };
  std::set<std::string> seen;
  for (const auto &[name, path] : candidates) {
    if (path.empty()) {
      continue;
    }
    std::error_code ec;
    fs::path canonical = fs::weakly_canonical(fs::absolute(path, ec), ec);
    // rustup's proxies are all links to rustup: tell them apart by the proxy's own absolute path.
    const std::string key = canonical.filename() == "rustup"
                                ? fs::absolute(path, ec).lexically_normal().string()
                                : canonical.string();
    if (!seen.insert(key).second) {
      continue;
    }
    report.cargo_programs.push_back({name, path, first_line(probe({path, "--version"}))});
  }
}

void probe_cross_and_engines(DoctorReport &report, const BuilderSettings &settings) {
  const std::string cross = find_program(settings.cross_program);
  report.have_cross = !cross.empty();
  if (report.have_cross) {
    report.cross_version = first_line(probe({cross, "--version"}));
  }
  for (const char *engine : {"docker", "podman"}) {
    const std::string path = find_program(engine);
    if (!path.empty() && probe({path, "info"}).ok) {
      report.container_engines.emplace_back(engine);
    }
  }
}

uint64_t free_bytes(const fs::path &dir) {
  std::error_code ec;
  fs::path p = fs::absolute(dir.empty() ? fs::path(".") : dir, ec);
  while (!p.empty() && !fs::exists(p, ec)) {
    if (p == p.parent_path()) {
      break;
    }
    p = p.parent_path();
  }
  struct statvfs st {};
  if (::statvfs(p.c_str(), &st) != 0) {
    return 0;
  }
  return static_cast<uint64_t>(st.f_bavail) * static_cast<uint64_t>(st.f_frsize);
}

std::string arch_of(const std::string &triple) {
  return triple.substr(0, triple.find('-'));
}

bool is_rustup_proxy(const std::string &path) {
  std::error_code ec;
  const fs::path canonical = fs::weakly_canonical(path, ec);
  return canonical.filename() == "rustup" || executable(fs::path(path).parent_path() / "rustup");
}

const DoctorReport::Toolchain *find_toolchain(const DoctorReport &r, const std::string &name) {
  const std::string host_suffix = "-" + native_triple();
  for (const auto &tc : r.toolchains) {
    if (tc.name == name || tc.name + host_suffix == name) {
      return &tc;
    }
  }
  return nullptr;
}

// The reasons the cargo-driven builders (cargo, zigbuild) cannot build `target`; empty when they can.
std::vector<std::string> cargo_problems(const DoctorReport &r, const BuilderSettings &s, const Target &target,
                                        bool needs_linker) {
  std::vector<std::string> problems;
  const std::string cargo = find_program(s.cargo_program);
  if (cargo.empty()) {
    problems.push_back(fmt::format("cargo program '{}' not found", s.cargo_program));
  }
  std::string toolchain = s.toolchain;
  if (toolchain.empty() && !cargo.empty() && is_rustup_proxy(cargo)) {
    toolchain = r.default_toolchain;
    if (toolchain.empty()) {
      problems.push_back(fmt::format("'{}' is rustup's cargo but rustup has no default toolchain", cargo));
    }
  } else if (toolchain.empty()) {
    toolchain = kSystemToolchain;
  }
  if (!toolchain.empty()) {
    const DoctorReport::Toolchain *tc = find_toolchain(r, toolchain);
    if (tc == nullptr) {
      problems.push_back(toolchain == kSystemToolchain
                             ? std::string("no system Rust at /usr/bin/rustc (apt-get install rustc)")
                             : fmt::format("toolchain '{}' is not installed (rustup toolchain install {})",
                                           toolchain, toolchain));
    } else if (std::find(tc->targets.begin(), tc->targets.end(), target.triple) == tc->targets.end()) {
      problems.push_back(
          toolchain == kSystemToolchain
              ? fmt::format("the standard library for {} is not installed for /usr/bin/rustc", target.triple)
              : fmt::format(
                    "the standard library for {} is not installed in toolchain '{}' (rustup target add "
                    "--toolchain {} {})",
                    target.triple, toolchain, toolchain, target.triple));
    }
  }
  // Same architecture (gnu or musl) links with the host's cc; another architecture needs a cross linker.
  if (needs_linker && arch_of(target.triple) != arch_of(native_triple())) {
    bool configured = false;
    for (std::size_t i = 0; i < r.linkers.size(); ++i) {
      if (r.linkers[i].first != target.triple) {
        continue;
      }
      configured = true;
      const bool found = i < r.linker_found.size() && r.linker_found[i].second;
      if (!found) {
        problems.push_back(fmt::format("linker '{}' for {} not found", r.linkers[i].second, target.triple));
      }
    }
    if (!configured) {
      problems.push_back(
          fmt::format("no linker configured for {} (a foreign target: set a linker for it, e.g. "
                      "{}-linux-gnu-gcc)",
                      target.triple, arch_of(host_triplet(target.triple))));
    }
  }
  return problems;
}

std::string join(const std::vector<std::string> &parts, const std::string &sep) {
  std::string out;
  for (const auto &p : parts) {
    out += (out.empty() ? "" : sep) + p;
  }
  return out;
}

std::string human_bytes(uint64_t bytes) {
  const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  auto value = static_cast<double>(bytes);
  std::size_t unit = 0;
  while (value >= 1024.0 && unit + 1 < std::size(units)) {
    value /= 1024.0;
    ++unit;
  }
  return unit == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", value, units[unit]);
}

} // namespace

DoctorReport::TargetPlan plan_target(const DoctorReport &r, const BuilderSettings &s, const Target &target) {
  DoctorReport::TargetPlan plan;
  plan.triple = target.triple;
  plan.host = target.host;
  const BuilderChoice choice = choose_builder(!r.container_engines.empty(), r.have_cross, r.have_zigbuild);
  plan.builder = builder_name(choice.kind);
  plan.reason = choice.reason;
  std::vector<std::string> problems;
  switch (choice.kind) {
  case BuilderKind::cross:
    break; // the container image supplies the standard library and the linker
  case BuilderKind::zigbuild:
    if (!r.have_zig) {
      problems.emplace_back("zig not found (cargo-zigbuild links with it)");
    }
    for (auto &p : cargo_problems(r, s, target, false)) {
      problems.push_back(std::move(p));
    }
    break;
  case BuilderKind::cargo:
    problems = cargo_problems(r, s, target, true);
    break;
  }
  plan.can_build = problems.empty();
  plan.why_not = join(problems, "; ");
  return plan;
}

DoctorReport run_doctor(const BuilderSettings &settings, const std::vector<std::string> &target_specs,
                        const fs::path &out_dir, const fs::path &cache_dir, const SandboxSettings &sandbox) {
  const std::vector<Target> targets = resolve_targets(target_specs); // usage errors before any probe
  DoctorReport report;
  probe_toolchains(report);
  probe_cargos(report, settings);
  probe_cross_and_engines(report, settings);
  report.have_zig = !find_program("zig").empty();
  report.have_zigbuild = !find_program("cargo-zigbuild").empty();
  for (const auto &[triple, program] : settings.linkers) {
    report.linkers.emplace_back(triple, program);
    report.linker_found.emplace_back(program, !find_program(program).empty());
  }
  report.free_bytes_out = free_bytes(out_dir);
  report.free_bytes_cache = free_bytes(cache_dir);
  report.sandbox = probe_bwrap(sandbox);
  for (const auto &t : targets) {
    report.targets.push_back(plan_target(report, settings, t));
    report.anything_can_build = report.anything_can_build || report.targets.back().can_build;
  }
  return report;
}

std::string render_doctor(const DoctorReport &r, bool color) {
  const auto paint = [color](const std::string &code, const std::string &text) {
    return color ? "\x1b[" + code + "m" + text + "\x1b[0m" : text;
  };
  const auto heading = [&](const std::string &title) { return paint("1", title) + "\n"; };
  const std::string yes = paint("32", "✓");
  const std::string no = paint("31", "✗");
  std::ostringstream out;

  out << heading("Toolchains");
  if (r.toolchains.empty()) {
    out << "  " << no << " none (no rustup, no /usr/bin/rustc)\n";
  }
  for (const auto &tc : r.toolchains) {
    out << "  " << tc.name << (tc.name == r.default_toolchain ? " (default)" : "") << ": "
        << (tc.targets.empty() ? std::string("no standard library found") : join(tc.targets, ", ")) << "\n";
  }

  out << heading("Cargo");
  if (r.cargo_programs.empty()) {
    out << "  " << no << " no cargo found\n";
  }
  for (const auto &p : r.cargo_programs) {
    out << "  " << p.name << (p.name == p.path ? "" : " -> " + p.path) << ": "
        << (p.version.empty() ? std::string("did not answer --version") : p.version) << "\n";
  }

  out << heading("Cross/containers");
  out << "  " << (r.have_cross ? yes : no) << " cross"
      << (r.have_cross ? (r.cross_version.empty() ? std::string(" (no version)") : ": " + r.cross_version)
                       : std::string(" not found"))
      << "\n";
  out << "  " << (r.container_engines.empty() ? no : yes) << " container engine: "
      << (r.container_engines.empty() ? std::string("none answered (docker info / podman info)")
                                      : join(r.container_engines, ", "))
      << "\n";

  out << heading("Zig");
  out << "  " << (r.have_zig ? yes : no) << " zig" << (r.have_zig ? "" : " not found") << "\n";
  out << "  " << (r.have_zigbuild ? yes : no) << " cargo-zigbuild" << (r.have_zigbuild ? "" : " not found")
      << "\n";

  out << heading("Linkers");
  if (r.linkers.empty()) {
    out << "  none configured (only native-architecture targets can be linked by cargo)\n";
  }
  for (std::size_t i = 0; i < r.linkers.size(); ++i) {
    const bool found = i < r.linker_found.size() && r.linker_found[i].second;
    out << "  " << (found ? yes : no) << " " << r.linkers[i].first << " -> " << r.linkers[i].second
        << (found ? "" : " (not found)") << "\n";
  }

  out << heading("Disk");
  out << "  output: " << human_bytes(r.free_bytes_out) << " free\n";
  out << "  cache:  " << human_bytes(r.free_bytes_cache) << " free\n";

  out << heading("Sandbox");
  out << "  " << (r.sandbox.works ? yes : no) << " bwrap: " << r.sandbox.why
      << (r.sandbox.works ? " (forge build --sandbox auto uses it)"
                          : " (forge build --sandbox auto builds without a sandbox)")
      << "\n";

  out << heading("Targets");
  for (const auto &t : r.targets) {
    out << "  " << (t.can_build ? yes : no) << " " << t.triple << " (" << t.host << ") with " << t.builder
        << ": " << t.reason << "\n";
    if (!t.can_build) {
      out << "      " << t.why_not << "\n";
    }
  }
  out << (r.anything_can_build ? yes + " something can be built here\n"
                               : no + " nothing can be built here\n");
  return out.str();
}

nlohmann::ordered_json doctor_to_json(const DoctorReport &r) {
  using nlohmann::ordered_json;
  ordered_json j;
  j["toolchains"] = ordered_json::array();
  for (const auto &tc : r.toolchains) {
    j["toolchains"].push_back({{"name", tc.name}, {"targets", tc.targets}});
  }
  j["default_toolchain"] = r.default_toolchain;
  j["cargo_programs"] = ordered_json::array();
  for (const auto &p : r.cargo_programs) {
    j["cargo_programs"].push_back({{"name", p.name}, {"path", p.path}, {"version", p.version}});
  }
  j["have_cross"] = r.have_cross;
  j["cross_version"] = r.cross_version;
  j["container_engines"] = r.container_engines;
  j["have_zig"] = r.have_zig;
  j["have_zigbuild"] = r.have_zigbuild;
  j["linkers"] = ordered_json::array();
  for (std::size_t i = 0; i < r.linkers.size(); ++i) {
    j["linkers"].push_back({{"triple", r.linkers[i].first},
                            {"program", r.linkers[i].second},
                            {"found", i < r.linker_found.size() && r.linker_found[i].second}});
  }
  j["free_bytes_out"] = r.free_bytes_out;
  j["free_bytes_cache"] = r.free_bytes_cache;
  j["sandbox"] = {
      {"bwrap", r.sandbox.program.empty() ? ordered_json(nullptr) : ordered_json(r.sandbox.program)},
      {"version", r.sandbox.version},
      {"works", r.sandbox.works},
      {"why", r.sandbox.why},
      {"uid", r.sandbox.uid}};
  j["targets"] = ordered_json::array();
  for (const auto &t : r.targets) {
    j["targets"].push_back({{"triple", t.triple},
                            {"host", t.host},
                            {"builder", t.builder},
                            {"reason", t.reason},
                            {"can_build", t.can_build},
                            {"why_not", t.why_not}});
  }
  j["anything_can_build"] = r.anything_can_build;
  return j;
}

} // namespace forge
