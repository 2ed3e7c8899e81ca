#include "forge/util/term.hpp"

#include "forge/util/error.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace forge {
namespace {
Ui g_ui;
}

ColorMode parse_color_mode(const std::string &text) {
  if (text == "auto") {
    return ColorMode::auto_;
  }
  if (text == "always") {
    return ColorMode::always;
  }
  if (text == "never") {
    return ColorMode::never;
  }
  fail(ExitCode::usage, "--color must be auto, always or never, not '{}'", text);
}

bool is_terminal(int fd) {
  return ::isatty(fd) == 1;
}

Ui make_ui(Verbosity verbosity, ColorMode mode) {
  Ui out;
  out.verbosity = verbosity;
  out.stderr_tty = is_terminal(STDERR_FILENO);
  const char *no_color = std::getenv("NO_COLOR");
  const char *term = std::getenv("TERM");
  const bool env_allows =
      (no_color == nullptr || *no_color == '\0') && (term == nullptr || std::strcmp(term, "dumb") != 0);
  switch (mode) {
  case ColorMode::always:
    out.color_out = out.color_err = true;
    break;
  case ColorMode::never:
    break;
  case ColorMode::auto_:
    out.color_out = env_allows && is_terminal(STDOUT_FILENO);
    out.color_err = env_allows && out.stderr_tty;
    break;
  }
  return out;
}

void init_logging(const Ui &ui) {
  auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>(ui.color_err ? spdlog::color_mode::always
                                                                                 : spdlog::color_mode::never);
  auto logger = std::make_shared<spdlog::logger>("forge", sink);
  if (ui.verbose()) {
    logger->set_pattern("forge: %H:%M:%S.%e [%P] %^%l%$: %v");
    logger->set_level(spdlog::level::debug);
  } else {
    logger->set_pattern("forge: %^%l%$: %v");
    logger->set_level(ui.quiet() ? spdlog::level::err : spdlog::level::info);
  }
  spdlog::set_default_logger(logger);
}

const Ui &ui() {
  return g_ui;
}
void set_ui(const Ui &ui) {
  g_ui = ui;
}

} // namespace forge
