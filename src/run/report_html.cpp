// Why: one file anyone can open (a CI artifact, a phone): inline CSS and SVG charts, no script, no fonts, no
// network fetch; every figure is also plain text in a table so it can be read, searched and tested.
#include "forge/run/report.hpp"
#include "run/report_view.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace forge {
namespace rv = report_view;

namespace {

std::string esc(const std::string &s) {
  std::string out;
  for (char c : s) {
    switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '"':
      out += "&quot;";
      break;
    case '\'':
      out += "&#39;";
      break;
    default:
      out.push_back(c);
    }
  }
  return out;
}

constexpr const char *kStyle = R"(
:root{color-scheme:light dark;--fg:#1f2328;--bg:#fff;--muted:#59636e;--line:#d1d9e0;--ok:#1a7f37;--bad:#cf222e;--bar:#0969da}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--bg:#0d1117;--muted:#9198a1;--line:#3d444d;--ok:#3fb950;--bad:#f85149;--bar:#4493f8}}
*{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif}
main{max-width:960px;margin:0 auto;padding:16px}h1{font-size:1.6em;margin:.2em 0}h2{font-size:1.2em;margin:1.6em 0 .5em;border-bottom:1px solid var(--line)}
.meta{color:var(--muted);margin:0 0 1em}.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:10px}
.card{border:1px solid var(--line);border-radius:8px;padding:10px}.card .n{font-size:1.7em;font-weight:600}.card .l{color:var(--muted);font-size:.9em}
.ok{color:var(--ok)}.bad{color:var(--bad)}svg{width:100%;max-width:660px;height:auto;display:block}svg text{fill:var(--fg);font-size:14px}
.scroll{overflow-x:auto}table{border-collapse:collapse;width:100%;font-size:.92em}th,td{padding:4px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}code{font-size:.9em}
)";

// A horizontal bar chart: label, bar, figure. `fill` per row.
std::string bar_chart(const std::string &title, const std::vector<rv::Bar> &rows, double max,
                      const std::vector<std::string> &fills) {
  constexpr int kRow = 24;
  constexpr int kLabel = 165;
  constexpr int kBar = 200;
  const int height = static_cast<int>(rows.size()) * kRow + 6;
  std::string svg =
      fmt::format(R"(<svg viewBox="0 0 440 {}" role="img" aria-label="{}">)", height, esc(title));
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto &r = rows[i];
    const int y = static_cast<int>(i) * kRow + 4;
    const double w = max > 0 ? std::max(r.value > 0 ? 1.5 : 0.0, r.value / max * kBar) : 0;
    svg += fmt::format(R"(<text x="0" y="{}">{}</text>)", y + 13, esc(r.label));
    svg += fmt::format(R"(<rect x="{}" y="{}" width="{:.1f}" height="17" rx="3" fill="{}"/>)", kLabel, y, w,
                       fills.empty() ? "var(--bar)" : fills[i % fills.size()]);
    svg += fmt::format(R"(<text x="{:.1f}" y="{}">{}</text>)", kLabel + w + 5, y + 13, esc(r.shown));
  }
  return svg + "</svg>\n";
}

std::string card(const std::string &id, const std::string &value, const std::string &label,
                 const char *cls = "") {
  return fmt::format(R"(<div class="card"><div class="n {}" id="{}">{}</div><div class="l">{}</div></div>)",
                     cls, id, esc(value), esc(label));
}

} // namespace

std::string render_report_html(const nlohmann::json &report) {
  const rv::View v = rv::read(report);
  std::string h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                  "<title>forge report</title><style>";
  h += kStyle;
  h += "</style></head>\n<body><main>\n<h1>forge report</h1>\n";
  h += fmt::format("<p class=\"meta\">Index as of {}</p>\n",
                   esc(v.generated_at.empty() ? "-" : v.generated_at));

  h += "<section id=\"summary\"><div class=\"cards\">";
  if (v.queued) {
    h += card("crates-queued", rv::thousands(*v.queued), "crates queued");
  }
  h += card("crates-built", rv::thousands(v.built), "crates built (" + rv::percent(v.rate) + ")", "ok");
  h += card("crates-failed", rv::thousands(v.failed), "crates failed", "bad");
  h += card("executables", rv::thousands(v.executables),
            fmt::format("executables ({:.1f} per crate)", v.per_crate));
  h += card("jobs", rv::thousands(v.jobs), "jobs, mean " + rv::duration(v.mean_s));
  h += "</div></section>\n";

  if (!v.funnel.empty()) {
    h += "<section id=\"funnel\"><h2>Funnel</h2>\n";
    h += bar_chart("Funnel from crates.io to built crates", v.funnel, v.funnel.front().value, {});
    h += "<div class=\"scroll\"><table><tr><th>stage</th><th class=\"num\">crates</th></tr>";
    for (const auto &b : v.funnel) {
      h += fmt::format("<tr><td>{}</td><td class=\"num\">{}</td></tr>", esc(b.label), esc(b.shown));
    }
    h += "</table></div></section>\n";
  }

  if (!v.targets.empty()) {
    h += "<section id=\"targets\"><h2>Success rate per target</h2>\n";
    std::vector<rv::Bar> bars;
    for (const auto &t : v.targets) {
      bars.push_back(
          rv::Bar{t.host, t.rate, rv::percent(t.rate) + " · " + rv::thousands(t.executables) + " exe"});
    }
    h += bar_chart("Success rate per target", bars, 1.0, {"var(--ok)"});
    h += "<div class=\"scroll\"><table><tr><th>host</th><th>target</th><th class=\"num\">built</th>"
         "<th class=\"num\">failed</th><th class=\"num\">success</th><th class=\"num\">executables</th></tr>";
    for (const auto &t : v.targets) {
      h += fmt::format(
          "<tr><td>{}</td><td><code>{}</code></td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
          "<td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
          esc(t.host), esc(t.target), rv::thousands(t.built), rv::thousands(t.failed), rv::percent(t.rate),
          rv::thousands(t.executables));
    }
    h += "</table></div></section>\n";
  }

  if (!v.failures.empty()) {
    h += "<section id=\"failures\"><h2>Failures by reason</h2>\n";
    std::vector<rv::Bar> bars;
    for (const auto &f : v.failures) {
      bars.push_back(rv::Bar{f.reason, static_cast<double>(f.jobs), rv::thousands(f.jobs)});
    }
    h += bar_chart("Failed jobs per reason", bars, bars.front().value, {"var(--bad)"});
    h += "<div class=\"scroll\"><table><tr><th>reason</th><th class=\"num\">jobs</th><th "
         "class=\"num\">crates</th>"
         "<th class=\"num\">spurious</th><th>examples</th></tr>";
    for (const auto &f : v.failures) {
      std::string ex;
      for (const auto &e : f.examples) {
        ex += (ex.empty() ? "" : ", ") + esc(e);
      }
      h += fmt::format(
          "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
          "<td>{}</td></tr>",
          esc(f.reason), rv::thousands(f.jobs), rv::thousands(f.crates), rv::thousands(f.spurious), ex);
    }
    h += "</table></div></section>\n";
  }

  if (!v.slowest.empty()) {
    h += "<section id=\"slowest\"><h2>Slowest jobs</h2><div class=\"scroll\"><table><tr><th "
         "class=\"num\">time</th>"
         "<th>crate</th><th>version</th><th>host</th><th>status</th></tr>";
    for (const auto &s : v.slowest) {
      h += fmt::format(
          "<tr><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td></tr>",
          rv::duration(s.duration_s), esc(s.crate), esc(s.version), esc(s.host),
          s.status == "built" ? "ok" : "bad", esc(s.status));
    }
    h += "</table></div></section>\n";
  }
  h += fmt::format("<p class=\"meta\" id=\"job-time\">Job time: {} jobs, total {}, mean {}.</p>\n",
                   rv::thousands(v.jobs), rv::duration(v.total_s), rv::duration(v.mean_s));
  h += "</main></body></html>\n";
  return h;
}

} // namespace forge
