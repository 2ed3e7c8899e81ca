// Why: what the executables are made of is asked of cargo before any crate code runs (so no build script
// can change the answer), and written down beside them as an SBOM and a provenance statement.
#include "forge/metadata/provenance.hpp"
#include "forge/metadata/sbom.hpp"
#include "forge/util/fs.hpp"
#include "forge/util/time.hpp"
#include "forge/version.hpp"
#include "target_job.hpp"

#include <spdlog/spdlog.h>

namespace forge {
namespace fs = std::filesystem;

Expected<LinkedCrates> resolve_linked_crates(const StepEnv &env, const fs::path &crate_dir, bool locked,
                                             bool offline) {
  const BuildRequest &req = env.ctx.req;
  LinkedCrates out;
  out.locked = locked;
  if (!req.supply.auditable && !req.supply.sbom && !req.supply.provenance) {
    return out;
  }
  std::error_code ec;
  if (fs::is_regular_file(fs::symlink_status(crate_dir / "Cargo.lock", ec))) {
    out.lock_text = read_file(crate_dir / "Cargo.lock");
  }
  BuilderSettings settings = req.settings;
  settings.offline = settings.offline || offline;
  const BuildInvocation base =
      make_invocation(settings, env.target, FeatureSet::default_, locked, env.build_dir / "target", "");
  // Every feature set the attempt ladder may try; only the successful attempt's is used.
  std::vector<FeatureSet> sets;
  if (req.features != FeatureMode::default_) {
    sets.push_back(FeatureSet::all);
  }
  if (req.features != FeatureMode::all) {
    sets.push_back(FeatureSet::default_);
  }
  std::vector<std::vector<std::string>> commands;
  for (const FeatureSet set : sets) {
    commands.push_back(dep_tree_argv(settings, env.target, set, locked));
  }
  if (req.supply.provenance) {
    commands.push_back(rustc_version_argv(req.settings));
  }
  const std::string root_source = crate_source_id(req.index_url, req.index_url == kDefaultIndexUrl);
  for (size_t i = 0; i < commands.size(); ++i) {
    ProcessSpec spec;
    spec.argv = commands[i];
    spec.env = make_environment(base.env, true);
    // rustup's proxy reads rust-toolchain files from its directory: never from the crate's for rustc -vV.
    spec.cwd = i < sets.size() ? crate_dir : env.build_dir;
    spec.timeout = std::min<std::chrono::milliseconds>(req.timeout, std::chrono::minutes(10));
    spec.grace = req.grace;
    spec.log_path = env.build_dir / fmt::format("supply-{}.log", i);
    spec.stdout_path = env.build_dir / fmt::format("supply-{}.out", i);
    spec.log_cap_bytes = req.log_cap_bytes;
    env.log.line("{}", fmt::join(spec.argv, " "));
    const ProcessResult r = run_process(spec);
    env.log.append_file(spec.log_path);
    if (r.interrupted) {
      return Failure::of(Reason::internal, "interrupted");
    }
    const std::string failed = !r.started ? r.spawn_error
                               : !r.ok()
                                   ? fmt::format("{} failed (exit status {})", spec.argv[0], r.exit_code)
                                   : std::string();
    if (i >= sets.size()) {
      if (failed.empty()) {
        out.rustc_version = read_file(spec.stdout_path);
      } else {
        env.log.line("provenance without rustc -vV: {}", failed);
      }
      continue;
    }
    DepGraphResult g = failed.empty() ? read_dep_graph(spec.stdout_path, crate_dir / "Cargo.lock",
                                                       root_source, env.ctx.src.checksum)
                                      : DepGraphResult{std::nullopt, failed};
    if (g.graph) {
      env.log.line("{} features link {} crates", feature_set_name(sets[i]), g.graph->packages.size());
    } else {
      env.log.line("no dependency list for {} features: {}", feature_set_name(sets[i]), g.error);
    }
    out.graphs[sets[i]] = std::move(g);
  }
  return out;
}

void write_attestations(const JobContext &ctx, const fs::path &staging, BuildResult &result,
                        const AttestInputs &in) {
  const BuildRequest &req = ctx.req;
  const std::string finished_at = format_rfc3339(now_micros());
  for (auto &e : result.executables) {
    if (req.supply.sbom) {
      SbomInputs s;
      s.exe = e.name;
      s.crate = ctx.src.name;
      s.version = ctx.src.version;
      s.sha256 = e.shasum;
      s.blake3 = e.bsum;
      s.target = result.target;
      s.crate_url = ctx.src.url;
      s.crate_sha256 = ctx.src.checksum;
      if (ctx.src.queued) {
        s.description = ctx.src.queued->description;
        s.homepage = ctx.src.queued->homepage;
        s.repository = ctx.src.queued->repository;
      }
      s.license = in.license;
      s.timestamp = finished_at;
      s.forge_version = kVersion;
      s.graph = in.graph;
      e.sbom = e.name + kSbomSuffix;
      write_file_atomic(staging / e.sbom, cyclonedx_sbom(s).dump(2) + "\n");
    }
    if (req.supply.provenance) {
      ProvenanceInputs p;
      p.exe = e.name;
      p.sha256 = e.shasum;
      p.crate = ctx.src.name;
      p.version = ctx.src.version;
      p.target = result.target;
      p.features = result.feature_mode;
      p.crate_url = ctx.src.url;
      p.crate_sha256 = ctx.src.checksum;
      p.forge_version = kVersion;
      p.builder = ctx.builder;
      p.toolchain = req.settings.toolchain;
      p.rustc_version = in.rustc_version;
      p.rustflags = in.rustflags;
      p.argv = result.argv;
      p.source_date_epoch = result.source_date_epoch;
      p.sandbox = ctx.sandbox.name();
      p.started_at = result.started_at;
      p.finished_at = finished_at;
      p.graph = in.graph;
      fill_github_context(p);
      e.provenance = e.name + kProvenanceSuffix;
      write_file_atomic(staging / e.provenance, provenance_statement(p).dump(2) + "\n");
    }
  }
}

} // namespace forge
