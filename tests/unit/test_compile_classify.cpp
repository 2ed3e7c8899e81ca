// Why: the classifier decides what gets retried and how failures are reported, so it is pinned to real logs.
#include "forge/compile/classify.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

std::string read_log(const std::string &name) {
  const fs::path path = fs::path(FORGE_TEST_DATA_DIR) / "logs" / name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The log as forge's LogWriter writes it: every line prefixed with the elapsed time.
std::string with_prefix(const std::string &log) {
  std::string out;
  std::size_t start = 0;
  int n = 0;
  while (start < log.size()) {
    std::size_t end = log.find('\n', start);
    end = end == std::string::npos ? log.size() : end + 1;
    out += (n % 2 == 0 ? "[00:01.234] " : "[125:59.007] ") + log.substr(start, end - start);
    start = end;
    ++n;
  }
  return out;
}

forge::ExitInfo cargo_failed() {
  forge::ExitInfo exit;
  exit.exit_code = 101;
  return exit;
}

struct Case {
  const char *file;
  const char *reason;
  std::vector<std::string> libraries;
  std::vector<std::string> codes;
  const char *crate;
  const char *details_part;
};

const std::vector<Case> &cases() {
  static const std::vector<Case> all = {
      {"missing-system-library-1.log",
       "missing-system-library",
       {"forge-nonexistent-lib"},
       {},
       "fx-missing-lib",
       "could not find system library 'forge-nonexistent-lib' required by the 'fx-missing-lib' crate"},
      {"missing-system-library-5.log",
       "missing-system-library",
       {"forge-nonexistent-lib"},
       {},
       "fx-missing-lib",
       "could not find system library 'forge-nonexistent-lib' required by the 'fx-missing-lib' crate"},
      {"missing-system-library-2.log",
       "missing-system-library",
       {"forgenope"},
       {},
       "fx-lib-static",
       "rust-lld: error: unable to find library -lforgenope"},
      {"missing-system-library-3.log",
       "missing-system-library",
       {"forgenope"},
       {},
       "fx-lib-static",
       "/usr/bin/ld.bfd: cannot find -lforgenope"},
      {"missing-system-library-4.log",
       "missing-system-library",
       {"forgenope"},
       {},
       "fx-lib-dylib",
       "unable to find library -lforgenope"},
      {"compile-error-1.log",
       "compile-error",
       {},
       {"E0308", "E0425"},
       "fx-compile-error",
       "error[E0425]: cannot find value `forge_undefined_value` in this scope"},
      {"build-script-1.log",
       "build-script",
       {},
       {},
       "fx-build-script-panic",
       "build script of `fx-build-script-panic` failed: fx-build-script-panic: this build script refuses to "
       "run"},
      {"link-error-1.log",
       "link-error",
       {},
       {},
       "fx-link-error",
       "rust-lld: error: undefined symbol: forge_missing_symbol"},
      {"link-error-2.log",
       "link-error",
       {},
       {},
       "fx-link-error",
       "undefined reference to `forge_missing_symbol'"},
      {"target-not-installed-1.log",
       "target-not-installed",
       {},
       {},
       "fx-ok",
       "the `aarch64-unknown-linux-musl` target may not be installed"},
      {"dependency-resolution-1.log",
       "dependency-resolution",
       {},
       {},
       "",
       "failed to select a version for the requirement `serde = \"=99.0.0\"`"},
      {"dependency-resolution-2.log",
       "dependency-resolution",
       {},
       {},
       "",
       "no matching package named `forge-no-such-crate` found"},
      {"dependency-resolution-3.log",
       "dependency-resolution",
       {},
       {},
       "",
       "lock file problem: error: cannot update the lock file"},
      {"dependency-resolution-4.log",
       "dependency-resolution",
       {},
       {},
       "",
       "lock file problem: error: failed to parse lock file at"},
      {"dependency-resolution-5.log",
       "dependency-resolution",
       {},
       {},
       "",
       "lock file problem: lock file version `99` was found"},
      {"network-1.log", "network", {}, {}, "", "network failure seems to have happened"},
      {"network-2.log",
       "network",
       {},
       {},
       "",
       "failed to download from `http://127.0.0.1:9/index/config.json`"},
      {"network-3.log",
       "network",
       {},
       {},
       "",
       "failed to download from `http://127.0.0.1:9/dl/cfg-if/1.0.0/download`"},
      {"network-4.log", "network", {}, {}, "", "you are in the offline mode (--offline)"},
      {"checksum-mismatch-1.log",
       "checksum-mismatch",
       {},
       {},
       "",
       "failed to verify the checksum of `cfg-if v1.0.0"},
      {"checksum-mismatch-2.log",
       "checksum-mismatch",
       {},
       {},
       "",
       "the listed checksum of `/tmp/cls/reg/cfg-if-1.0.0/src/lib.rs` has changed"},
      {"checksum-mismatch-3.log",
       "checksum-mismatch",
       {},
       {},
       "",
       "checksum for `cfg-if v1.0.0` changed between lock files"},
      {"out-of-memory-1.log",
       "out-of-memory",
       {},
       {},
       "fx-big-const",
       "tried to allocate more memory than available to compiler"},
      {"out-of-memory-2.log",
       "out-of-memory",
       {},
       {},
       "fx-big-alloc",
       "memory allocation of 17592186044416 bytes failed"},
      {"out-of-memory-3.log",
       "out-of-memory",
       {},
       {},
       "fx-sleep",
       "`build-script-build` killed by SIGKILL without a timeout (likely out of memory)"},
      {"no-space-1.log", "no-space", {}, {}, "", "No space left on device (os error 28)"},
      {"no-space-2.log", "no-space", {}, {}, "fx-ok", "ld terminated with signal 7 [Bus error]"},
  };
  return all;
}

void expect_case(const Case &c, const forge::Failure &f, const std::string &variant) {
  SCOPED_TRACE(std::string(c.file) + " " + variant);
  EXPECT_EQ(forge::to_string(f.reason), c.reason);
  EXPECT_EQ(f.libraries, c.libraries);
  EXPECT_EQ(f.error_codes, c.codes);
  EXPECT_EQ(f.crate, c.crate);
  EXPECT_NE(f.details.find(c.details_part), std::string::npos) << f.details;
  EXPECT_LE(f.details.size(), 200U);
  EXPECT_EQ(f.details.find('\n'), std::string::npos);
  EXPECT_EQ(f.spurious, forge::is_spurious(f.reason));
}

TEST(ClassifyRealLogs, EachCapturedLogGetsItsReason) {
  for (const Case &c : cases()) {
    expect_case(c, forge::classify_build_failure(cargo_failed(), read_log(c.file)), "raw");
  }
}

TEST(ClassifyRealLogs, TimePrefixedLogsClassifyTheSame) {
  for (const Case &c : cases()) {
    expect_case(c, forge::classify_build_failure(cargo_failed(), with_prefix(read_log(c.file))), "prefixed");
  }
}

TEST(ClassifyRealLogs, CrlfLineEndingsAreTolerated) {
  std::string log = read_log("compile-error-1.log");
  std::string crlf;
  for (const char ch : log) {
    crlf += ch == '\n' ? std::string("\r\n") : std::string(1, ch);
  }
  const forge::Failure f = forge::classify_build_failure(cargo_failed(), crlf);
  EXPECT_EQ(f.reason, forge::Reason::compile_error);
  EXPECT_EQ(f.error_codes, (std::vector<std::string>{"E0308", "E0425"}));
}

TEST(ClassifyTimeout, TimedOutWinsOverEverything) {
  forge::ExitInfo exit;
  exit.timed_out = true;
  exit.term_signal = 9;
  const forge::Failure f = forge::classify_build_failure(exit, read_log("timeout-1.log"));
  EXPECT_EQ(f.reason, forge::Reason::timeout);
  EXPECT_TRUE(f.spurious);
  EXPECT_FALSE(f.details.empty());
  // Even a log that reads like another failure.
  EXPECT_EQ(forge::classify_build_failure(exit, read_log("compile-error-1.log")).reason,
            forge::Reason::timeout);
  EXPECT_EQ(forge::classify_build_failure(exit, read_log("no-space-1.log")).reason, forge::Reason::timeout);
}

TEST(ClassifyTimeout, PartialLogWithoutTimeoutFlagIsInternal) {
  const forge::Failure f = forge::classify_build_failure(cargo_failed(), read_log("timeout-1.log"));
  EXPECT_EQ(f.reason, forge::Reason::internal);
  EXPECT_FALSE(f.spurious);
}

TEST(ClassifyOutOfMemory, SigkillWithoutTimeoutIsOutOfMemory) {
  forge::ExitInfo exit;
  exit.term_signal = 9;
  const forge::Failure f = forge::classify_build_failure(exit, read_log("timeout-1.log"));
  EXPECT_EQ(f.reason, forge::Reason::out_of_memory);
  EXPECT_TRUE(f.spurious);
  EXPECT_NE(f.details.find("SIGKILL"), std::string::npos);

  forge::ExitInfo shell;
  shell.exit_code = 137;
  EXPECT_EQ(forge::classify_build_failure(shell, "").reason, forge::Reason::out_of_memory);
}

TEST(ClassifyOutOfMemory, OtherSignalsAreNotOutOfMemory) {
  forge::ExitInfo exit;
  exit.term_signal = 15;
  const forge::Failure f = forge::classify_build_failure(exit, "");
  EXPECT_EQ(f.reason, forge::Reason::internal);
  EXPECT_NE(f.details.find("signal 15"), std::string::npos);
}

TEST(ClassifyOutOfMemory, AllocatorAbortBeatsBuildScript) {
  const std::string log = read_log("out-of-memory-2.log");
  ASSERT_NE(log.find("failed to run custom build command"), std::string::npos);
  EXPECT_EQ(forge::classify_build_failure(cargo_failed(), log).reason, forge::Reason::out_of_memory);
}

TEST(ClassifyBuilderMissing, CommandNotFoundWithStatus127) {
  forge::ExitInfo exit;
  exit.exit_code = 127;
  const forge::Failure f = forge::classify_build_failure(exit, read_log("builder-missing-1.log"));
  EXPECT_EQ(f.reason, forge::Reason::builder_missing);
  EXPECT_EQ(f.details, "bash: line 1: cross: command not found");
  EXPECT_FALSE(f.spurious);
  // Status 101 with the same words is not a missing builder.
  EXPECT_EQ(forge::classify_build_failure(cargo_failed(), read_log("builder-missing-1.log")).reason,
            forge::Reason::internal);
}

TEST(ClassifyPriority, NoSpaceBeatsLinkAndCompileErrors) {
  const std::string log = read_log("no-space-2.log");
  ASSERT_NE(log.find("linking with `cc` failed"), std::string::npos);
  ASSERT_NE(log.find("could not compile"), std::string::npos);
  EXPECT_EQ(forge::classify_build_failure(cargo_failed(), log).reason, forge::Reason::no_space);
}

TEST(ClassifyPriority, NoSpaceBeatsOutOfMemory) {
  forge::ExitInfo exit;
  exit.term_signal = 9;
  EXPECT_EQ(forge::classify_build_failure(exit, read_log("no-space-1.log")).reason, forge::Reason::no_space);
}

TEST(ClassifyPriority, MissingLibraryBeatsBuildScriptAndLinkError) {
  EXPECT_EQ(forge::classify_build_failure(cargo_failed(), read_log("missing-system-library-1.log")).reason,
            forge::Reason::missing_system_library);
  EXPECT_EQ(forge::classify_build_failure(cargo_failed(), read_log("missing-system-library-2.log")).reason,
            forge::Reason::missing_system_library);
}

TEST(ClassifyPriority, TargetNotInstalledBeatsCompileError) {
  const forge::Failure f =
      forge::classify_build_failure(cargo_failed(), read_log("target-not-installed-1.log"));
  EXPECT_EQ(f.reason, forge::Reason::target_not_installed);
  EXPECT_TRUE(f.error_codes.empty());
}

TEST(ClassifyPriority, LinkErrorBeatsCouldNotCompile) {
  const std::string log = read_log("link-error-1.log");
  ASSERT_NE(log.find("could not compile `fx-link-error`"), std::string::npos);
  EXPECT_EQ(forge::classify_build_failure(cargo_failed(), log).reason, forge::Reason::link_error);
}

TEST(ClassifyPriority, NetworkBeatsDependencyResolution) {
  const std::string log =
      "error: failed to get `foo` as a dependency of package `bar v0.1.0`\n"
      "Caused by:\n  failed to select a version for `foo`\n"
      "Caused by:\n  [6] Couldn't resolve host name (Couldn't resolve host 'index.crates.io')\n";
  const forge::Failure f = forge::classify_build_failure(cargo_failed(), log);
  EXPECT_EQ(f.reason, forge::Reason::network);
  EXPECT_TRUE(f.spurious);
}

TEST(ClassifyPriority, RecoveredSpuriousNetworkWarningDoesNotHideTheRealError) {
  const std::string log =
      "warning: spurious network error (2 tries remaining): [7] Couldn't connect to server "
      "(Connection refused)\n" +
      read_log("compile-error-1.log");
  EXPECT_EQ(forge::classify_build_failure(cargo_failed(), log).reason, forge::Reason::compile_error);
}

TEST(ClassifyPriority, DependencyResolutionBeatsChecksum) {
  const std::string log = read_log("checksum-mismatch-3.log") + read_log("dependency-resolution-1.log");
  EXPECT_EQ(forge::classify_build_failure(cargo_failed(), log).reason, forge::Reason::dependency_resolution);
}

TEST(ClassifyPriority, BuildScriptBeatsCompileErrorInsideIt) {
  // A build script that runs cc on C sources fails with compiler errors, but it is the build script that
  // failed.
  const std::string log = read_log("build-script-1.log") + "error[E0599]: no method named `x`\n";
  const forge::Failure f = forge::classify_build_failure(cargo_failed(), log);
  EXPECT_EQ(f.reason, forge::Reason::build_script);
  EXPECT_EQ(f.crate, "fx-build-script-panic");
}

TEST(ClassifyMissingLibrary, KnownPhrasingsGiveTheLibraryName) {
  struct Phrasing {
    std::string line;
    std::string name;
  };
  const std::vector<Phrasing> phrasings = {
      {"  could not find system library 'openssl' required by the 'openssl-sys' crate", "openssl"},
      {"  The system library `libgit2` required by crate `libgit2-sys` was not found.", "libgit2"},
      {"  Package dbus-1 was not found in the pkg-config search path.", "dbus-1"},
      {"  Package 'alsa', required by 'virtual:world', not found", "alsa"},
      {"  No package 'xcb' found", "xcb"},
      {"          rust-lld: error: unable to find library -lpcap", "pcap"},
      {"  = note: /usr/bin/ld: cannot find -lssl: No such file or directory", "ssl"},
      {"error: could not find native static library `onig`, perhaps an -L flag is missing?", "onig"},
      {"  Could not find directory of OpenSSL installation, and this `-sys` crate cannot proceed", "openssl"},
  };
  for (const Phrasing &p : phrasings) {
    const forge::Failure f =
        forge::classify_build_failure(cargo_failed(), "error: build failed\n" + p.line + "\n");
    EXPECT_EQ(f.reason, forge::Reason::missing_system_library) << p.line;
    EXPECT_EQ(f.libraries, std::vector<std::string>{p.name}) << p.line;
  }
}

TEST(ClassifyMissingLibrary, CrossCompilationPkgConfigWithoutName) {
  const std::string log = "error: failed to run custom build command for `openssl-sys v0.9.80`\n"
                          "  pkg-config has not been configured to support cross-compilation.\n";
  const forge::Failure f = forge::classify_build_failure(cargo_failed(), log);
  EXPECT_EQ(f.reason, forge::Reason::missing_system_library);
  EXPECT_TRUE(f.libraries.empty());
  EXPECT_EQ(f.crate, "openssl-sys");
  EXPECT_EQ(f.details, "pkg-config has not been configured to support cross-compilation.");
}

TEST(ClassifyMissingLibrary, NamesAreUniqueAndSorted) {
  const std::string log = "could not find system library 'zlib' required by the 'a' crate\n"
                          "could not find system library 'openssl' required by the 'b' crate\n"
                          "Package zlib was not found in the pkg-config search path.\n";
  EXPECT_EQ(forge::classify_build_failure(cargo_failed(), log).libraries,
            (std::vector<std::string>{"openssl", "zlib"}));
}

TEST(ClassifyLock, LockProblemHelper) {
  EXPECT_TRUE(forge::lock_problem(read_log("dependency-resolution-3.log")));
  EXPECT_TRUE(forge::lock_problem(read_log("dependency-resolution-4.log")));
  EXPECT_TRUE(forge::lock_problem(with_prefix(read_log("dependency-resolution-5.log"))));
  EXPECT_TRUE(forge::lock_problem(
      "error: the lock file /src/Cargo.lock needs to be updated but --locked was passed to prevent this\n"));
  EXPECT_FALSE(forge::lock_problem(read_log("dependency-resolution-1.log")));
  EXPECT_FALSE(forge::lock_problem(read_log("checksum-mismatch-3.log")));
  EXPECT_FALSE(forge::lock_problem(read_log("compile-error-1.log")));
  EXPECT_FALSE(forge::lock_problem(""));
}

TEST(ClassifyLock, OldLockedWordingSaysTheLockIsTheProblem) {
  const forge::Failure f = forge::classify_build_failure(
      cargo_failed(),
      "error: the lock file /src/Cargo.lock needs to be updated but --locked was passed to prevent "
      "this\nIf you want to try to generate the lock file without accessing the network, remove the "
      "--locked flag and use --offline instead.\n");
  EXPECT_EQ(f.reason, forge::Reason::dependency_resolution);
  EXPECT_EQ(f.details.rfind("lock file problem: ", 0), 0U) << f.details;
  EXPECT_FALSE(f.spurious);
}

TEST(ClassifyTargetNotInstalled, RustupToolchainMissing) {
  const forge::Failure f = forge::classify_build_failure(
      cargo_failed(), "error: toolchain 'nightly-aarch64-unknown-linux-gnu' is not installed\n");
  EXPECT_EQ(f.reason, forge::Reason::target_not_installed);
}

TEST(ClassifyCompileError, IceIsInternal) {
  const std::string log = "error: internal compiler error: compiler/rustc_middle/src/ty/mod.rs:1: oops\n"
                          "thread 'rustc' panicked at compiler/rustc_middle/src/ty/mod.rs:1:1:\n"
                          "note: the compiler unexpectedly panicked. this is a bug.\n"
                          "error: could not compile `foo` (lib)\n";
  const forge::Failure f = forge::classify_build_failure(cargo_failed(), log);
  EXPECT_EQ(f.reason, forge::Reason::internal);
  EXPECT_EQ(f.crate, "foo");
}

TEST(ClassifyCompileError, CouldNotCompileWithoutCodes) {
  const std::string log = "error: cannot find macro `foo` in this scope\n"
                          "error: could not compile `bar` (bin \"bar\") due to 1 previous error\n";
  const forge::Failure f = forge::classify_build_failure(cargo_failed(), log);
  EXPECT_EQ(f.reason, forge::Reason::compile_error);
  EXPECT_TRUE(f.error_codes.empty());
  EXPECT_EQ(f.details, "error: cannot find macro `foo` in this scope");
  EXPECT_EQ(f.crate, "bar");
}

TEST(ClassifyInternal, UnknownFailuresUseTheLastErrorLine) {
  const forge::Failure f = forge::classify_build_failure(
      cargo_failed(),
      "   Compiling x v1.0.0\nerror: failed to parse manifest at `/src/Cargo.toml`\n\nCaused by:\n"
      "  feature `edition2024` is required\n");
  EXPECT_EQ(f.reason, forge::Reason::internal);
  EXPECT_EQ(f.details, "error: failed to parse manifest at `/src/Cargo.toml`");
  EXPECT_FALSE(f.spurious);
}

TEST(ClassifyInternal, EmptyLogReportsTheStatus) {
  const forge::Failure f = forge::classify_build_failure(cargo_failed(), "");
  EXPECT_EQ(f.reason, forge::Reason::internal);
  EXPECT_EQ(f.details, "builder exited with status 101 with no output");
}

TEST(ClassifyDetails, LongLinesAreClippedOnCharacterBoundaries) {
  const std::string line = "error: no matching package named `" + std::string(150, 'a') + "\xC3\xA9" +
                           std::string(150, 'b') + "` found\n";
  const forge::Failure f = forge::classify_build_failure(cargo_failed(), line);
  EXPECT_EQ(f.reason, forge::Reason::dependency_resolution);
  EXPECT_LE(f.details.size(), 200U);
  EXPECT_EQ(f.details.substr(f.details.size() - 3), "...");
}

TEST(ClassifySpurious, Vocabulary) {
  for (const char *reason : {"timeout", "out-of-memory", "no-space", "network"}) {
    ASSERT_TRUE(forge::parse_reason(reason)) << reason;
    EXPECT_TRUE(forge::is_spurious(*forge::parse_reason(reason))) << reason;
  }
  for (const char *reason : {"missing-system-library", "build-script", "compile-error", "link-error",
                             "target-not-installed", "dependency-resolution", "download", "checksum-mismatch",
                             "builder-missing", "no-executables", "not-static", "internal"}) {
    ASSERT_TRUE(forge::parse_reason(reason)) << reason;
    EXPECT_FALSE(forge::is_spurious(*forge::parse_reason(reason))) << reason;
  }
  EXPECT_EQ(forge::all_reasons().size(), 16U);
  for (const forge::Reason r : forge::all_reasons()) {
    EXPECT_EQ(forge::parse_reason(forge::to_string(r)), r) << r;
  }
  EXPECT_FALSE(forge::parse_reason(""));
  EXPECT_FALSE(forge::parse_reason("compile_error"));
}

} // namespace

// The sandbox's RLIMIT_FSIZE: a process writing past it gets SIGXFSZ; the same build hits it again.
TEST(ClassifySandbox, FileSizeLimitIsNoSpaceButNotSpurious) {
  const std::string log =
      "error: failed to run custom build command for `hostile v0.1.0`\n"
      "Caused by:\n  process didn't exit successfully: `/b/target/release/build/x/build-script-build` "
      "(signal: 25, SIGXFSZ: file size limit exceeded)\n";
  forge::Failure f = forge::classify_build_failure(cargo_failed(), log);
  EXPECT_EQ(f.reason, forge::Reason::no_space);
  EXPECT_FALSE(f.spurious);
  EXPECT_NE(f.details.find("--sandbox-max-file-size"), std::string::npos) << f.details;
  // cargo itself killed: bwrap reports 128 + SIGXFSZ, maybe with no output at all.
  f = forge::classify_build_failure(forge::ExitInfo{153, 0, false}, "");
  EXPECT_EQ(f.reason, forge::Reason::no_space);
  EXPECT_FALSE(f.spurious);
  EXPECT_EQ(forge::classify_build_failure(forge::ExitInfo{0, 25, false}, "").reason, forge::Reason::no_space);
}

// A build script reaching out from a network namespace without routes, or without a resolver.
TEST(ClassifySandbox, UnreachableNetworkIsNetwork) {
  for (const char *why : {"Network is unreachable (os error 101)",
                          "failed to lookup address information: Temporary failure in name resolution"}) {
    const std::string log =
        std::string("error: failed to run custom build command for `dl v0.1.0`\n") +
        "  --- stderr\n  thread 'main' panicked at build.rs:3:5:\n  download failed: " + why + "\n";
    EXPECT_EQ(forge::classify_build_failure(cargo_failed(), log).reason, forge::Reason::network) << why;
  }
}
