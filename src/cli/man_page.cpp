// Why: the man page is written from the same CLI11 definition as `--help` (by `forge man`, which the build
// runs to produce forge.1), so the two cannot disagree about an option, a default or an exit code.
#include "cli/docs.hpp"

#include "cli/app_model.hpp"
#include "cli/option_types.hpp"
#include "forge/compile/build_result.hpp"
#include "forge/version.hpp"

#include <fmt/format.h>

namespace forge::cli {
namespace {

// Text as roff reads it: backslashes escaped, a leading '.' or '\'' not taken for a request, and a break
// point (\:) after the '/', '?' and '&' of a path or URL, which is otherwise too long for a line.
std::string roff(const std::string &text) {
  std::string out;
  for (const char c : text) {
    if (c == '\\') {
      out += "\\e";
    } else if (c == '/' || c == '?' || c == '&') {
      out += c;
      out += "\\:";
    } else {
      out += c;
    }
  }
  if (!out.empty() && (out.front() == '.' || out.front() == '\'')) {
    out.insert(0, "\\&");
  }
  return out;
}

// Option names with their dashes escaped (\-), so they render as hyphen-minus and can be searched for.
std::string roff_name(const std::string &name) {
  std::string out;
  for (const char c : name) {
    out += c == '-' ? std::string("\\-") : std::string(1, c);
  }
  return out;
}

std::string option_item(const CLI::Option *opt) {
  std::string head;
  const auto names = option_names(opt);
  for (std::size_t i = 0; i < names.size(); ++i) {
    head += (i == 0 ? "" : ", ") + fmt::format("\\fB{}\\fR", roff_name(names[i]));
  }
  const std::string placeholder = option_info(opt).placeholder;
  if (!placeholder.empty()) {
    head += fmt::format(" \\fI{}\\fR", roff(placeholder));
  }
  return fmt::format(".TP\n{}\n{}\n", head, roff(option_description(opt)));
}

std::string usage(const CLI::App *app, const std::string &path) {
  // "forge build [OPTIONS] CRATE[@VERSION]" with the command in bold and the rest in italics.
  const std::string line = usage_line(app, path);
  return fmt::format(".B {}\n{}\n", path,
                     roff(line.substr(path.size() + (line.size() > path.size() ? 1 : 0))));
}

} // namespace

std::string render_man_page(const CLI::App &root) {
  std::string out;
  out += fmt::format(".TH FORGE 1 \"\" \"forge {}\" \"User Commands\"\n", kVersion);
  // No hyphenation (option names stay whole and searchable), ragged right (URL templates cannot be spread).
  out += ".nh\n.ad l\n";
  out += ".SH NAME\nforge \\- turn the crates.io catalogue into portable, statically linked executables\n";
  out += ".SH SYNOPSIS\n";
  out += usage(&root, "forge");
  for (const CLI::App *sub : visible_commands(&root)) {
    out += ".br\n" + usage(sub, "forge " + sub->get_name());
  }
  out += ".SH DESCRIPTION\n";
  out +=
      "forge streams the crates.io database dump into a queue of the crates worth building "
      "(\\fBforge ingest\\fR), builds a crate into verified static executables with soar package metadata "
      "inside a sandbox (\\fBforge build\\fR), says what this machine can build (\\fBforge doctor\\fR), "
      "builds a whole queue with a resumable worker pool (\\fBforge run\\fR, \\fBforge report\\fR), splits "
      "it over a GitHub Actions matrix and merges the shards (\\fBforge matrix\\fR, \\fBforge merge\\fR), "
      "and "
      "pushes the executables to an OCI registry in soar's layout (\\fBforge publish\\fR).\n";
  out +=
      ".PP\nEvery error is one line, \\fBforge: error:\\fR followed by what went wrong and the file, line or "
      "URL at fault; the exit status says its class (see \\fBEXIT STATUS\\fR).\n";
  out += ".SH OPTIONS\nThese work before or after the command.\n";
  for (const CLI::Option *opt : visible_options(&root)) {
    out += option_item(opt);
  }
  out += ".SH COMMANDS\n";
  for (const CLI::App *sub : visible_commands(&root)) {
    out += fmt::format(".SS \"forge {}\"\n", sub->get_name());
    out += usage(sub, "forge " + sub->get_name());
    out += ".PP\n" + roff(sub->get_description()) + "\n";
    for (const CLI::Option *p : positionals(sub)) {
      out +=
          fmt::format(".TP\n\\fI{}\\fR\n{}\n", roff(option_info(p).placeholder), roff(p->get_description()));
    }
    for (const CLI::Option *opt : visible_options(sub)) {
      if (opt != sub->get_help_ptr()) {
        out += option_item(opt);
      }
    }
  }
  out += ".SH FAILURE REASONS\n";
  out += "A target that fails to build is a result, not an error: its result.json says why, as one of these "
         "reasons (docs/reference.md explains each):\n";
  for (const Reason reason : all_reasons()) {
    out += fmt::format(".TP\n.B {}\n{}\n", roff_name(std::string(to_string(reason))),
                       is_spurious(reason) ? "spurious: forge run retries it" : "final: the same build would fail again");
  }
  out += ".SH EXIT STATUS\n";
  for (const auto &e : exit_code_docs()) {
    out += fmt::format(".TP\n.B {}\n{}\n", e.code, roff(e.meaning));
  }
  out += ".SH ENVIRONMENT\n";
  const std::pair<const char *, const char *> env[] = {
      {"FORGE_CONFIG", "The configuration file, when --config is not given."},
      {"XDG_CONFIG_HOME", "forge.toml is looked for in $XDG_CONFIG_HOME/forge (default ~/.config/forge)."},
      {"XDG_CACHE_HOME",
       "Downloads (the dump, .crate files) and build directories go to $XDG_CACHE_HOME/forge "
       "(default ~/.cache/forge)."},
      {"NO_COLOR", "When set, no colour (as --color never)."},
      {"FORGE_REGISTRY_TOKEN", "The registry password or token of forge publish (see --token-env)."},
      {"FORGE_REGISTRY_USER", "The registry user of forge publish, when --username is not given."},
      {"GITHUB_TOKEN", "forge publish's token for ghcr.io only, when no other is given."},
      {"GITHUB_ACTIONS", "When \"true\", forge run folds failed logs into ::group:: blocks and ::error "
                         "annotations."},
      {"GITHUB_STEP_SUMMARY", "forge report --format markdown appends the report to this file."},
      {"GITHUB_OUTPUT", "forge matrix appends matrix=, shards= and jobs= to this file."},
  };
  for (const auto &[name, text] : env) {
    out += fmt::format(".TP\n.B {}\n{}\n", name, roff(text));
  }
  out += ".SH FILES\n";
  out += ".TP\n.I forge.toml\nSettings: top-level keys for the global options, a table per command for its "
         "options (e.g. [build] toolchain = \"stable\"); the command line wins. Read from --config, else "
         "$FORGE_CONFIG, else ./forge.toml, else $XDG_CONFIG_HOME/forge/forge.toml.\n";
  out += ".TP\n.I forge\\-out/\nThe default output directory: queue.json, funnel.json, "
         "<host>/<crate>/<version>/ with the executables and result.json, journal.ndjson, run.json, "
         "CRATES_BUILT.json, report.json, metadata/<host>.json.\n";
  out += ".SH SEE ALSO\n";
  out +=
      "docs/reference.md (every option explained, forge.toml, failure reasons), docs/formats.md (the files "
      "forge reads and writes) and docs/sandbox.md in forge's source tree.\n";
  return out;
}

} // namespace forge::cli
