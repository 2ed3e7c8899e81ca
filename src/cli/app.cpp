#include "forge/cli/app.hpp"

#include "cli/commands.hpp"
#include "cli/help_format.hpp"
#include "cli/option_types.hpp"
#include "cli/parse_errors.hpp"
#include "cli/toml_config.hpp"
#include "forge/ship/git_version.hpp"
#include "forge/util/error.hpp"
#include "forge/util/self_exe.hpp"
#include "forge/util/term.hpp"
#include "forge/version.hpp"

#include <archive.h>
#include <curl/curl.h>
#include <fmt/format.h>
#include <openssl/crypto.h>

#include <cstdio>

namespace forge::cli {
namespace {

std::string version_text() {
  return fmt::format("forge {}\nlibcurl {}, {}, libgit2 {}, {}, inflate: {}", kVersion,
                     curl_version_info(CURLVERSION_NOW)->version, archive_version_string(), libgit2_version(),
                     OpenSSL_version(OPENSSL_VERSION),
#ifdef FORGE_HAVE_ISAL
                     "ISA-L"
#else
                     "zlib"
#endif
  );
}

void print_error(const std::string &message) {
  fmt::print(stderr, "forge: error: {}\n", message);
}

int usage_error(const UsageProblem &problem) {
  print_error(problem.message);
  fmt::print(stderr, "See '{} --help'.\n", problem.help_path);
  return static_cast<int>(ExitCode::usage);
}

std::filesystem::path g_explicit_config;

} // namespace

const std::filesystem::path &explicit_config_file() {
  return g_explicit_config;
}

int run(int argc, char **argv) {
  adopt_launcher();
  CLI::App app{"forge: turn the crates.io catalogue into portable, statically linked executables"};
  app.name("forge");
  // Set before the subcommands are added: each takes the formatter it finds then.
  app.formatter(std::make_shared<HelpFormatter>());
  app.footer("'forge help COMMAND' shows a command's options; 'man forge' and docs/reference.md say more.");
  app.require_subcommand(1);
  app.fallthrough(); // global flags (-v, -q, --color, --config) work after the subcommand too
  app.set_help_flag("-h,--help", "Print help (of the command, after one)");
  app.set_version_flag("-V,--version", version_text(), "Print the version of forge and of its libraries");

  bool verbose = false;
  bool quiet = false;
  std::string color = "auto";
  app.add_flag("-v,--verbose", verbose, "Say more: debug messages with time and pid");
  app.add_flag("-q,--quiet", quiet, "Print only errors");
  app.add_option("--color", color, "Colour output (NO_COLOR is honoured)")
      ->type_name("WHEN")
      ->capture_default_str()
      ->check(one_of({"auto", "always", "never"}));

  bool explicit_config = false;
  const auto config_path = find_config_file(argc, argv, explicit_config);
  if (explicit_config) {
    std::error_code ec;
    g_explicit_config = std::filesystem::absolute(config_path, ec);
  }
  app.config_formatter(std::make_shared<TomlConfig>());
  app.allow_config_extras(CLI::config_extras_mode::error);
  app.set_config("--config", config_path.string(),
                 "Read settings from this forge.toml (default: $FORGE_CONFIG, ./forge.toml, then "
                 "$XDG_CONFIG_HOME/forge/forge.toml)",
                 explicit_config)
      ->type_name("PATH"); // its default is the file found, which CLI11 reads: not shown in the help

  Action action;
  add_ingest(app, action);
  add_build(app, action);
  add_doctor(app, action);
  add_run(app, action);
  add_report(app, action);
  add_matrix(app, action);
  add_merge(app, action);
  add_publish(app, action);
  add_help_command(app);
  add_completions(app, action);
  add_man(app, action);

  Prescan pre = prescan_arguments(app, std::vector<std::string>(argv + 1, argv + argc));
  if (pre.problem) {
    return usage_error(*pre.problem);
  }
  try {
    std::vector<std::string> reversed(pre.args.rbegin(), pre.args.rend()); // CLI11 takes them back to front
    app.parse(reversed);
  } catch (const CLI::ConfigError &e) {
    std::string what = e.what();
    const std::string extras = "INI was not able to parse ";
    if (what.rfind(extras, 0) == 0) {
      what = fmt::format("unknown setting '{}'", what.substr(extras.size()));
    }
    print_error(fmt::format("{}: {}", config_path.string(), what));
    return static_cast<int>(ExitCode::usage);
  } catch (const CLI::FileError &e) {
    print_error(fmt::format("cannot read config file {}", config_path.string()));
    return static_cast<int>(ExitCode::usage);
  } catch (const CLI::CallForHelp &e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp &e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion &e) {
    return app.exit(e);
  } catch (const CLI::ParseError &e) {
    return usage_error(describe_parse_error(app, e));
  }

  try {
    const Verbosity verbosity = quiet ? Verbosity::quiet : (verbose ? Verbosity::verbose : Verbosity::normal);
    const Ui ui_settings = make_ui(verbosity, parse_color_mode(color));
    set_ui(ui_settings);
    init_logging(ui_settings);
    return action ? action() : static_cast<int>(ExitCode::usage);
  } catch (const Error &e) {
    print_error(e.what());
    return static_cast<int>(e.code());
  } catch (const std::exception &e) {
    print_error(fmt::format("internal error: {}", e.what()));
    return static_cast<int>(ExitCode::internal);
  }
}

} // namespace forge::cli
