#pragma once

namespace forge::cli {

// Parses the command line (and forge.toml), runs the subcommand, maps exceptions to exit codes.
int run(int argc, char **argv);

} // namespace forge::cli
