// Why: `forge report` draws report.json for whoever is looking: a terminal, a GitHub step summary, a browser.
#include "cli/commands.hpp"
#include "cli/option_types.hpp"
#include "forge/run/aggregates.hpp"
#include "forge/run/report.hpp"
#include "forge/util/error.hpp"
#include "forge/util/fs.hpp"
#include "forge/util/term.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

namespace forge::cli {
namespace {
namespace fs = std::filesystem;

struct ReportFlags {
  std::filesystem::path out = kDefaultOutDir;
  std::string format = "text";
  std::filesystem::path output;
};

void append_step_summary(const std::string &markdown) {
  const char *path = std::getenv("GITHUB_STEP_SUMMARY");
  if (path == nullptr || *path == '\0') {
    return;
  }
  std::FILE *f = std::fopen(path, "a");
  if (f == nullptr) {
    fail(ExitCode::io, "cannot append to $GITHUB_STEP_SUMMARY ({})", path);
  }
  const bool ok = std::fwrite(markdown.data(), 1, markdown.size(), f) == markdown.size();
  if (std::fclose(f) != 0 || !ok) {
    fail(ExitCode::io, "cannot write $GITHUB_STEP_SUMMARY ({})", path);
  }
}

// -o names a file in a directory that exists: a typo must not grow a directory tree.
void check_output(const fs::path &output) {
  std::error_code ec;
  const fs::path dir = output.has_parent_path() ? output.parent_path() : fs::path(".");
  if (!fs::is_directory(dir, ec)) {
    fail(ExitCode::io, "cannot write {}: {} is not a directory", output.string(), dir.string());
  }
}

int report_action(const ReportFlags &f) {
  if (!f.output.empty()) {
    check_output(f.output);
  }
  const fs::path path = f.out / kReportFile;
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    fail(ExitCode::io, "no {} in {}: run `forge run` or `forge merge` there first", kReportFile,
         f.out.string());
  }
  const auto report = nlohmann::json::parse(read_file(path), nullptr, false);
  if (report.is_discarded()) {
    fail(ExitCode::data, "{}: invalid JSON", path.string());
  }
  check_report(report, path.string());
  std::string text;
  if (f.format == "text") {
    text = render_report_text(report, f.output.empty() && ui().color_out);
  } else if (f.format == "markdown") {
    text = render_report_markdown(report);
    append_step_summary(text);
  } else if (f.format == "html") {
    text = render_report_html(report);
  } else {
    text = report.dump(2) + "\n";
  }
  if (f.output.empty()) {
    fmt::print("{}", text);
  } else {
    write_file_atomic(f.output, text);
  }
  return 0;
}

} // namespace

void add_report(CLI::App &app, Action &action) {
  auto f = std::make_shared<ReportFlags>();
  auto *cmd =
      app.add_subcommand("report", "Render report.json: funnel, success rates, executables per target, "
                                   "failure reasons (markdown is also appended to $GITHUB_STEP_SUMMARY)");
  cmd->add_option("--out", f->out, "The directory of a run or merge")
      ->type_name("DIR")
      ->capture_default_str();
  cmd->add_option("--format", f->format, "Output format")
      ->type_name("FORMAT")
      ->capture_default_str()
      ->check(one_of({"text", "markdown", "html", "json"}));
  cmd->add_option("-o,--output", f->output, "Write to this file instead of stdout")->type_name("FILE");
  cmd->callback([&action, f] { action = [f] { return report_action(*f); }; });
}

} // namespace forge::cli
