// Why: the bundle's bin/forge. forge needs glibc, and a dynamically linked program names its loader by an
// absolute path (PT_INTERP, /lib64/ld-linux-x86-64.so.2) that a foreign or empty root may not have or may
// have in an older version. This program is linked fully static, so it starts anywhere; it runs the
// bundle's own loader on the real forge with the bundle's library directory, the way `ld.so --library-path`
// runs any program. See docs/bundle.md.
//
// <root>/bin/forge            this launcher
// <root>/lib/forge/forge      the real forge (RUNPATH $ORIGIN)
// <root>/lib/forge/<loader>   glibc's dynamic loader, beside every shared library forge needs
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unistd.h>
#include <vector>

#ifndef FORGE_BUNDLE_LOADER
#error "FORGE_BUNDLE_LOADER names the dynamic loader's file (e.g. ld-linux-x86-64.so.2)"
#endif

namespace {

int fail(const std::string &message) {
  std::fprintf(stderr, "forge: error: %s\n", message.c_str());
  return 1;
}

// The launcher's own path with symlinks resolved: /proc/self/exe, else argv[0] when it holds a slash.
std::string own_path(const char *argv0) {
  char buf[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n > 0) {
    return std::string(buf, static_cast<std::size_t>(n));
  }
  if (argv0 != nullptr && std::strchr(argv0, '/') != nullptr && ::realpath(argv0, buf) != nullptr) {
    return buf;
  }
  return {};
}

std::string parent(const std::string &path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string::npos || slash == 0 ? std::string("/") : path.substr(0, slash);
}

} // namespace

int main(int argc, char **argv) {
  const std::string self = own_path(argc > 0 ? argv[0] : nullptr);
  if (self.empty()) {
    return fail("cannot find the forge bundle: /proc/self/exe is unreadable (is /proc mounted?)");
  }
  const std::string lib = parent(parent(self)) + "/lib/forge";
  const std::string loader = lib + "/" FORGE_BUNDLE_LOADER;
  const std::string program = lib + "/forge";
  // forge starts further forge processes (forge run's jobs) through this launcher, not through
  // /proc/self/exe, which is the loader; forge reads this once and removes it from its environment.
  if (::setenv("FORGE_EXE", self.c_str(), 1) != 0) {
    return fail(std::string("setenv: ") + std::strerror(errno));
  }
  const char *name = argc > 0 && argv[0] != nullptr ? argv[0] : "forge";
  std::vector<char *> args;
  args.push_back(const_cast<char *>(loader.c_str()));
  // --inhibit-cache: the host's /etc/ld.so.cache describes the host's libraries, not ours.
  for (const char *a : {"--inhibit-cache", "--library-path"}) {
    args.push_back(const_cast<char *>(a));
  }
  args.push_back(const_cast<char *>(lib.c_str()));
  args.push_back(const_cast<char *>("--argv0"));
  args.push_back(const_cast<char *>(name));
  args.push_back(const_cast<char *>(program.c_str()));
  for (int i = 1; i < argc; ++i) {
    args.push_back(argv[i]);
  }
  args.push_back(nullptr);
  ::execv(loader.c_str(), args.data());
  return fail("cannot run " + loader + ": " + std::strerror(errno));
}
