// Why: each job is a `forge build` child process in its own process group, so a crash, a runaway build
// script or the OOM killer takes down one job, never the runner; the runner waits on all of them at once
// (pidfds and a signal pipe in one ppoll) and turns whatever happened into a journal entry.
#pragma once
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

struct ChildCommand {
  std::string program = "/proc/self/exe"; // the forge binary itself
  std::vector<std::string> global_args;   // before "build", e.g. --config FILE, --color never
  std::vector<std::string> build_args;    // appended after forge's own (from `forge run ... -- ARGS`)
  std::filesystem::path queue;            // absolute
  std::filesystem::path out;              // absolute
  std::filesystem::path logs;             // absolute; <logs>/<host>/<crate>@<version>.log per child
  std::vector<std::pair<std::string, std::string>> env; // added to the inherited environment
  std::chrono::milliseconds timeout{30 * 60 * 1000};    // forwarded as --timeout
  std::chrono::milliseconds grace{10 * 1000};           // forwarded as --grace
  bool keep_build_dir = false;
  std::filesystem::path build_root; // empty: forge build's default (<cache>/builds)
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

private:
  struct Child;
  void reap(Child &child, int status, std::vector<JobOutcome> &out);
  ChildCommand cmd_;
  std::map<uint64_t, std::unique_ptr<Child>> children_;
  int signal_read_ = -1;
  bool stopping_ = false;
  std::optional<double> kill_at_; // after stop_all: SIGKILL the stragglers then
};

} // namespace forge
