#include "cli/forge_options.hpp"

#include "forge/compile/crate_spec.hpp"
#include "forge/compile/target.hpp"
#include "forge/util/error.hpp"

namespace forge::cli {

CLI::Validator checked_by(std::function<void(const std::string &)> check) {
  return CLI::Validator(
      [check = std::move(check)](std::string &text) -> std::string {
        try {
          check(text);
        } catch (const Error &e) {
          return e.what();
        }
        return {};
      },
      "");
}

CLI::Validator crate_spec() {
  return checked_by([](const std::string &text) { (void)parse_crate_spec(text); });
}

CLI::Option *add_target_option(CLI::App &cmd, std::vector<std::string> &targets,
                               const std::string &default_text) {
  return cmd
      .add_option(
          "--target", targets,
          "Target: x86_64, aarch64, riscv64, loongarch64 (the *-linux-musl triples), all (those four) or "
          "a rustc triple; repeatable or comma-separated (default: " +
              default_text + ")")
      ->type_name("TRIPLE")
      ->delimiter(',')
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->check(checked_by([](const std::string &t) { (void)resolve_targets({t}); }));
}

CLI::Option *add_linker_option(CLI::App &cmd, std::vector<std::string> &linkers) {
  return cmd.add_option("--linker", linkers, "Linker program for a foreign target; repeatable")
      ->type_name("TRIPLE=PROGRAM")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->check(checked_by([](const std::string &l) { (void)parse_linkers({l}); }));
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
