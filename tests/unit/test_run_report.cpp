// Why: report.json's figures are what people decide on; the renderers must show exactly those figures.
#include "forge/run/report.hpp"
#include "run_fixtures.hpp"

#include "forge/util/error.hpp"

#include <gtest/gtest.h>

namespace forge {
namespace {
using namespace test_run;

CratesBuilt sample() {
  CratesBuilt b;
  auto put = [&b](JournalEntry e, std::vector<std::string> exes, double secs) {
    e.executables = std::move(exes);
    e.duration_s = secs;
    merge_entry(b, e);
  };
  put(entry("fd-find", "10.2.0", "built", "2025-06-01T00:00:00Z", musl()), {"fd"}, 120);
  put(entry("fd-find", "10.2.0", "built", "2025-06-01T00:00:00Z", arm()), {"fd"}, 200);
  put(entry("ripgrep", "14.0.0", "built", "2025-06-01T00:00:00Z", musl()), {"rg", "rg-helper"}, 90);
  put(entry("ripgrep", "14.0.0", "failed", "2025-06-01T00:00:00Z", arm(), "link-error"), {}, 30);
  put(entry("openssl-thing", "1.0.0", "failed", "2025-06-01T00:00:00Z", musl(), "missing-system-library"), {},
      10);
  put(entry("openssl-thing", "1.0.0", "failed", "2025-06-02T00:00:00Z", arm(), "missing-system-library"), {},
      5);
  put(entry("slowpoke", "0.1.0", "failed", "2025-06-01T00:00:00Z", musl(), "timeout"), {}, 1800);
  return b;
}

QueueInfo queue() {
  QueueInfo q;
  q.sha256 = std::string(64, 'f');
  q.generated_at = "2025-06-01T00:00:00Z";
  q.crates = 10;
  Funnel f;
  f.total = 111722;
  f.with_bins = 24658;
  f.selected = 10033;
  q.funnel = f;
  return q;
}

TEST(RunReport, Figures) {
  const auto r = build_report(sample(), queue());
  EXPECT_EQ(r["format"], kReportFormat);
  EXPECT_EQ(r["generated_at"], "2025-06-02T00:00:00Z") << "from the data, not the clock";
  EXPECT_EQ(r["crates"]["queued"], 10);
  EXPECT_EQ(r["crates"]["attempted"], 4);
  EXPECT_EQ(r["crates"]["built"], 2) << "a crate counts as built when any target built";
  EXPECT_EQ(r["crates"]["failed"], 2);
  EXPECT_DOUBLE_EQ(r["crates"]["success_rate"].get<double>(), 0.5);
  EXPECT_EQ(r["executables"]["total"], 4) << "per target: fd twice, rg + rg-helper";
  EXPECT_DOUBLE_EQ(r["executables"]["per_built_crate"].get<double>(), 2.0);
  ASSERT_EQ(r["targets"].size(), 2u);
  EXPECT_EQ(r["targets"][0]["target"], musl().triple) << "most built first";
  EXPECT_EQ(r["targets"][0]["built"], 2);
  EXPECT_EQ(r["targets"][0]["attempted"], 4);
  EXPECT_DOUBLE_EQ(r["targets"][0]["success_rate"].get<double>(), 0.5);
  EXPECT_EQ(r["targets"][1]["executables"], 1);
  ASSERT_EQ(r["failures"].size(), 3u);
  EXPECT_EQ(r["failures"][0]["reason"], "missing-system-library");
  EXPECT_EQ(r["failures"][0]["jobs"], 2);
  EXPECT_EQ(r["failures"][0]["crates"], 1);
  EXPECT_EQ(r["failures"][0]["examples"], nlohmann::json::array({"openssl-thing"}));
  const auto timeout = std::find_if(r["failures"].begin(), r["failures"].end(),
                                    [](const auto &f) { return f["reason"] == "timeout"; });
  ASSERT_NE(timeout, r["failures"].end());
  EXPECT_EQ((*timeout)["spurious"], 1);
  EXPECT_EQ(r["slowest"][0]["crate"], "slowpoke");
  EXPECT_EQ(r["slowest"].size(), 7u);
  EXPECT_EQ(r["durations"]["jobs"], 7);
  EXPECT_DOUBLE_EQ(r["durations"]["total_s"].get<double>(), 2255);
  EXPECT_DOUBLE_EQ(r["durations"]["mean_s"].get<double>(), 322.143);
  EXPECT_EQ(r["funnel"]["total"], 111722);
}

TEST(RunReport, WithoutQueueOrData) {
  const auto r = build_report(CratesBuilt{}, std::nullopt);
  EXPECT_TRUE(r["queue"].is_null());
  EXPECT_TRUE(r["funnel"].is_null());
  EXPECT_TRUE(r["crates"]["queued"].is_null());
  EXPECT_EQ(r["crates"]["attempted"], 0);
  EXPECT_DOUBLE_EQ(r["durations"]["mean_s"].get<double>(), 0);
  EXPECT_NO_THROW(render_report_text(r, false));
  EXPECT_NO_THROW(render_report_markdown(r));
  EXPECT_NO_THROW(render_report_html(r));
}

TEST(RunReport, TextAndMarkdownShowTheFigures) {
  const auto r = build_report(sample(), queue());
  const std::string text = render_report_text(r, false);
  for (const char *s : {"111,722", "24,658", "10,033", "50.0%", "missing-system-library",
                        "e.g. openssl-thing", "slowpoke", "30m00s", "x86_64-Linux", "█"}) {
    EXPECT_NE(text.find(s), std::string::npos) << s << "\n" << text;
  }
  EXPECT_EQ(text.find("\x1b["), std::string::npos) << "no colour unless asked";
  EXPECT_NE(render_report_text(r, true).find("\x1b[1m"), std::string::npos);
  const std::string md = render_report_markdown(r);
  for (const char *s :
       {"## forge report", "| built | 2 |", "| crates on crates.io | 111,722 |",
        "| missing-system-library | 2 | 1 | 0 | openssl-thing |", "`aarch64-unknown-linux-musl`"}) {
    EXPECT_NE(md.find(s), std::string::npos) << s << "\n" << md;
  }
}

TEST(RunReport, HtmlIsSelfContainedAndEscaped) {
  CratesBuilt b = sample();
  merge_entry(b, entry("<script>x", "1.0.0", "failed", "2025-06-01T00:00:00Z", musl(), "compile-error"));
  const std::string html = render_report_html(build_report(b, queue()));
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;x"), std::string::npos);
  for (const char *banned : {"src=", "<link", "url(", "@import"}) {
    EXPECT_EQ(html.find(banned), std::string::npos) << banned;
  }
  for (const char *s :
       {"name=\"viewport\"", "<svg", "id=\"crates-built\">2<", "111,722", "missing-system-library"}) {
    EXPECT_NE(html.find(s), std::string::npos) << s;
  }
}

TEST(RunReport, BadDocumentsAreDataErrors) {
  EXPECT_THROW(check_report(nlohmann::json::object(), "x"), Error);
  auto r = build_report(sample(), queue());
  r.erase("targets");
  try {
    check_report(r, "out/report.json");
    FAIL();
  } catch (const Error &e) {
    EXPECT_EQ(e.code(), ExitCode::data);
    EXPECT_NE(std::string(e.what()).find("targets"), std::string::npos);
  }
}

} // namespace
} // namespace forge
