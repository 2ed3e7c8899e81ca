// Why: the funnel is the first thing a maintainer reads after ingest; bars make the proportions obvious.
#include "forge/queue/ingest.hpp"

#include <fmt/format.h>

#include <array>

namespace forge {
namespace {

std::string with_commas(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) {
      out.push_back(',');
    }
    out.push_back(digits[i]);
  }
  return n < 0 ? "-" + out : out;
}

// A bar of `width` cells with eighth-block precision.
std::string bar(int64_t value, int64_t total, int width) {
  static constexpr std::array<const char *, 8> kPartial = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
  const double frac = total > 0 ? static_cast<double>(value) / static_cast<double>(total) : 0.0;
  const int eighths = static_cast<int>(frac * width * 8 + 0.5);
  std::string out;
  int cells = 0;
  for (; cells < eighths / 8; ++cells) {
    out += "█";
  }
  if (eighths % 8 != 0 && cells < width) {
    out += kPartial[static_cast<size_t>(eighths % 8)];
    ++cells;
  }
  for (; cells < width; ++cells) {
    out += " ";
  }
  return out;
}

} // namespace

std::string render_funnel(const Funnel &f, const std::string &since, bool color) {
  struct Row {
    std::string label;
    int64_t value;
    const char *colour;
  };
  const std::array<Row, 8> rows = {{
      {"Crates in the dump", f.total, "\x1b[36m"},
      {"  with binary targets", f.with_bins, "\x1b[36m"},
      {"  in command-line-utilities", f.cli_category, "\x1b[36m"},
      {"Candidates (bins or CLI)", f.candidates, "\x1b[34m"},
      {"  updated since " + since, f.recent, "\x1b[34m"},
      {"  - default version yanked", f.yanked, "\x1b[31m"},
      {"  - library-only CLI crates", f.lib_only, "\x1b[31m"},
      {"Selected to build", f.selected, "\x1b[32m"},
  }};
  const std::string reset = color ? "\x1b[0m" : "";
  std::string out;
  for (const auto &r : rows) {
    const double pct =
        f.total > 0 ? 100.0 * static_cast<double>(r.value) / static_cast<double>(f.total) : 0.0;
    out += fmt::format("{:<32} {}{}{} {:>9} {:>6.2f}%\n", r.label, color ? r.colour : "",
                       bar(r.value, f.total, 30), reset, with_commas(r.value), pct);
  }
  return out;
}

} // namespace forge
