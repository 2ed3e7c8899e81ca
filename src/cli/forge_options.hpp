// Why: options several commands share (--target, --linker, the crate argument) are defined once, with one
// placeholder, one validation and one message.
#pragma once
#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace forge::cli {

// A validator that runs `check` on the text and answers with the forge::Error it throws, if any.
CLI::Validator checked_by(std::function<void(const std::string &)> check);

// CRATE[@VERSION]: a crates.io crate name and an optional exact version.
CLI::Validator crate_spec();

// --target TRIPLE, repeatable (one value each, so that it never takes the `--` of forge run); `default_text`
// says what no --target means.
CLI::Option *add_target_option(CLI::App &cmd, std::vector<std::string> &targets,
                               const std::string &default_text);

// --linker TRIPLE=PROGRAM, repeatable.
CLI::Option *add_linker_option(CLI::App &cmd, std::vector<std::string> &linkers);

// "TRIPLE=PROGRAM" strings (--linker) -> pairs; throws Error(usage) for anything else.
std::vector<std::pair<std::string, std::string>> parse_linkers(const std::vector<std::string> &specs);

} // namespace forge::cli
