// Why: `forge doctor` answers "can this machine build, and with what?" before hours go into a build; it takes
// the builder settings `forge build` takes so the verdict is about the build the user will run.
#include "cli/commands.hpp"
#include "forge/compile/doctor.hpp"
#include "forge/util/error.hpp"
#include "forge/util/fs.hpp"
#include "forge/util/term.hpp"

#include <fmt/format.h>

#include <memory>

namespace forge::cli {
namespace {

struct DoctorFlags {
  std::vector<std::string> targets;
  std::string toolchain = "nightly";
  std::string cargo = "cargo";
  std::string cross = "cross";
  std::vector<std::string> linkers;
  std::string out = "forge-out";
  std::string bwrap = "bwrap";
  bool json = false;
};

} // namespace

void add_doctor(CLI::App &app, Action &action) {
  auto f = std::make_shared<DoctorFlags>();
  auto *cmd = app.add_subcommand(
      "doctor",
      "Say what can build here: toolchains and their targets, cargo, cross and "
      "container engines, zig, linkers, free disk, whether the bwrap sandbox works, and the builder `auto` "
      "picks per target (exit 9 when no target can build)");
  cmd->add_option("--target", f->targets,
                  "Targets to plan, as for build (default: all = the four musl targets)")
      ->delimiter(',');
  cmd->add_option("--toolchain", f->toolchain, "rustup toolchain the build would use; empty for none")
      ->capture_default_str();
  cmd->add_option("--cargo", f->cargo, "cargo program the build would use")->capture_default_str();
  cmd->add_option("--cross", f->cross, "cross program")->capture_default_str();
  cmd->add_option("--linker", f->linkers, "TRIPLE=PROGRAM linker for a foreign target; repeatable");
  cmd->add_option("--out", f->out, "Output directory whose free space is reported")->capture_default_str();
  cmd->add_option("--bwrap", f->bwrap, "bubblewrap program whose sandbox is tried")->capture_default_str();
  cmd->add_flag("--json", f->json, "Print the report as JSON");
  cmd->callback([&action, f] {
    action = [f] {
      BuilderSettings settings;
      settings.toolchain = f->toolchain;
      settings.cargo_program = f->cargo;
      settings.cross_program = f->cross;
      settings.linkers = parse_linkers(f->linkers);
      const std::vector<std::string> targets =
          f->targets.empty() ? std::vector<std::string>{"all"} : f->targets;
      SandboxSettings sandbox;
      sandbox.bwrap_program = f->bwrap;
      const DoctorReport report = run_doctor(settings, targets, f->out, cache_dir(), sandbox);
      if (f->json) {
        fmt::print("{}\n", doctor_to_json(report).dump(2));
      } else if (!ui().quiet() || !report.anything_can_build) {
        fmt::print("{}", render_doctor(report, ui().color_out));
      }
      return static_cast<int>(report.anything_can_build ? ExitCode::ok : ExitCode::nothing_builds);
    };
  });
}

std::vector<std::pair<std::string, std::string>> parse_linkers(const std::vector<std::string> &specs) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto &l : specs) {
    const auto eq = l.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == l.size()) {
      fail(ExitCode::usage, "--linker must be TRIPLE=PROGRAM, not '{}'", l);
    }
    out.emplace_back(l.substr(0, eq), l.substr(eq + 1));
  }
  return out;
}

} // namespace forge::cli
