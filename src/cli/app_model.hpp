// Why: `--help`, the man page and the shell completions are three views of one definition, the CLI11 app;
// reading it through these few functions keeps the views from disagreeing about what is shown, what is
// hidden and how an option is written.
#pragma once
#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace forge::cli {

// The exit codes forge documents: `forge --help`, the man page and docs/reference.md list these.
struct ExitCodeDoc {
  int code;
  const char *meaning;
};
const std::vector<ExitCodeDoc> &exit_code_docs();

// Subcommands a user sees (hidden ones, like `forge man`, have an empty group).
std::vector<const CLI::App *> visible_commands(const CLI::App *app);
// The named options of `app` a user sees, in definition order (positionals excluded).
std::vector<const CLI::Option *> visible_options(const CLI::App *app);
// The positional arguments of `app`.
std::vector<const CLI::Option *> positionals(const CLI::App *app);
// The options of the top level that also work after a subcommand (-v, -q, --color, --config, --help).
std::vector<const CLI::Option *> global_options(const CLI::App *root);

// "-o, --output FILE" / "--verbose".
std::string option_synopsis(const CLI::Option *opt);
// "CRATE[@VERSION]", "[BUILD_ARGS...]", "SHARD_DIR...".
std::string positional_synopsis(const CLI::Option *opt);
// "forge build [OPTIONS] CRATE[@VERSION]"; `path` is "forge build".
std::string usage_line(const CLI::App *app, const std::string &path);
// The description followed by what the option's definition adds: the choices and the default.
std::string option_description(const CLI::Option *opt);
// The long names and short names of an option, with dashes: {"-o", "--output"}.
std::vector<std::string> option_names(const CLI::Option *opt);

// The top-level app of `app`.
const CLI::App *root_of(const CLI::App *app);

} // namespace forge::cli
