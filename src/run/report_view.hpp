// Why: the three renderers (text, markdown, HTML) draw the same figures; this reads report.json once into
// plain rows, tolerating absent optional parts, and formats numbers the same way everywhere.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace forge::report_view {

struct Bar {
  std::string label;
  double value = 0;
  std::string shown; // the figure as printed
};

struct TargetRow {
  std::string host, target;
  int64_t attempted = 0, built = 0, failed = 0, executables = 0;
  double rate = 0;
};

struct ReasonRow {
  std::string reason;
  int64_t jobs = 0, crates = 0, spurious = 0;
  std::vector<std::string> examples;
};

struct SlowRow {
  std::string crate, version, host, status;
  double duration_s = 0;
};

struct View {
  std::string generated_at;
  std::vector<Bar> funnel; // empty when the queue carried no funnel
  std::optional<int64_t> queued;
  int64_t attempted = 0, built = 0, failed = 0, executables = 0;
  double rate = 0, per_crate = 0;
  std::vector<TargetRow> targets;
  std::vector<ReasonRow> failures;
  std::vector<SlowRow> slowest;
  int64_t jobs = 0;
  double total_s = 0, mean_s = 0;
};

View read(const nlohmann::json &report); // after check_report

std::string thousands(int64_t n);  // 21042 -> "21,042"
std::string percent(double ratio); // 0.576 -> "57.6%"
std::string duration(double s);    // "1m02s", "21.3s"
// Unicode block bar of `width` cells for value/max (eighths for the last cell).
std::string bar(double value, double max, int width);

} // namespace forge::report_view
