// Why: a mistyped command or option deserves the answer cargo gives ("unknown command 'buld'; did you mean
// 'build'?"), in forge's words, with a pointer to the help of the command at hand; CLI11's messages ("A
// subcommand is required", "1 required TEXT missing") name its internals instead.
#pragma once
#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace forge::cli {

// A command line forge refuses: the `forge: error:` message and the command whose help to point at
// ("forge build"; "forge" for the top level).
struct UsageProblem {
  std::string message;
  std::string help_path = "forge";
};

// The candidate closest to `word` when it is close enough to be a typo of it, else "".
std::string did_you_mean(std::string_view word, const std::vector<std::string> &candidates);

// `args` (argv without argv[0]) as CLI11 should parse them: `help [COMMAND]` becomes `[COMMAND] --help`.
// Returns a problem instead for a command or top-level option forge does not have, or no command at all.
struct Prescan {
  std::vector<std::string> args;
  std::optional<UsageProblem> problem;
};
Prescan prescan_arguments(const CLI::App &app, std::vector<std::string> args);

// A CLI11 parse error of `app` (the top level, after parse() threw) in forge's words.
UsageProblem describe_parse_error(const CLI::App &app, const CLI::ParseError &error);

} // namespace forge::cli
