// Why: the man page and the shell completions are generated from the CLI11 definition itself, so that
// installing forge installs documentation and completions that match the binary.
#pragma once
#include <CLI/CLI.hpp>

#include <string>

namespace forge::cli {

// forge.1 in man(7) roff.
std::string render_man_page(const CLI::App &root);

// The completion script for "bash", "zsh" or "fish".
std::string render_completions(const CLI::App &root, const std::string &shell);

} // namespace forge::cli
