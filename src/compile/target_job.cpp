// Why: the order of one target's build, read top to bottom: stage, unpack, fetch, attempts up the ladder,
// collect, package, result.json, promote. Steps return their product or the Failure that ends the job.
#include "target_job.hpp"

#include "forge/compile/sandbox.hpp"
#include "forge/hash/blake3.hpp"
#include "forge/util/fs.hpp"
#include "forge/util/time.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>

namespace forge {
namespace fs = std::filesystem;
namespace {

// Replaces `final_dir` by `staging` (both on the same filesystem) so readers never see half a result.
void promote(const fs::path &staging, const fs::path &final_dir) {
  std::error_code ec;
  fs::path old = final_dir;
  old += fmt::format(".old.{}", ::getpid());
  if (fs::exists(final_dir, ec)) {
    fs::rename(final_dir, old, ec);
    if (ec) {
      fail(ExitCode::io, "cannot replace {}: {}", final_dir.string(), ec.message());
    }
  }
  fs::rename(staging, final_dir, ec);
  if (ec) {
    fail(ExitCode::io, "cannot move results into {}: {}", final_dir.string(), ec.message());
  }
  fs::remove_all(old, ec);
}

fs::path make_fresh_dir(const fs::path &dir, const char *what) {
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directories(dir, ec);
  if (ec) {
    fail(ExitCode::io, "cannot create {} {}: {}", what, dir.string(), ec.message());
  }
  return dir;
}

struct Unpacked {
  fs::path crate_dir;
  CrateManifest manifest;
};

// The .crate unpacked and normalised, and its Cargo.toml checked against what was asked for.
Expected<Unpacked> unpack_step(const StepEnv &env) {
  Unpacked out;
  try {
    out.crate_dir = unpack_crate(env.ctx.crate_file, env.build_dir / "src", env.ctx.req.limits);
  } catch (const Error &e) {
    return Failure::of(Reason::download, e.what());
  }
  for (const auto &r : normalise_crate(out.crate_dir)) {
    env.log.line("removed the crate's {}", r);
  }
  try {
    out.manifest = read_manifest(out.crate_dir);
  } catch (const Error &e) {
    return Failure::of(Reason::internal, e.what());
  }
  const ResolvedCrate &src = env.ctx.src;
  if (out.manifest.name != src.name || out.manifest.version != src.version) {
    return Failure::of(Reason::internal,
                       fmt::format("Cargo.toml says {} {}, expected {} {}", out.manifest.name,
                                   out.manifest.version, src.name, src.version));
  }
  return out;
}

std::optional<SandboxLayout> sandbox_step(const StepEnv &env, const fs::path &crate_dir) {
  if (!env.ctx.sandbox.bwrap) {
    return std::nullopt;
  }
  const BuildRequest &req = env.ctx.req;
  std::vector<std::string> notes;
  std::vector<std::string> programs{req.settings.cargo_program};
  if (env.ctx.builder == "zigbuild") {
    programs.insert(programs.end(), {"cargo-zigbuild", "zig"});
  }
  for (const auto &[triple, linker] : req.settings.linkers) {
    programs.push_back(linker);
  }
  SandboxLayout layout = prepare_sandbox(req.sandbox, env.ctx.probe, env.build_dir, crate_dir,
                                         host_cargo_home(), host_rustup_home(), programs, notes);
  for (const auto &n : notes) {
    env.log.line("sandbox: {}", n);
  }
  return layout;
}

// diffoscope (Debian's) shows every difference in depth; forge's own comparison already named the first.
void run_diffoscope(const StepEnv &env, const fs::path &dir, const fs::path &a, const fs::path &b) {
  const std::string program = find_program("diffoscope");
  if (program.empty()) {
    env.log.line("diffoscope is not installed: only forge's own section comparison");
    return;
  }
  ProcessSpec spec;
  spec.argv = {program, "--text", "-", "--max-text-report-size", "262144", a.string(), b.string()};
  spec.env = make_environment({});
  spec.timeout = std::chrono::minutes(10);
  spec.grace = env.ctx.req.grace;
  spec.log_path = dir / "diffoscope.log";
  spec.log_cap_bytes = 1 << 20;
  env.log.line("{}", fmt::join(spec.argv, " "));
  run_process(spec);
  env.log.append_file(spec.log_path);
}

// --verify-reproducible: the successful attempt once more, later and in another directory, from a fresh copy
// of the .crate with the first build's Cargo.lock; the same list embedded; the executables compared.
void verify_rebuild(const StepEnv &first, const AttemptPlan &plan, const LinkedCrates &linked,
                    const DepGraph *graph, const std::vector<fs::path> &first_files, BuildResult &result) {
  const fs::path dir = make_fresh_dir(fs::path(first.build_dir.string() + "-rebuild"), "build directory");
  const StepEnv env{first.ctx, first.target, dir, first.log};
  env.log.line("verify-reproducible: building again in {}", dir.string());
  std::vector<fs::path> second;
  std::string failed;
  try {
    auto unpacked = unpack_step(env);
    if (!unpacked.ok()) {
      failed = unpacked.failure().details;
    } else {
      const fs::path &crate_dir = unpacked.value().crate_dir;
      if (!linked.lock_text.empty()) {
        write_file_atomic(crate_dir / "Cargo.lock", linked.lock_text);
      }
      std::optional<SandboxLayout> sandbox = sandbox_step(env, crate_dir);
      const AttemptRun run =
          run_attempt(env, sandbox ? &*sandbox : nullptr, crate_dir, plan,
                      static_cast<int>(result.attempts.size()) + 1, first.ctx.builder != "cross");
      if (run.failure) {
        failed = fmt::format("{}: {}", to_string(run.failure->reason), run.failure->details);
      }
      std::error_code ec;
      for (size_t i = 0; i < first_files.size() && failed.empty(); ++i) {
        const fs::path p = run.invocation.collect_dir / first_files[i].filename();
        if (fs::is_regular_file(fs::symlink_status(p, ec))) {
          if (result.executables[i].auditable && graph != nullptr) {
            embed_dep_list(p, *graph);
          }
          second.push_back(p);
        }
      }
    }
  } catch (const Error &e) {
    failed = e.what();
  }
  RebuildComparison c;
  if (!failed.empty()) {
    c.details = "the second build failed: " + failed;
  } else {
    c = compare_rebuild(first_files, second);
  }
  result.reproducible = c.reproducible;
  result.reproducible_details = c.details;
  if (c.reproducible) {
    env.log.line("reproducible: the second build's {} executable(s) are identical", first_files.size());
  } else {
    env.log.line("not reproducible: {}", c.details);
    spdlog::warn("{} {} [{}]: not reproducible: {}", env.ctx.src.name, env.ctx.src.version, env.target.triple,
                 c.details);
    for (size_t i = 0; i < first_files.size() && i < second.size() && failed.empty(); ++i) {
      if (blake3_file_hex(first_files[i]) != blake3_file_hex(second[i])) {
        run_diffoscope(env, dir, first_files[i], second[i]);
        break;
      }
    }
  }
  if (!env.ctx.req.keep_build_dir) {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
}

// Everything from the unpacked crate to the packaged executables; fills `result` as it goes.
std::optional<Failure> build_steps(const StepEnv &env, const fs::path &staging, BuildResult &result) {
  auto unpacked = unpack_step(env);
  if (!unpacked.ok()) {
    return unpacked.failure();
  }
  const auto &[crate_dir, manifest] = unpacked.value();
  PackageInfo package;
  package.license_text = collect_license_text(crate_dir, manifest);
  package.license = manifest.license;
  if (!package.license && env.ctx.src.queued) {
    package.license = env.ctx.src.queued->license;
  }

  bool locked = manifest.has_lock;
  // Two phases, as rustwide does: the host resolves and downloads the dependencies (network, no build
  // script runs), then the build runs offline (in the sandbox). cross keeps its own single phase.
  const bool two_phase = env.ctx.builder != "cross";
  if (two_phase) {
    FetchResult fetched = fetch_dependencies(env, crate_dir, locked);
    result.fetch_argv = fetched.argv;
    if (fetched.failure) {
      return fetched.failure;
    }
    locked = true; // the build uses exactly the Cargo.lock the fetch left: --locked --offline (= --frozen)
  }
  auto resolved = resolve_linked_crates(env, crate_dir, locked, two_phase);
  if (!resolved.ok()) {
    return resolved.failure();
  }
  const LinkedCrates &linked = resolved.value();
  std::optional<SandboxLayout> sandbox = sandbox_step(env, crate_dir);

  const FeatureMode mode = env.ctx.req.features;
  std::optional<AttemptPlan> plan = first_attempt(mode, locked);
  std::optional<BuildInvocation> good;
  std::optional<AttemptPlan> good_plan;
  std::optional<Failure> failure;
  for (int number = 1; plan; ++number) {
    if (!plan->note.empty()) {
      env.log.line("{}", plan->note);
    }
    AttemptRun run = run_attempt(env, sandbox ? &*sandbox : nullptr, crate_dir, *plan, number, two_phase);
    result.argv = run.invocation.argv;
    result.feature_mode = feature_set_name(plan->features);
    result.attempts.push_back(
        AttemptRecord{number, plan->change, plan->why, result.feature_mode, plan->locked,
                      run.failure ? std::string(to_string(run.failure->reason)) : "built", run.seconds});
    if (!run.failure) {
      good = std::move(run.invocation);
      good_plan = *plan;
      failure.reset();
      break;
    }
    failure = std::move(run.failure);
    if (interrupt_requested()) {
      break;
    }
    plan = next_attempt(mode, *plan, *failure, run.log_text);
  }
  if (failure) {
    return failure;
  }
  // The list of the attempt that linked the executables; none when that attempt re-resolved the lock.
  std::string graph_error;
  const DepGraph *graph = nullptr;
  if (const auto it = linked.graphs.find(good_plan->features); it != linked.graphs.end()) {
    graph = it->second.graph ? &*it->second.graph : nullptr;
    graph_error = it->second.error;
  }
  if (graph != nullptr && good_plan->locked != linked.locked) {
    graph = nullptr;
    graph_error = "the build re-resolved its dependencies without the shipped Cargo.lock";
  }
  const bool embed = env.ctx.req.supply.auditable;
  const Collected collected =
      collect_executables(good->collect_dir, env.target, staging, embed ? graph : nullptr, &graph_error);
  result.executables = collected.executables;
  if (collected.failure) {
    return collected.failure;
  }
  result.auditable = std::all_of(result.executables.begin(), result.executables.end(),
                                 [](const ExecutableRecord &e) { return e.auditable; });
  if (!result.auditable) {
    result.auditable_details = !embed                ? "turned off (--no-auditable)"
                               : graph_error.empty() ? "no dependency list"
                                                     : graph_error;
    env.log.line("the executables carry no dependency list: {}", result.auditable_details);
  }
  // Typically a feature-gated tool lost when --all-features failed and default features built: the
  // package is still published, but the maintainer should know what it lacks.
  std::vector<std::string> names;
  for (const auto &e : result.executables) {
    names.push_back(e.name);
  }
  result.missing_bins = missing_declared_bins(manifest, names);
  for (const auto &m : result.missing_bins) {
    env.log.line("declared [[bin]] {} was not built", m);
  }
  AttestInputs attest;
  attest.graph = graph;
  attest.rustc_version = linked.rustc_version;
  attest.license = package.license;
  for (const auto &[key, value] : good->env) {
    if (key == "RUSTFLAGS") {
      attest.rustflags = value;
    }
  }
  write_attestations(env.ctx, staging, result, attest);
  write_package(env.ctx, env.target, staging, collected, package, result);
  if (env.ctx.req.supply.verify_reproducible) {
    verify_rebuild(env, *good_plan, linked, graph, collected.files, result);
  }
  return std::nullopt;
}

} // namespace

TargetOutcome run_target(const JobContext &ctx, const Target &target, const std::optional<Failure> &early) {
  const BuildRequest &req = ctx.req;
  TargetOutcome out;
  out.target = target;
  BuildResult &result = out.result;
  result.crate = ctx.src.name;
  result.version = ctx.src.version;
  result.target = target.triple;
  result.host = target.host;
  result.builder = ctx.builder;
  result.sandbox = ctx.sandbox.name();
  result.sandbox_reason = ctx.sandbox.reason;
  result.started_at = format_rfc3339(now_micros());
  if (req.supply.reproducible) {
    result.source_date_epoch = ctx.source_date_epoch;
  }
  const auto start = std::chrono::steady_clock::now();

  out.dir = req.out / target.host / ctx.src.name / ctx.src.version;
  const fs::path staging = make_fresh_dir(
      out.dir.parent_path() / fmt::format(".{}.staging.{}", ctx.src.version, ::getpid()), "directory");
  JobLog log(staging / "build.log");
  log.line("building {} {} for {} ({}) with {}", ctx.src.name, ctx.src.version, target.triple, target.host,
           ctx.builder);
  log.line("sandbox: {} ({})", ctx.sandbox.name(), ctx.sandbox.reason);

  fs::path build_dir;
  std::optional<Failure> failure = early;
  if (!failure) {
    const fs::path root = req.build_root.empty() ? cache_dir() / "builds" : req.build_root;
    build_dir = make_fresh_dir(
        root / fmt::format("{}-{}-{}-{}", ctx.src.name, ctx.src.version, target.triple, ::getpid()),
        "build directory");
    failure = build_steps(StepEnv{ctx, target, build_dir, log}, staging, result);
  }
  result.status = failure ? Status::failed : Status::built;
  if (failure) {
    log.line("failed: {}: {}", to_string(failure->reason), failure->details);
  }
  result.failure = std::move(failure);
  log.close();
  result.duration_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  write_file_atomic(staging / "result.json", to_json(result).dump(2) + "\n");
  std::error_code ec;
  if (result.built()) {
    for (const auto &e : result.executables) {
      fs::copy_file(staging / "build.log", staging / (e.name + ".log"), fs::copy_options::overwrite_existing,
                    ec);
    }
  }
  promote(staging, out.dir);
  if (!build_dir.empty() && !req.keep_build_dir) {
    fs::remove_all(build_dir, ec);
  }
  return out;
}

} // namespace forge
