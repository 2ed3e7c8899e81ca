// Why: one offline build attempt: the builder's argv and environment from the attempt's plan, run inside the
// sandbox when the job has one, its outcome classified from the exit status and the log.
#include "forge/compile/classify.hpp"
#include "forge/compile/log_writer.hpp"
#include "forge/compile/sandbox.hpp"
#include "forge/util/fs.hpp"
#include "target_job.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace forge {
namespace fs = std::filesystem;
namespace {

// A failed attempt can still have finished some binaries (with --all-features, one bin builds while
// another fails); the next attempt must not leave them to be collected as its own. Only the top level
// goes: cargo links the outputs there again from deps/ even for units it does not rebuild.
void remove_uplifted_files(const fs::path &dir) {
  std::error_code ec;
  std::vector<fs::path> stale;
  for (const auto &entry : fs::directory_iterator(dir, ec)) {
    if (!fs::is_directory(entry.symlink_status(ec))) {
      stale.push_back(entry.path());
    }
  }
  for (const auto &p : stale) {
    fs::remove(p, ec);
  }
}

// forge run's jobserver (a fifo named in CARGO_MAKEFLAGS) is bound into the sandbox and the variable let
// in, so that sandboxed cargos share the cores with the run's other jobs instead of each taking them all.
void share_jobserver(JobLog &log, SandboxLayout &layout, const std::vector<std::string> &host_env,
                     std::vector<std::pair<std::string, std::string>> &set) {
  constexpr std::string_view key = "CARGO_MAKEFLAGS=";
  for (const auto &e : host_env) {
    if (!e.starts_with(key)) {
      continue;
    }
    const std::string value = e.substr(key.size());
    const auto fifo = jobserver_fifo(value);
    std::error_code ec;
    if (!fifo || !fs::is_fifo(*fifo, ec)) {
      log.line("sandbox: CARGO_MAKEFLAGS names no jobserver fifo; cargo uses its --jobs");
      return;
    }
    if (std::find(layout.rw_binds.begin(), layout.rw_binds.end(), *fifo) == layout.rw_binds.end()) {
      layout.rw_binds.push_back(*fifo);
      log.line("sandbox: sharing forge run's jobserver {}", fifo->string());
    }
    set.emplace_back("CARGO_MAKEFLAGS", value);
  }
}

// Runs `spec` (the builder's argv and environment) inside bwrap: the allow-listed environment with HOME,
// TMPDIR and the cargo/rustup homes set, and the host's secrets still redacted from the log.
void wrap_in_sandbox(const StepEnv &env, SandboxLayout &layout, ProcessSpec &spec) {
  const std::vector<std::string> host_env = spec.env;
  std::vector<std::pair<std::string, std::string>> set{{"HOME", (env.build_dir / "home").string()},
                                                       {"TMPDIR", "/tmp"},
                                                       {"CARGO_HOME", host_cargo_home().string()},
                                                       {"RUSTUP_HOME", host_rustup_home().string()}};
  share_jobserver(env.log, layout, host_env, set);
  spec.env = sandbox_environment(host_env, env.ctx.req.sandbox.pass_env, set);
  spec.redact = secret_values(make_environment({}));
  spec.argv = bwrap_command(env.ctx.probe.program, layout, spec.argv);
  std::vector<std::string> names;
  for (const auto &e : spec.env) {
    names.push_back(e.substr(0, e.find('=')));
  }
  env.log.line("sandbox: variables passed in: {}", fmt::join(names, " "));
  for (const auto &e : host_env) {
    if (e.starts_with("RUSTC_WRAPPER=")) {
      env.log.line("sandbox: RUSTC_WRAPPER (e.g. sccache) is not used inside the sandbox");
    }
  }
  env.log.line("sandbox: {}", fmt::join(spec.argv, " "));
}

} // namespace

AttemptRun run_attempt(const StepEnv &env, SandboxLayout *sandbox, const fs::path &crate_dir,
                       const AttemptPlan &plan, int number, bool offline) {
  const BuildRequest &req = env.ctx.req;
  const fs::path artifact_dir = env.build_dir / "artifacts";
  std::error_code ec;
  fs::remove_all(artifact_dir, ec);
  BuilderSettings settings = req.settings;
  settings.offline = settings.offline || offline;
  if (req.supply.reproducible) {
    settings.remap_path_prefixes = reproducible_remaps(env.build_dir, host_cargo_home());
    settings.source_date_epoch = env.ctx.source_date_epoch;
  }
  AttemptRun run;
  run.invocation = make_invocation(settings, env.target, plan.features, plan.locked, env.build_dir / "target",
                                   artifact_dir);
  const BuildInvocation &inv = run.invocation;
  remove_uplifted_files(inv.collect_dir);
  ProcessSpec spec;
  spec.argv = inv.argv;
  spec.env = make_environment(inv.env, true);
  spec.cwd = crate_dir;
  if (sandbox != nullptr) {
    wrap_in_sandbox(env, *sandbox, spec);
  }
  spec.timeout = req.timeout;
  spec.grace = req.grace;
  spec.log_path = env.build_dir / fmt::format("attempt-{}.log", number);
  spec.log_cap_bytes = req.log_cap_bytes;
  const std::string shown = fmt::format("{}", fmt::join(inv.argv, " "));
  env.log.line("attempt {}: {}", number, shown);
  // What forge adds to the inherited environment, so the attempt can be rerun by hand (no secrets here).
  for (const auto &[key, value] : inv.env) {
    if (value.empty()) {
      env.log.line("env: unset {}", key);
    } else {
      env.log.line("env: {}={}", key, value);
    }
  }
  env.log.flush();
  spdlog::info("{} {} [{}]: {}", env.ctx.src.name, env.ctx.src.version, env.target.triple, shown);
  auto ran = run_logged(env, spec);
  run.log_text = read_file(spec.log_path);
  if (!ran.ok()) {
    run.failure = ran.failure();
    return run;
  }
  const ProcessResult &r = ran.value();
  run.seconds = r.seconds;
  env.log.line("attempt {} finished in {:.2f} s: {}", number, r.seconds,
               r.timed_out          ? "timed out"
               : r.term_signal != 0 ? fmt::format("killed by signal {}", r.term_signal)
                                    : fmt::format("exit status {}", r.exit_code));
  if (r.ok()) {
    return run;
  }
  Failure f = classify_build_failure(ExitInfo{r.exit_code, r.term_signal, r.timed_out}, run.log_text);
  if (r.timed_out) {
    f.details = fmt::format("no result after {} s", req.timeout.count() / 1000);
  } else if (sandbox != nullptr && f.reason == Reason::network) {
    // Every dependency is on disk by now: only a build script reaching out can fail so, and the sandbox
    // will refuse it every time.
    f.spurious = false;
    f.details = "no network in the sandbox: " + f.details;
  }
  run.failure = std::move(f);
  return run;
}

} // namespace forge
