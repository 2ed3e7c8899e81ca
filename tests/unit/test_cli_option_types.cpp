#include "cli/option_types.hpp"
#include "cli/parse_errors.hpp"
#include "forge/util/error.hpp"
#include "forge/util/time.hpp"

#include <gtest/gtest.h>

namespace forge::cli {
namespace {

TEST(CliOptionTypes, SizesReadUnitsAsBinary) {
  EXPECT_EQ(parse_size("0"), 0U);
  EXPECT_EQ(parse_size("4096"), 4096U);
  EXPECT_EQ(parse_size("1GiB"), uint64_t{1} << 30);
  EXPECT_EQ(parse_size("1gb"), uint64_t{1} << 30);
  EXPECT_EQ(parse_size("8M"), uint64_t{8} << 20);
  EXPECT_EQ(parse_size("1.5KiB"), 1536U);
  EXPECT_EQ(parse_size("2TiB"), uint64_t{2} << 40);
  for (const char *bad : {"", "GiB", "1 GiB", "1PiB", "-1", "lots", "1GiBs"}) {
    EXPECT_THROW(parse_size(bad), Error) << bad;
  }
}

TEST(CliOptionTypes, FormattedSizesReadBack) {
  EXPECT_EQ(format_size(0), "0");
  EXPECT_EQ(format_size(1000), "1000");
  EXPECT_EQ(format_size(uint64_t{1} << 30), "1GiB");
  EXPECT_EQ(format_size(uint64_t{8} << 20), "8MiB");
  EXPECT_EQ(format_size(uint64_t{3} << 40), "3TiB");
  for (const uint64_t n : {uint64_t{1}, uint64_t{1536}, uint64_t{67108864}, uint64_t{4} << 30, uint64_t{200000}}) {
    EXPECT_EQ(parse_size(format_size(n)), n) << n;
  }
}

TEST(CliOptionTypes, FormattedDurationsReadBack) {
  using std::chrono::milliseconds;
  EXPECT_EQ(format_duration(milliseconds(30 * 60 * 1000)), "30m");
  EXPECT_EQ(format_duration(milliseconds(10 * 1000)), "10s");
  EXPECT_EQ(format_duration(milliseconds(90 * 1000)), "1m30s");
  EXPECT_EQ(format_duration(milliseconds(3600 * 1000)), "1h");
  EXPECT_EQ(format_duration(milliseconds(5400 * 1000)), "1h30m");
  EXPECT_EQ(format_duration(milliseconds(1500)), "1.5s");
  for (const int64_t ms : {1000, 1500, 61000, 3599000, 3600000, 5401000, 120000}) {
    EXPECT_EQ(parse_duration(format_duration(milliseconds(ms))), milliseconds(ms)) << ms;
  }
}

TEST(CliOptionTypes, ValidatorsSpeakForgesWords) {
  std::string zero = "0";
  EXPECT_EQ(whole_number(1, 64)(zero), "must be between 1 and 64, got 0");
  std::string word = "abc";
  EXPECT_EQ(whole_number(0)(word), "must be a whole number, got 'abc'");
  std::string ok = "7";
  EXPECT_EQ(whole_number(1)(ok), "");
  std::string pdf = "pdf";
  EXPECT_EQ(one_of({"text", "json"})(pdf), "must be text or json, got 'pdf'");
  std::string soon = "soon";
  EXPECT_NE(duration_text()(soon).find("must be a duration"), std::string::npos);
  std::string size = "2MiB";
  EXPECT_EQ(size_text()(size), "");
  EXPECT_EQ(size, "2097152"); // rewritten to bytes for CLI11's conversion
}

TEST(CliParseErrors, DidYouMeanOnlyForTypos) {
  const std::vector<std::string> commands = {"ingest", "build", "doctor", "run", "report", "publish"};
  EXPECT_EQ(did_you_mean("buld", commands), "build");
  EXPECT_EQ(did_you_mean("reprot", commands), "report");
  EXPECT_EQ(did_you_mean("publsih", commands), "publish");
  EXPECT_EQ(did_you_mean("frobnicate", commands), "");
  EXPECT_EQ(did_you_mean("x", commands), "");
}

} // namespace
} // namespace forge::cli
