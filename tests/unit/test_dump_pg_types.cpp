// Why: PostgreSQL's text forms (timestamps, text[], bytea) must parse exactly, and garbage must be refused.
#include "forge/dump/pg_types.hpp"
#include "forge/util/time.hpp"

#include "forge/dump/csv.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using forge::format_date;
using forge::format_rfc3339;
using forge::pg::parse_array;
using forge::pg::parse_bool;
using forge::pg::parse_bytea_hex;
using forge::pg::parse_date;
using forge::pg::parse_timestamp;

using Array = std::vector<std::optional<std::string>>;

constexpr int64_t us = 1'000'000;
constexpr int64_t t_2017 = 1'484'680'385; // 2017-01-17 19:13:05 UTC

TEST(PgTypes, Bool) {
  EXPECT_EQ(parse_bool("t"), true);
  EXPECT_EQ(parse_bool("f"), false);
  EXPECT_EQ(parse_bool(""), std::nullopt);
  EXPECT_EQ(parse_bool("true"), std::nullopt);
  EXPECT_EQ(parse_bool("T"), std::nullopt);
}

TEST(PgTypes, TimestampFractionDigits) {
  const std::vector<std::pair<const char *, int64_t>> cases = {
      {"2017-01-17 19:13:05", 0},
      {"2017-01-17 19:13:05.1", 100'000},
      {"2017-01-17 19:13:05.12", 120'000},
      {"2017-01-17 19:13:05.112", 112'000},
      {"2017-01-17 19:13:05.1120", 112'000},
      {"2017-01-17 19:13:05.11202", 112'020},
      {"2017-01-17 19:13:05.112025", 112'025},
  };
  for (const auto &[text, fraction] : cases) {
    EXPECT_EQ(parse_timestamp(text), t_2017 * us + fraction) << text;
    EXPECT_EQ(parse_timestamp(std::string(text) + "+00"), t_2017 * us + fraction) << text;
    EXPECT_EQ(parse_timestamp(std::string(text) + "+00:00"), t_2017 * us + fraction) << text;
    EXPECT_EQ(parse_timestamp(std::string(text) + "-00"), t_2017 * us + fraction) << text;
    std::string with_t = text;
    with_t[10] = 'T';
    EXPECT_EQ(parse_timestamp(with_t), t_2017 * us + fraction) << with_t;
    EXPECT_EQ(parse_timestamp(with_t + "Z"), t_2017 * us + fraction) << with_t;
  }
}

TEST(PgTypes, TimestampZonesConvertToUtc) {
  EXPECT_EQ(parse_timestamp("2017-01-18 00:43:05+05:30"), t_2017 * us);
  EXPECT_EQ(parse_timestamp("2017-01-17 21:13:05+02"), t_2017 * us);
  EXPECT_EQ(parse_timestamp("2017-01-17 14:13:05-05"), t_2017 * us);
  EXPECT_EQ(parse_timestamp("2017-01-17 09:43:05.5-09:30"), t_2017 * us + 500'000);
  // Crossing a day, a month, and a year boundary.
  EXPECT_EQ(parse_timestamp("2017-01-01 01:00:00+02"), parse_timestamp("2016-12-31 23:00:00"));
}

TEST(PgTypes, TimestampCalendar) {
  EXPECT_EQ(parse_timestamp("1970-01-01 00:00:00"), 0);
  EXPECT_EQ(parse_timestamp("1969-12-31 23:59:59.999999"), -1);
  EXPECT_EQ(parse_timestamp("2000-02-29 23:59:59+00"), int64_t{951'868'799} * us);
  EXPECT_EQ(parse_timestamp("2026-11-20 02:00:46"), int64_t{1'795'140'046} * us);
  EXPECT_EQ(parse_timestamp("2017-01-17"), (t_2017 - 19 * 3600 - 13 * 60 - 5) * us);
  EXPECT_EQ(parse_date("2017-01-17"), parse_timestamp("2017-01-17 00:00:00"));
  EXPECT_EQ(parse_date("2024-02-29"), parse_timestamp("2024-02-29 00:00:00+00"));
}

TEST(PgTypes, TimestampStaysWithinFourDigitYearsInUtc) {
  // RFC 3339 output (queue.json) has 4-digit years: an offset may not carry an instant out of them.
  EXPECT_EQ(parse_timestamp("9999-12-31 23:59:59.9999-05"), std::nullopt);
  EXPECT_EQ(parse_timestamp("0000-01-01 00:30:00+01"), std::nullopt);
  const auto last = parse_timestamp("9999-12-31 23:59:59.999999");
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(format_rfc3339(*last), "9999-12-31T23:59:59Z");
  EXPECT_EQ(parse_timestamp("9999-12-31 18:59:59+00").has_value(), true);
  EXPECT_EQ(parse_timestamp("9999-12-31 18:59:59-05"), parse_timestamp("9999-12-31 23:59:59"));
  EXPECT_TRUE(parse_timestamp("0000-01-01 01:00:00+01").has_value());
}

TEST(PgTypes, TimestampRejectsGarbage) {
  for (const char *bad : {"",
                          "2017",
                          "2017-01-17 ",
                          "2017-13-01 00:00:00",
                          "2017-00-01 00:00:00",
                          "2017-01-32 00:00:00",
                          "2017-02-29 00:00:00",
                          "1900-02-29 00:00:00",
                          "2017-04-31 00:00:00",
                          "2017-01-17 24:00:00",
                          "2017-01-17 23:60:00",
                          "2017-01-17 23:59:60",
                          "2017-01-17 19:13:05.",
                          "2017-01-17 19:13:05.1234567",
                          "2017-01-17 19:13:05+0",
                          "2017-01-17 19:13:05+00:0",
                          "2017-01-17 19:13:05+00x",
                          "2017-01-17 19:13:05 UTC",
                          "2017-01-17 19:13:05junk",
                          "2017-01-17 19:13",
                          "2017-1-17 19:13:05",
                          "17-01-17 19:13:05",
                          "2017-01-17X19:13:05",
                          "2017/01/17 19:13:05",
                          " 2017-01-17 19:13:05",
                          "2017-01-17 19:13:05.12a",
                          "2017-01-17 9:13:05",
                          "2017-01-17 19:13:05+99"}) {
    EXPECT_EQ(parse_timestamp(bad), std::nullopt) << bad;
  }
  for (const char *bad : {"", "2017-01-17 00:00:00", "2017-01-1", "2017-02-30", "2017-01-17x", "abcd-ef-gh"})
    EXPECT_EQ(parse_date(bad), std::nullopt) << bad;
}

TEST(PgTypes, Format) {
  EXPECT_EQ(format_rfc3339(t_2017 * us + 112'025), "2017-01-17T19:13:05Z");
  EXPECT_EQ(format_rfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_rfc3339(-1), "1969-12-31T23:59:59Z");
  EXPECT_EQ(format_rfc3339(int64_t{951'868'799} * us), "2000-02-29T23:59:59Z");
  EXPECT_EQ(format_date(t_2017 * us), "2017-01-17");
  EXPECT_EQ(format_date(-1), "1969-12-31");
  // Round trip over many days, including leap years and century boundaries.
  for (int64_t day = -719'162; day <= 2'932'896; day += 37) {
    const int64_t micros = day * 86'400 * us + 12 * 3600 * us;
    const std::string date = format_date(micros);
    ASSERT_EQ(parse_date(date), day * 86'400 * us) << date;
    const std::string stamp = format_rfc3339(micros);
    ASSERT_EQ(parse_timestamp(stamp), micros) << stamp;
  }
}

TEST(PgTypes, ArrayBasics) {
  EXPECT_EQ(parse_array("{}"), Array{});
  EXPECT_EQ(parse_array("{cli}"), (Array{"cli"}));
  EXPECT_EQ(parse_array("{foo,bar-cli}"), (Array{"foo", "bar-cli"}));
  EXPECT_EQ(parse_array("{NULL}"), (Array{std::nullopt}));
  EXPECT_EQ(parse_array("{null,NuLl,x}"), (Array{std::nullopt, std::nullopt, "x"}));
  EXPECT_EQ(parse_array("{\"NULL\"}"), (Array{"NULL"}));
  EXPECT_EQ(parse_array("{\"\"}"), (Array{""}));
  EXPECT_EQ(parse_array("{\"a\\\"b\",\"c\\\\d\"}"), (Array{"a\"b", "c\\d"}));
  EXPECT_EQ(parse_array("{\"a,b\",\"{}\",\" sp \"}"), (Array{"a,b", "{}", " sp "}));
  EXPECT_EQ(parse_array("{ a , \"b\" ,c }"), (Array{"a", "b", "c"}));
  EXPECT_EQ(parse_array("{NULLS,xnull}"), (Array{"NULLS", "xnull"}));
  EXPECT_EQ(parse_array("{\"\\x\"}"), (Array{"x"}));
}

TEST(PgTypes, ArrayThroughCsv) {
  std::vector<std::string> fields;
  forge::dump::CsvReader reader("v.csv", nullptr, [&](const forge::dump::Record &r) {
    for (size_t i = 0; i < r.size(); ++i)
      fields.emplace_back(r[i].text);
  });
  reader.feed("bin_names,keywords\n\"{fd,\"\"null\"\"}\",{cli}\n");
  reader.finish();
  ASSERT_EQ(fields.size(), 2u);
  EXPECT_EQ(fields[0], "{fd,\"null\"}");
  EXPECT_EQ(parse_array(fields[0]), (Array{"fd", "null"}));
  EXPECT_EQ(parse_array(fields[1]), (Array{"cli"}));
}

TEST(PgTypes, ArrayMalformed) {
  for (const char *bad : {"",     "{",      "}",      "{a",       "a}",        "{a,}",      "{,a}",
                          "{,}",  "{a,,b}", "{\"a}",  "{\"a\"b}", "{\"a\\\"}", "{{a}}",     "{a}x",
                          "x{a}", " {a}",   "{a\"b}", "{a\\b}",   "{a}}",      "[1:1]={a}", "{\"a\" \"b\"}",
                          "{a{b}"}) {
    EXPECT_EQ(parse_array(bad), std::nullopt) << bad;
  }
}

TEST(PgTypes, Bytea) {
  EXPECT_EQ(parse_bytea_hex("\\x"), "");
  EXPECT_EQ(parse_bytea_hex("\\x0a1B"), "0a1b");
  const std::string sha = "\\x" + std::string(64, 'F');
  EXPECT_EQ(parse_bytea_hex(sha), std::string(64, 'f'));
  for (const char *bad : {"", "\\", "x0a", "\\X0a", "\\x0", "\\x0g", "0a1b", "\\x0a ", "\\\\x0a"})
    EXPECT_EQ(parse_bytea_hex(bad), std::nullopt) << bad;
}

TEST(PgTypes, Sha256Hex) {
  EXPECT_TRUE(forge::pg::is_sha256_hex(std::string(64, 'a')));
  EXPECT_TRUE(forge::pg::is_sha256_hex(std::string(32, 'A') + std::string(32, '9')));
  EXPECT_FALSE(forge::pg::is_sha256_hex(std::string(63, 'a')));
  EXPECT_FALSE(forge::pg::is_sha256_hex(std::string(65, 'a')));
  EXPECT_FALSE(forge::pg::is_sha256_hex(std::string(63, 'a') + "g"));
  EXPECT_FALSE(forge::pg::is_sha256_hex("\\x" + std::string(62, 'a')));
}

} // namespace
