#include "cli/parse_errors.hpp"

#include "cli/app_model.hpp"
#include "cli/option_types.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace forge::cli {
namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::vector<std::string> command_names(const CLI::App &app) {
  std::vector<std::string> names;
  for (const CLI::App *sub : visible_commands(&app)) {
    names.push_back(sub->get_name());
  }
  return names;
}

// Hidden commands (forge man) count: they run, they are only not listed.
bool is_command(const CLI::App &app, const std::string &name) {
  const auto all = app.get_subcommands([&name](const CLI::App *sub) { return sub->get_name() == name; });
  return !all.empty();
}

std::vector<std::string> long_option_names(const CLI::App &app) {
  std::vector<std::string> names;
  const auto add = [&names](const CLI::App *a) {
    for (const CLI::Option *opt : visible_options(a)) {
      for (const auto &n : opt->get_lnames()) {
        names.push_back("--" + n);
      }
    }
  };
  add(&app);
  if (app.get_parent() != nullptr) {
    add(root_of(&app));
  }
  return names;
}

std::string unknown_option(const CLI::App &app, const std::string &arg) {
  const std::string name = arg.substr(0, arg.find('='));
  const std::string guess = did_you_mean(name, long_option_names(app));
  return fmt::format("unknown option '{}'{}", name,
                     guess.empty() ? "" : fmt::format("; did you mean '{}'?", guess));
}

// The option named `name` as CLI11 names options in its messages ("--jobs", "crate"), in `app` or above.
const CLI::Option *find_option(const CLI::App &app, const std::string &name) {
  for (const CLI::App *a = &app; a != nullptr; a = a->get_parent()) {
    for (const CLI::Option *opt : a->get_options()) {
      if (opt->get_name() == name || opt->get_name(true, false) == name) {
        return opt;
      }
    }
  }
  return nullptr;
}

std::string placeholder_of(const CLI::Option *opt) {
  const std::string p = option_info(opt).placeholder;
  return p.empty() ? opt->get_name() : p;
}

// "--jobs: must be ..." -> "--jobs must be ..."; a positional's message stands alone.
std::string validation_message(const CLI::App &app, const std::string &what) {
  const auto colon = what.find(": ");
  if (colon == std::string::npos) {
    return what;
  }
  const std::string name = what.substr(0, colon);
  const std::string message = what.substr(colon + 2);
  const CLI::Option *opt = find_option(app, name);
  if (opt != nullptr && opt->get_positional()) {
    return message;
  }
  if (message.rfind(name, 0) == 0) {
    return message; // it names the option itself
  }
  return message.rfind("must ", 0) == 0 ? name + " " + message : name + ": " + message;
}

} // namespace

std::string did_you_mean(std::string_view word, const std::vector<std::string> &candidates) {
  std::string best;
  std::size_t best_distance = 3; // at most two edits: a typo, not another word
  for (const auto &c : candidates) {
    const std::size_t d = edit_distance(word, c);
    if (d < best_distance && d < word.size()) {
      best = c;
      best_distance = d;
    }
  }
  return best;
}

Prescan prescan_arguments(const CLI::App &app, std::vector<std::string> args) {
  Prescan out;
  bool wants_help_or_version = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string &arg = args[i];
    if (arg == "--") {
      break;
    }
    if (arg.size() > 1 && arg[0] == '-') {
      const std::string name = arg.substr(0, arg.find('='));
      const CLI::Option *opt = app.get_option_no_throw(name);
      if (opt == nullptr && arg[1] != '-' && arg.size() > 2) {
        // Short flags together (-vq): each must be a flag of the top level.
        bool all_flags = true;
        for (std::size_t c = 1; c < arg.size(); ++c) {
          const CLI::Option *flag = app.get_option_no_throw(std::string("-") + arg[c]);
          all_flags = all_flags && flag != nullptr && !takes_value(flag);
        }
        if (all_flags) {
          continue;
        }
      }
      if (opt == nullptr) {
        out.problem = UsageProblem{unknown_option(app, arg)};
        return out;
      }
      if (opt == app.get_help_ptr() || opt == app.get_version_ptr()) {
        wants_help_or_version = true;
      }
      if (takes_value(opt) && arg.find('=') == std::string::npos) {
        ++i; // its value
      }
      continue;
    }
    if (arg == "help") {
      // `forge help [COMMAND]` is `forge [COMMAND] --help`.
      std::vector<std::string> rewritten(args.begin(), args.begin() + static_cast<std::ptrdiff_t>(i));
      if (i + 1 < args.size() && args[i + 1] != "help") {
        const std::string &topic = args[i + 1];
        if (!is_command(app, topic) || topic.rfind('-', 0) == 0) {
          const std::string guess = did_you_mean(topic, command_names(app));
          out.problem =
              UsageProblem{fmt::format("no help for '{}': it is not a forge command{}", topic,
                                       guess.empty() ? "" : fmt::format("; did you mean '{}'?", guess))};
          return out;
        }
        rewritten.push_back(topic);
      }
      rewritten.emplace_back("--help");
      out.args = rewritten;
      return out;
    }
    if (!is_command(app, arg)) {
      const std::string guess = did_you_mean(arg, command_names(app));
      out.problem = UsageProblem{fmt::format(
          "unknown command '{}'{}", arg,
          guess.empty() ? fmt::format("; the commands are {}", fmt::join(command_names(app), ", "))
                        : fmt::format("; did you mean '{}'?", guess))};
      return out;
    }
    out.args = std::move(args);
    return out;
  }
  if (!wants_help_or_version) {
    out.problem = UsageProblem{
        fmt::format("no command given; the commands are {}", fmt::join(command_names(app), ", "))};
    return out;
  }
  out.args = std::move(args);
  return out;
}

UsageProblem describe_parse_error(const CLI::App &app, const CLI::ParseError &error) {
  const CLI::App *where = &app;
  const auto parsed = app.get_subcommands();
  if (!parsed.empty()) {
    where = parsed.front();
  }
  UsageProblem p;
  p.help_path = where == &app ? "forge" : "forge " + where->get_name();
  const std::string what = error.what();

  if (dynamic_cast<const CLI::ExtrasError *>(&error) != nullptr) {
    // With fallthrough, what a command does not know may have landed in the top level's leftovers.
    std::vector<std::string> extras = where->remaining(false);
    if (where != &app) {
      for (const auto &e : app.remaining(false)) {
        extras.push_back(e);
      }
    }
    for (const auto &arg : extras) {
      if (arg.size() > 1 && arg[0] == '-') {
        p.message = unknown_option(*where, arg);
        return p;
      }
    }
    p.message = extras.empty() ? what : fmt::format("unexpected argument '{}'", extras.front());
    return p;
  }
  if (dynamic_cast<const CLI::ValidationError *>(&error) != nullptr) {
    p.message = validation_message(*where, what);
    return p;
  }
  if (dynamic_cast<const CLI::RequiredError *>(&error) != nullptr ||
      dynamic_cast<const CLI::ArgumentMismatch *>(&error) != nullptr) {
    // "crate is required", "shards: 1 required TEXT missing", "--target: 1 required TEXT missing",
    // "Expected at least 1 argument to --out, got 0": the option's name comes first or last.
    std::string name = what.substr(0, what.find_first_of(": "));
    if (what.rfind("Expected ", 0) == 0) {
      const auto to = what.find(" to ");
      const auto comma = what.find(',', to);
      name = to == std::string::npos ? "" : what.substr(to + 4, comma - to - 4);
    }
    if (const CLI::Option *opt = find_option(*where, name); opt != nullptr) {
      p.message = opt->get_positional() ? fmt::format("missing {}", positional_synopsis(opt))
                                        : fmt::format("{} needs a value ({})", name, placeholder_of(opt));
      return p;
    }
    p.message = what;
    return p;
  }
  if (dynamic_cast<const CLI::ExcludesError *>(&error) != nullptr) {
    // "--shards excludes --max-jobs"
    const auto ex = what.find(" excludes ");
    p.message = ex == std::string::npos ? what
                                        : fmt::format("{} and {} cannot be given together",
                                                      what.substr(0, ex), what.substr(ex + 10));
    return p;
  }
  if (dynamic_cast<const CLI::ConversionError *>(&error) != nullptr) {
    // "Could not convert: --jobs = abc"; the validators catch most values before this.
    const auto colon = what.find(": ");
    const auto eq = what.find(" = ");
    if (colon != std::string::npos && eq != std::string::npos && eq > colon) {
      const std::string name = what.substr(colon + 2, eq - colon - 2);
      p.message = fmt::format("{}: '{}' is not a valid value", name, what.substr(eq + 3));
      return p;
    }
  }
  p.message = what;
  return p;
}

} // namespace forge::cli
