// Why: a run of hours must say where it stands: on a terminal one live block (done/total, built/failed, what
// runs and for how long, rate, ETA); in CI one line per finished job; under GitHub Actions also a foldable
// group with the end of each failed log and an ::error annotation, so failures show on the run's page.
#pragma once
#include "forge/run/scheduler.hpp"

#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>

namespace forge {

struct StatusOptions {
  bool live = false;   // redraw a status block on stderr (a terminal)
  bool quiet = false;  // print nothing
  bool github = false; // GITHUB_ACTIONS=true: ::group:: / ::error:: for failures
  bool color = false;
  std::size_t total = 0; // jobs in this run
  int workers = 1;
  std::filesystem::path out;  // where result dirs are
  std::filesystem::path logs; // where the children's own logs are
  std::size_t log_tail_lines = 60;
  std::FILE *stream = stdout; // finished-job lines (the live block always goes to stderr)
};

// GitHub workflow-command escaping: message data (% CR LF) and property values (also : and ,).
std::string github_escape_data(std::string_view text);
std::string github_escape_property(std::string_view text);

// "12/40 done (10 built, 2 failed) · 2.5 jobs/min · ETA 4m48s"
std::string status_headline(std::size_t done, std::size_t total, std::size_t built, std::size_t failed,
                            double elapsed_s);

class ConsoleObserver final : public RunObserver {
public:
  explicit ConsoleObserver(StatusOptions options, double start_s);
  ~ConsoleObserver() override;
  void started(const JobSpec &spec, double now) override;
  void finished(const JobSpec &spec, const JournalEntry &entry, std::optional<double> retry_in_s) override;
  void interrupted(const JobSpec &spec) override;
  void stopping(const std::string &why) override;
  void tick(double now) override;

private:
  void clear_block();
  void draw_block(double now);
  void print_line(const std::string &line);
  void github_failure(const JournalEntry &entry);
  StatusOptions opt_;
  double start_s_;
  double last_draw_ = -1;
  std::size_t done_ = 0, built_ = 0, failed_ = 0;
  std::size_t block_lines_ = 0;
  std::map<std::string, double> running_; // job id -> start time
};

} // namespace forge
