// Why: the CSV push parser is the hot path of `forge ingest`; it hands out views straight into the fed chunk
// and only copies a record when it straddles two chunks or needs `""` unescaping.
#include "forge/dump/csv.hpp"

#include "forge/util/error.hpp"

#include <cstring>
#include <string>
#include <vector>

#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define FORGE_CSV_AVX2 1
#endif

namespace forge::dump {

namespace {

// Bytes that end an unquoted field (or are illegal inside one).
struct StopTable {
  bool stop[256] = {};
  constexpr StopTable() {
    stop[static_cast<unsigned char>(',')] = true;
    stop[static_cast<unsigned char>('\n')] = true;
    stop[static_cast<unsigned char>('\r')] = true;
    stop[static_cast<unsigned char>('"')] = true;
  }
};
constexpr StopTable stop_table;

inline unsigned count_bits(unsigned m) {
  unsigned n = 0;
  while (m != 0) {
    m &= m - 1;
    ++n;
  }
  return n;
}

// Finds the next `"` in [p, end) and adds the LFs skipped on the way to `lines`. Returns end if none.
inline const char *scan_quoted_sse2(const char *p, const char *end, uint64_t &lines) {
#ifdef __SSE2__
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i lf = _mm_set1_epi8('\n');
  while (end - p >= 32) {
    const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p));
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p + 16));
    const unsigned qm = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(a, quote))) |
                        (static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(b, quote))) << 16);
    const unsigned nm = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(a, lf))) |
                        (static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(b, lf))) << 16);
    if (qm != 0) {
      const unsigned i = static_cast<unsigned>(__builtin_ctz(qm));
      lines += count_bits(nm & ((1u << i) - 1u));
      return p + i;
    }
    lines += count_bits(nm);
    p += 32;
  }
#endif
  for (; p < end; ++p) {
    if (*p == '"')
      return p;
    if (*p == '\n')
      ++lines;
  }
  return end;
}

#ifdef FORGE_CSV_AVX2
// The same scan 64 bytes at a time, for CPUs with AVX2 (chosen at run time: the build targets baseline
// x86-64).
__attribute__((target("avx2,popcnt,bmi"))) const char *scan_quoted_avx2(const char *p, const char *end,
                                                                        uint64_t &lines) {
  const __m256i quote = _mm256_set1_epi8('"');
  const __m256i lf = _mm256_set1_epi8('\n');
  uint64_t n = 0;
  while (end - p >= 64) {
    const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(p));
    const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(p + 32));
    const uint64_t qm =
        static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(a, quote))) |
        (uint64_t{static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(b, quote)))} << 32);
    const uint64_t nm =
        static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(a, lf))) |
        (uint64_t{static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(b, lf)))} << 32);
    if (qm != 0) {
      const unsigned i = static_cast<unsigned>(__builtin_ctzll(qm));
      lines += n + static_cast<uint64_t>(__builtin_popcountll(nm & ((uint64_t{1} << i) - 1)));
      return p + i;
    }
    n += static_cast<uint64_t>(__builtin_popcountll(nm));
    p += 64;
  }
  lines += n;
  return scan_quoted_sse2(p, end, lines);
}

const bool have_avx2 = [] {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt") && __builtin_cpu_supports("bmi");
}();
#endif

inline const char *scan_quoted(const char *p, const char *end, uint64_t &lines) {
#ifdef FORGE_CSV_AVX2
  if (have_avx2 && end - p >= 64)
    return scan_quoted_avx2(p, end, lines);
#endif
  return scan_quoted_sse2(p, end, lines);
}

// Finds the next byte of `,` LF CR `"` in [p, end). Returns end if none.
inline const char *scan_unquoted(const char *p, const char *end) {
#ifdef __SSE2__
  const __m128i comma = _mm_set1_epi8(',');
  const __m128i lf = _mm_set1_epi8('\n');
  const __m128i cr = _mm_set1_epi8('\r');
  const __m128i quote = _mm_set1_epi8('"');
  while (end - p >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p));
    const __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, comma), _mm_cmpeq_epi8(v, lf)),
                                     _mm_or_si128(_mm_cmpeq_epi8(v, cr), _mm_cmpeq_epi8(v, quote)));
    const unsigned m = static_cast<unsigned>(_mm_movemask_epi8(hit));
    if (m != 0)
      return p + __builtin_ctz(m);
    p += 16;
  }
#endif
  while (p < end && !stop_table.stop[static_cast<unsigned char>(*p)])
    ++p;
  return p;
}

} // namespace

struct CsvReader::Impl {
  Impl(std::string n, RecordFn h, RecordFn r)
      : name(std::move(n)), on_header(std::move(h)), on_record(std::move(r)) {}

  std::string name;
  RecordFn on_header;
  RecordFn on_record;
  bool have_header = false;
  size_t expected = 0;
  uint64_t line = 1; // physical line where the next record starts

  std::vector<Field> fields; // grows, never shrinks; the first `field_count` are the current record's
  size_t field_count = 0;

  void push_field(std::string_view text, bool null) {
    if (field_count == fields.size())
      fields.resize(fields.empty() ? 32 : fields.size() * 2);
    fields[field_count++] = Field{text, null};
  }
  struct ScratchRef {
    size_t index, offset, length;
  };
  std::vector<ScratchRef> scratch_refs;
  std::string scratch; // unescaped text of fields that contained `""`

  // The raw bytes of a record that did not fit in one chunk, and whether its quotes are unbalanced so far.
  std::string carry;
  bool carrying = false;
  bool carry_in_quotes = false;
  bool stopped_in_quotes = false; // parse_record ran out of input inside a quoted field

  [[noreturn]] void error(uint64_t at, const char *what) const {
    throw Error(ExitCode::data, fmt::format("{}:{}: {}", name, at, what));
  }

  // Parses one record starting at `p`. Returns the byte after its terminator, or nullptr when the record
  // is not complete in [p, end) and more input may follow (`eof` false). `lines` receives the number of
  // LFs consumed. Fills `fields`. When it returns nullptr, `stopped_in_quotes` tells whether the quotes seen
  // so far are unbalanced.
  const char *parse_record(const char *p, const char *end, bool eof, uint64_t &lines);

  // Delivers the parsed record in `fields`, starting at `start_line`.
  void deliver(CsvReader &owner, uint64_t start_line);
};

const char *CsvReader::Impl::parse_record(const char *p, const char *end, bool eof, uint64_t &lines) {
  field_count = 0;
  scratch_refs.clear();
  scratch.clear();
  stopped_in_quotes = false;
  uint64_t nl = 0;
  for (;;) {
    if (p < end && *p == '"') {
      // Quoted field.
      const uint64_t field_line = line + nl;
      const char *seg = p + 1;
      const char *q = seg;
      bool escaped = false;
      size_t scratch_offset = 0;
      const char *after;
      for (;;) {
        const char *r = scan_quoted(q, end, nl);
        if (r == end) {
          if (eof)
            error(field_line, "unterminated quoted field");
          stopped_in_quotes = true;
          return nullptr;
        }
        if (r + 1 == end) {
          if (!eof)
            return nullptr; // `"` or `""`? the next chunk decides
        } else if (r[1] == '"') {
          if (!escaped) {
            escaped = true;
            scratch_offset = scratch.size();
          }
          scratch.append(seg, static_cast<size_t>(r + 1 - seg));
          seg = q = r + 2;
          continue;
        }
        // Closing quote.
        if (escaped) {
          scratch.append(seg, static_cast<size_t>(r - seg));
          scratch_refs.push_back({field_count, scratch_offset, scratch.size() - scratch_offset});
          push_field(std::string_view(), false);
        } else {
          push_field(std::string_view(seg, static_cast<size_t>(r - seg)), false);
        }
        after = r + 1;
        break;
      }
      p = after;
      if (p == end) {
        if (!eof)
          return nullptr;
        break;
      }
      const char c = *p;
      if (c == ',') {
        ++p;
        continue;
      }
      if (c == '\n') {
        ++p;
        ++nl;
        break;
      }
      if (c == '\r') {
        if (p + 1 == end) {
          if (!eof)
            return nullptr;
          ++p;
          break;
        }
        if (p[1] == '\n') {
          p += 2;
          ++nl;
          break;
        }
      }
      error(line + nl, "unexpected character after closing quote");
    }
    // Unquoted field (possibly empty: NULL).
    const char *r = scan_unquoted(p, end);
    if (r == end) {
      if (!eof)
        return nullptr;
      push_field(std::string_view(p, static_cast<size_t>(r - p)), r == p);
      p = r;
      break;
    }
    push_field(std::string_view(p, static_cast<size_t>(r - p)), r == p);
    const char c = *r;
    if (c == ',') {
      p = r + 1;
      continue;
    }
    if (c == '\n') {
      p = r + 1;
      ++nl;
      break;
    }
    if (c == '\r') {
      if (r + 1 == end) {
        if (!eof)
          return nullptr;
        p = r + 1;
        break;
      }
      if (r[1] == '\n') {
        p = r + 2;
        ++nl;
        break;
      }
      error(line + nl, "unexpected carriage return in unquoted field");
    }
    error(line + nl, "unexpected quote in unquoted field");
  }
  for (const ScratchRef &ref : scratch_refs)
    fields[ref.index].text = std::string_view(scratch.data() + ref.offset, ref.length);
  lines = nl;
  return p;
}

void CsvReader::Impl::deliver(CsvReader &owner, uint64_t start_line) {
  Record record;
  record.fields = fields.data();
  record.count = field_count;
  record.line = start_line;
  if (!have_header) {
    have_header = true;
    expected = field_count;
    if (on_header)
      on_header(record);
    return;
  }
  if (field_count != expected)
    throw Error(ExitCode::data,
                fmt::format("{}:{}: expected {} fields, found {}", name, start_line, expected, field_count));
  ++owner.records_;
  if (on_record)
    on_record(record);
}

CsvReader::CsvReader(std::string name, RecordFn on_header, RecordFn on_record)
    : impl_(new Impl(std::move(name), std::move(on_header), std::move(on_record))) {}

CsvReader::~CsvReader() {
  delete impl_;
}

void CsvReader::feed(std::string_view chunk) {
  if (stopped_ || chunk.empty())
    return;
  Impl &im = *impl_;
  const char *p = chunk.data();
  const char *const end = p + chunk.size();

  if (im.carrying) {
    // Find the LF that ends the carried record: the first one outside quotes. Quote parity is exact for
    // well-formed input, and a malformed record is diagnosed by parse_record before that LF anyway.
    const char *q = p;
    bool in_quotes = im.carry_in_quotes;
    const char *stop = nullptr;
    while (q < end) {
      if (in_quotes) {
        const void *r = std::memchr(q, '"', static_cast<size_t>(end - q));
        if (r == nullptr)
          break;
        q = static_cast<const char *>(r) + 1;
        in_quotes = false;
      } else {
        const char *r = scan_unquoted(q, end);
        while (r < end && *r != '"' && *r != '\n')
          r = scan_unquoted(r + 1, end);
        if (r == end)
          break;
        if (*r == '\n') {
          stop = r + 1;
          break;
        }
        q = r + 1;
        in_quotes = true;
      }
    }
    if (stop == nullptr) {
      im.carry.append(p, chunk.size());
      im.carry_in_quotes = in_quotes;
      return;
    }
    im.carry.append(p, static_cast<size_t>(stop - p));
    uint64_t lines = 0;
    const char *cb = im.carry.data();
    const char *ce = cb + im.carry.size();
    const char *done = im.parse_record(cb, ce, false, lines);
    if (done != ce)
      throw Error(ExitCode::internal, fmt::format("{}:{}: CSV record end mismatch", im.name, im.line));
    const uint64_t start = im.line;
    im.line += lines;
    im.carrying = false;
    im.deliver(*this, start);
    im.carry.clear();
    p = stop;
    if (stopped_)
      return;
  }

  while (p < end) {
    uint64_t lines = 0;
    const char *next = im.parse_record(p, end, false, lines);
    if (next == nullptr) {
      im.carry.assign(p, static_cast<size_t>(end - p));
      im.carrying = true;
      im.carry_in_quotes = im.stopped_in_quotes;
      return;
    }
    const uint64_t start = im.line;
    im.line += lines;
    im.deliver(*this, start);
    p = next;
    if (stopped_)
      return;
  }
}

void CsvReader::finish() {
  if (stopped_)
    return;
  Impl &im = *impl_;
  if (!im.carrying)
    return;
  uint64_t lines = 0;
  const char *cb = im.carry.data();
  const char *ce = cb + im.carry.size();
  const char *done = im.parse_record(cb, ce, true, lines);
  const uint64_t start = im.line;
  im.line += lines;
  if (done != ce)
    throw Error(ExitCode::internal, fmt::format("{}:{}: CSV record end mismatch", im.name, start));
  im.carrying = false;
  im.deliver(*this, start);
  im.carry.clear();
}

} // namespace forge::dump
