// Why: every stage reports progress and results the same way: colour only where wanted (NO_COLOR,
// --color), live progress only on a terminal, nothing but errors under -q.
#pragma once
#include <string>

namespace forge {

enum class ColorMode { auto_, always, never };
enum class Verbosity { quiet, normal, verbose };

struct Ui {
  Verbosity verbosity = Verbosity::normal;
  bool color_out = false;  // stdout may use ANSI colour
  bool color_err = false;  // stderr may use ANSI colour
  bool stderr_tty = false; // live progress bars go to stderr only when it is a terminal

  [[nodiscard]] bool quiet() const { return verbosity == Verbosity::quiet; }
  [[nodiscard]] bool verbose() const { return verbosity == Verbosity::verbose; }
};

ColorMode parse_color_mode(const std::string &text); // throws Error(usage)
bool is_terminal(int fd);
// Applies NO_COLOR, TERM=dumb and terminal detection to `mode`.
Ui make_ui(Verbosity verbosity, ColorMode mode);

// Sets up spdlog on stderr: `forge: warning: …` by default, time and pid in verbose mode.
void init_logging(const Ui &ui);

// The process-wide UI settings, set once by the CLI.
const Ui &ui();
void set_ui(const Ui &ui);

} // namespace forge
