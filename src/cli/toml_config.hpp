// Why: forge.toml sets any option of any subcommand ([ingest] since = "2025-01-01"); CLI11 applies the
// items it returns only to options not given on the command line, so the command line always wins.
#pragma once
#include <CLI/CLI.hpp>

#include <filesystem>
#include <string>

namespace forge::cli {

class TomlConfig final : public CLI::Config {
public:
  std::string to_config(const CLI::App *app, bool default_also, bool write_description,
                        std::string prefix) const override;
  std::vector<CLI::ConfigItem> from_config(std::istream &input) const override;
};

// The config file to read: --config (must exist), else $FORGE_CONFIG (must exist), else ./forge.toml,
// else $XDG_CONFIG_HOME/forge/forge.toml (or ~/.config/forge/forge.toml); empty when none exists.
std::filesystem::path find_config_file(int argc, char **argv, bool &explicit_file);

} // namespace forge::cli
