// Why: whatever a `forge build` child does (writes result.json, dies of a signal, refuses its arguments,
// outlives its deadline), the runner must turn it into exactly one of: a journal entry, "not finished" or
// "stop the run"; this is that decision, free of any process handling so every case is unit-tested.
#include "forge/run/process_runner.hpp"

#include "forge/compile/classify.hpp"
#include "forge/util/utf8.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <string.h> // sigabbrev_np

#include <csignal>

namespace forge {
namespace {

std::string duration_arg(std::chrono::milliseconds ms) {
  if (ms.count() % 1000 == 0) {
    return fmt::format("{}s", ms.count() / 1000);
  }
  return fmt::format("{:.3f}s", static_cast<double>(ms.count()) / 1000.0);
}

// The child's last "forge: error: ..." line, without the prefix.
std::string last_error_line(std::string_view log) {
  constexpr std::string_view prefix = "forge: error: ";
  std::string found;
  std::size_t begin = 0;
  while (begin < log.size()) {
    std::size_t end = log.find('\n', begin);
    if (end == std::string_view::npos) {
      end = log.size();
    }
    const std::string_view line = log.substr(begin, end - begin);
    if (line.substr(0, prefix.size()) == prefix) {
      found = std::string(line.substr(prefix.size()));
    }
    begin = end + 1;
  }
  return valid_utf8(found); // it may quote a crate's bytes; the journal must stay writable JSON
}

std::string signal_name(int sig) {
  const char *abbrev = ::sigabbrev_np(sig);
  return abbrev != nullptr ? fmt::format("signal {} (SIG{})", sig, abbrev) : fmt::format("signal {}", sig);
}

JournalEntry base_entry(const JobSpec &spec, const std::string &started_at, double duration_s) {
  JournalEntry e;
  e.crate = spec.job.crate;
  e.version = spec.job.version;
  e.target = spec.job.target.triple;
  e.host = spec.job.target.host;
  e.attempt = spec.attempt;
  e.started_at = started_at;
  e.duration_s = duration_s;
  return e;
}

void set_failure(JournalEntry &e, Reason reason, std::string details) {
  e.status = Status::failed;
  e.spurious = is_spurious(reason);
  e.reason = reason;
  e.details = std::move(details);
}

bool result_matches(const BuildResult &r, const JobSpec &spec) {
  return r.crate == spec.job.crate && r.version == spec.job.version && r.target == spec.job.target.triple;
}

} // namespace

std::vector<std::string> child_argv(const ChildCommand &cmd, const JobSpec &spec) {
  std::vector<std::string> argv{cmd.program};
  argv.insert(argv.end(), cmd.global_args.begin(), cmd.global_args.end());
  argv.insert(argv.end(), {"build", spec.job.crate + "@" + spec.job.version, "--target",
                           spec.job.target.triple, "--queue", cmd.queue.string(), "--out", cmd.out.string(),
                           "--jobs", std::to_string(spec.cargo_jobs), "--timeout", duration_arg(cmd.timeout),
                           "--grace", duration_arg(cmd.grace)});
  if (cmd.keep_build_dir) {
    argv.emplace_back("--keep-build-dir");
  }
  if (!cmd.build_root.empty()) {
    argv.insert(argv.end(), {"--build-dir", cmd.build_root.string()});
  }
  argv.insert(argv.end(), cmd.build_args.begin(), cmd.build_args.end());
  return argv;
}

JobOutcome interpret_child(const JobSpec &spec, const ChildExit &exit,
                           const std::optional<nlohmann::json> &result, std::string_view child_log,
                           const std::string &started_at, double duration_s) {
  JobOutcome out;
  const std::optional<BuildResult> parsed = result ? build_result_from_json(*result) : std::nullopt;
  const bool fresh = parsed && result_matches(*parsed, spec);
  const bool finished_its_work = fresh && exit.term_signal == 0 && exit.exit_code != 130 &&
                                 exit.exit_code != static_cast<int>(ExitCode::usage);
  if (exit.stopped_by_us && !exit.watchdog && !finished_its_work) {
    out.interrupted = true;
    return out;
  }
  JournalEntry &e = out.entry;
  e = base_entry(spec, started_at, duration_s);
  e.exit_code = exit.term_signal != 0 ? -1 : exit.exit_code;
  const std::string error = last_error_line(child_log);
  if (exit.term_signal == 0 && exit.exit_code == static_cast<int>(ExitCode::usage)) {
    out.fatal = fmt::format("forge build refused its command line ({}): check the arguments after '--'",
                            error.empty() ? "exit status 2" : error);
    return out;
  }
  if (exit.watchdog) {
    set_failure(e, Reason::timeout,
                fmt::format("forge build did not finish in time and was killed ({})",
                            exit.term_signal != 0 ? signal_name(exit.term_signal)
                                                  : fmt::format("exit status {}", exit.exit_code)));
    return out;
  }
  if (finished_its_work) {
    const BuildResult &r = *parsed;
    e.status = r.status;
    if (r.failure) {
      e.reason = r.failure->reason;
      e.details = r.failure->details;
      e.spurious = r.failure->spurious;
    }
    if (e.built()) {
      for (const auto &x : r.executables) {
        if (is_path_component(x.name)) {
          e.executables.push_back(x.name);
        }
      }
    }
    return out;
  }
  if (exit.term_signal != 0) {
    set_failure(e, Reason::internal,
                fmt::format("forge build was killed by {}", signal_name(exit.term_signal)));
    return out;
  }
  const std::string said =
      error.empty() ? fmt::format("forge build exited with status {}", exit.exit_code) : error;
  switch (static_cast<ExitCode>(exit.exit_code)) {
  case ExitCode::network:
    set_failure(e, Reason::network, said);
    break;
  case ExitCode::data:
    set_failure(e, Reason::download, said); // e.g. the version is not in the index
    break;
  case ExitCode::checksum:
    set_failure(e, Reason::checksum_mismatch, said);
    break;
  case ExitCode::io:
    set_failure(e, said.find("No space left") != std::string::npos ? Reason::no_space : Reason::internal,
                said);
    break;
  default:
    set_failure(e, Reason::internal,
                exit.exit_code == 0 ? "forge build exited 0 without writing result.json" : said);
    break;
  }
  return out;
}

std::optional<nlohmann::json> parse_child_result(std::string_view text, const std::string &source) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) {
    spdlog::warn("{}: unreadable result.json (not JSON)", source);
    return std::nullopt;
  }
  return j;
}

bool may_have_lost_tokens(const ChildExit &exit, const JobOutcome &outcome) {
  if (exit.term_signal != 0 || exit.watchdog) {
    return true;
  }
  return !outcome.interrupted && outcome.fatal.empty() &&
         (outcome.entry.reason == Reason::timeout || outcome.entry.reason == Reason::out_of_memory);
}

} // namespace forge
