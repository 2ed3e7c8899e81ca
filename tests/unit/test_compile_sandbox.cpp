// Why: the sandbox is only as good as its command line and its allow-list; each rule (namespaces, uid switch,
// limits, mount order, which variables and cargo-home files get in) is pinned here without starting bwrap.
// tests/e2e/test_build_sandbox.py runs the real thing against hostile crates.
#include "forge/compile/sandbox.hpp"
#include "forge/util/error.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using Argv = std::vector<std::string>;
using forge::SandboxLayout;

std::ptrdiff_t index_of(const Argv &argv, const Argv &seq) {
  const auto it = std::search(argv.begin(), argv.end(), seq.begin(), seq.end());
  return it == argv.end() ? -1 : it - argv.begin();
}

bool has(const Argv &argv, const Argv &seq) {
  return index_of(argv, seq) >= 0;
}

SandboxLayout layout(uint32_t uid) {
  SandboxLayout l;
  l.build_dir = "/tmp/t/cache/builds/fx-1";
  l.work_dir = "/tmp/t/cache/builds/fx-1/src/fx-0.1.0";
  l.ro_binds = {"/root/.rustup", "/tmp/t/cargo-home/registry"};
  l.ro_files = {
      {"/tmp/t/cache/builds/fx-1/.forge-sandbox/cargo-config.toml", "/tmp/t/cargo-home/config.toml"}};
  l.root_entries = {{"bin", "usr/bin"}, {"lib64", "usr/lib64"}, {"opt-tools", ""}};
  l.uid = uid;
  l.max_processes = 64;
  l.max_file_bytes = 1000;
  l.max_memory_bytes = 3000;
  l.tmp_bytes = 2000;
  return l;
}

TEST(SandboxMode, Parses) {
  EXPECT_EQ(forge::parse_sandbox_mode("auto"), forge::SandboxMode::auto_);
  EXPECT_EQ(forge::parse_sandbox_mode("bwrap"), forge::SandboxMode::bwrap);
  EXPECT_EQ(forge::parse_sandbox_mode("none"), forge::SandboxMode::none);
  EXPECT_THROW(forge::parse_sandbox_mode("docker"), forge::Error);
}

TEST(SandboxChoice, FollowsTheModeTheProbeAndTheBuilder) {
  forge::SandboxSettings s;
  forge::SandboxProbe works;
  works.works = true;
  works.why = "bubblewrap 0.8.0 works here";
  forge::SandboxProbe broken;
  broken.why = "bwrap is not installed";

  auto c = forge::choose_sandbox(s, forge::BuilderKind::cargo, works);
  EXPECT_TRUE(c.bwrap);
  EXPECT_EQ(c.name(), "bwrap");
  EXPECT_EQ(c.reason, works.why);

  c = forge::choose_sandbox(s, forge::BuilderKind::zigbuild, broken);
  EXPECT_FALSE(c.bwrap);
  EXPECT_EQ(c.name(), "none");
  EXPECT_NE(c.reason.find("bwrap is not installed"), std::string::npos) << c.reason;

  c = forge::choose_sandbox(s, forge::BuilderKind::cross, works);
  EXPECT_FALSE(c.bwrap);
  EXPECT_NE(c.reason.find("own container"), std::string::npos) << c.reason;

  s.mode = forge::SandboxMode::none;
  c = forge::choose_sandbox(s, forge::BuilderKind::cargo, works);
  EXPECT_FALSE(c.bwrap);
  EXPECT_NE(c.reason.find("--sandbox none"), std::string::npos) << c.reason;

  s.mode = forge::SandboxMode::bwrap;
  EXPECT_TRUE(forge::choose_sandbox(s, forge::BuilderKind::cargo, works).bwrap);
  try {
    (void)forge::choose_sandbox(s, forge::BuilderKind::cargo, broken);
    FAIL() << "an explicit --sandbox bwrap that cannot work must not build unsandboxed";
  } catch (const forge::Error &e) {
    EXPECT_EQ(e.code(), forge::ExitCode::usage);
    EXPECT_NE(std::string(e.what()).find("bwrap is not installed"), std::string::npos) << e.what();
  }
  // cross keeps its own container even when bwrap is asked for.
  EXPECT_FALSE(forge::choose_sandbox(s, forge::BuilderKind::cross, broken).bwrap);
}

TEST(SandboxUid, UniquePerForgeWhenMappedElseNobody) {
  EXPECT_EQ(forge::pick_sandbox_uid("         0          0 4294967295\n", 4242), 0x7e000000U + 4242U);
  // a rootless container: 65536 uids mapped
  EXPECT_EQ(forge::pick_sandbox_uid("0 100000 65536\n", 4242), 65534U);
  EXPECT_EQ(forge::pick_sandbox_uid("0 0 1\n", 4242), std::nullopt);
  EXPECT_EQ(forge::pick_sandbox_uid("", 4242), std::nullopt);
  EXPECT_EQ(forge::pick_sandbox_uid("0 0 1000\n65534 65534 1\n", 4242), 65534U);
}

TEST(SandboxEnvironment, AllowListWithoutSecrets) {
  const std::vector<std::string> pass;
  for (const char *ok :
       {"PATH", "LANG", "LC_ALL", "RUSTFLAGS", "CARGO_TARGET_DIR", "CARGO_PROFILE_RELEASE_LTO",
        "CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER", "PKG_CONFIG_PATH", "OPENSSL_STATIC",
        "CC_aarch64_unknown_linux_gnu", "RUSTUP_TOOLCHAIN", "SOURCE_DATE_EPOCH"}) {
    EXPECT_TRUE(forge::sandbox_passes_variable(ok, pass)) << ok;
  }
  for (const char *no :
       {"GITHUB_TOKEN", "FORGE_REGISTRY_TOKEN", "CARGO_REGISTRY_TOKEN", "CARGO_REGISTRIES_MY_TOKEN",
        "AWS_SECRET_ACCESS_KEY", "SSH_AUTH_SOCK", "HOME", "USER", "CI", "GITHUB_ACTIONS", "RUSTC_WRAPPER",
        "http_proxy", "CARGO_BUILD_TOKEN", "CARGO_TARGET_PASSWORD", "DISPLAY", "XDG_RUNTIME_DIR", ""}) {
    EXPECT_FALSE(forge::sandbox_passes_variable(no, pass)) << no;
  }
  // Named explicitly by the user: let in, whatever it looks like.
  EXPECT_TRUE(forge::sandbox_passes_variable("FORGE_E2E_MARKER", {"FORGE_E2E_MARKER"}));
  EXPECT_TRUE(forge::sandbox_passes_variable("MY_TOKEN", {"MY_TOKEN"}));
}

TEST(SandboxEnvironment, FiltersThenSets) {
  const auto env = forge::sandbox_environment(
      {"PATH=/usr/bin", "HOME=/root", "GITHUB_TOKEN=ghp_x", "RUSTFLAGS=-C x", "TMPDIR=/var/tmp", "NOEQUALS"},
      {}, {{"HOME", "/b/home"}, {"TMPDIR", "/tmp"}});
  EXPECT_EQ(env,
            (std::vector<std::string>{"PATH=/usr/bin", "RUSTFLAGS=-C x", "HOME=/b/home", "TMPDIR=/tmp"}));
}

TEST(BwrapCommand, RootDropsToTheBuildUidWithLimits) {
  const Argv argv =
      forge::bwrap_command("/usr/bin/bwrap", layout(0x7e000001), {"cargo", "build", "--offline"});
  ASSERT_FALSE(argv.empty());
  EXPECT_EQ(argv.front(), "/usr/bin/bwrap");
  for (const char *flag : {"--die-with-parent", "--new-session", "--unshare-pid", "--unshare-net",
                           "--unshare-ipc", "--unshare-uts"}) {
    EXPECT_TRUE(has(argv, {flag})) << flag;
  }
  // As root a user namespace would map the build to uid 0, for which RLIMIT_NPROC does not count.
  EXPECT_FALSE(has(argv, {"--unshare-user"}));
  EXPECT_TRUE(has(argv, {"--ro-bind", "/usr", "/usr"}));
  EXPECT_TRUE(has(argv, {"--symlink", "usr/bin", "/bin"}));
  EXPECT_TRUE(has(argv, {"--ro-bind", "/opt-tools", "/opt-tools"}));
  EXPECT_TRUE(has(argv, {"--proc", "/proc"}));
  EXPECT_TRUE(has(argv, {"--dev", "/dev"}));
  EXPECT_TRUE(has(argv, {"--perms", "1777", "--size", "2000", "--tmpfs", "/tmp"}));
  EXPECT_TRUE(has(argv, {"--ro-bind", "/root/.rustup", "/root/.rustup"}));
  EXPECT_TRUE(has(argv, {"--ro-bind", "/tmp/t/cargo-home/registry", "/tmp/t/cargo-home/registry"}));
  EXPECT_TRUE(has(argv, {"--ro-bind", "/tmp/t/cache/builds/fx-1/.forge-sandbox/cargo-config.toml",
                         "/tmp/t/cargo-home/config.toml"}));
  EXPECT_TRUE(has(argv, {"--bind", "/tmp/t/cache/builds/fx-1", "/tmp/t/cache/builds/fx-1"}));
  EXPECT_TRUE(has(argv, {"--chdir", "/tmp/t/cache/builds/fx-1/src/fx-0.1.0", "--"}));
  // Nothing of $HOME but the toolchain: /root itself is an empty directory made by bwrap.
  EXPECT_TRUE(has(argv, {"--perms", "0755", "--dir", "/root"}));
  EXPECT_FALSE(has(argv, {"--bind", "/root", "/root"}));
  EXPECT_FALSE(has(argv, {"--ro-bind", "/root", "/root"}));
  EXPECT_FALSE(has(argv, {"--ro-bind", "/", "/"}));
  EXPECT_TRUE(has(argv, {"/usr/bin/setpriv", "--reuid=2113929217", "--regid=2113929217", "--clear-groups",
                         "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"}));
  EXPECT_TRUE(has(argv, {"/usr/bin/choom", "-n", "1000", "--", "/usr/bin/prlimit", "--nproc=64:64",
                         "--fsize=1000:1000", "--data=3000:3000", "--core=0:0", "--", "cargo", "build",
                         "--offline"}));
  EXPECT_EQ(argv.back(), "--offline");
  // The uid switch happens before the limits, both after bwrap's own options.
  EXPECT_LT(index_of(argv, {"--chdir"}), index_of(argv, {"/usr/bin/setpriv"}));
  EXPECT_LT(index_of(argv, {"/usr/bin/setpriv"}), index_of(argv, {"/usr/bin/prlimit"}));
}

TEST(BwrapCommand, MountPointsUnderTheFreshTmpGetParentsAfterIt) {
  const Argv argv = forge::bwrap_command("bwrap", layout(5), {"true"});
  const auto tmpfs = index_of(argv, {"--tmpfs", "/tmp"});
  const auto parent = index_of(argv, {"--perms", "0755", "--dir", "/tmp/t"});
  const auto cache = index_of(argv, {"--perms", "0755", "--dir", "/tmp/t/cache/builds"});
  const auto bind = index_of(argv, {"--bind", "/tmp/t/cache/builds/fx-1"});
  ASSERT_GE(tmpfs, 0);
  ASSERT_GE(parent, 0);
  ASSERT_GE(cache, 0);
  EXPECT_LT(tmpfs, parent);
  EXPECT_LT(parent, cache);
  EXPECT_LT(cache, bind);
  // Each directory once.
  EXPECT_EQ(std::count(argv.begin(), argv.end(), "/tmp/t"), 1);
  // Parents that a bind mount already shows are not made again.
  const Argv nested = forge::bwrap_command("bwrap",
                                           [] {
                                             auto l = layout(5);
                                             l.ro_binds = {"/usr/share/cargo/registry"};
                                             return l;
                                           }(),
                                           {"true"});
  EXPECT_FALSE(has(nested, {"--dir", "/usr/share"}));
  EXPECT_TRUE(has(nested, {"--ro-bind", "/usr/share/cargo/registry", "/usr/share/cargo/registry"}));
}

TEST(BwrapCommand, NestedBindsComeAfterTheirParents) {
  auto l = layout(5);
  l.build_dir = "/srv/cache/builds/x";
  l.work_dir = l.build_dir;
  l.ro_binds = {"/srv/cache"}; // a build root under a read-only cache must still be writable
  l.ro_files.clear();
  const Argv argv = forge::bwrap_command("bwrap", l, {"true"});
  EXPECT_LT(index_of(argv, {"--ro-bind", "/srv/cache", "/srv/cache"}),
            index_of(argv, {"--bind", "/srv/cache/builds/x", "/srv/cache/builds/x"}));
}

TEST(BwrapCommand, TheJobserverFifoIsBoundWritableAfterTheFreshTmp) {
  auto l = layout(5);
  l.rw_binds = {"/tmp/forge-jobserver-Ab12/fifo"};
  const Argv argv = forge::bwrap_command("bwrap", l, {"true"});
  const auto tmpfs = index_of(argv, {"--tmpfs", "/tmp"});
  const auto dir = index_of(argv, {"--perms", "0755", "--dir", "/tmp/forge-jobserver-Ab12"});
  const auto bind =
      index_of(argv, {"--bind", "/tmp/forge-jobserver-Ab12/fifo", "/tmp/forge-jobserver-Ab12/fifo"});
  ASSERT_GE(tmpfs, 0);
  ASSERT_GE(dir, 0);
  ASSERT_GE(bind, 0);
  EXPECT_LT(tmpfs, dir);
  EXPECT_LT(dir, bind);
}

TEST(JobserverFifo, FoundInMakeflagsOnlyAsAnAbsoluteFifoPath) {
  EXPECT_EQ(forge::jobserver_fifo("-j3 --jobserver-auth=fifo:/tmp/forge-jobserver-x/fifo"),
            fs::path("/tmp/forge-jobserver-x/fifo"));
  EXPECT_EQ(forge::jobserver_fifo("-j2 --jobserver-auth=fifo:/a/one --jobserver-auth=fifo:/b/two"),
            fs::path("/b/two"));
  EXPECT_EQ(forge::jobserver_fifo("-j2 --jobserver-auth=3,4"), std::nullopt);
  EXPECT_EQ(forge::jobserver_fifo("-j2 --jobserver-auth=fifo:relative/fifo"), std::nullopt);
  EXPECT_EQ(forge::jobserver_fifo(""), std::nullopt);
}

TEST(BwrapCommand, NotRootUsesAUserNamespaceWithoutNestedOnes) {
  const Argv argv = forge::bwrap_command("bwrap", layout(0), {"cargo"});
  EXPECT_TRUE(has(argv, {"--unshare-user", "--disable-userns"}));
  EXPECT_FALSE(has(argv, {"/usr/bin/setpriv"}));
  EXPECT_TRUE(has(argv, {"--", "/usr/bin/choom", "-n", "1000", "--", "/usr/bin/prlimit", "--nproc=64:64"}));
}

class CargoHome : public ::testing::Test {
protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("forge-unit-sandbox-" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_ / "home" / "registry");
    fs::create_directories(root_ / "scratch");
  }
  void TearDown() override { fs::remove_all(root_); }
  void write(const fs::path &p, const std::string &text) { std::ofstream(p) << text; }
  fs::path root_;
};

TEST_F(CargoHome, HidesCredentialsAndTokensKeepsSources) {
  write(root_ / "home" / "credentials.toml", "[registry]\ntoken = \"cio_secret\"\n");
  write(root_ / "home" / "credentials", "[registry]\ntoken = \"cio_old\"\n");
  write(root_ / "home" / "config.toml",
        "[source.crates-io]\nreplace-with = \"vendored\"\n[source.vendored]\ndirectory = \"/srv/vendor\"\n"
        "[source.local]\nlocal-registry = \"rel/reg\"\n[registry]\ntoken = \"cio_inline\"\n"
        "[registries.corp]\nindex = \"sparse+https://corp/\"\ntoken = \"corp_secret\"\n"
        "[http]\nproxy = \"http://user:pw@proxy:3128\"\n[env]\nAPI_TOKEN = \"env_secret\"\nOPENSSL_STATIC = "
        "\"1\"\n");
  const auto view = forge::view_cargo_home(root_ / "home", root_ / "scratch");
  std::vector<std::string> names;
  for (const auto &e : view.entries) {
    names.push_back(e.filename().string());
  }
  EXPECT_EQ(names, std::vector<std::string>{"registry"});
  ASSERT_TRUE(view.config.has_value());
  EXPECT_EQ(view.config->second, root_ / "home" / "config.toml");
  std::ifstream in(view.config->first);
  const std::string copy((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const char *secret : {"cio_inline", "corp_secret", "user:pw", "env_secret"}) {
    EXPECT_EQ(copy.find(secret), std::string::npos) << secret << " in\n" << copy;
  }
  EXPECT_NE(copy.find("/srv/vendor"), std::string::npos) << copy;
  EXPECT_NE(copy.find("OPENSSL_STATIC"), std::string::npos) << copy;
  EXPECT_NE(copy.find("sparse+https://corp/"), std::string::npos) << copy;
  auto sources = view.sources;
  std::sort(sources.begin(), sources.end());
  EXPECT_EQ(sources, (std::vector<fs::path>{"/srv/vendor", root_ / "rel/reg"}));
  const std::string hidden = [&] {
    std::string all;
    for (const auto &h : view.hidden) {
      all += h + "\n";
    }
    return all;
  }();
  EXPECT_NE(hidden.find("credentials.toml"), std::string::npos) << hidden;
  EXPECT_NE(hidden.find("registries.corp.token"), std::string::npos) << hidden;
}

TEST_F(CargoHome, CleanConfigIsBoundAsItIs) {
  write(root_ / "home" / "config.toml", "[net]\noffline = true\n");
  const auto view = forge::view_cargo_home(root_ / "home", root_ / "scratch");
  EXPECT_FALSE(view.config.has_value());
  EXPECT_EQ(view.entries.size(), 2U);
  EXPECT_TRUE(view.hidden.empty());
}

} // namespace
