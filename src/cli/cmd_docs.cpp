// Why: `forge help`, `forge completions` and the hidden `forge man` describe forge itself; they read the app
// definition, so they always match the binary that prints them.
#include "cli/commands.hpp"
#include "cli/docs.hpp"
#include "cli/option_types.hpp"

#include <fmt/format.h>

#include <memory>

namespace forge::cli {

void add_help_command(CLI::App &app) {
  // Listed for the help, the man page and the completions; prescan_arguments turns `forge help [COMMAND]`
  // into `forge [COMMAND] --help` before CLI11 sees it.
  auto *cmd = app.add_subcommand("help", "Print the help of forge or of a command");
  cmd->add_option("command", "The command whose help to print")->type_name("COMMAND");
}

void add_completions(CLI::App &app, Action &action) {
  auto shell = std::make_shared<std::string>();
  auto *cmd = app.add_subcommand("completions",
                                 "Print the completion script for a shell (e.g. forge completions bash > "
                                 "/etc/bash_completion.d/forge; cmake --install puts all three in place)");
  cmd->add_option("shell", *shell, "The shell")
      ->required()
      ->type_name("SHELL")
      ->check(one_of({"bash", "zsh", "fish"}));
  const CLI::App *root = &app;
  cmd->callback([&action, shell, root] {
    action = [shell, root] {
      fmt::print("{}", render_completions(*root, *shell));
      return 0;
    };
  });
}

void add_man(CLI::App &app, Action &action) {
  auto *cmd = app.add_subcommand("man", "Print the man page (forge.1) in roff");
  cmd->group(""); // hidden: the build runs it to write forge.1
  const CLI::App *root = &app;
  cmd->callback([&action, root] {
    action = [root] {
      fmt::print("{}", render_man_page(*root));
      return 0;
    };
  });
}

} // namespace forge::cli
