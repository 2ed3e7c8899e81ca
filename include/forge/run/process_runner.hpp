// Why: each job is a `forge build` child process in its own process group, so a crash, a runaway build
// script or the OOM killer takes down one job, never the runner; the runner waits on all of them at once
// (pidfds and a signal pipe in one ppoll) and turns whatever happened into a journal entry.
#pragma once
#include "forge/compile/build_job.hpp"
#include "forge/run/jobserver.hpp"
#include "forge/run/scheduler.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace forge {

// Set by forge run in each child's environment to its own pid: a `forge build` that sees it asks the kernel
// for SIGTERM when that parent dies (even by SIGKILL), so no build outlives its runner.
inline constexpr const char *kRunParentEnv = "FORGE_RUN_PARENT_PID";
// Where a jobserver-aware cargo finds the runner's jobserver.
inline constexpr const char *kCargoMakeflagsEnv = "CARGO_MAKEFLAGS";

struct ChildCommand {
  std::string program = "/proc/self/exe"; // the forge binary itself
  std::vector<std::string> global_args;   // before "build", e.g. --config FILE, --color never
  std::vector<std::string> build_args;    // appended after forge's own (from `forge run ... -- ARGS`)
  std::filesystem::path queue;            // absolute
  std::filesystem::path out;              // absolute
  std::filesystem::path logs;             // absolute; <logs>/<host>/<crate>@<version>.log per child
  std::vector<std::pair<std::string, std::string>> env;     // added to the inherited environment
  std::chrono::milliseconds timeout = kDefaultBuildTimeout; // forwarded as --timeout
  std::chrono::milliseconds grace = kDefaultBuildGrace;     // forwarded as --grace
  bool keep_build_dir = false;
  std::filesystem::path build_root; // empty: forge build's default (<cache>/builds)
  // >= 0: the children's cargo processes share one jobserver holding this many tokens (CARGO_MAKEFLAGS);
  // < 0: none, each cargo keeps to its --jobs.
  int jobserver_tokens = -1;
  std::filesystem::path jobserver_dir; // where the jobserver's fifo goes (empty: the temporary directory)
};

// The argv of one job's child.
std::vector<std::string> child_argv(const ChildCommand &cmd, const JobSpec &spec);

// How a child ended, as the runner saw it.
struct ChildExit {
  int exit_code = -1;         // when it exited
  int term_signal = 0;        // when a signal killed it
  bool stopped_by_us = false; // the runner was stopping (interrupt, error) and signalled it
  bool watchdog = false;      // it outlived timeout + grace + margin and was killed
};

// The journal entry for a finished child: from its result.json when it wrote one during this job
// (`result` = the parsed file, else nullopt), else from its exit (a signal = reason internal; exit 5 =
// network, spurious; anything else internal, with the child's last "forge: error:" line from `child_log`).
// `interrupted` when the job did not finish because the runner stopped it (nothing is journalled); `fatal`
// when the child refused its command line (exit 2): no job can work, the run stops.
JobOutcome interpret_child(const JobSpec &spec, const ChildExit &exit,
                           const std::optional<nlohmann::json> &result, std::string_view child_log,
                           const std::string &started_at, double duration_s);

// A child's result.json text as interpret_child takes it: nullopt, with a warning naming `source`, when it is
// not JSON.
std::optional<nlohmann::json> parse_child_result(std::string_view text, const std::string &source);

// Whether a job's cargo may have died holding jobserver tokens (the child or its cargo was killed: a signal,
// the watchdog, a build timeout, the OOM killer). A killed client never gives its tokens back, so the runner
// then starts a fresh jobserver for the jobs that follow instead of running on a shrinking pool.
bool may_have_lost_tokens(const ChildExit &exit, const JobOutcome &outcome);

// The real runner. Installs SIGINT/SIGTERM handlers for its lifetime.
class ProcessRunner final : public JobRunner {
public:
  explicit ProcessRunner(ChildCommand cmd);
  ~ProcessRunner() override; // kills and reaps whatever still runs
  ProcessRunner(const ProcessRunner &) = delete;
  ProcessRunner &operator=(const ProcessRunner &) = delete;

  void start(uint64_t id, const JobSpec &spec) override;
  std::vector<JobOutcome> wait(std::optional<double> timeout_s) override;
  bool interrupted() override;
  void stop_all() override;
  double now() override;

  // pid of each running child (for tests and the status display).
  [[nodiscard]] std::vector<int> running_pids() const;
  // The jobserver new children get (nullptr when cmd.jobserver_tokens < 0).
  [[nodiscard]] const Jobserver *jobserver() const { return jobserver_.get(); }

private:
  struct Child;
  void reap(Child &child, int status, std::vector<JobOutcome> &out);
  // Whether a running child other than `c` was given `js`.
  bool other_client_of(const std::shared_ptr<Jobserver> &js, const Child &c) const;
  ChildCommand cmd_;
  std::map<uint64_t, std::unique_ptr<Child>> children_;
  int signal_read_ = -1;
  bool stopping_ = false;
  std::optional<double> kill_at_; // after stop_all: SIGKILL the stragglers then
  // Shared with the children started on it: a replaced jobserver lives until its last client has ended.
  std::shared_ptr<Jobserver> jobserver_;
};

} // namespace forge
