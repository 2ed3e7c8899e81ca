// Why: at 10,000 crates the questions are "how far did we get, where does it fail, what is slow"; report.json
// answers them from CRATES_BUILT.json, and `forge report` draws it as the article's tables and bars for a
// terminal, a GitHub step summary or a phone.
#pragma once
#include "forge/run/aggregates.hpp"
#include "forge/run/crates_built.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace forge {

inline constexpr const char *kReportFormat = "forge-report/1";

// report.json: funnel (when known), crates queued/attempted/built/failed, executables, per-target counts and
// success rates, failures per reason with example crates, slowest jobs, total and mean job duration.
// Deterministic: `generated_at` is the index's latest date, not the clock.
nlohmann::ordered_json build_report(const CratesBuilt &built, const std::optional<QueueInfo> &queue);

// Renderers of a report.json document; Error(data) when it is not one.
std::string render_report_text(const nlohmann::json &report, bool color);
std::string render_report_markdown(const nlohmann::json &report);
std::string render_report_html(const nlohmann::json &report);

// Checks the format tag; throws Error(data) naming `source`.
void check_report(const nlohmann::json &report, const std::string &source);

} // namespace forge
