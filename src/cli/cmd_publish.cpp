// Why: `forge publish` maps flags and forge.toml [publish] onto a PublishRequest; credentials come from the
// environment or a file, never from the command line, where other users could read them.
#include "cli/commands.hpp"
#include "forge/ship/publish.hpp"
#include "forge/util/fs.hpp"
#include "forge/util/term.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <memory>

namespace forge::cli {
namespace {

struct PublishFlags {
  std::string out = "forge-out";
  std::string registry = "ghcr.io";
  std::string name_space = "pkgforge-cargo";
  std::vector<std::string> only;
  bool dry_run = false;
  int jobs = 4;
  std::string username;
  std::string token_env = "FORGE_REGISTRY_TOKEN";
  std::string token_file;
  std::string source;
  int retries = 5;
  double retry_backoff = 1.0;
  uint64_t chunk_threshold = uint64_t{64} << 20;
  uint64_t chunk_size = uint64_t{16} << 20;
  long connect_timeout = 30;
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
    c.username = f.name_space;
  }
  return c;
}

PublishRequest to_request(const PublishFlags &f) {
  PublishRequest r;
  r.out = f.out;
  r.name_space = f.name_space;
  r.only = f.only;
  r.dry_run = f.dry_run;
  r.jobs = f.jobs;
  r.source = f.source;
  r.client.endpoint = parse_registry(f.registry);
  if (r.name_space.empty() || r.name_space.find_first_of("/: ") != std::string::npos) {
    fail(ExitCode::usage, "--namespace must be one path component, not '{}'", f.name_space);
  }
  if (!r.dry_run) {
    r.client.credentials = credentials(f, r.client.endpoint);
  }
  r.client.retry.max_attempts = f.retries;
  r.client.retry.initial_backoff_s = f.retry_backoff;
  r.client.chunk_threshold = f.chunk_threshold;
  r.client.chunk_size = f.chunk_size;
  r.client.connect_timeout_s = f.connect_timeout;
  return r;
}

} // namespace

void add_publish(CLI::App &app, Action &action) {
  auto f = std::make_shared<PublishFlags>();
  auto *cmd =
      app.add_subcommand("publish", "Push every built static executable in the out dir to an OCI registry "
                                    "in soar's layout (GHCR by default)");
  cmd->add_option("--out", f->out, "Out dir written by forge build: <out>/<host>/<crate>/<version>/")
      ->capture_default_str();
  cmd->add_option("--registry", f->registry, "Registry HOST[:PORT]; prefix http:// for a plain-HTTP registry")
      ->capture_default_str();
  cmd->add_option("--namespace", f->name_space, "Owner: <registry>/<namespace>/<crate>/stable/<exe>")
      ->capture_default_str();
  cmd->add_option("--only", f->only, "Publish only these crates (comma-separated or repeated)")
      ->delimiter(',');
  cmd->add_flag("--dry-run", f->dry_run, "Print what would be pushed; send nothing");
  cmd->add_option("--jobs", f->jobs, "Executables published at once (each on its own connection)")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  cmd->add_option("--username", f->username,
                  "User for Basic auth and token requests (default: $FORGE_REGISTRY_USER, $GITHUB_ACTOR, the "
                  "namespace)");
  cmd->add_option(
         "--token-env", f->token_env,
         "Environment variable holding the password or token (GITHUB_TOKEN is the fallback for ghcr.io)")
      ->capture_default_str();
  cmd->add_option("--token-file", f->token_file, "Read the password or token from this file instead");
  cmd->add_option("--source", f->source,
                  "org.opencontainers.image.source for every manifest (default: the crate's repository)");
  cmd->add_option("--retries", f->retries, "Tries per request and per blob upload")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  cmd->add_option("--retry-backoff", f->retry_backoff, "Seconds before the first retry, doubled after each")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 600.0));
  cmd->add_option("--chunk-threshold", f->chunk_threshold,
                  "Blobs larger than this many bytes go up in chunks")
      ->capture_default_str();
  cmd->add_option("--chunk-size", f->chunk_size, "Bytes per PATCH of a chunked upload")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--connect-timeout", f->connect_timeout, "Seconds to wait for a connection")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
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
