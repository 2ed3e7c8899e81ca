// Why: what a person (or a CI log reader) sees during a run; the scheduler only reports events.
#include "forge/run/run_status.hpp"

#include "forge/util/progress.hpp"

#include <fmt/format.h>

#include <deque>
#include <fstream>

namespace forge {
namespace {

std::string tail_lines(const std::filesystem::path &path, std::size_t count) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return {};
  }
  std::deque<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    lines.push_back(line);
    if (lines.size() > count) {
      lines.pop_front();
    }
  }
  std::string text;
  for (const auto &l : lines) {
    text += l + "\n";
  }
  return text;
}

std::string seconds(double s) {
  return s < 60 ? fmt::format("{:.1f}s", s) : human_duration(s);
}

} // namespace

std::string github_escape_data(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
    case '%':
      out += "%25";
      break;
    case '\r':
      out += "%0D";
      break;
    case '\n':
      out += "%0A";
      break;
    default:
      out.push_back(c);
    }
  }
  return out;
}

std::string github_escape_property(std::string_view text) {
  std::string out;
  for (char c : github_escape_data(text)) {
    if (c == ':') {
      out += "%3A";
    } else if (c == ',') {
      out += "%2C";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string status_headline(std::size_t done, std::size_t total, std::size_t built, std::size_t failed,
                            double elapsed_s) {
  std::string line = fmt::format("{}/{} done ({} built, {} failed)", done, total, built, failed);
  if (done > 0 && elapsed_s > 0) {
    const double per_min = static_cast<double>(done) * 60.0 / elapsed_s;
    line += fmt::format(" · {:.1f} jobs/min", per_min);
    if (total > done) {
      line += " · ETA " +
              human_duration(elapsed_s / static_cast<double>(done) * static_cast<double>(total - done));
    }
  }
  return line;
}

ConsoleObserver::ConsoleObserver(StatusOptions options, double start_s)
    : opt_(std::move(options)), start_s_(start_s) {}

ConsoleObserver::~ConsoleObserver() {
  clear_block();
}

void ConsoleObserver::clear_block() {
  if (block_lines_ > 0) {
    fmt::print(stderr, "\x1b[{}F\x1b[J", block_lines_);
    std::fflush(stderr);
    block_lines_ = 0;
  }
}

void ConsoleObserver::draw_block(double now) {
  if (!opt_.live || opt_.quiet) {
    return;
  }
  clear_block();
  std::string text =
      "forge run: " + status_headline(done_, opt_.total, built_, failed_, now - start_s_) + "\n";
  std::size_t lines = 1;
  for (const auto &[id, started] : running_) {
    text += fmt::format("  {:<60} {}\n", id, human_duration(now - started));
    ++lines;
  }
  fmt::print(stderr, "{}", text);
  std::fflush(stderr);
  block_lines_ = lines;
  last_draw_ = now;
}

void ConsoleObserver::print_line(const std::string &line) {
  if (opt_.quiet) {
    return;
  }
  clear_block();
  std::FILE *stream = opt_.live ? stderr : opt_.stream;
  fmt::print(stream, "{}\n", line);
  std::fflush(stream);
}

void ConsoleObserver::started(const JobSpec &spec, double now) {
  running_[spec.job.id()] = now;
  if (opt_.live && now - last_draw_ > 0.2) {
    draw_block(now);
  }
}

void ConsoleObserver::github_failure(const JournalEntry &e) {
  const auto dir = opt_.out / e.host / e.crate / e.version;
  std::filesystem::path log = dir / "build.log";
  std::error_code ec;
  if (!std::filesystem::exists(log, ec)) {
    log = opt_.logs / e.host / (e.crate + "@" + e.version + ".log");
  }
  std::string body = tail_lines(log, opt_.log_tail_lines);
  std::FILE *s = opt_.stream;
  fmt::print(s, "::group::{} {} {}: {} (last lines of {})\n", e.crate, e.version, e.host, e.reason_name(),
             log.string());
  fmt::print(s, "{}", body);
  if (!body.empty() && body.back() != '\n') {
    fmt::print(s, "\n");
  }
  fmt::print(s, "::endgroup::\n");
  fmt::print(s, "::error title={}::{}\n",
             github_escape_property(fmt::format("{} {} ({})", e.crate, e.version, e.host)),
             github_escape_data(fmt::format("{} {} for {}: {}: {}", e.crate, e.version, e.target,
                                            e.reason_name(), e.details)));
  std::fflush(s);
}

void ConsoleObserver::finished(const JobSpec &spec, const JournalEntry &e, std::optional<double> retry_in_s) {
  running_.erase(spec.job.id());
  const bool c = opt_.color;
  const std::string label = fmt::format("{} {} {}", e.crate, e.version, e.host);
  if (retry_in_s) {
    print_line(fmt::format("[{}/{}] {} {}: {} after {}: {}; attempt {} in {}", done_, opt_.total,
                           c ? "\x1b[33m↻\x1b[0m" : "↻", label, e.reason_name(), seconds(e.duration_s),
                           e.details, spec.attempt + 1, seconds(*retry_in_s)));
    return;
  }
  ++done_;
  if (e.built()) {
    ++built_;
    print_line(fmt::format("[{}/{}] {} {} {} ({})", done_, opt_.total, c ? "\x1b[32m✓\x1b[0m" : "✓", label,
                           seconds(e.duration_s), fmt::join(e.executables, ", ")));
  } else {
    ++failed_;
    print_line(fmt::format("[{}/{}] {} {}: {} after {}: {}", done_, opt_.total, c ? "\x1b[31m✗\x1b[0m" : "✗",
                           label, e.reason_name(), seconds(e.duration_s), e.details));
    if (opt_.github && !opt_.quiet) {
      clear_block();
      github_failure(e);
    }
  }
}

void ConsoleObserver::interrupted(const JobSpec &spec) {
  running_.erase(spec.job.id());
  print_line(fmt::format("[{}/{}] - {} {} {}: interrupted, will be redone by the next run", done_, opt_.total,
                         spec.job.crate, spec.job.version, spec.job.target.host));
}

void ConsoleObserver::stopping(const std::string &why) {
  clear_block();
  if (!opt_.quiet) {
    fmt::print(stderr, "forge run: {}\n", why);
    std::fflush(stderr);
  }
}

void ConsoleObserver::tick(double now) {
  if (opt_.live && now - last_draw_ >= 1.0) {
    draw_block(now);
  }
}

} // namespace forge
