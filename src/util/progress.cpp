// Why: one progress renderer for every long operation: a redrawn bar on a terminal, sparse lines in logs.
#include "forge/util/progress.hpp"

#include "forge/util/term.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

namespace forge {
namespace {

constexpr auto kTtyInterval = std::chrono::milliseconds(100);
constexpr auto kLogInterval = std::chrono::seconds(5);
constexpr int kBarWidth = 24;
constexpr std::size_t kLabelWidth = 28;

std::string fit_label(const std::string &label) {
  if (label.size() <= kLabelWidth) {
    return label;
  }
  return "..." + label.substr(label.size() - (kLabelWidth - 3));
}

} // namespace

std::string human_bytes(double bytes) {
  if (!(bytes > 0)) {
    return "0 B";
  }
  static constexpr const char *kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  std::size_t unit = 0;
  while (bytes >= 1024.0 && unit + 1 < std::size(kUnits)) {
    bytes /= 1024.0;
    ++unit;
  }
  if (unit == 0) {
    return fmt::format("{} B", static_cast<long long>(bytes));
  }
  return fmt::format("{:.1f} {}", bytes, kUnits[unit]);
}

std::string human_duration(double seconds) {
  if (!(seconds > 0) || !std::isfinite(seconds)) {
    return "0s";
  }
  const auto total = static_cast<long long>(std::llround(seconds));
  if (total < 60) {
    return fmt::format("{}s", total);
  }
  if (total < 3600) {
    return fmt::format("{}m{:02}s", total / 60, total % 60);
  }
  return fmt::format("{}h{:02}m", total / 3600, (total % 3600) / 60);
}

Progress::Progress(std::string label, uint64_t total)
    : label_(std::move(label)), total_(total), start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

Progress::~Progress() {
  finish();
}

void Progress::set_total(uint64_t total) {
  total_ = total;
}

void Progress::update(uint64_t done) {
  if (finished_) {
    return;
  }
  if (!have_base_) {
    base_ = done;
    have_base_ = true;
  }
  done_ = done;
  const Ui &settings = ui();
  if (settings.quiet()) {
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  const auto interval = settings.stderr_tty ? std::chrono::steady_clock::duration(kTtyInterval)
                                            : std::chrono::steady_clock::duration(kLogInterval);
  if (drawn_ || !settings.stderr_tty) {
    if (now - last_draw_ < interval) {
      return;
    }
  }
  last_draw_ = now;
  draw(false);
}

void Progress::finish() {
  if (finished_) {
    return;
  }
  finished_ = true;
  if (ui().quiet()) {
    return;
  }
  draw(true);
}

void Progress::draw(bool final) {
  const Ui &settings = ui();
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double moved = done_ >= base_ ? static_cast<double>(done_ - base_) : 0.0;
  const double rate = elapsed > 0.05 ? moved / elapsed : 0.0;
  const bool known = total_ > 0;
  const double fraction =
      known ? std::min(1.0, static_cast<double>(done_) / static_cast<double>(total_)) : 0.0;
  const int percent = static_cast<int>(fraction * 100.0);
  std::string eta;
  if (known && rate > 0 && done_ < total_) {
    eta = "ETA " + human_duration(static_cast<double>(total_ - done_) / rate);
  }

  if (settings.stderr_tty) {
    std::string line = fmt::format("\r{:<{}} ", fit_label(label_), kLabelWidth);
    if (known) {
      const int filled = static_cast<int>(fraction * kBarWidth);
      line += "[" + std::string(static_cast<std::size_t>(filled), '#') +
              std::string(static_cast<std::size_t>(kBarWidth - filled), '-') + "]";
      line += fmt::format(" {:>3}% {:>10}/{:<10}", percent, human_bytes(static_cast<double>(done_)),
                          human_bytes(static_cast<double>(total_)));
    } else {
      line += fmt::format("{:>10}", human_bytes(static_cast<double>(done_)));
    }
    line += fmt::format(" {:>12}", human_bytes(rate) + "/s");
    if (final) {
      line += fmt::format(" in {:<8}", human_duration(elapsed));
    } else {
      line += fmt::format(" {:<12}", eta);
    }
    if (final) {
      line += "\n";
    }
    std::fputs(line.c_str(), stderr);
    std::fflush(stderr);
    drawn_ = true;
    return;
  }

  std::string line = fmt::format("forge: {}: ", label_);
  if (final) {
    if (!known || done_ >= total_) {
      line += fmt::format("{} in {} ({}/s)", human_bytes(static_cast<double>(done_)), human_duration(elapsed),
                          human_bytes(rate));
    } else {
      line += fmt::format("stopped at {}% {}/{}", percent, human_bytes(static_cast<double>(done_)),
                          human_bytes(static_cast<double>(total_)));
    }
  } else if (known) {
    line += fmt::format("{}% {}/{} {}/s", percent, human_bytes(static_cast<double>(done_)),
                        human_bytes(static_cast<double>(total_)), human_bytes(rate));
    if (!eta.empty()) {
      line += " " + eta;
    }
  } else {
    line += fmt::format("{} {}/s", human_bytes(static_cast<double>(done_)), human_bytes(rate));
  }
  line += "\n";
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
  drawn_ = true;
}

} // namespace forge
