#include "forge/cli/app.hpp"

int main(int argc, char **argv) {
  return forge::cli::run(argc, argv);
}
