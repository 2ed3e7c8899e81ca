// Why: the supply-chain steps of forge build run on every executable it ships: embedding must change nothing
// else, the build date must come from the crate alone, and a rebuild comparison must name what differs.
#include "forge/compile/supply_chain.hpp"

#include "forge/compile/elf.hpp"
#include "forge/compile/elf_section.hpp"
#include "forge/util/fs.hpp"

#include "run_fixtures.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using forge::test_run::TempDir;
using namespace forge;

DepGraph two_crates() {
  DepGraph g;
  DepPackage app;
  app.name = "app";
  app.version = "1.0.0";
  app.root = true;
  app.deps = {1};
  DepPackage libc;
  libc.name = "libc";
  libc.version = "0.2.139";
  libc.source = std::string(kCratesIoSource);
  g.packages = {app, libc};
  return g;
}

TEST(SupplyChain, EmbeddedListReadsBackAndTheProgramIsUnchanged) {
  TempDir dir("supply");
  const fs::path exe = dir / "ls";
  fs::copy_file("/bin/ls", exe);
  fs::permissions(exe, fs::perms(0755));
  const auto before = read_elf(exe);
  const EmbedResult r = embed_dep_list(exe, two_crates());
  ASSERT_TRUE(r.embedded) << r.error;
  EXPECT_EQ(fs::status(exe).permissions() & fs::perms::owner_exec, fs::perms::owner_exec);
  EXPECT_EQ(read_embedded_dep_list(exe).value_or(""), auditable_json(two_crates()));
  const auto after = read_elf(exe);
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->interp, before->interp);
  EXPECT_EQ(after->needed, before->needed);
  EXPECT_EQ(after->is_executable, before->is_executable);
  EXPECT_EQ(std::system((exe.string() + " / > /dev/null").c_str()), 0);
  // Twice is refused and leaves the file alone.
  const std::string once = read_file(exe);
  EXPECT_FALSE(embed_dep_list(exe, two_crates()).embedded);
  EXPECT_EQ(read_file(exe), once);
  EXPECT_FALSE(read_embedded_dep_list("/bin/ls").has_value());
}

TEST(SupplyChain, NotAnElfIsAValue) {
  TempDir dir("supply");
  write_file_atomic(dir / "script", "#!/bin/sh\necho hi\n");
  const EmbedResult r = embed_dep_list(dir / "script", two_crates());
  EXPECT_FALSE(r.embedded);
  EXPECT_NE(r.error.find("not an ELF file"), std::string::npos);
  EXPECT_EQ(read_file(dir / "script"), "#!/bin/sh\necho hi\n");
}

TEST(SupplyChain, DepGraphFromFiles) {
  TempDir dir("supply");
  write_file_atomic(dir / "tree", "0app v1.0.0 (/b/app)\tMIT\t\n1libc v0.2.139\tMIT\t\n");
  write_file_atomic(dir / "Cargo.lock",
                    "version = 3\n[[package]]\nname = \"app\"\nversion = \"1.0.0\"\n"
                    "[[package]]\nname = \"libc\"\nversion = \"0.2.139\"\n"
                    "source = \"registry+https://github.com/rust-lang/crates.io-index\"\n");
  const auto r = read_dep_graph(dir / "tree", dir / "Cargo.lock", std::string(kCratesIoSource), "");
  ASSERT_TRUE(r.graph.has_value()) << r.error;
  EXPECT_EQ(r.graph->packages.size(), 2U);
  EXPECT_NE(read_dep_graph(dir / "missing", dir / "Cargo.lock", "", "").error, "");
  EXPECT_NE(read_dep_graph(dir / "tree", dir / "missing.lock", "", "").error, "");
}

TEST(SupplyChain, SourceDateEpochFromThePublicationElseTheCrate) {
  TempDir dir("supply");
  EXPECT_EQ(crate_source_date_epoch(std::string("2025-01-01T00:00:00Z"), dir / "none.crate"), 1735689600);
  EXPECT_EQ(crate_source_date_epoch(std::string("2017-01-17 19:13:05.5+00"), dir / "none.crate"), 1484680385);
  EXPECT_FALSE(crate_source_date_epoch(std::nullopt, dir / "none.crate").has_value());
  // A .crate made as old cargo versions made them: real file times.
  fs::create_directories(dir / "c-1.0.0/src");
  write_file_atomic(dir / "c-1.0.0/Cargo.toml", "[package]\n");
  write_file_atomic(dir / "c-1.0.0/src/main.rs", "fn main() {}\n");
  const std::string tar = "tar -C " + (dir / "").string() + " --mtime=@1600000000 -czf " +
                          (dir / "c-1.0.0.crate").string() + " c-1.0.0";
  ASSERT_EQ(std::system(tar.c_str()), 0);
  EXPECT_EQ(crate_source_date_epoch(std::nullopt, dir / "c-1.0.0.crate"), 1600000000);
  EXPECT_EQ(crate_source_date_epoch(std::string("not a date"), dir / "c-1.0.0.crate"), 1600000000);
}

TEST(SupplyChain, RemapsAndSourceIds) {
  const auto m = reproducible_remaps("/cache/builds/x-1/", "/root/.cargo");
  ASSERT_EQ(m.size(), 2U);
  EXPECT_EQ(m[0], (std::pair<std::string, std::string>{"/root/.cargo", "/cargo"}));
  EXPECT_EQ(m[1], (std::pair<std::string, std::string>{"/cache/builds/x-1", "/build"}));
  EXPECT_EQ(crate_source_id("https://index.crates.io/", true), kCratesIoSource);
  EXPECT_EQ(crate_source_id("http://127.0.0.1:8/index/", false), "sparse+http://127.0.0.1:8/index/");
  BuilderSettings s;
  s.toolchain = "stable";
  s.cargo_program = "cargo";
  ::unsetenv("RUSTC");
  EXPECT_EQ(rustc_version_argv(s), (std::vector<std::string>{"rustc", "+stable", "-vV"}));
  ::setenv("RUSTC", "/usr/bin/rustc", 1);
  s.toolchain.clear();
  EXPECT_EQ(rustc_version_argv(s), (std::vector<std::string>{"/usr/bin/rustc", "-vV"}));
  ::unsetenv("RUSTC");
}

TEST(SupplyChain, RebuildComparisonNamesTheSection) {
  TempDir dir("supply");
  fs::create_directories(dir / "a");
  fs::create_directories(dir / "b");
  const std::string ls = read_file("/bin/ls");
  const auto one = add_elf_section(ls, ".note.when", "built 12:00:00");
  const auto two = add_elf_section(ls, ".note.when", "built 12:00:01");
  write_file_atomic(dir / "a/tool", one.bytes);
  write_file_atomic(dir / "b/tool", one.bytes);
  write_file_atomic(dir / "a/other", ls);
  write_file_atomic(dir / "b/other", ls);
  auto c = compare_rebuild({dir / "a/tool", dir / "a/other"}, {dir / "b/other", dir / "b/tool"});
  EXPECT_TRUE(c.reproducible);
  EXPECT_EQ(c.details, "");
  write_file_atomic(dir / "b/tool", two.bytes);
  c = compare_rebuild({dir / "a/tool", dir / "a/other"}, {dir / "b/tool", dir / "b/other"});
  EXPECT_FALSE(c.reproducible);
  EXPECT_EQ(c.details.rfind("tool: section .note.when differs (1 byte from offset 0xd", 0), 0U) << c.details;
  c = compare_rebuild({dir / "a/tool"}, {dir / "b/other"});
  EXPECT_FALSE(c.reproducible);
  EXPECT_NE(c.details.find("tool: not produced by the second build"), std::string::npos);
  EXPECT_NE(c.details.find("other: produced only by the second build"), std::string::npos);
  EXPECT_FALSE(compare_rebuild({}, {}).reproducible);
}

} // namespace
