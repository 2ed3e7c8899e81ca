// Why: one reading of report.json for every renderer.
#include "run/report_view.hpp"

#include "forge/util/json_read.hpp"

#include "forge/util/progress.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace forge::report_view {
namespace {

// report.json may come back from the index repository: fields of the wrong type read as zero or empty
// (json_read.hpp); a float where a count belongs is ignored (found by fuzz_run_info).
int64_t int_at(const nlohmann::json &j, const char *key) {
  return int_or(j, key, 0);
}

double num_at(const nlohmann::json &j, const char *key) {
  return number_or(j, key, 0.0);
}

std::string str_at(const nlohmann::json &j, const char *key) {
  return string_or(j, key);
}

} // namespace

std::string thousands(int64_t n) {
  // in unsigned arithmetic, so that the magnitude of INT64_MIN does not overflow
  const uint64_t magnitude = n < 0 ? 0 - static_cast<uint64_t>(n) : static_cast<uint64_t>(n);
  std::string digits = std::to_string(magnitude);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) {
      out.push_back(',');
    }
    out.push_back(digits[i]);
  }
  return n < 0 ? "-" + out : out;
}

std::string percent(double ratio) {
  return fmt::format("{:.1f}%", ratio * 100.0);
}

std::string duration(double s) {
  return s < 60 ? fmt::format("{:.1f}s", s) : human_duration(s);
}

std::string bar(double value, double max, int width) {
  static const char *const kEighths[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
  if (max <= 0 || value <= 0 || width <= 0) {
    return {};
  }
  const double cells = std::min(1.0, value / max) * width;
  const int full = static_cast<int>(cells);
  const int eighths = static_cast<int>(std::round((cells - full) * 8));
  std::string out;
  for (int i = 0; i < full; ++i) {
    out += "█";
  }
  if (eighths == 8) {
    out += "█";
  } else if (eighths > 0) {
    out += kEighths[eighths];
  } else if (full == 0) {
    out += "▏"; // a non-zero value is never drawn as nothing
  }
  return out;
}

View read(const nlohmann::json &r) {
  View v;
  v.generated_at = str_at(r, "generated_at");
  const auto &crates = r.at("crates");
  v.attempted = int_at(crates, "attempted");
  v.built = int_at(crates, "built");
  v.failed = int_at(crates, "failed");
  v.rate = num_at(crates, "success_rate");
  if (const auto q = crates.find("queued"); q != crates.end() && q->is_number_integer()) {
    v.queued = q->get<int64_t>();
  }
  v.executables = int_at(r.at("executables"), "total");
  v.per_crate = num_at(r.at("executables"), "per_built_crate");
  if (const auto f = r.find("funnel"); f != r.end() && f->is_object()) {
    const std::pair<const char *, const char *> stages[] = {{"total", "crates on crates.io"},
                                                            {"with_bins", "with binaries"},
                                                            {"cli_category", "command-line-utilities"},
                                                            {"candidates", "binaries or CLI"},
                                                            {"recent", "recently updated"},
                                                            {"selected", "queued"}};
    for (const auto &[key, label] : stages) {
      const int64_t n = int_at(*f, key);
      v.funnel.push_back(Bar{label, static_cast<double>(n), thousands(n)});
    }
    v.funnel.push_back(Bar{"built", static_cast<double>(v.built), thousands(v.built)});
  }
  for (const auto &t : r.at("targets")) {
    v.targets.push_back(TargetRow{str_at(t, "host"), str_at(t, "target"), int_at(t, "attempted"),
                                  int_at(t, "built"), int_at(t, "failed"), int_at(t, "executables"),
                                  num_at(t, "success_rate")});
  }
  for (const auto &f : r.at("failures")) {
    ReasonRow row{str_at(f, "reason"), int_at(f, "jobs"), int_at(f, "crates"), int_at(f, "spurious"), {}};
    if (const auto ex = f.find("examples"); ex != f.end() && ex->is_array()) {
      for (const auto &e : *ex) {
        if (e.is_string()) {
          row.examples.push_back(e.get<std::string>());
        }
      }
    }
    v.failures.push_back(std::move(row));
  }
  for (const auto &s : r.at("slowest")) {
    v.slowest.push_back(SlowRow{str_at(s, "crate"), str_at(s, "version"), str_at(s, "host"),
                                str_at(s, "status"), num_at(s, "duration_s")});
  }
  const auto &d = r.at("durations");
  v.jobs = int_at(d, "jobs");
  v.total_s = num_at(d, "total_s");
  v.mean_s = num_at(d, "mean_s");
  return v;
}

} // namespace forge::report_view
