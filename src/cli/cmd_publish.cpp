// Why: `forge publish` maps flags and forge.toml [publish] onto a PublishRequest; credentials come from the
// environment or a file, never from the command line, where other users could read them.
#include "cli/commands.hpp"
#include "cli/forge_options.hpp"
#include "cli/option_types.hpp"
#include "forge/ship/publish.hpp"
#include "forge/util/fs.hpp"
#include "forge/util/term.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <memory>

namespace forge::cli {
namespace {

// What only the command line has; everything else binds to the request, whose values are the defaults.
struct PublishFlags {
  std::string username;
  std::string token_env = "FORGE_REGISTRY_TOKEN";
  std::string token_file;
  PublishRequest request;
};

std::string env(const std::string &name) {
  const char *value = name.empty() ? nullptr : std::getenv(name.c_str());
  return value == nullptr ? std::string() : std::string(value);
}

std::string trim_line_end(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

// The secret: --token-file, else $<token-env>, else $GITHUB_TOKEN for ghcr.io only (a GitHub token is
// never offered to another registry).
RegistryCredentials credentials(const PublishFlags &f, const RegistryEndpoint &endpoint) {
  RegistryCredentials c;
  if (!f.token_file.empty()) {
    c.secret = trim_line_end(read_file(f.token_file));
    if (c.secret.empty()) {
      fail(ExitCode::usage, "--token-file {} is empty", f.token_file);
    }
  } else if (std::string v = env(f.token_env); !v.empty()) {
    c.secret = std::move(v);
  } else if (endpoint.host == "ghcr.io") {
    c.secret = env("GITHUB_TOKEN");
  }
  c.username = f.username;
  if (c.username.empty()) {
    c.username = env("FORGE_REGISTRY_USER");
  }
  if (c.username.empty()) {
    c.username = env("GITHUB_ACTOR");
  }
  if (c.username.empty()) {
    c.username = f.request.name_space;
  }
  return c;
}

void check_namespace(const std::string &name_space) {
  if (name_space.empty() || name_space.find_first_of("/: ") != std::string::npos) {
    fail(ExitCode::usage, "--namespace must be one path component, not '{}'", name_space);
  }
}

PublishRequest to_request(const PublishFlags &f) {
  PublishRequest r = f.request;
  check_namespace(r.name_space);
  if (!r.dry_run) {
    r.client.credentials = credentials(f, r.client.endpoint);
  }
  return r;
}

} // namespace

void add_publish(CLI::App &app, Action &action) {
  auto f = std::make_shared<PublishFlags>();
  auto *cmd =
      app.add_subcommand("publish", "Push every built static executable in the out dir to an OCI registry "
                                    "in soar's layout (GHCR by default)");
  PublishRequest &r = f->request;
  cmd->add_option("--out", r.out, "Out dir written by forge build: <out>/<host>/<crate>/<version>/")
      ->type_name("DIR")
      ->capture_default_str();
  cmd->add_option_function<std::string>(
         "--registry", [&r](const std::string &v) { r.client.endpoint = parse_registry(v); },
         "Registry HOST[:PORT]; prefix http:// for a plain-HTTP registry")
      ->type_name("HOST")
      ->default_str(r.client.endpoint.host)
      ->check(checked_by([](const std::string &v) { (void)parse_registry(v); }));
  cmd->add_option("--namespace", r.name_space, "Owner: <registry>/<namespace>/<crate>/stable/<exe>")
      ->type_name("NAME")
      ->capture_default_str()
      ->check(checked_by(check_namespace));
  cmd->add_option("--only", r.only, "Publish only these crates (comma-separated or repeated)")
      ->type_name("CRATE,...")
      ->delimiter(',')
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_flag("--dry-run", r.dry_run, "Print what would be pushed; send nothing");
  cmd->add_option("--jobs", r.jobs, "Executables published at once (each on its own connection)")
      ->type_name("N")
      ->capture_default_str()
      ->check(whole_number(1, 64));
  cmd->add_option("--username", f->username,
                  "User for Basic auth and token requests (default: $FORGE_REGISTRY_USER, $GITHUB_ACTOR, the "
                  "namespace)")
      ->type_name("NAME");
  cmd->add_option(
         "--token-env", f->token_env,
         "Environment variable holding the password or token (GITHUB_TOKEN is the fallback for ghcr.io)")
      ->type_name("VAR")
      ->capture_default_str();
  cmd->add_option("--token-file", f->token_file, "Read the password or token from this file instead")
      ->type_name("FILE");
  cmd->add_option("--source", r.source,
                  "org.opencontainers.image.source for every manifest (default: the crate's repository)")
      ->type_name("URL");
  cmd->add_option("--retries", r.client.retry.max_attempts, "Tries per request and per blob upload")
      ->type_name("N")
      ->capture_default_str()
      ->check(whole_number(1, 100));
  cmd->add_option("--retry-backoff", r.client.retry.initial_backoff_s,
                  "Seconds before the first retry, doubled after each")
      ->type_name("SECONDS")
      ->capture_default_str()
      ->check(decimal_number(0, 600));
  add_size(*cmd, "--chunk-threshold", r.client.chunk_threshold, "Blobs larger than this go up in chunks");
  add_size(*cmd, "--chunk-size", r.client.chunk_size, "Size of each PATCH of a chunked upload")
      ->check(whole_number(1));
  cmd->add_option("--connect-timeout", r.client.connect_timeout_s, "Seconds to wait for a connection")
      ->type_name("SECONDS")
      ->capture_default_str()
      ->check(whole_number(1));
  cmd->callback([&action, f] {
    action = [f] {
      const PublishRequest request = to_request(*f);
      const auto say = [](const std::string &line) {
        if (!ui().quiet()) {
          fmt::print("{}\n", line);
          std::fflush(stdout);
        }
      };
      const PublishOutcome out = run_publish(request, say);
      if (!out.failures.empty()) {
        fail(out.code, "{} of {} executables not published; first: {}", out.failures.size(), out.planned,
             out.failures.front());
      }
      if (!request.dry_run && out.published > 0) {
        std::string recovered;
        if (out.stats.restarted_uploads + out.stats.resumed_chunks > 0) {
          recovered = fmt::format("; {} upload{} restarted, {} chunked upload{} resumed",
                                  out.stats.restarted_uploads, out.stats.restarted_uploads == 1 ? "" : "s",
                                  out.stats.resumed_chunks, out.stats.resumed_chunks == 1 ? "" : "s");
        }
        say(fmt::format("published {} executable{} to {}: {} blobs uploaded ({} bytes), {} already there{}",
                        out.published, out.published == 1 ? "" : "s", request.client.endpoint.host,
                        out.stats.blobs_uploaded, out.stats.bytes_uploaded, out.stats.blobs_present,
                        recovered));
      }
      return 0;
    };
  });
}

} // namespace forge::cli
