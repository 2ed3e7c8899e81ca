// Why: report.json is computed from CRATES_BUILT.json alone (plus the queue's funnel), so the same index
// always gives the same report, whichever runs and merges produced it.
#include "forge/run/report.hpp"

#include "forge/util/error.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace forge {
namespace {

using json = nlohmann::ordered_json;

// Division by a power of ten gives the nearest double to the decimal (0.3333), multiplication may not.
double round_to(double v, double unit) {
  const double scale = std::round(1.0 / unit);
  return std::round(v * scale) / scale;
}

double ratio(std::size_t part, std::size_t whole) {
  return whole == 0 ? 0.0 : round_to(static_cast<double>(part) / static_cast<double>(whole), 0.0001);
}

struct TargetCounts {
  std::string host;
  std::size_t attempted = 0, built = 0, failed = 0, executables = 0;
};

struct ReasonCounts {
  std::size_t jobs = 0, spurious = 0;
  std::set<std::string> crates;
};

struct Job {
  std::string crate, version, target, host, status;
  double duration_s = 0;
};

} // namespace

json build_report(const CratesBuilt &built, const std::optional<QueueInfo> &queue) {
  std::size_t crates_built = 0;
  std::size_t executables = 0;
  std::map<std::string, TargetCounts> targets;
  std::map<std::string, ReasonCounts> reasons;
  std::vector<Job> jobs;
  double total_s = 0;
  for (const auto &[name, c] : built.crates) {
    bool any = false;
    for (const auto &[triple, t] : c.targets) {
      TargetCounts &tc = targets[triple];
      tc.host = t.host;
      ++tc.attempted;
      if (t.status == Status::built) {
        any = true;
        ++tc.built;
        tc.executables += t.executables.size();
        executables += t.executables.size();
      } else {
        ++tc.failed;
        ReasonCounts &r = reasons[std::string(t.reason ? to_string(*t.reason) : "")];
        ++r.jobs;
        r.spurious += t.spurious ? 1 : 0;
        r.crates.insert(name);
      }
      jobs.push_back(Job{name, c.version, triple, t.host, std::string(to_string(t.status)), t.duration_s});
      total_s += t.duration_s;
    }
    crates_built += any ? 1 : 0;
  }
  const std::size_t attempted = built.crates.size();

  json report{{"format", kReportFormat}, {"generated_at", built.updated_at()}};
  report["queue"] =
      queue
          ? json{{"sha256", queue->sha256}, {"generated_at", queue->generated_at}, {"crates", queue->crates}}
          : json(nullptr);
  report["funnel"] = queue && queue->funnel ? funnel_to_json(*queue->funnel) : json(nullptr);
  report["crates"] = json{{"queued", queue ? json(queue->crates) : json(nullptr)},
                          {"attempted", attempted},
                          {"built", crates_built},
                          {"failed", attempted - crates_built},
                          {"success_rate", ratio(crates_built, attempted)}};
  report["executables"] =
      json{{"total", executables},
           {"per_built_crate",
            crates_built == 0
                ? 0.0
                : round_to(static_cast<double>(executables) / static_cast<double>(crates_built), 0.01)}};

  std::vector<std::pair<std::string, TargetCounts>> by_target(targets.begin(), targets.end());
  std::stable_sort(by_target.begin(), by_target.end(),
                   [](const auto &a, const auto &b) { return a.second.built > b.second.built; });
  json per_target = json::array();
  for (const auto &[triple, t] : by_target) {
    per_target.push_back(json{{"target", triple},
                              {"host", t.host},
                              {"attempted", t.attempted},
                              {"built", t.built},
                              {"failed", t.failed},
                              {"success_rate", ratio(t.built, t.attempted)},
                              {"executables", t.executables}});
  }
  report["targets"] = per_target;

  std::vector<std::pair<std::string, ReasonCounts>> by_reason(reasons.begin(), reasons.end());
  std::stable_sort(by_reason.begin(), by_reason.end(),
                   [](const auto &a, const auto &b) { return a.second.jobs > b.second.jobs; });
  json failures = json::array();
  for (const auto &[reason, r] : by_reason) {
    std::vector<std::string> examples(r.crates.begin(), r.crates.end());
    if (examples.size() > 5) {
      examples.resize(5);
    }
    failures.push_back(json{{"reason", reason},
                            {"jobs", r.jobs},
                            {"crates", r.crates.size()},
                            {"spurious", r.spurious},
                            {"examples", examples}});
  }
  report["failures"] = failures;

  std::stable_sort(jobs.begin(), jobs.end(),
                   [](const Job &a, const Job &b) { return a.duration_s > b.duration_s; });
  json slowest = json::array();
  for (std::size_t i = 0; i < jobs.size() && i < 10; ++i) {
    const Job &j = jobs[i];
    slowest.push_back(json{{"crate", j.crate},
                           {"version", j.version},
                           {"target", j.target},
                           {"host", j.host},
                           {"status", j.status},
                           {"duration_s", j.duration_s}});
  }
  report["slowest"] = slowest;
  report["durations"] =
      json{{"jobs", jobs.size()},
           {"total_s", round_to(total_s, 0.001)},
           {"mean_s", jobs.empty() ? 0.0 : round_to(total_s / static_cast<double>(jobs.size()), 0.001)}};
  return report;
}

void check_report(const nlohmann::json &report, const std::string &source) {
  const auto format = report.is_object() ? report.find("format") : report.end();
  if (format == report.end() || !format->is_string() || format->get<std::string>() != kReportFormat) {
    fail(ExitCode::data, "{}: not a forge report (format is not {})", source, kReportFormat);
  }
  for (const char *key : {"crates", "executables", "targets", "failures", "slowest", "durations"}) {
    if (!report.contains(key)) {
      fail(ExitCode::data, "{}: no \"{}\"", source, key);
    }
  }
}

} // namespace forge
