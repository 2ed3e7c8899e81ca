// Why: the dump's tables are PostgreSQL `COPY ... CSV HEADER` output, gigabytes of it; this is the hot path
// of `forge ingest`. A push parser fed straight from the tar stream: no table is ever held in memory.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace forge::dump {

// One CSV field. `null` is PostgreSQL's NULL: an empty UNQUOTED field. A quoted empty field ("") is an
// empty string, not null.
struct Field {
  std::string_view text;
  bool null = false;
};

// One record. The views stay valid only during the callback that receives it.
struct Record {
  const Field *fields = nullptr;
  size_t count = 0;
  uint64_t line = 0; // 1-based line number where the record starts (the header is line 1)

  [[nodiscard]] size_t size() const { return count; }
  const Field &operator[](size_t i) const { return fields[i]; }
};

// Streaming parser for PostgreSQL's CSV dialect: `,` delimiter, `"` quote, `""` for an embedded quote,
// backslash not special, LF ends a record (CR before LF is tolerated), quoted fields may span lines.
// The first record is the header; every later record must have as many fields as the header.
class CsvReader {
public:
  using RecordFn = std::function<void(const Record &)>;

  // `name` names the file in error messages, e.g. "2026-11-20-020046/data/crates.csv".
  // `on_header` receives the header record, `on_record` every data record.
  CsvReader(std::string name, RecordFn on_header, RecordFn on_record);
  ~CsvReader();
  CsvReader(const CsvReader &) = delete;
  CsvReader &operator=(const CsvReader &) = delete;

  // Feeds the next chunk of the file (chunks may split records and fields anywhere).
  // Throws forge::Error(ExitCode::data) "<name>:<line>: …" for a malformed record.
  void feed(std::string_view chunk);
  // Ends the input: flushes a last record without a trailing newline; an open quote is an error.
  void finish();
  // Asks the parser to stop: later feed() calls return at once (the caller has what it needs).
  void stop() { stopped_ = true; }
  [[nodiscard]] bool stopped() const { return stopped_; }

  [[nodiscard]] uint64_t records() const { return records_; } // data records delivered so far

private:
  struct Impl;
  Impl *impl_;
  bool stopped_ = false;
  uint64_t records_ = 0;
};

} // namespace forge::dump
