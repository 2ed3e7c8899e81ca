#include "forge/cli/app.hpp"

#include "cli/commands.hpp"
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

constexpr const char *kExitCodes = R"(Exit codes:
  0    success
  1    internal error (a bug or an unexpected system failure)
  2    usage: bad command line or configuration
  3    archive: the dump is not gzip, or its gzip/tar stream is corrupt or truncated
  4    data: a table is malformed (bad CSV row, missing table or column), or a bad queue file
  5    network: unreachable host, HTTP error, download failed after retries
  6    i/o: a local file cannot be read or written
  7    checksum: a download does not match its SHA-256
  8    build failed (see result.json)
  9    nothing can build on this machine (forge doctor)
  10   registry refused: authentication, permission, or a rejected or mismatching upload
  130  interrupted)";

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

std::filesystem::path g_explicit_config;

} // namespace

const std::filesystem::path &explicit_config_file() {
  return g_explicit_config;
}

int run(int argc, char **argv) {
  adopt_launcher();
  CLI::App app{"forge: turn the crates.io catalogue into portable, statically linked executables"};
  app.name("forge");
  app.footer(kExitCodes);
  app.require_subcommand(1);
  app.fallthrough(); // global flags (-v, -q, --color, --config) work after the subcommand too
  app.set_version_flag("--version", version_text());

  bool verbose = false;
  bool quiet = false;
  std::string color = "auto";
  app.add_flag("-v,--verbose", verbose, "Say more: debug messages with time and pid")->configurable();
  app.add_flag("-q,--quiet", quiet, "Print only errors");
  app.add_option("--color", color, "Colour output: auto, always or never (NO_COLOR is honoured)")
      ->check(CLI::IsMember({"auto", "always", "never"}));

  bool explicit_config = false;
  const auto config_path = find_config_file(argc, argv, explicit_config);
  if (explicit_config) {
    std::error_code ec;
    g_explicit_config = std::filesystem::absolute(config_path, ec);
  }
  app.config_formatter(std::make_shared<TomlConfig>());
  app.allow_config_extras(CLI::config_extras_mode::error);
  auto *config_opt = app.set_config("--config", config_path.string(),
                                    "Read settings from this forge.toml (default: ./forge.toml, then "
                                    "$XDG_CONFIG_HOME/forge/forge.toml)",
                                    explicit_config);
  (void)config_opt;

  Action action;
  add_ingest(app, action);
  add_build(app, action);
  add_doctor(app, action);
  add_run(app, action);
  add_report(app, action);
  add_matrix(app, action);
  add_merge(app, action);
  add_publish(app, action);

  try {
    app.parse(argc, argv);
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
    print_error(e.what());
    fmt::print(stderr, "Run 'forge --help' for usage.\n");
    return static_cast<int>(ExitCode::usage);
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
