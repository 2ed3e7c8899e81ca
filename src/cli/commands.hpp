// Why: each subcommand registers itself on the CLI11 app; the option structs they fill live here so the
// top level can run whichever one was chosen.
#pragma once
#include <CLI/CLI.hpp>

#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace forge::cli {

// A subcommand's body, run after parsing; returns the exit code.
using Action = std::function<int()>;

// Adds `forge ingest` to `app`; sets `action` when it is the chosen subcommand.
void add_ingest(CLI::App &app, Action &action);
void add_build(CLI::App &app, Action &action);
void add_doctor(CLI::App &app, Action &action);
void add_run(CLI::App &app, Action &action);
void add_report(CLI::App &app, Action &action);
void add_matrix(CLI::App &app, Action &action);
void add_merge(CLI::App &app, Action &action);
void add_publish(CLI::App &app, Action &action);
void add_help_command(CLI::App &app);
void add_completions(CLI::App &app, Action &action);
void add_man(CLI::App &app, Action &action);

// The config file given with --config or $FORGE_CONFIG (empty when forge found or skipped one by itself):
// `forge run` hands it to its `forge build` children.
const std::filesystem::path &explicit_config_file();

} // namespace forge::cli
