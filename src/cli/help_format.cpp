#include "cli/help_format.hpp"

#include "cli/app_model.hpp"
#include "cli/option_types.hpp"

#include <fmt/format.h>

#include <sstream>

namespace forge::cli {
namespace {

constexpr std::size_t kWidth = 100;
constexpr std::size_t kColumn = 28;        // where descriptions of options start
constexpr std::size_t kCommandColumn = 16; // where descriptions of commands start

// "  --name PLACEHOLDER      description", the description wrapped under itself.
std::string entry(const std::string &name, const std::string &description, std::size_t column = kColumn) {
  std::string out = "  " + name;
  if (out.size() + 2 > column) {
    out += "\n" + std::string(column, ' ');
  } else {
    out += std::string(column - out.size(), ' ');
  }
  return out + wrap_text(description, kWidth - column, column) + "\n";
}

std::string options_section(const std::string &title, const std::vector<const CLI::Option *> &opts) {
  if (opts.empty()) {
    return {};
  }
  std::string out = "\n" + title + ":\n";
  for (const CLI::Option *opt : opts) {
    out += entry(option_synopsis(opt), option_description(opt));
  }
  return out;
}

} // namespace

std::string wrap_text(const std::string &text, std::size_t width, std::size_t indent) {
  std::istringstream words(text);
  std::string word, out, line;
  while (words >> word) {
    if (!line.empty() && line.size() + 1 + word.size() > width) {
      out += line + "\n" + std::string(indent, ' ');
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
  }
  return out + line;
}

std::string HelpFormatter::make_help(const CLI::App *app, std::string name,
                                     CLI::AppFormatMode /*mode*/) const {
  const CLI::App *root = root_of(app);
  const bool is_root = app == root;
  std::string out = wrap_text(app->get_description(), kWidth, 0) + "\n\n";
  out += "Usage: " + usage_line(app, name) + "\n";

  const auto commands = visible_commands(app);
  if (!commands.empty()) {
    out += "\nCommands:\n";
    for (const CLI::App *sub : commands) {
      out += entry(sub->get_name(), sub->get_description(), kCommandColumn);
    }
  }
  const auto args = positionals(app);
  if (!args.empty()) {
    out += "\nArguments:\n";
    for (const CLI::Option *p : args) {
      out += entry(option_info(p).placeholder, p->get_description());
    }
  }
  std::vector<const CLI::Option *> own;
  for (const CLI::Option *opt : visible_options(app)) {
    if (is_root || opt != app->get_help_ptr()) {
      own.push_back(opt);
    }
  }
  out += options_section("Options", own);
  if (!is_root) {
    out += options_section("Global options", global_options(root));
  }
  if (is_root) {
    out += "\nExit codes:\n";
    for (const auto &e : exit_code_docs()) {
      out += fmt::format("  {:<5}{}\n", e.code, e.meaning);
    }
  }
  const std::string footer = app->get_footer();
  if (!footer.empty()) {
    out += "\n" + wrap_text(footer, kWidth, 0) + "\n";
  }
  return out;
}

} // namespace forge::cli
