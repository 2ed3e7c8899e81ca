// Why: the article's tables, for a terminal and for a GitHub step summary: the funnel, success rates,
// executables per target and failure reasons, each with a bar so the shape is visible at a glance.
#include "forge/run/report.hpp"
#include "run/report_view.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace forge {
namespace rv = report_view;

namespace {

constexpr int kBarWidth = 30;

std::string pad(const std::string &s, std::size_t width) {
  // Display width ~ code points (bars and labels are single-width).
  std::size_t cps = 0;
  for (unsigned char c : s) {
    cps += (c & 0xC0) != 0x80 ? 1 : 0;
  }
  return cps >= width ? s : s + std::string(width - cps, ' ');
}

std::string md_escape(const std::string &s) {
  std::string out;
  for (char c : s) {
    if (c == '|' || c == '*' || c == '_' || c == '`' || c == '<' || c == '>' || c == '[' || c == ']') {
      out.push_back('\\');
    }
    out.push_back(c);
  }
  return out;
}

} // namespace

std::string render_report_text(const nlohmann::json &report, bool color) {
  const rv::View v = rv::read(report);
  const auto bold = [color](const std::string &s) { return color ? "\x1b[1m" + s + "\x1b[0m" : s; };
  std::string out = bold("forge report") + (v.generated_at.empty() ? "" : " · " + v.generated_at) + "\n";

  if (!v.funnel.empty()) {
    out += "\n" + bold("Funnel") + "\n";
    const double max = v.funnel.front().value;
    for (const auto &b : v.funnel) {
      out += fmt::format("  {} {:>9}  {}\n", pad(b.label, 24), b.shown, rv::bar(b.value, max, kBarWidth));
    }
  }

  out += "\n" + bold("Crates") + "\n";
  if (v.queued) {
    out += fmt::format("  {} {:>9}\n", pad("queued", 24), rv::thousands(*v.queued));
  }
  out += fmt::format("  {} {:>9}\n", pad("attempted", 24), rv::thousands(v.attempted));
  out += fmt::format("  {} {:>9}  {} {}\n", pad("built", 24), rv::thousands(v.built),
                     pad(rv::bar(v.rate, 1, kBarWidth), kBarWidth), rv::percent(v.rate));
  out += fmt::format("  {} {:>9}\n", pad("failed", 24), rv::thousands(v.failed));
  out += fmt::format("  {} {:>9}  ({:.1f} per built crate)\n", pad("executables", 24),
                     rv::thousands(v.executables), v.per_crate);

  if (!v.targets.empty()) {
    out += "\n" + bold("Per target") + "\n";
    out += fmt::format("  {} {:>9} {:>9}  {} {:>7} {:>12}\n", pad("host", 24), "built", "failed",
                       pad("success", kBarWidth), "", "executables");
    for (const auto &t : v.targets) {
      out += fmt::format("  {} {:>9} {:>9}  {} {:>7} {:>12}\n", pad(t.host, 24), rv::thousands(t.built),
                         rv::thousands(t.failed), pad(rv::bar(t.rate, 1, kBarWidth), kBarWidth),
                         rv::percent(t.rate), rv::thousands(t.executables));
    }
  }

  if (!v.failures.empty()) {
    out += "\n" + bold("Failures by reason") + " (jobs)\n";
    const double max = static_cast<double>(v.failures.front().jobs);
    for (const auto &f : v.failures) {
      out += fmt::format("  {} {:>9}  {}  e.g. {}\n", pad(f.reason, 24), rv::thousands(f.jobs),
                         pad(rv::bar(static_cast<double>(f.jobs), max, kBarWidth / 2), kBarWidth / 2),
                         fmt::join(f.examples, ", "));
    }
  }

  if (!v.slowest.empty()) {
    out += "\n" + bold("Slowest jobs") + "\n";
    for (const auto &s : v.slowest) {
      out += fmt::format("  {:>8}  {} {} {} ({})\n", rv::duration(s.duration_s), s.crate, s.version, s.host,
                         s.status);
    }
  }
  out += fmt::format("\nJob time: {} jobs, total {}, mean {}\n", rv::thousands(v.jobs),
                     rv::duration(v.total_s), rv::duration(v.mean_s));
  return out;
}

std::string render_report_markdown(const nlohmann::json &report) {
  const rv::View v = rv::read(report);
  std::string out = "## forge report" + (v.generated_at.empty() ? "" : " (" + v.generated_at + ")") + "\n\n";
  if (!v.funnel.empty()) {
    out += "### Funnel\n\n| stage | crates | |\n|---|---:|---|\n";
    const double max = v.funnel.front().value;
    for (const auto &b : v.funnel) {
      out += fmt::format("| {} | {} | {} |\n", b.label, b.shown, rv::bar(b.value, max, kBarWidth));
    }
    out += "\n";
  }
  out += "### Crates\n\n| | crates | |\n|---|---:|---|\n";
  if (v.queued) {
    out += fmt::format("| queued | {} | |\n", rv::thousands(*v.queued));
  }
  out += fmt::format("| attempted | {} | |\n", rv::thousands(v.attempted));
  out += fmt::format("| built | {} | {} {} |\n", rv::thousands(v.built), rv::bar(v.rate, 1, 20),
                     rv::percent(v.rate));
  out += fmt::format("| failed | {} | |\n", rv::thousands(v.failed));
  out += fmt::format("| executables | {} | {:.1f} per built crate |\n\n", rv::thousands(v.executables),
                     v.per_crate);
  if (!v.targets.empty()) {
    out += "### Per target\n\n| host | target | built | failed | success | executables |\n"
           "|---|---|---:|---:|---|---:|\n";
    for (const auto &t : v.targets) {
      out += fmt::format("| {} | `{}` | {} | {} | {} {} | {} |\n", t.host, t.target, rv::thousands(t.built),
                         rv::thousands(t.failed), rv::bar(t.rate, 1, 20), rv::percent(t.rate),
                         rv::thousands(t.executables));
    }
    out += "\n";
  }
  if (!v.failures.empty()) {
    out += "### Failures by reason\n\n| reason | jobs | crates | spurious | examples "
           "|\n|---|---:|---:|---:|---|\n";
    for (const auto &f : v.failures) {
      std::vector<std::string> ex;
      for (const auto &e : f.examples) {
        ex.push_back(md_escape(e));
      }
      out += fmt::format("| {} | {} | {} | {} | {} |\n", f.reason, rv::thousands(f.jobs),
                         rv::thousands(f.crates), rv::thousands(f.spurious), fmt::join(ex, ", "));
    }
    out += "\n";
  }
  if (!v.slowest.empty()) {
    out += "### Slowest jobs\n\n| time | crate | version | host | status |\n|---:|---|---|---|---|\n";
    for (const auto &s : v.slowest) {
      out += fmt::format("| {} | {} | {} | {} | {} |\n", rv::duration(s.duration_s), md_escape(s.crate),
                         md_escape(s.version), s.host, s.status);
    }
    out += "\n";
  }
  out += fmt::format("Job time: {} jobs, total {}, mean {}.\n", rv::thousands(v.jobs),
                     rv::duration(v.total_s), rv::duration(v.mean_s));
  return out;
}

} // namespace forge
