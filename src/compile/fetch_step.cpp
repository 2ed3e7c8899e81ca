// Why: rustwide's first phase: the host resolves and downloads every dependency (network, but no build
// script runs), so that the build itself can run offline in the sandbox.
#include "forge/compile/classify.hpp"
#include "forge/util/fs.hpp"
#include "target_job.hpp"

#include <spdlog/spdlog.h>

namespace forge {

void JobLog::append_file(const std::filesystem::path &path) {
  std::ifstream in(path, std::ios::binary);
  // Inserting an empty streambuf sets failbit on `out_`, which would silence the rest of the log.
  if (in && in.peek() != std::ifstream::traits_type::eof()) {
    out_ << in.rdbuf();
  }
}

Expected<ProcessResult> run_logged(const StepEnv &env, const ProcessSpec &spec) {
  ProcessResult r = run_process(spec);
  env.log.append_file(spec.log_path);
  if (!r.started) {
    return Failure::of(Reason::builder_missing, r.spawn_error);
  }
  if (r.interrupted) {
    return Failure::of(Reason::internal, "interrupted");
  }
  return r;
}

FetchResult fetch_dependencies(const StepEnv &env, const std::filesystem::path &crate_dir, bool locked) {
  const BuildRequest &req = env.ctx.req;
  const BuildInvocation build =
      make_invocation(req.settings, env.target, FeatureSet::default_, locked, env.build_dir / "target", "");
  FetchResult out;
  for (int n = 1;; ++n) {
    std::vector<std::string> argv{req.settings.cargo_program};
    if (!req.settings.toolchain.empty()) {
      argv.push_back("+" + req.settings.toolchain);
    }
    argv.insert(argv.end(), {"fetch", "--target", env.target.triple});
    if (locked) {
      argv.emplace_back("--locked");
    }
    if (req.settings.offline) {
      argv.emplace_back("--offline");
    }
    out.argv = argv;
    ProcessSpec spec;
    spec.argv = argv;
    spec.env = make_environment(build.env, true);
    spec.cwd = crate_dir;
    spec.timeout = req.timeout;
    spec.grace = req.grace;
    spec.log_path = env.build_dir / fmt::format("fetch-{}.log", n);
    spec.log_cap_bytes = req.log_cap_bytes;
    env.log.line("fetch {}: {}", n, fmt::join(argv, " "));
    env.log.flush();
    spdlog::info("{} {} [{}]: {}", env.ctx.src.name, env.ctx.src.version, env.target.triple,
                 fmt::join(argv, " "));
    auto ran = run_logged(env, spec);
    if (!ran.ok()) {
      out.failure = ran.failure();
      return out;
    }
    const ProcessResult &r = ran.value();
    const std::string text = read_file(spec.log_path);
    env.log.line("fetch {} finished in {:.2f} s: {}", n, r.seconds,
                 r.timed_out ? "timed out" : fmt::format("exit status {}", r.exit_code));
    if (r.ok()) {
      return out;
    }
    Failure f = classify_build_failure(ExitInfo{r.exit_code, r.term_signal, r.timed_out}, text);
    if (f.reason == Reason::dependency_resolution && locked && lock_problem(text)) {
      env.log.line("the shipped Cargo.lock is the problem: retrying without --locked");
      locked = false;
      continue;
    }
    if (r.timed_out) {
      f.details = fmt::format("fetching the dependencies took more than {} s", req.timeout.count() / 1000);
    }
    out.failure = std::move(f);
    return out;
  }
}

} // namespace forge
