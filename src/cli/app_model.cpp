#include "cli/app_model.hpp"

#include "cli/option_types.hpp"

#include <fmt/format.h>

namespace forge::cli {

const std::vector<ExitCodeDoc> &exit_code_docs() {
  static const std::vector<ExitCodeDoc> docs = {
      {0, "success"},
      {1, "internal error (a bug or an unexpected system failure)"},
      {2, "usage: bad command line or configuration"},
      {3, "archive: the dump is not gzip, or its gzip/tar stream is corrupt or truncated"},
      {4, "data: a malformed table (bad CSV row, missing table or column), queue or state file"},
      {5, "network: unreachable host, HTTP error, download failed after retries"},
      {6, "i/o: a local file cannot be read or written"},
      {7, "checksum: a download does not match its SHA-256"},
      {8, "build failed: a target failed (see its result.json); forge run --strict: a planned job failed"},
      {9, "forge doctor: no requested target can build on this machine"},
      {10, "registry refused: authentication, permission, or a rejected or mismatching upload"},
      {130, "interrupted"},
  };
  return docs;
}

const CLI::App *root_of(const CLI::App *app) {
  while (app->get_parent() != nullptr) {
    app = app->get_parent();
  }
  return app;
}

std::vector<const CLI::App *> visible_commands(const CLI::App *app) {
  return app->get_subcommands([](const CLI::App *sub) { return !sub->get_group().empty(); });
}

std::vector<const CLI::Option *> visible_options(const CLI::App *app) {
  return app->get_options(
      [](const CLI::Option *opt) { return opt->nonpositional() && !opt->get_group().empty(); });
}

std::vector<const CLI::Option *> positionals(const CLI::App *app) {
  return app->get_options([](const CLI::Option *opt) { return opt->get_positional(); });
}

std::vector<const CLI::Option *> global_options(const CLI::App *root) {
  std::vector<const CLI::Option *> out;
  for (const CLI::Option *opt : visible_options(root)) {
    if (opt != root->get_version_ptr()) {
      out.push_back(opt);
    }
  }
  return out;
}

std::vector<std::string> option_names(const CLI::Option *opt) {
  std::vector<std::string> names;
  for (const auto &s : opt->get_snames()) {
    names.push_back("-" + s);
  }
  for (const auto &l : opt->get_lnames()) {
    names.push_back("--" + l);
  }
  return names;
}

std::string option_synopsis(const CLI::Option *opt) {
  std::string out = fmt::format("{}", fmt::join(option_names(opt), ", "));
  const OptionInfo info = option_info(opt);
  if (!info.placeholder.empty()) {
    out += " " + info.placeholder;
  }
  return out;
}

std::string positional_synopsis(const CLI::Option *opt) {
  std::string text = option_info(opt).placeholder;
  if (text.empty()) {
    text = opt->get_name(true, false);
  }
  if (opt->get_expected_max() > 1) {
    text += "...";
  }
  return opt->get_required() ? text : "[" + text + "]";
}

std::string usage_line(const CLI::App *app, const std::string &path) {
  std::string out = path;
  if (!visible_options(app).empty()) {
    out += " [OPTIONS]";
  }
  if (!visible_commands(app).empty()) {
    out += " COMMAND";
  }
  for (const CLI::Option *p : positionals(app)) {
    out += " " + positional_synopsis(p);
  }
  return out;
}

std::string option_description(const CLI::Option *opt) {
  std::string out = opt->get_description();
  const OptionInfo info = option_info(opt);
  std::vector<std::string> notes;
  if (!info.choices.empty()) {
    notes.push_back(fmt::format("{}", fmt::join(info.choices, " | ")));
  }
  const bool is_config =
      opt->get_lnames() == std::vector<std::string>{"config"}; // its default is the file found
  if (!opt->get_default_str().empty() && takes_value(opt) && !is_config) {
    notes.push_back("default: " + opt->get_default_str());
  }
  if (!notes.empty()) {
    out += fmt::format(" ({})", fmt::join(notes, "; "));
  }
  return out;
}

} // namespace forge::cli
