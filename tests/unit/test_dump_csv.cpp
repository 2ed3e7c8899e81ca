// Why: the CSV reader must decode PostgreSQL's dialect identically however the tar stream splits the bytes.
#include "forge/dump/csv.hpp"

#include "forge/util/error.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

namespace {

using forge::dump::CsvReader;
using forge::dump::Record;

// A record copied out of the callback; a null field is nullopt.
struct Row {
  uint64_t line = 0;
  std::vector<std::optional<std::string>> fields;
  bool operator==(const Row &) const = default;
};

Row copy_row(const Record &r) {
  Row row;
  row.line = r.line;
  for (size_t i = 0; i < r.size(); ++i) {
    if (r[i].null) {
      EXPECT_TRUE(r[i].text.empty());
      row.fields.emplace_back(std::nullopt);
    } else {
      row.fields.emplace_back(std::string(r[i].text));
    }
  }
  return row;
}

struct Outcome {
  std::vector<Row> headers;
  std::vector<Row> rows;
  std::string error; // empty when parsing succeeded
  std::optional<forge::ExitCode> code;
  uint64_t records = 0;
  bool operator==(const Outcome &) const = default;
};

// Feeds `input` split at the given cut positions (ascending), then finish().
Outcome parse_split(std::string_view input, const std::vector<size_t> &cuts,
                    const std::string &name = "t.csv") {
  Outcome out;
  CsvReader reader(
      name, [&](const Record &r) { out.headers.push_back(copy_row(r)); },
      [&](const Record &r) { out.rows.push_back(copy_row(r)); });
  try {
    size_t prev = 0;
    for (const size_t cut : cuts) {
      // Copy each chunk into its own buffer so a view that outlives its chunk is caught by ASan/garbage.
      std::string chunk(input.substr(prev, cut - prev));
      reader.feed(chunk);
      chunk.assign(chunk.size(), '#');
      prev = cut;
    }
    std::string last(input.substr(prev));
    reader.feed(last);
    last.assign(last.size(), '#');
    reader.finish();
  } catch (const forge::Error &e) {
    out.error = e.what();
    out.code = e.code();
  }
  out.records = reader.records();
  return out;
}

Outcome parse(std::string_view input) {
  return parse_split(input, {});
}

Outcome parse_bytewise(std::string_view input) {
  std::vector<size_t> cuts;
  for (size_t i = 1; i < input.size(); ++i)
    cuts.push_back(i);
  return parse_split(input, cuts);
}

// Every single split position, every pair of split positions (for short inputs), and byte by byte must
// give exactly the one-shot result (rows, lines, and error message).
void expect_split_invariant(std::string_view input) {
  const Outcome whole = parse(input);
  for (size_t i = 0; i <= input.size(); ++i)
    ASSERT_EQ(parse_split(input, {i}), whole) << "split at " << i << " of: " << input;
  if (input.size() <= 60) {
    for (size_t i = 0; i <= input.size(); ++i)
      for (size_t j = i; j <= input.size(); ++j)
        ASSERT_EQ(parse_split(input, {i, j}), whole) << "split at " << i << "," << j << " of: " << input;
  }
  ASSERT_EQ(parse_bytewise(input), whole) << "byte-wise: " << input;
}

std::optional<std::string> s(const char *text) {
  return std::string(text);
}
constexpr std::nullopt_t null = std::nullopt;

TEST(DumpCsv, SimpleRecords) {
  const Outcome o = parse("a,b,c\n1,2,3\nx,y,z\n");
  EXPECT_EQ(o.error, "");
  ASSERT_EQ(o.headers.size(), 1u);
  EXPECT_EQ(o.headers[0], (Row{1, {s("a"), s("b"), s("c")}}));
  ASSERT_EQ(o.rows.size(), 2u);
  EXPECT_EQ(o.rows[0], (Row{2, {s("1"), s("2"), s("3")}}));
  EXPECT_EQ(o.rows[1], (Row{3, {s("x"), s("y"), s("z")}}));
  EXPECT_EQ(o.records, 2u);
}

TEST(DumpCsv, NullVersusEmptyString) {
  const Outcome o = parse("a,b,c\n,\"\",x\n\"\",,\n");
  EXPECT_EQ(o.error, "");
  ASSERT_EQ(o.rows.size(), 2u);
  EXPECT_EQ(o.rows[0].fields, (std::vector<std::optional<std::string>>{null, s(""), s("x")}));
  EXPECT_EQ(o.rows[1].fields, (std::vector<std::optional<std::string>>{s(""), null, null}));
}

TEST(DumpCsv, QuotedFieldsSpanLinesAndCountLines) {
  const std::string input = "id,readme,n\n"
                            "1,\"line one\nline two\n\nline four\",x\n"
                            "2,\"a,b\",y\n"
                            "3,\"\r\n\",z\n";
  const Outcome o = parse(input);
  EXPECT_EQ(o.error, "");
  ASSERT_EQ(o.rows.size(), 3u);
  EXPECT_EQ(o.rows[0], (Row{2, {s("1"), s("line one\nline two\n\nline four"), s("x")}}));
  EXPECT_EQ(o.rows[1], (Row{6, {s("2"), s("a,b"), s("y")}}));
  EXPECT_EQ(o.rows[2], (Row{7, {s("3"), s("\r\n"), s("z")}}));
  expect_split_invariant(input);
}

TEST(DumpCsv, DoubledQuotes) {
  const std::string input = "a,b\n\"say \"\"hi\"\"\",\"\"\"\"\n\"\"\"x\",\"y\"\"\"\n";
  const Outcome o = parse(input);
  EXPECT_EQ(o.error, "");
  ASSERT_EQ(o.rows.size(), 2u);
  EXPECT_EQ(o.rows[0].fields, (std::vector<std::optional<std::string>>{s("say \"hi\""), s("\"")}));
  EXPECT_EQ(o.rows[1].fields, (std::vector<std::optional<std::string>>{s("\"x"), s("y\"")}));
  expect_split_invariant(input);
}

TEST(DumpCsv, BackslashIsNotSpecial) {
  const Outcome o = parse("a,b\n\\x0a1b,\"c:\\\\d\\\"\"\"\n");
  EXPECT_EQ(o.error, "");
  ASSERT_EQ(o.rows.size(), 1u);
  EXPECT_EQ(o.rows[0].fields, (std::vector<std::optional<std::string>>{s("\\x0a1b"), s("c:\\\\d\\\"")}));
}

TEST(DumpCsv, CrLfLineEndings) {
  const std::string input = "a,b\r\n1,\"x\"\r\n\"multi\r\nline\",2\r\n3,4";
  const Outcome o = parse(input);
  EXPECT_EQ(o.error, "");
  EXPECT_EQ(o.headers[0], (Row{1, {s("a"), s("b")}}));
  ASSERT_EQ(o.rows.size(), 3u);
  EXPECT_EQ(o.rows[0], (Row{2, {s("1"), s("x")}}));
  EXPECT_EQ(o.rows[1], (Row{3, {s("multi\r\nline"), s("2")}}));
  EXPECT_EQ(o.rows[2], (Row{5, {s("3"), s("4")}}));
  expect_split_invariant(input);
}

TEST(DumpCsv, NoTrailingNewline) {
  for (const char *input : {"a,b\n1,2", "a,b\n1,\"2\"", "a,b\n1,", "a,b\n1,\"\"", "a,b\n1,2\r"}) {
    const Outcome o = parse(input);
    EXPECT_EQ(o.error, "") << input;
    ASSERT_EQ(o.rows.size(), 1u) << input;
    EXPECT_EQ(o.rows[0].line, 2u);
    expect_split_invariant(input);
  }
  EXPECT_EQ(parse("a,b\n1,").rows[0].fields[1], null);
  EXPECT_EQ(parse("a,b\n1,\"\"").rows[0].fields[1], s(""));
}

TEST(DumpCsv, HeaderOnlyAndEmptyInput) {
  Outcome o = parse("");
  EXPECT_EQ(o.error, "");
  EXPECT_TRUE(o.headers.empty());
  EXPECT_TRUE(o.rows.empty());
  o = parse("a,b\n");
  EXPECT_EQ(o.error, "");
  ASSERT_EQ(o.headers.size(), 1u);
  EXPECT_TRUE(o.rows.empty());
  o = parse("a,b");
  EXPECT_EQ(o.error, "");
  ASSERT_EQ(o.headers.size(), 1u);
}

TEST(DumpCsv, HeaderCallbackFieldsAndNullCallbacks) {
  std::vector<std::string> names;
  size_t rows = 0;
  CsvReader reader(
      "x.csv",
      [&](const Record &r) {
        EXPECT_EQ(r.line, 1u);
        for (size_t i = 0; i < r.size(); ++i)
          names.emplace_back(r[i].text);
      },
      [&](const Record &r) {
        EXPECT_EQ(r.size(), 3u);
        ++rows;
      });
  reader.feed("created_at,id,name\n2017-01-17 19:13:05.112025+00,1,serde\n");
  reader.finish();
  EXPECT_EQ(names, (std::vector<std::string>{"created_at", "id", "name"}));
  EXPECT_EQ(rows, 1u);
  EXPECT_EQ(reader.records(), 1u);

  CsvReader quiet("q.csv", nullptr, nullptr);
  quiet.feed("a\n1\n2\n");
  quiet.finish();
  EXPECT_EQ(quiet.records(), 2u);
}

TEST(DumpCsv, WrongFieldCount) {
  const std::string input = "a,b,c\n1,2,3\n\"x\ny\",2,3\n1,2\n";
  const Outcome o = parse_split(input, {}, "data/crates.csv");
  EXPECT_EQ(o.error, "data/crates.csv:5: expected 3 fields, found 2");
  EXPECT_EQ(o.code, forge::ExitCode::data);
  EXPECT_EQ(o.rows.size(), 2u);
  expect_split_invariant(input);

  EXPECT_EQ(parse("a,b\n1,2,3\n").error, "t.csv:2: expected 2 fields, found 3");
  EXPECT_EQ(parse("a,b\n1,2\n\n").error, "t.csv:3: expected 2 fields, found 1");
  EXPECT_EQ(parse("a,b\n1,2\n3").error, "t.csv:3: expected 2 fields, found 1");
}

TEST(DumpCsv, EmptyLineIsOneNullFieldForSingleColumn) {
  const Outcome o = parse("a\n1\n\n\"\"\n");
  EXPECT_EQ(o.error, "");
  ASSERT_EQ(o.rows.size(), 3u);
  EXPECT_EQ(o.rows[1], (Row{3, {null}}));
  EXPECT_EQ(o.rows[2], (Row{4, {s("")}}));
}

TEST(DumpCsv, UnterminatedQuote) {
  const std::string input = "a,b\n1,2\n3,4\n5,\"abc\n\ndef";
  const Outcome o = parse_split(input, {}, "data/crates.csv");
  EXPECT_EQ(o.error, "data/crates.csv:4: unterminated quoted field");
  EXPECT_EQ(o.code, forge::ExitCode::data);
  EXPECT_EQ(o.rows.size(), 2u);
  expect_split_invariant(input);
  // The line is where the field starts, not where the record starts.
  EXPECT_EQ(parse("a,b\n\"x\ny\",\"open\n").error, "t.csv:3: unterminated quoted field");
  EXPECT_EQ(parse("a\n\"").error, "t.csv:2: unterminated quoted field");
  EXPECT_EQ(parse("a\n\"x\"\"").error, "t.csv:2: unterminated quoted field");
}

TEST(DumpCsv, CharacterAfterClosingQuote) {
  for (const char *input :
       {"a,b\n\"x\"y,2\n", "a,b\n1,\"x\"\"\"y\n", "a,b\n1,\"x\"\r2\n", "a,b\n\"x\" ,2\n"}) {
    const Outcome o = parse(input);
    EXPECT_EQ(o.error, "t.csv:2: unexpected character after closing quote") << input;
    EXPECT_EQ(o.code, forge::ExitCode::data);
    expect_split_invariant(input);
  }
  const std::string multi = "a,b\n1,\"x\ny\"z\n";
  EXPECT_EQ(parse(multi).error, "t.csv:3: unexpected character after closing quote");
  expect_split_invariant(multi);
}

TEST(DumpCsv, StrayQuoteAndCarriageReturn) {
  for (const char *input : {"a,b\nx\"y,2\n", "a,b\nx\"y,2\n3,\"4\n"}) {
    EXPECT_EQ(parse(input).error, "t.csv:2: unexpected quote in unquoted field") << input;
    expect_split_invariant(input);
  }
  const std::string cr = "a,b\nx\ry,2\n";
  EXPECT_EQ(parse(cr).error, "t.csv:2: unexpected carriage return in unquoted field");
  expect_split_invariant(cr);
}

TEST(DumpCsv, StopMakesFeedANoOp) {
  std::vector<std::string> seen;
  CsvReader *self = nullptr;
  CsvReader reader("s.csv", nullptr, [&](const Record &r) {
    seen.emplace_back(r[0].text);
    if (r[0].text == "2")
      self->stop();
  });
  self = &reader;
  EXPECT_FALSE(reader.stopped());
  reader.feed("n\n1\n2\n3\n4");
  EXPECT_TRUE(reader.stopped());
  reader.feed("\n5\nthis,would,be,an,error\n\"");
  reader.finish();
  EXPECT_EQ(seen, (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(reader.records(), 2u);
}

TEST(DumpCsv, StopBeforeFeeding) {
  size_t calls = 0;
  CsvReader reader(
      "s.csv", [&](const Record &) { ++calls; }, [&](const Record &) { ++calls; });
  reader.stop();
  reader.feed("a\n1\n");
  reader.finish();
  EXPECT_EQ(calls, 0u);
}

TEST(DumpCsv, FieldsPointIntoChunkWhenPossible) {
  const std::string chunk = "a,b\nplain,\"quoted\"\n";
  const char *lo = chunk.data();
  const char *hi = chunk.data() + chunk.size();
  size_t checked = 0;
  CsvReader reader("v.csv", nullptr, [&](const Record &r) {
    for (size_t i = 0; i < r.size(); ++i) {
      EXPECT_GE(r[i].text.data(), lo);
      EXPECT_LE(r[i].text.data() + r[i].text.size(), hi);
      ++checked;
    }
  });
  reader.feed(chunk);
  reader.finish();
  EXPECT_EQ(checked, 2u);
}

// A crates.csv-shaped table: every dialect feature at once, split everywhere.
TEST(DumpCsv, SplitAnywhereMatchesOneShot) {
  const std::string input =
      "created_at,description,id,name,readme,keywords\r\n"
      "2017-01-17 19:13:05.112025+00,\"A \"\"quoted\"\" crate, really\",1,serde,\"# Serde\n\n```\nfn main() "
      "{}\n```\",\"{fd,\"\"null\"\"}\"\n"
      "2018-02-01 00:00:00,,2,x,\"\",{}\r\n"
      ",\"\",3,\"y\",\"\r\n\",\n"
      "2019-01-01 01:01:01.5,d,4,z,,\"{\"\"a\\\\\"\"b\"\"}\"";
  const Outcome o = parse(input);
  EXPECT_EQ(o.error, "");
  ASSERT_EQ(o.rows.size(), 4u);
  EXPECT_EQ(o.rows[0].line, 2u);
  EXPECT_EQ(o.rows[0].fields[1], s("A \"quoted\" crate, really"));
  EXPECT_EQ(o.rows[0].fields[4], s("# Serde\n\n```\nfn main() {}\n```"));
  EXPECT_EQ(o.rows[0].fields[5], s("{fd,\"null\"}"));
  EXPECT_EQ(o.rows[1].line, 7u);
  EXPECT_EQ(o.rows[1].fields[1], null);
  EXPECT_EQ(o.rows[2].line, 8u);
  EXPECT_EQ(o.rows[2].fields[0], null);
  EXPECT_EQ(o.rows[2].fields[4], s("\r\n"));
  EXPECT_EQ(o.rows[2].fields[5], null);
  EXPECT_EQ(o.rows[3].line, 10u);
  EXPECT_EQ(o.rows[3].fields[5], s("{\"a\\\\\"b\"}"));
  expect_split_invariant(input);
}

TEST(DumpCsv, LongFieldsAcrossManyChunks) {
  // Fields longer than the SIMD blocks and than the chunks, with quotes and newlines at varied offsets.
  std::string input = "a,b,c\n";
  std::string expected_b;
  for (int i = 0; i < 300; ++i) {
    expected_b += (i % 7 == 0) ? "\"" : (i % 5 == 0 ? "\n" : "x");
  }
  std::string quoted_b;
  for (const char c : expected_b) {
    quoted_b += c;
    if (c == '"')
      quoted_b += '"';
  }
  const std::string long_a(100, 'a');
  for (int r = 0; r < 5; ++r)
    input += long_a + ",\"" + quoted_b + "\"," + std::to_string(r) + "\n";
  const Outcome whole = parse(input);
  ASSERT_EQ(whole.error, "");
  ASSERT_EQ(whole.rows.size(), 5u);
  EXPECT_EQ(whole.rows[0].fields[1], expected_b);
  const uint64_t per_record =
      1 + static_cast<uint64_t>(std::count(expected_b.begin(), expected_b.end(), '\n'));
  for (size_t r = 0; r < 5; ++r)
    EXPECT_EQ(whole.rows[r].line, 2 + r * per_record);
  for (size_t step : {1u, 2u, 3u, 7u, 16u, 31u, 64u, 100u, 333u}) {
    std::vector<size_t> cuts;
    for (size_t i = step; i < input.size(); i += step)
      cuts.push_back(i);
    EXPECT_EQ(parse_split(input, cuts), whole) << "step " << step;
  }
  for (size_t i = 0; i <= input.size(); ++i)
    ASSERT_EQ(parse_split(input, {i}), whole) << "split at " << i;
}

TEST(DumpCsv, QuotesAndNewlinesAtEveryOffsetOfVectorBlocks) {
  // The quoted-field scan works on 16/32/64-byte blocks: put the `""` and the LFs at every offset.
  for (size_t k = 0; k < 200; ++k) {
    std::string value;
    for (size_t i = 0; i < k; ++i)
      value += (i % 13 == 12 || i + 1 == k) ? '\n' : static_cast<char>('a' + i % 26);
    value += '"';
    value += std::string(k % 70, 'z');
    std::string raw;
    for (const char c : value) {
      raw += c;
      if (c == '"')
        raw += '"';
    }
    const std::string input = "a,b\n\"" + raw + "\",1\n\"" + value.substr(0, k) + "\",2\n";
    const Outcome o = parse(input);
    ASSERT_EQ(o.error, "") << k;
    ASSERT_EQ(o.rows.size(), 2u) << k;
    EXPECT_EQ(o.rows[0].fields[0], value) << k;
    EXPECT_EQ(o.rows[1].fields[0], value.substr(0, k)) << k;
    const auto lfs = static_cast<uint64_t>(std::count(value.begin(), value.end(), '\n'));
    EXPECT_EQ(o.rows[1].line, 3 + lfs) << k;
    const std::vector<size_t> cuts = {k / 2 + 3, k + 5, input.size() - 3};
    EXPECT_EQ(parse_split(input, cuts), o) << k;
  }
}

TEST(DumpCsv, ErrorsCarryNameAndDataExitCode) {
  try {
    CsvReader reader("2026-11-20-020046/data/versions.csv", nullptr, nullptr);
    reader.feed("a,b\n1\n");
    FAIL() << "no error";
  } catch (const forge::Error &e) {
    EXPECT_EQ(std::string(e.what()), "2026-11-20-020046/data/versions.csv:2: expected 2 fields, found 1");
    EXPECT_EQ(e.code(), forge::ExitCode::data);
  }
}

} // namespace
