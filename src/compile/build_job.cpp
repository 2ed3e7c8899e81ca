// Why: `forge build` as a library call: resolve the crate's version and checksum, download and verify the
// .crate once, then run each target's job (target_job.cpp).
#include "forge/compile/build_job.hpp"

#include "forge/compile/subprocess.hpp"
#include "forge/util/fs.hpp"
#include "forge/util/http.hpp"
#include "forge/util/term.hpp"
#include "target_job.hpp"

#include <spdlog/spdlog.h>

namespace forge {
namespace fs = std::filesystem;

namespace {

std::string join_url(std::string base, const std::string &path) {
  if (!base.empty() && base.back() != '/') {
    base.push_back('/');
  }
  return base + path;
}

ResolvedCrate resolve_source(const BuildRequest &req, const DownloadOptions &dl) {
  ResolvedCrate src;
  src.name = req.crate;
  if (req.queue) {
    const Queue q = read_queue(*req.queue);
    if (const QueuedCrate *c = find_crate(q, req.crate)) {
      if (!req.version || *req.version == c->version) {
        src.version = c->version;
        src.checksum = c->checksum;
        src.queued = *c;
        src.published_at = c->published_at;
        spdlog::info("{} {}: version and checksum from {}", src.name, src.version, req.queue->string());
      } else {
        spdlog::info("{}: the queue has {}, but {} was asked for: using the index", req.crate, c->version,
                     *req.version);
      }
    }
  }
  std::string dl_template = req.crate_url;
  if (src.version.empty()) {
    const std::string index_url = join_url(req.index_url, sparse_index_path(req.crate));
    const auto entries = parse_index_file(http_get(index_url, dl), index_url);
    const auto pick = pick_version(entries, req.version);
    if (!pick) {
      fail(ExitCode::data, "{}: no {} of {} in the index", index_url,
           req.version ? "version " + *req.version : std::string("non-yanked version"), req.crate);
    }
    src.name = pick->name;
    src.version = pick->vers;
    src.checksum = pick->cksum;
    src.published_at = pick->pubtime;
  }
  if (dl_template.empty()) {
    const std::string config_url = join_url(req.index_url, "config.json");
    dl_template = parse_index_config(http_get(config_url, dl), config_url);
  }
  src.url = expand_download_url(dl_template, src.name, src.version, src.checksum);
  return src;
}

} // namespace

BuildOutcome run_build(const BuildRequest &req) {
  BuildOutcome outcome;
  DownloadOptions dl;
  dl.max_attempts = req.download_attempts;
  dl.initial_backoff_s = req.download_backoff_s;
  dl.progress = false;
  const ResolvedCrate src = resolve_source(req, dl);
  outcome.crate = src.name;
  outcome.version = src.version;

  if (req.auto_builder) {
    const BuilderChoice choice = detect_builder(req.settings);
    outcome.builder = builder_name(choice.kind);
    outcome.builder_reason = choice.reason;
    spdlog::info("builder: {} ({})", outcome.builder, choice.reason);
  } else {
    outcome.builder = builder_name(req.settings.kind);
    outcome.builder_reason = "chosen with --builder";
  }
  BuildRequest effective = req;
  effective.settings.kind = parse_builder(outcome.builder);
  SandboxProbe probe;
  if (req.sandbox.mode != SandboxMode::none && effective.settings.kind != BuilderKind::cross) {
    probe = probe_bwrap(req.sandbox);
  }
  outcome.sandbox = choose_sandbox(req.sandbox, effective.settings.kind, probe);
  spdlog::info("sandbox: {} ({})", outcome.sandbox.name(), outcome.sandbox.reason);

  // Fetch and verify once for every target; a failure here is every target's result.
  std::optional<Failure> early;
  const fs::path crate_file = cache_dir() / "crates" / (src.name + "-" + src.version + ".crate");
  try {
    DownloadOptions crate_dl = dl;
    crate_dl.label = crate_file.filename().string();
    crate_dl.progress = !ui().quiet();
    download_file(src.url, crate_file, crate_dl);
    verify_crate_checksum(crate_file, src.checksum);
  } catch (const Error &e) {
    if (e.code() == ExitCode::checksum) {
      early = Failure::of(Reason::checksum_mismatch, e.what());
      outcome.code = ExitCode::checksum;
    } else if (e.code() == ExitCode::network) {
      early = Failure::of(Reason::download, e.what());
      outcome.code = ExitCode::network;
    } else {
      throw;
    }
    spdlog::error("{}", e.what());
  }

  JobContext ctx{effective, src, outcome.builder, crate_file, outcome.sandbox, probe, std::nullopt};
  if (!early && req.supply.reproducible) {
    ctx.source_date_epoch = crate_source_date_epoch(src.published_at, crate_file);
  }
  for (const Target &t : req.targets) {
    TargetOutcome result = run_target(ctx, t, early);
    if (result.result.built()) {
      spdlog::info("{} {} [{}]: built {} executable(s) in {}", src.name, src.version, t.triple,
                   result.result.executables.size(), result.dir.string());
    } else {
      spdlog::warn("{} {} [{}]: failed: {} ({})", src.name, src.version, t.triple,
                   to_string(result.result.failure->reason), result.result.failure->details);
      if (outcome.code == ExitCode::ok) {
        outcome.code = ExitCode::build_failed;
      }
    }
    outcome.targets.push_back(std::move(result));
    if (interrupt_requested()) {
      outcome.code = ExitCode::interrupted;
      break;
    }
  }
  return outcome;
}

} // namespace forge
