// Why: `forge doctor` answers "can this machine build, and with what?" before hours go into a build; it takes
// the builder settings `forge build` takes so the verdict is about the build the user will run.
#include "cli/commands.hpp"
#include "cli/forge_options.hpp"
#include "forge/compile/doctor.hpp"
#include "forge/queue/queue.hpp"
#include "forge/util/error.hpp"
#include "forge/util/fs.hpp"
#include "forge/util/term.hpp"

#include <fmt/format.h>

#include <memory>

namespace forge::cli {
namespace {

struct DoctorFlags {
  std::vector<std::string> targets;
  std::vector<std::string> linkers;
  BuilderSettings settings; // only the fields a build's choice of builder depends on
  SandboxSettings sandbox;
  std::filesystem::path out = kDefaultOutDir;
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
  add_target_option(*cmd, f->targets, "all");
  cmd->add_option("--toolchain", f->settings.toolchain,
                  "rustup toolchain the build would use; empty for none")
      ->type_name("NAME")
      ->capture_default_str();
  cmd->add_option("--cargo", f->settings.cargo_program, "cargo program the build would use")
      ->type_name("PROGRAM")
      ->capture_default_str();
  cmd->add_option("--cross", f->settings.cross_program, "cross program")
      ->type_name("PROGRAM")
      ->capture_default_str();
  add_linker_option(*cmd, f->linkers);
  cmd->add_option("--out", f->out, "Output directory whose free space is reported")
      ->type_name("DIR")
      ->capture_default_str();
  cmd->add_option("--bwrap", f->sandbox.bwrap_program, "bubblewrap program whose sandbox is tried")
      ->type_name("PROGRAM")
      ->capture_default_str();
  cmd->add_flag("--json", f->json, "Print the report as JSON");
  cmd->callback([&action, f] {
    action = [f] {
      BuilderSettings settings = f->settings;
      settings.linkers = parse_linkers(f->linkers);
      const std::vector<std::string> targets =
          f->targets.empty() ? std::vector<std::string>{"all"} : f->targets;
      const DoctorReport report = run_doctor(settings, targets, f->out, cache_dir(), f->sandbox);
      if (f->json) {
        fmt::print("{}\n", doctor_to_json(report).dump(2));
      } else if (!ui().quiet() || !report.anything_can_build) {
        fmt::print("{}", render_doctor(report, ui().color_out));
      }
      return static_cast<int>(report.anything_can_build ? ExitCode::ok : ExitCode::nothing_builds);
    };
  });
}

} // namespace forge::cli
