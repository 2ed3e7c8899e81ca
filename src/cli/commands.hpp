// Why: each subcommand registers itself on the CLI11 app; the option structs they fill live here so the
// top level can run whichever one was chosen.
#pragma once
#include <CLI/CLI.hpp>

#include <functional>
#include <string>

namespace forge::cli {

// A subcommand's body, run after parsing; returns the exit code.
using Action = std::function<int()>;

// Adds `forge ingest` to `app`; sets `action` when it is the chosen subcommand.
void add_ingest(CLI::App &app, Action &action);
void add_build(CLI::App &app, Action &action);
void add_publish(CLI::App &app, Action &action);

}  // namespace forge::cli
