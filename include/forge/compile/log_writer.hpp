// Why: a builder's output is untrusted and unbounded; this turns raw bytes into a readable, secret-free log
// of bounded size, separately from the process handling so it can be tested byte by byte.
#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace forge {

// Whether a variable name looks secret: containing TOKEN, SECRET, PASSWORD, PASSWD, CREDENTIAL, API_KEY, AUTH
// (any case), or starting with AWS_, GH_, GITHUB_TOKEN.
bool is_secret_name(std::string_view name);

// Values (at least 4 characters) of the "KEY=VALUE" entries whose names look secret: containing TOKEN,
// SECRET, PASSWORD, PASSWD, CREDENTIAL, API_KEY, AUTH (any case), or starting with AWS_, GH_, GITHUB_TOKEN.
// Deduplicated, longest first so that a value containing another is replaced whole.
std::vector<std::string> secret_values(const std::vector<std::string> &env);

// `text` without ANSI escape sequences: CSI (ESC [ ... final byte), OSC/DCS/APC/PM/SOS strings (ended by BEL
// or ESC \), and other ESC sequences (ESC, intermediate bytes, one final byte). Unterminated ones are
// dropped.
std::string strip_ansi(std::string_view text);

// "[mm:ss.mmm] " for an elapsed time; hours roll into the minutes ("[75:02.120] ").
std::string format_elapsed(std::chrono::milliseconds elapsed);

// Accumulates a child's output: splits it into lines (a line longer than max_line_bytes is broken),
// removes '\r', strips ANSI, redacts secrets, prefixes each line with the elapsed time at which its first
// byte arrived, and keeps only the first and last halves of `cap_bytes` of the processed text.
// Memory stays below cap_bytes + max_line_bytes whatever the amount of output.
class LogWriter {
public:
  static constexpr std::size_t kDefaultMaxLine = std::size_t{64} * 1024;

  LogWriter(std::vector<std::string> secrets, uint64_t cap_bytes,
            std::size_t max_line_bytes = kDefaultMaxLine);

  // Raw bytes from the child, received `elapsed` after the start.
  void feed(std::string_view bytes, std::chrono::milliseconds elapsed);
  // A line of forge's own (e.g. "[forge: timed out]"), processed like the child's output. Ends the
  // current partial line first.
  void note(std::string_view line, std::chrono::milliseconds elapsed);
  // Flushes an unterminated last line (a '\n' is added).
  void finish();

  // The log as it would be written: head, the omission marker line when needed, tail.
  [[nodiscard]] std::string text() const;
  // Writes text() to `path`, creating its directory; false with `error` set on failure.
  bool write_file(const std::filesystem::path &path, std::string &error) const;

  [[nodiscard]] uint64_t raw_bytes() const { return raw_bytes_; }
  [[nodiscard]] uint64_t processed_bytes() const { return processed_bytes_; }
  [[nodiscard]] uint64_t omitted_bytes() const;
  [[nodiscard]] bool truncated() const { return omitted_bytes() > 0; }
  // Bytes currently held in memory (for tests of the memory bound).
  [[nodiscard]] std::size_t retained_bytes() const;

private:
  // The last `cap` bytes appended; grows until full, then overwrites its oldest bytes.
  class TailRing {
  public:
    explicit TailRing(std::size_t cap) : cap_(cap) {}
    void append(std::string_view bytes);
    [[nodiscard]] std::string contents() const;
    [[nodiscard]] std::size_t size() const { return buf_.size(); }
    [[nodiscard]] std::size_t capacity() const { return buf_.capacity(); }

  private:
    std::size_t cap_;
    std::string buf_;
    std::size_t oldest_ = 0; // once full, where the oldest byte is
  };

  void emit_line(std::string_view raw, std::chrono::milliseconds started);
  void emit(std::string_view processed);
  [[nodiscard]] std::size_t safe_cut(std::size_t want) const;
  [[nodiscard]] std::string redact(std::string text) const;

  std::vector<std::string> secrets_;
  std::size_t head_cap_;
  std::size_t max_line_;
  std::string head_;
  TailRing tail_;
  std::string pending_; // the current, unterminated raw line
  std::chrono::milliseconds pending_started_{0};
  uint64_t raw_bytes_ = 0;
  uint64_t processed_bytes_ = 0;
};

} // namespace forge
