// Why: CLI11's default help lists type names and validator internals, repeats the exit-code table under
// every subcommand and hides the global options from a subcommand's help. forge's help reads like cargo's:
// real placeholders, choices and defaults in words, the global options in every subcommand's help, the
// exit codes once, at the top.
#pragma once
#include <CLI/CLI.hpp>

#include <string>

namespace forge::cli {

class HelpFormatter final : public CLI::Formatter {
public:
  std::string make_help(const CLI::App *app, std::string name, CLI::AppFormatMode mode) const override;
};

// `text` wrapped to `width` columns, every line after the first indented by `indent` spaces.
std::string wrap_text(const std::string &text, std::size_t width, std::size_t indent);

} // namespace forge::cli
