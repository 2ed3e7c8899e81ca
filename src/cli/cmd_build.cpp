// Why: `forge build` maps flags and forge.toml [build] onto a BuildRequest and reports each target.
#include "cli/commands.hpp"
#include "cli/forge_options.hpp"
#include "cli/option_types.hpp"
#include "forge/compile/build_job.hpp"
#include "forge/compile/crate_spec.hpp"
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

// What only the command line has; everything else binds to the request, whose values are the defaults.
struct BuildFlags {
  std::string spec;
  std::vector<std::string> targets;
  std::vector<std::string> linkers;
  std::vector<std::string> sandbox_ro;
  std::string queue;
  BuildRequest request;
};

BuildRequest to_request(const BuildFlags &f) {
  BuildRequest r = f.request;
  CrateSpec spec = parse_crate_spec(f.spec);
  r.crate = std::move(spec.name);
  r.version = std::move(spec.version);
  r.targets = resolve_targets(f.targets);
  r.settings.linkers = parse_linkers(f.linkers);
  r.sandbox.ro_paths.assign(f.sandbox_ro.begin(), f.sandbox_ro.end());
  if (!f.queue.empty()) {
    r.queue = f.queue;
  }
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
  BuildRequest &r = f->request;
  cmd->add_option("crate", f->spec, "The crate, and optionally its exact version")
      ->required()
      ->type_name("CRATE[@VERSION]")
      ->check(crate_spec());
  add_target_option(*cmd, f->targets, "x86_64");
  cmd->add_option_function<std::string>(
         "--builder",
         [&r](const std::string &v) {
           r.auto_builder = v == "auto";
           if (!r.auto_builder) {
             r.settings.kind = parse_builder(v);
           }
         },
         "What builds the crate; auto picks cross, else zigbuild, else cargo, and says why")
      ->type_name("BUILDER")
      ->default_str(r.auto_builder ? "auto" : builder_name(r.settings.kind))
      ->check(one_of({"auto", "cross", "zigbuild", "cargo"}));
  cmd->add_option("--toolchain", r.settings.toolchain, "rustup toolchain (+NAME); empty for none")
      ->type_name("NAME")
      ->capture_default_str();
  cmd->add_option("--queue", f->queue, "queue.json giving the version and checksum")->type_name("FILE");
  cmd->add_option("--out", r.out, "Output directory: <out>/<host>/<crate>/<version>/")
      ->type_name("DIR")
      ->capture_default_str();
  cmd->add_option("--jobs", r.settings.jobs, "cargo --jobs (default: cores + 1)")
      ->type_name("N")
      ->check(whole_number(0));
  add_duration(*cmd, "--timeout", r.timeout, "Time limit of each command of a target's build");
  add_duration(*cmd, "--grace", r.grace, "Time between SIGTERM and SIGKILL at the timeout");
  cmd->add_option_function<std::string>(
         "--features", [&r](const std::string &v) { r.features = parse_feature_mode(v); },
         "Cargo features to build with: all, default, or all then default when that fails")
      ->type_name("MODE")
      ->default_str(feature_mode_name(r.features))
      ->check(one_of({"all", "default", "all-then-default"}));
  cmd->add_flag("--keep-build-dir", r.keep_build_dir, "Keep the unpacked crate and cargo's target dir");
  cmd->add_option("--build-dir", r.build_root, "Where build directories go (default: <cache>/builds)")
      ->type_name("DIR");
  cmd->add_option("--index-url", r.index_url, "Sparse index root")->type_name("URL")->capture_default_str();
  cmd->add_option(
         "--crate-url", r.crate_url,
         "Download URL template ({crate} {version} {prefix} {lowerprefix} {sha256-checksum}); default: "
         "the index's config.json dl")
      ->type_name("TEMPLATE");
  cmd->add_option("--cargo", r.settings.cargo_program, "cargo program (e.g. /usr/bin/cargo)")
      ->type_name("PROGRAM")
      ->capture_default_str();
  cmd->add_option("--cross", r.settings.cross_program, "cross program")
      ->type_name("PROGRAM")
      ->capture_default_str();
  cmd->add_flag("--offline", r.settings.offline,
                "Pass --offline to cargo (directory sources, prefetched deps)");
  add_linker_option(*cmd, f->linkers);
  cmd->add_option("--rustflags", r.settings.extra_rustflags,
                  "Extra RUSTFLAGS appended to forge's static-linking flags")
      ->type_name("FLAGS");
  add_size(*cmd, "--max-crate-bytes", r.limits.max_bytes,
           "Refuse .crate archives that unpack to more than this");
  cmd->add_option("--max-crate-entries", r.limits.max_entries, "Refuse .crate archives with more entries")
      ->type_name("N")
      ->capture_default_str()
      ->check(whole_number(1));
  add_size(*cmd, "--max-crate-file-bytes", r.limits.max_file_bytes,
           "Refuse .crate archives with a larger file");
  cmd->add_option_function<std::string>(
         "--sandbox", [&r](const std::string &v) { r.sandbox.mode = parse_sandbox_mode(v); },
         "Isolate the offline build phase: bwrap, none, or auto (bwrap when it works here)")
      ->type_name("MODE")
      ->default_str(sandbox_mode_name(r.sandbox.mode))
      ->check(one_of({"auto", "bwrap", "none"}));
  cmd->add_option("--sandbox-max-processes", r.sandbox.max_processes,
                  "Processes and threads the sandboxed build may have at once (RLIMIT_NPROC)")
      ->type_name("N")
      ->capture_default_str()
      ->check(whole_number(1));
  add_size(*cmd, "--sandbox-max-file-size", r.sandbox.max_file_bytes,
           "Largest file the sandboxed build may write (RLIMIT_FSIZE)")
      ->check(whole_number(1));
  add_size(*cmd, "--sandbox-max-memory", r.sandbox.max_memory_bytes,
           "Memory (data) each sandboxed process may use (RLIMIT_DATA; 0: the machine's)");
  add_size(*cmd, "--sandbox-tmp-size", r.sandbox.tmp_bytes, "Size of the sandbox's private /tmp (RAM)")
      ->check(whole_number(1));
  cmd->add_option("--sandbox-env", r.sandbox.pass_env,
                  "Also pass this environment variable into the sandbox; repeatable")
      ->type_name("NAME");
  cmd->add_option("--sandbox-ro", f->sandbox_ro,
                  "Also show this host path read-only in the sandbox; repeatable")
      ->type_name("PATH");
  cmd->add_option("--bwrap", r.sandbox.bwrap_program, "bubblewrap program")
      ->type_name("PROGRAM")
      ->capture_default_str();
  add_size(*cmd, "--log-cap", r.log_cap_bytes, "Keep at most this much build log (head and tail)");
  cmd->add_option("--download-attempts", r.download_attempts, "Tries for a failing index or .crate download")
      ->type_name("N")
      ->capture_default_str()
      ->check(whole_number(1));
  cmd->add_option("--download-backoff", r.download_backoff_s,
                  "Seconds to wait after the first failed try (doubled each time)")
      ->type_name("SECONDS")
      ->capture_default_str()
      ->check(decimal_number(0));
  // Metadata naming: markers {owner} {repo} {registry} {crate} {exe} {version} {host} {tag}.
  cmd->add_option("--owner", r.naming.owner, "OCI owner/namespace used in metadata URLs")
      ->type_name("NAME")
      ->capture_default_str();
  cmd->add_option("--repo-name", r.naming.repo, "Repository name in pkg_id (<repo>.<crate>.stable)")
      ->type_name("NAME")
      ->capture_default_str();
  cmd->add_option("--registry", r.naming.registry, "OCI registry host in ghcr_pkg/ghcr_url")
      ->type_name("HOST")
      ->capture_default_str();
  cmd->add_option("--oci-repository", r.naming.ghcr_pkg, "Template of the OCI repository of an executable")
      ->type_name("TEMPLATE")
      ->capture_default_str();
  cmd->add_option("--download-url", r.naming.download_url, "Template of download_url")
      ->type_name("TEMPLATE")
      ->capture_default_str();
  cmd->add_option("--build-log-url", r.naming.build_log_url,
                  "Template of build_log (when GITHUB_* gives none)")
      ->type_name("TEMPLATE")
      ->capture_default_str();
  cmd->add_option("--manifest-url", r.naming.manifest_url, "Template of manifest_url")
      ->type_name("TEMPLATE")
      ->capture_default_str();
  cmd->add_option("--sbom-url", r.naming.sbom_url, "Template of sbom_url (where <exe>.cdx.json is served)")
      ->type_name("TEMPLATE")
      ->capture_default_str();
  cmd->add_option("--provenance-url", r.naming.provenance_url,
                  "Template of provenance_url (where <exe>.intoto.json is served)")
      ->type_name("TEMPLATE")
      ->capture_default_str();
  // Supply chain (docs/supply-chain.md).
  cmd->add_flag("--auditable,!--no-auditable", r.supply.auditable,
                "Embed the linked crates in each executable (cargo-auditable's .dep-v0 section; default on)");
  cmd->add_flag("--sbom,!--no-sbom", r.supply.sbom, "Write <exe>.cdx.json, a CycloneDX 1.5 SBOM (default on)");
  cmd->add_flag("--provenance,!--no-provenance", r.supply.provenance,
                "Write <exe>.intoto.json, in-toto SLSA v1 provenance (default on)");
  cmd->add_flag("--verify-reproducible", r.supply.verify_reproducible,
                "Build a second time in another directory and compare the executables (result.json "
                "reproducible)");
  cmd->add_option("--maintainer", r.naming.maintainer, "maintainer entry of every record")
      ->type_name("WHO")
      ->capture_default_str();
  cmd->add_option("--note", r.naming.note, "note entry of every record")
      ->type_name("NOTE")
      ->capture_default_str();
  cmd->callback([&action, f] {
    action = [f] {
      die_with_runner();
      const BuildOutcome out = run_build(to_request(*f));
      if (!ui().quiet()) {
        for (const auto &t : out.targets) {
          const BuildResult &res = t.result;
          if (res.built()) {
            std::vector<std::string> names;
            for (const auto &e : res.executables) {
              names.push_back(e.name);
            }
            fmt::print("{} {} {} [{}]: built {} ({})\n", ui().color_out ? "\x1b[32m✓\x1b[0m" : "✓", out.crate,
                       out.version, t.target.host, fmt::join(names, ", "), t.dir.string());
          } else {
            fmt::print("{} {} {} [{}]: {}: {} ({})\n", ui().color_out ? "\x1b[31m✗\x1b[0m" : "✗", out.crate,
                       out.version, t.target.host, to_string(res.failure->reason), res.failure->details,
                       (t.dir / res.log).string());
          }
        }
      }
      return static_cast<int>(out.code);
    };
  });
}

} // namespace forge::cli
