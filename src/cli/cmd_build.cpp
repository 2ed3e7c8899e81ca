// Why: `forge build` maps flags and forge.toml [build] onto a BuildRequest and reports each target.
#include "cli/commands.hpp"
#include "forge/compile/build_job.hpp"
#include "forge/run/process_runner.hpp"
#include "forge/util/term.hpp"
#include "forge/util/time.hpp"

#include <fmt/format.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <memory>

namespace forge::cli {
namespace {

struct BuildFlags {
  std::string spec;
  std::vector<std::string> targets;
  std::string builder = "auto";
  std::string toolchain = "nightly";
  std::string queue;
  std::string out = "forge-out";
  int jobs = 0;
  std::string timeout = "30m";
  std::string grace = "10s";
  std::string features = "all-then-default";
  bool keep_build_dir = false;
  std::string build_dir;
  std::string index_url = kDefaultIndexUrl;
  std::string crate_url;
  std::string cargo = "cargo";
  std::string cross = "cross";
  bool offline = false;
  std::vector<std::string> linkers;
  std::string rustflags;
  UnpackLimits limits;
  std::string sandbox = "auto";
  SandboxSettings sandbox_settings;
  std::vector<std::string> sandbox_ro;
  uint64_t log_cap = 8 << 20;
  int download_attempts = 5;
  double download_backoff = 1.0;
  SoarNaming naming;
};

BuildRequest to_request(const BuildFlags &f) {
  BuildRequest r;
  const auto at = f.spec.find('@');
  r.crate = f.spec.substr(0, at);
  if (at != std::string::npos) {
    r.version = f.spec.substr(at + 1);
  }
  if (r.crate.empty()) {
    fail(ExitCode::usage, "no crate name in '{}'", f.spec);
  }
  r.targets = resolve_targets(f.targets);
  r.auto_builder = f.builder == "auto";
  if (!r.auto_builder) {
    r.settings.kind = parse_builder(f.builder);
  }
  r.settings.toolchain = f.toolchain;
  r.settings.cargo_program = f.cargo;
  r.settings.cross_program = f.cross;
  r.settings.jobs = f.jobs;
  r.settings.offline = f.offline;
  r.settings.extra_rustflags = f.rustflags;
  r.settings.linkers = parse_linkers(f.linkers);
  r.features = parse_feature_mode(f.features);
  if (!f.queue.empty()) {
    r.queue = f.queue;
  }
  r.out = f.out;
  r.timeout = parse_duration(f.timeout);
  r.grace = parse_duration(f.grace);
  r.keep_build_dir = f.keep_build_dir;
  r.build_root = f.build_dir;
  r.index_url = f.index_url;
  r.crate_url = f.crate_url;
  r.limits = f.limits;
  r.sandbox = f.sandbox_settings;
  r.sandbox.mode = parse_sandbox_mode(f.sandbox);
  r.sandbox.ro_paths.assign(f.sandbox_ro.begin(), f.sandbox_ro.end());
  r.log_cap_bytes = f.log_cap;
  r.download_attempts = f.download_attempts;
  r.download_backoff_s = f.download_backoff;
  r.naming = f.naming;
  return r;
}

// A `forge build` started by `forge run` dies with it: when the runner is killed outright (SIGKILL, the OOM
// killer) the kernel sends this process SIGTERM, which stops its cargo process group like a Ctrl-C would.
void die_with_runner() {
  const char *value = std::getenv(kRunParentEnv);
  if (value == nullptr) {
    return;
  }
  const std::string expected = value;
  ::unsetenv(kRunParentEnv); // not for cargo and build scripts; still single-threaded here
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  // The runner may have died between spawning us and the prctl: then no signal will come.
  if (std::to_string(::getppid()) != expected) {
    fail(ExitCode::interrupted, "forge run (pid {}) is gone: not building", expected);
  }
}

} // namespace

void add_build(CLI::App &app, Action &action) {
  auto f = std::make_shared<BuildFlags>();
  auto *cmd =
      app.add_subcommand("build", "Build one crate for one or more targets into verified static executables "
                                  "with soar metadata");
  cmd->add_option("crate", f->spec, "CRATE or CRATE@VERSION")->required();
  cmd->add_option("--target", f->targets,
                  "x86_64, aarch64, riscv64, loongarch64 (the *-linux-musl triples), all, or a rustc triple; "
                  "repeatable or comma-separated (default: x86_64)")
      ->delimiter(',');
  cmd->add_option("--builder", f->builder, "auto, cross, zigbuild or cargo")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "cross", "zigbuild", "cargo"}));
  cmd->add_option("--toolchain", f->toolchain, "rustup toolchain (+NAME); empty for none")
      ->capture_default_str();
  cmd->add_option("--queue", f->queue, "queue.json giving the version and checksum");
  cmd->add_option("--out", f->out, "Output directory: <out>/<host>/<crate>/<version>/")
      ->capture_default_str();
  cmd->add_option("--jobs", f->jobs, "cargo --jobs (default: cores + 1)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--timeout", f->timeout, "Per-target build timeout, e.g. 30m, 90s")->capture_default_str();
  cmd->add_option("--grace", f->grace, "Time between SIGTERM and SIGKILL at the timeout")
      ->capture_default_str();
  cmd->add_option("--features", f->features, "all, default or all-then-default")
      ->capture_default_str()
      ->check(CLI::IsMember({"all", "default", "all-then-default"}));
  cmd->add_flag("--keep-build-dir", f->keep_build_dir, "Keep the unpacked crate and cargo's target dir");
  cmd->add_option("--build-dir", f->build_dir, "Where build directories go (default: <cache>/builds)");
  cmd->add_option("--index-url", f->index_url, "Sparse index root")->capture_default_str();
  cmd->add_option(
      "--crate-url", f->crate_url,
      "Download URL template ({crate} {version} {prefix} {lowerprefix} {sha256-checksum}); default: "
      "the index's config.json dl");
  cmd->add_option("--cargo", f->cargo, "cargo program (e.g. /usr/bin/cargo)")->capture_default_str();
  cmd->add_option("--cross", f->cross, "cross program")->capture_default_str();
  cmd->add_flag("--offline", f->offline, "Pass --offline to cargo (directory sources, prefetched deps)");
  cmd->add_option("--linker", f->linkers, "TRIPLE=PROGRAM linker for a foreign target; repeatable");
  cmd->add_option("--rustflags", f->rustflags, "Extra RUSTFLAGS appended to forge's static-linking flags");
  cmd->add_option("--max-crate-bytes", f->limits.max_bytes,
                  "Refuse .crate archives that unpack to more than this")
      ->capture_default_str();
  cmd->add_option("--max-crate-entries", f->limits.max_entries, "Refuse .crate archives with more entries")
      ->capture_default_str();
  cmd->add_option("--max-crate-file-bytes", f->limits.max_file_bytes,
                  "Refuse .crate archives with a larger file")
      ->capture_default_str();
  cmd->add_option("--sandbox", f->sandbox,
                  "Isolate the offline build phase: bwrap, none, or auto (bwrap when it works here)")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "bwrap", "none"}));
  cmd->add_option("--sandbox-max-processes", f->sandbox_settings.max_processes,
                  "Processes and threads the sandboxed build may have at once (RLIMIT_NPROC)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--sandbox-max-file-size", f->sandbox_settings.max_file_bytes,
                  "Largest file the sandboxed build may write, in bytes (RLIMIT_FSIZE)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--sandbox-max-memory", f->sandbox_settings.max_memory_bytes,
                  "Memory (data) each sandboxed process may use, in bytes (RLIMIT_DATA; 0: the machine's)")
      ->capture_default_str();
  cmd->add_option("--sandbox-tmp-size", f->sandbox_settings.tmp_bytes,
                  "Size of the sandbox's private /tmp (RAM), in bytes")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--sandbox-env", f->sandbox_settings.pass_env,
                  "Also pass this environment variable into the sandbox; repeatable");
  cmd->add_option("--sandbox-ro", f->sandbox_ro,
                  "Also show this host path read-only in the sandbox; repeatable");
  cmd->add_option("--bwrap", f->sandbox_settings.bwrap_program, "bubblewrap program")->capture_default_str();
  cmd->add_option("--log-cap", f->log_cap, "Keep at most this many bytes of build log (head and tail)")
      ->capture_default_str();
  cmd->add_option("--download-attempts", f->download_attempts, "Tries for a failing index or .crate download")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--download-backoff", f->download_backoff,
                  "Seconds to wait after the first failed try (doubled each time)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  // Metadata naming: markers {owner} {repo} {registry} {crate} {exe} {version} {host} {tag}.
  cmd->add_option("--owner", f->naming.owner, "OCI owner/namespace used in metadata URLs")
      ->capture_default_str();
  cmd->add_option("--repo-name", f->naming.repo, "Repository name in pkg_id (<repo>.<crate>.stable)")
      ->capture_default_str();
  cmd->add_option("--registry", f->naming.registry, "OCI registry host in ghcr_pkg/ghcr_url")
      ->capture_default_str();
  cmd->add_option("--oci-repository", f->naming.ghcr_pkg, "Template of the OCI repository of an executable")
      ->capture_default_str();
  cmd->add_option("--download-url", f->naming.download_url, "Template of download_url")
      ->capture_default_str();
  cmd->add_option("--build-log-url", f->naming.build_log_url,
                  "Template of build_log (when GITHUB_* gives none)")
      ->capture_default_str();
  cmd->add_option("--manifest-url", f->naming.manifest_url, "Template of manifest_url")
      ->capture_default_str();
  cmd->add_option("--maintainer", f->naming.maintainer, "maintainer entry of every record")
      ->capture_default_str();
  cmd->add_option("--note", f->naming.note, "note entry of every record")->capture_default_str();
  cmd->callback([&action, f] {
    action = [f] {
      die_with_runner();
      const BuildOutcome out = run_build(to_request(*f));
      if (!ui().quiet()) {
        for (const auto &t : out.targets) {
          const BuildResult &r = t.result;
          if (r.built()) {
            std::vector<std::string> names;
            for (const auto &e : r.executables) {
              names.push_back(e.name);
            }
            fmt::print("{} {} {} [{}]: built {} ({})\n", ui().color_out ? "\x1b[32m✓\x1b[0m" : "✓", out.crate,
                       out.version, t.target.host, fmt::join(names, ", "), t.dir.string());
          } else {
            fmt::print("{} {} {} [{}]: {}: {} ({})\n", ui().color_out ? "\x1b[31m✗\x1b[0m" : "✗", out.crate,
                       out.version, t.target.host, to_string(r.failure->reason), r.failure->details,
                       (t.dir / r.log).string());
          }
        }
      }
      return static_cast<int>(out.code);
    };
  });
}

} // namespace forge::cli
