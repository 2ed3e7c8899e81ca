#include "cli/toml_config.hpp"

#include <toml++/toml.h>

#include <cstdlib>
#include <set>
#include <sstream>

namespace forge::cli {
namespace {

std::string key_to_option(std::string key) {
  for (char &c : key) {
    if (c == '_') {
      c = '-'; // `keep_build_dir` and `keep-build-dir` both name --keep-build-dir
    }
  }
  return key;
}

std::string scalar_text(const toml::node &node, const std::string &where) {
  // Exact types only: toml++'s value<bool>() also converts integers, which turned `jobs = 2` into "true".
  if (const auto *s = node.as_string()) {
    return s->get();
  }
  if (const auto *b = node.as_boolean()) {
    return b->get() ? "true" : "false";
  }
  if (const auto *i = node.as_integer()) {
    return std::to_string(i->get());
  }
  if (const auto *d = node.as_floating_point()) {
    std::ostringstream ss;
    ss << d->get();
    return ss.str();
  }
  throw CLI::ConfigError("setting '" + where + "' must be a string, number, boolean or array of those");
}

void collect(const toml::table &table, std::vector<std::string> parents, std::vector<CLI::ConfigItem> &out) {
  for (const auto &[k, node] : table) {
    const std::string key(k.str());
    std::string where;
    for (const auto &p : parents) {
      where += p + ".";
    }
    where += key;
    if (const auto *sub = node.as_table()) {
      auto next = parents;
      next.push_back(key);
      collect(*sub, next, out);
      continue;
    }
    CLI::ConfigItem item;
    item.parents = parents;
    item.name = key_to_option(key);
    if (const auto *arr = node.as_array()) {
      for (const auto &e : *arr) {
        item.inputs.push_back(scalar_text(e, where));
      }
    } else {
      item.inputs.push_back(scalar_text(node, where));
    }
    out.push_back(std::move(item));
  }
}

// forge doctor judges the settings a build would use: for the keys the two share, [doctor] falls back to
// [build], so that one forge.toml describes the build once.
void inherit_build_settings(std::vector<CLI::ConfigItem> &items) {
  static const std::set<std::string> shared = {"target", "toolchain", "cargo", "cross",
                                               "linker", "out",       "bwrap"};
  const auto in = [](const CLI::ConfigItem &i, const char *section) {
    return i.parents.size() == 1 && i.parents.front() == section;
  };
  std::set<std::string> own;
  for (const auto &i : items) {
    if (in(i, "doctor")) {
      own.insert(i.name);
    }
  }
  std::vector<CLI::ConfigItem> extra;
  for (const auto &i : items) {
    if (in(i, "build") && shared.count(i.name) != 0 && own.count(i.name) == 0) {
      CLI::ConfigItem copy = i;
      copy.parents = {"doctor"};
      extra.push_back(std::move(copy));
    }
  }
  items.insert(items.end(), extra.begin(), extra.end());
}

} // namespace

std::string TomlConfig::to_config(const CLI::App *app, bool default_also, bool /*write_description*/,
                                  std::string prefix) const {
  std::ostringstream out;
  for (const CLI::Option *opt : app->get_options()) {
    if (!opt->get_configurable() || opt->get_lnames().empty()) {
      continue;
    }
    const std::string name = opt->get_lnames().front();
    if (name == "help" || name == "config" || name == "version") {
      continue;
    }
    std::string value =
        opt->count() > 0 ? opt->as<std::string>() : (default_also ? opt->get_default_str() : "");
    if (value.empty()) {
      continue;
    }
    out << prefix << name << " = " << toml::value<std::string>(value) << "\n";
  }
  for (const CLI::App *sub : app->get_subcommands({})) {
    std::string body = to_config(sub, default_also, false, "");
    if (!body.empty()) {
      out << "\n[" << sub->get_name() << "]\n" << body;
    }
  }
  return out.str();
}

std::vector<CLI::ConfigItem> TomlConfig::from_config(std::istream &input) const {
  std::ostringstream ss;
  ss << input.rdbuf();
  std::vector<CLI::ConfigItem> result;
  try {
    const toml::table table = toml::parse(ss.str());
    collect(table, {}, result);
    inherit_build_settings(result);
  } catch (const toml::parse_error &e) {
    const auto &where = e.source().begin;
    throw CLI::ConfigError("line " + std::to_string(where.line) + ", column " + std::to_string(where.column) +
                           ": " + std::string(e.description()));
  }
  return result;
}

std::filesystem::path find_config_file(int argc, char **argv, bool &explicit_file) {
  namespace fs = std::filesystem;
  explicit_file = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") {
      break;
    }
    if (arg == "--config" && i + 1 < argc) {
      explicit_file = true;
      return argv[i + 1];
    }
    if (arg.rfind("--config=", 0) == 0) {
      explicit_file = true;
      return arg.substr(9);
    }
  }
  if (const char *env = std::getenv("FORGE_CONFIG"); env != nullptr && *env != '\0') {
    explicit_file = true;
    return env;
  }
  std::error_code ec;
  if (fs::exists("forge.toml", ec)) {
    return "forge.toml";
  }
  fs::path user;
  if (const char *xdg = std::getenv("XDG_CONFIG_HOME"); xdg != nullptr && *xdg != '\0') {
    user = fs::path(xdg) / "forge" / "forge.toml";
  } else if (const char *home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    user = fs::path(home) / ".config" / "forge" / "forge.toml";
  }
  if (!user.empty() && fs::exists(user, ec)) {
    return user;
  }
  return {};
}

} // namespace forge::cli
