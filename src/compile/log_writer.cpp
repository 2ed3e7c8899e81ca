// Why: a builder's log must be readable (no colour codes, timestamps), safe to share (secrets redacted) and
// bounded (head and tail kept) even when a build script prints gigabytes.
#include "forge/compile/log_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <system_error>
#include <utility>

namespace forge {
namespace {

constexpr char kEsc = '\x1b';
constexpr char kBel = '\x07';
constexpr std::size_t kMaxEscapeBacktrack = 64; // a line is not broken inside a recent ESC sequence

// The index just after the escape sequence that starts at text[esc] (text.size() when unterminated).
std::size_t skip_escape(std::string_view text, std::size_t esc) {
  const std::size_t n = text.size();
  std::size_t i = esc + 1;
  if (i >= n) {
    return n;
  }
  char kind = text[i++];
  if (kind == '[') { // CSI: parameter and intermediate bytes, then a final byte in 0x40-0x7e
    while (i < n && !(text[i] >= 0x40 && text[i] <= 0x7e)) {
      ++i;
    }
    return i < n ? i + 1 : n;
  }
  if (kind == ']' || kind == 'P' || kind == 'X' || kind == '^' || kind == '_') {
    // OSC, DCS, SOS, PM, APC: a string ended by BEL or ST (ESC \)
    for (; i < n; ++i) {
      if (text[i] == kBel) {
        return i + 1;
      }
      if (text[i] == kEsc && i + 1 < n && text[i + 1] == '\\') {
        return i + 2;
      }
    }
    return n;
  }
  if (kind >= 0x20 && kind <= 0x2f) { // intermediate bytes then one final byte, e.g. ESC ( B
    while (i < n && text[i] >= 0x20 && text[i] <= 0x2f) {
      ++i;
    }
    return i < n ? i + 1 : n;
  }
  return i; // a two-byte sequence: ESC 7, ESC M, ...
}

} // namespace

bool is_secret_name(std::string_view name) {
  std::string upper(name);
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  static constexpr std::array<std::string_view, 7> kParts = {"TOKEN",      "SECRET",  "PASSWORD", "PASSWD",
                                                             "CREDENTIAL", "API_KEY", "AUTH"};
  static constexpr std::array<std::string_view, 3> kPrefixes = {"AWS_", "GH_", "GITHUB_TOKEN"};
  for (auto part : kParts) {
    if (upper.find(part) != std::string::npos) {
      return true;
    }
  }
  return std::any_of(kPrefixes.begin(), kPrefixes.end(),
                     [&](std::string_view prefix) { return upper.starts_with(prefix); });
}

std::vector<std::string> secret_values(const std::vector<std::string> &env) {
  std::vector<std::string> values;
  for (const auto &entry : env) {
    auto eq = entry.find('=');
    if (eq == std::string::npos || entry.size() - eq - 1 < 4) {
      continue;
    }
    if (is_secret_name(std::string_view(entry).substr(0, eq))) {
      values.push_back(entry.substr(eq + 1));
    }
  }
  std::sort(values.begin(), values.end(), [](const std::string &a, const std::string &b) {
    return a.size() != b.size() ? a.size() > b.size() : a < b;
  });
  values.erase(std::unique(values.begin(), values.end()), values.end());
  return values;
}

std::string strip_ansi(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] == kEsc) {
      i = skip_escape(text, i);
    } else {
      out.push_back(text[i++]);
    }
  }
  return out;
}

std::string format_elapsed(std::chrono::milliseconds elapsed) {
  auto ms = static_cast<uint64_t>(std::max<int64_t>(elapsed.count(), 0));
  std::array<char, 48> buf{};
  std::snprintf(buf.data(), buf.size(), "[%02" PRIu64 ":%02" PRIu64 ".%03" PRIu64 "] ", ms / 60000,
                (ms / 1000) % 60, ms % 1000);
  return buf.data();
}

void LogWriter::TailRing::append(std::string_view bytes) {
  if (cap_ == 0) {
    return;
  }
  if (bytes.size() >= cap_) {
    buf_.assign(bytes.substr(bytes.size() - cap_));
    oldest_ = 0;
    return;
  }
  if (buf_.size() < cap_) { // still filling: plain appends
    std::size_t room = cap_ - buf_.size();
    std::size_t take = std::min(room, bytes.size());
    buf_.append(bytes.substr(0, take));
    bytes.remove_prefix(take);
  }
  while (!bytes.empty()) { // full: overwrite the oldest bytes
    std::size_t take = std::min(bytes.size(), cap_ - oldest_);
    std::memcpy(buf_.data() + oldest_, bytes.data(), take);
    oldest_ = (oldest_ + take) % cap_;
    bytes.remove_prefix(take);
  }
}

std::string LogWriter::TailRing::contents() const {
  if (oldest_ == 0) {
    return buf_;
  }
  std::string out = buf_.substr(oldest_);
  out.append(buf_, 0, oldest_);
  return out;
}

LogWriter::LogWriter(std::vector<std::string> secrets, uint64_t cap_bytes, std::size_t max_line_bytes)
    : secrets_(std::move(secrets)), head_cap_(static_cast<std::size_t>(cap_bytes / 2)),
      max_line_(max_line_bytes), tail_(static_cast<std::size_t>(cap_bytes - cap_bytes / 2)) {
  std::erase_if(secrets_, [](const std::string &s) { return s.empty(); });
  // Longest first, so that a value containing another is replaced whole.
  std::sort(secrets_.begin(), secrets_.end(), [](const std::string &a, const std::string &b) {
    return a.size() != b.size() ? a.size() > b.size() : a < b;
  });
  secrets_.erase(std::unique(secrets_.begin(), secrets_.end()), secrets_.end());
  std::size_t longest = 0;
  for (const auto &s : secrets_) {
    longest = std::max(longest, s.size());
  }
  // A broken line keeps enough unprocessed bytes to see every secret or escape sequence that crosses the cut.
  max_line_ = std::max(max_line_, 2 * (longest + kMaxEscapeBacktrack) + 16);
}

void LogWriter::feed(std::string_view bytes, std::chrono::milliseconds elapsed) {
  raw_bytes_ += bytes.size();
  while (!bytes.empty()) {
    if (pending_.empty()) {
      pending_started_ = elapsed;
    }
    auto nl = bytes.find('\n');
    if (nl != std::string_view::npos && pending_.empty() && nl <= max_line_) { // the common case, no copy
      emit_line(bytes.substr(0, nl), elapsed);
      bytes.remove_prefix(nl + 1);
      continue;
    }
    std::size_t piece = nl == std::string_view::npos ? bytes.size() : nl;
    std::size_t room = max_line_ + 1 - pending_.size(); // pending_ never exceeds max_line_ here
    std::size_t take = std::min(piece, room);
    pending_.append(bytes.substr(0, take));
    bytes.remove_prefix(take);
    if (pending_.size() > max_line_) { // too long: emit a safe prefix as a line of its own
      std::size_t cut = safe_cut(pending_.size() - (max_line_ / 2));
      emit_line(std::string_view(pending_).substr(0, cut), pending_started_);
      pending_.erase(0, cut);
      pending_started_ = elapsed;
      continue;
    }
    if (take == piece && nl != std::string_view::npos) {
      bytes.remove_prefix(1); // the '\n'
      emit_line(pending_, pending_started_);
      pending_.clear();
    }
  }
}

void LogWriter::note(std::string_view line, std::chrono::milliseconds elapsed) {
  finish();
  emit_line(line, elapsed);
}

void LogWriter::finish() {
  if (!pending_.empty()) {
    emit_line(pending_, pending_started_);
    pending_.clear();
  }
}

// A cut point at or before `want` that splits neither a secret's occurrence nor a recent escape sequence.
std::size_t LogWriter::safe_cut(std::size_t want) const {
  std::size_t cut = want;
  for (bool moved = true; moved && cut > 0;) {
    moved = false;
    for (const auto &s : secrets_) {
      std::size_t from = cut >= s.size() ? cut - s.size() + 1 : 0;
      auto pos = pending_.find(s, from);
      if (pos != std::string::npos && pos < cut && pos > 0) {
        cut = pos;
        moved = true;
      }
    }
    auto esc = pending_.rfind(kEsc, cut - 1);
    if (esc != std::string::npos && esc > 0 && cut - esc <= kMaxEscapeBacktrack &&
        skip_escape(pending_, esc) > cut) {
      cut = esc;
      moved = true;
    }
  }
  return cut == 0 ? want : cut;
}

std::string LogWriter::redact(std::string text) const {
  for (const auto &s : secrets_) {
    auto pos = text.find(s);
    if (pos == std::string::npos) {
      continue;
    }
    std::string out;
    out.reserve(text.size());
    std::size_t done = 0;
    for (; pos != std::string::npos; pos = text.find(s, done)) {
      out.append(text, done, pos - done);
      out += "***";
      done = pos + s.size();
    }
    out.append(text, done, std::string::npos);
    text = std::move(out);
  }
  return text;
}

void LogWriter::emit_line(std::string_view raw, std::chrono::milliseconds started) {
  std::string line;
  line.reserve(raw.size());
  for (char c : raw) {
    if (c != '\r') {
      line.push_back(c);
    }
  }
  if (!secrets_.empty()) {
    line = redact(std::move(line));
  }
  if (line.find(kEsc) != std::string::npos) {
    line = strip_ansi(line);
    if (!secrets_.empty()) {
      line = redact(std::move(line)); // escape codes may have split a secret
    }
  }
  std::string out = format_elapsed(started);
  out += line;
  out += '\n';
  emit(out);
}

void LogWriter::emit(std::string_view processed) {
  processed_bytes_ += processed.size();
  if (head_.size() < head_cap_) {
    std::size_t take = std::min(head_cap_ - head_.size(), processed.size());
    head_.append(processed.substr(0, take));
    processed.remove_prefix(take);
  }
  tail_.append(processed);
}

uint64_t LogWriter::omitted_bytes() const {
  return processed_bytes_ - head_.size() - tail_.size();
}

std::size_t LogWriter::retained_bytes() const {
  return head_.capacity() + tail_.capacity() + pending_.capacity();
}

std::string LogWriter::text() const {
  std::string out = head_;
  if (uint64_t omitted = omitted_bytes(); omitted > 0) {
    if (!out.empty() && out.back() != '\n') {
      out += '\n';
    }
    out += "[forge: " + std::to_string(omitted) + " bytes of output omitted]\n";
  }
  out += tail_.contents();
  return out;
}

bool LogWriter::write_file(const std::filesystem::path &path, std::string &error) const {
  std::error_code ec;
  if (path.has_parent_path()) {
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) {
      error = "cannot create " + path.parent_path().string() + ": " + ec.message();
      return false;
    }
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644);
  if (fd < 0) {
    error = "cannot write " + path.string() + ": " + std::generic_category().message(errno);
    return false;
  }
  std::string data = text();
  std::string_view rest = data;
  while (!rest.empty()) {
    ssize_t n = ::write(fd, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      error = "cannot write " + path.string() + ": " + std::generic_category().message(n < 0 ? errno : EIO);
      ::close(fd);
      return false;
    }
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
  if (::close(fd) != 0 && errno != EINTR) {
    error = "cannot write " + path.string() + ": " + std::generic_category().message(errno);
    return false;
  }
  return true;
}

} // namespace forge
