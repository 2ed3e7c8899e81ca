// Why: unpacking untrusted .crate files is forge's main attack surface; every escape trick gets a test.
#include "forge/compile/crate_source.hpp"
#include "forge/util/error.hpp"

#include <gtest/gtest.h>

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

struct Spec {
  std::string path;
  unsigned type = AE_IFREG;
  unsigned perm = 0644;
  std::string data;
  std::string symlink;
  std::string hardlink;
  int64_t declared_size = -1; // a header size with no data behind it (the writer pads with zeros)
};

Spec dir(const std::string &path, unsigned perm = 0755) {
  return {path, AE_IFDIR, perm, "", "", "", -1};
}
Spec file(const std::string &path, const std::string &data, unsigned perm = 0644) {
  return {path, AE_IFREG, perm, data, "", "", -1};
}
Spec link(const std::string &path, const std::string &target) {
  return {path, AE_IFLNK, 0777, "", target, "", -1};
}
Spec hard(const std::string &path, const std::string &target) {
  return {path, AE_IFREG, 0644, "", "", target, -1};
}
Spec node(const std::string &path, unsigned type) {
  return {path, type, 0644, "", "", "", -1};
}

// Writes `specs` as a pax tar, gzip-compressed unless `gzip` is false.
void write_crate(const fs::path &out, const std::vector<Spec> &specs, bool gzip = true) {
  struct archive *a = archive_write_new();
  ASSERT_NE(a, nullptr);
  if (gzip) {
    ASSERT_EQ(archive_write_add_filter_gzip(a), ARCHIVE_OK);
  }
  ASSERT_EQ(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
  ASSERT_EQ(archive_write_open_filename(a, out.c_str()), ARCHIVE_OK) << archive_error_string(a);
  for (const auto &s : specs) {
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, s.path.c_str());
    archive_entry_set_filetype(e, s.type);
    archive_entry_set_perm(e, s.perm);
    archive_entry_set_mtime(e, 1700000000, 0);
    if (!s.symlink.empty()) {
      archive_entry_set_symlink(e, s.symlink.c_str());
    }
    if (!s.hardlink.empty()) {
      archive_entry_set_hardlink(e, s.hardlink.c_str());
    }
    if (s.type == AE_IFCHR) {
      archive_entry_set_rdevmajor(e, 1);
      archive_entry_set_rdevminor(e, 3);
    }
    const bool has_data = s.type == AE_IFREG && s.hardlink.empty();
    archive_entry_set_size(e, s.declared_size >= 0 ? s.declared_size
                                                   : (has_data ? static_cast<int64_t>(s.data.size()) : 0));
    ASSERT_EQ(archive_write_header(a, e), ARCHIVE_OK) << s.path << ": " << archive_error_string(a);
    if (has_data && !s.data.empty()) {
      ASSERT_EQ(archive_write_data(a, s.data.data(), s.data.size()), static_cast<la_ssize_t>(s.data.size()));
    }
    archive_entry_free(e);
  }
  ASSERT_EQ(archive_write_close(a), ARCHIVE_OK);
  archive_write_free(a);
}

std::string slurp(const fs::path &p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

unsigned mode_of(const fs::path &p) {
  struct stat st {};
  EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

class Unpack : public ::testing::Test {
protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("forge_unpack_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++));
    fs::remove_all(root_);
    fs::create_directories(root_);
    crate_ = root_ / "demo-1.0.0.crate";
    dest_ = root_ / "out";
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  // Names of everything directly under root_.
  std::set<std::string> root_listing() const {
    std::set<std::string> names;
    for (const auto &e : fs::directory_iterator(root_)) {
      names.insert(e.path().filename().string());
    }
    return names;
  }

  // Unpacking `specs` must fail with Error(archive) naming `entry`, leaving only the crate file behind.
  void expect_refused(const std::vector<Spec> &specs, const std::string &entry, const std::string &why = "",
                      const forge::UnpackLimits &limits = {}) {
    write_crate(crate_, specs);
    try {
      forge::unpack_crate(crate_, dest_, limits);
      ADD_FAILURE() << "unpacked although '" << entry << "' is hostile";
    } catch (const forge::Error &e) {
      EXPECT_EQ(e.code(), forge::ExitCode::archive) << e.what();
      const std::string msg = e.what();
      EXPECT_NE(msg.find(crate_.string() + ": refusing entry '" + entry + "'"), std::string::npos) << msg;
      EXPECT_NE(msg.find(why), std::string::npos) << msg;
    }
    EXPECT_FALSE(fs::exists(fs::symlink_status(dest_)));
    EXPECT_EQ(root_listing(), std::set<std::string>{crate_.filename().string()});
  }

  static inline int counter_ = 0;
  fs::path root_;
  fs::path crate_;
  fs::path dest_;
};

TEST_F(Unpack, GoodCrateWithModesAndSymlinks) {
  write_crate(crate_,
              {dir("demo-1.0.0/", 0700), file("demo-1.0.0/Cargo.toml", "[package]\nname = \"demo\"\n", 0664),
               dir("demo-1.0.0/src"), file("demo-1.0.0/src/main.rs", "fn main() {}\n"),
               file("demo-1.0.0/src/bin/tool/deep.rs", "// deep\n"), // parents without entries
               file("demo-1.0.0/run.sh", "#!/bin/sh\necho hi\n", 0775), file("demo-1.0.0/suid", "x", 04755),
               file("demo-1.0.0/sticky", "y", 01666), link("demo-1.0.0/link.rs", "src/main.rs"),
               link("demo-1.0.0/src/up", "../Cargo.toml"), link("demo-1.0.0/via_root", "../demo-1.0.0/src"),
               link("demo-1.0.0/self", "."), link("demo-1.0.0/dangling", "src/not-there"),
               file("demo-1.0.0/empty", ""), file("./demo-1.0.0//dotted", "z"),
               hard("demo-1.0.0/hard.rs", "demo-1.0.0/src/main.rs")});
  const fs::path top = forge::unpack_crate(crate_, dest_, {});
  EXPECT_EQ(top, dest_ / "demo-1.0.0");
  EXPECT_EQ(slurp(top / "Cargo.toml"), "[package]\nname = \"demo\"\n");
  EXPECT_EQ(slurp(top / "src/main.rs"), "fn main() {}\n");
  EXPECT_EQ(slurp(top / "src/bin/tool/deep.rs"), "// deep\n");
  EXPECT_EQ(slurp(top / "dotted"), "z");
  EXPECT_EQ(slurp(top / "hard.rs"), "fn main() {}\n");
  EXPECT_EQ(fs::file_size(top / "empty"), 0u);
  EXPECT_EQ(mode_of(top), 0755u);
  EXPECT_EQ(mode_of(top / "src"), 0755u);
  EXPECT_EQ(mode_of(top / "src/bin/tool"), 0755u);
  EXPECT_EQ(mode_of(top / "Cargo.toml"), 0644u);
  EXPECT_EQ(mode_of(top / "run.sh"), 0755u);
  EXPECT_EQ(mode_of(top / "suid"), 0755u);
  EXPECT_EQ(mode_of(top / "sticky"), 0644u);
  EXPECT_TRUE(fs::is_symlink(top / "link.rs"));
  EXPECT_EQ(fs::read_symlink(top / "link.rs"), "src/main.rs");
  EXPECT_EQ(slurp(top / "link.rs"), "fn main() {}\n");
  EXPECT_EQ(slurp(top / "src/up"), "[package]\nname = \"demo\"\n");
  EXPECT_TRUE(fs::is_directory(top / "via_root"));
  EXPECT_TRUE(fs::is_symlink(top / "dangling"));
}

TEST_F(Unpack, RefusesAbsolutePath) {
  const std::string evil =
      (fs::temp_directory_path() / ("forge_evil_" + std::to_string(::getpid()))).string();
  expect_refused({dir("demo-1.0.0/"), file(evil, "x")}, evil, "absolute path");
  EXPECT_FALSE(fs::exists(evil));
}

TEST_F(Unpack, RefusesDotDot) {
  expect_refused({file("../evil", "x")}, "../evil", "'..'");
  expect_refused({dir("demo-1.0.0/"), file("demo-1.0.0/../../evil", "x")}, "demo-1.0.0/../../evil", "'..'");
  expect_refused({dir("demo-1.0.0/"), dir("demo-1.0.0/a/../b")}, "demo-1.0.0/a/../b/", "'..'");
}

TEST_F(Unpack, RefusesEntryOutsideTopDirectory) {
  expect_refused({dir("demo-1.0.0/"), file("demo-1.0.0/a", "a"), file("other/b", "b")}, "other/b",
                 "single top directory 'demo-1.0.0'");
  expect_refused({file("demo-1.0.0", "not a dir")}, "demo-1.0.0", "not a directory");
  expect_refused({dir("demo-1.0.0/"), link("demo-1.0.0", "/etc")}, "demo-1.0.0", "not a directory");
}

TEST_F(Unpack, RefusesSymlinkLeavingTheTree) {
  expect_refused({dir("demo-1.0.0/"), link("demo-1.0.0/passwd", "/etc/passwd")}, "demo-1.0.0/passwd",
                 "absolute");
  expect_refused({dir("demo-1.0.0/"), link("demo-1.0.0/a", "../../x")}, "demo-1.0.0/a", "leaves");
  expect_refused({dir("demo-1.0.0/"), link("demo-1.0.0/a", "..")}, "demo-1.0.0/a", "leaves");
  expect_refused({dir("demo-1.0.0/"), link("demo-1.0.0/src/a", "../../other/x")}, "demo-1.0.0/src/a",
                 "leaves");
}

TEST_F(Unpack, RefusesSymlinkChainsThatEscape) {
  // Lexically "a/a/a/../../x" stays inside, but "a" points at "." so the kernel would climb out.
  expect_refused({dir("demo-1.0.0/"), link("demo-1.0.0/a", "."), link("demo-1.0.0/b", "a/a/a/../../x")},
                 "demo-1.0.0/b", "through other symlinks");
  expect_refused({dir("demo-1.0.0/"), link("demo-1.0.0/b", "a/a/a/../../../etc"), link("demo-1.0.0/a", ".")},
                 "demo-1.0.0/b", "through other symlinks");
  expect_refused({dir("demo-1.0.0/"), link("demo-1.0.0/a", "b"), link("demo-1.0.0/b", "a")}, "demo-1.0.0/a",
                 "loop");
}

TEST_F(Unpack, RefusesWritingThroughSymlink) {
  // An in-tree link pointing outside is refused when it is created...
  const fs::path outside = root_ / "outside";
  expect_refused(
      {dir("demo-1.0.0/"), link("demo-1.0.0/l", outside.string()), file("demo-1.0.0/l/child", "x")},
      "demo-1.0.0/l", "absolute");
  // ...and even a link that stays inside is never written through.
  expect_refused({dir("demo-1.0.0/"), dir("demo-1.0.0/sub"), link("demo-1.0.0/l", "sub"),
                  file("demo-1.0.0/l/child", "x")},
                 "demo-1.0.0/l/child", "through the symlink 'demo-1.0.0/l'");
  expect_refused({dir("demo-1.0.0/"), link("demo-1.0.0/l", "."), dir("demo-1.0.0/l/d")}, "demo-1.0.0/l/d/",
                 "through the symlink");
  // A file entry replacing an earlier symlink is refused rather than followed.
  expect_refused({dir("demo-1.0.0/"), link("demo-1.0.0/f", "g"), file("demo-1.0.0/f", "x")}, "demo-1.0.0/f",
                 "duplicate entry");
  EXPECT_FALSE(fs::exists(outside));
}

TEST_F(Unpack, RefusesHardLinksOutsideTheTree) {
  expect_refused({dir("demo-1.0.0/"), hard("demo-1.0.0/passwd", "/etc/passwd")}, "demo-1.0.0/passwd",
                 "absolute");
  expect_refused({dir("demo-1.0.0/"), hard("demo-1.0.0/x", "demo-1.0.0/../../x")}, "demo-1.0.0/x", "'..'");
  expect_refused({dir("demo-1.0.0/"), file("other", "o"), hard("demo-1.0.0/x", "other")}, "other",
                 "single top directory");
  expect_refused(
      {dir("demo-1.0.0/"), hard("demo-1.0.0/x", "demo-1.0.0/later"), file("demo-1.0.0/later", "l")},
      "demo-1.0.0/x", "not a regular file unpacked earlier");
  expect_refused({dir("demo-1.0.0/"), dir("demo-1.0.0/d"), hard("demo-1.0.0/x", "demo-1.0.0/d")},
                 "demo-1.0.0/x", "not a regular file");
  expect_refused({dir("demo-1.0.0/"), file("demo-1.0.0/f", "f"), link("demo-1.0.0/l", "f"),
                  hard("demo-1.0.0/x", "demo-1.0.0/l")},
                 "demo-1.0.0/x", "not a regular file");
}

TEST_F(Unpack, RefusesSpecialFiles) {
  expect_refused({dir("demo-1.0.0/"), node("demo-1.0.0/null", AE_IFCHR)}, "demo-1.0.0/null",
                 "character device");
  expect_refused({dir("demo-1.0.0/"), node("demo-1.0.0/sda", AE_IFBLK)}, "demo-1.0.0/sda", "block device");
  expect_refused({dir("demo-1.0.0/"), node("demo-1.0.0/fifo", AE_IFIFO)}, "demo-1.0.0/fifo", "fifo");
}

TEST_F(Unpack, RefusesTooManyEntries) {
  forge::UnpackLimits limits;
  limits.max_entries = 3;
  expect_refused({dir("demo-1.0.0/"), file("demo-1.0.0/a", "a"), file("demo-1.0.0/b", "b"),
                  file("demo-1.0.0/c", "c"), file("demo-1.0.0/d", "d")},
                 "demo-1.0.0/c", "more than 3 entries", limits);
}

TEST_F(Unpack, RefusesTooLargeFilesAndArchives) {
  forge::UnpackLimits limits;
  limits.max_file_bytes = 1024;
  limits.max_bytes = 1500;
  Spec big = file("demo-1.0.0/big", "");
  big.declared_size = int64_t{1} << 20;
  expect_refused({dir("demo-1.0.0/"), big}, "demo-1.0.0/big", "limit of 1024 bytes per file", limits);
  expect_refused({dir("demo-1.0.0/"), file("demo-1.0.0/a", std::string(1000, 'a')),
                  file("demo-1.0.0/b", std::string(1000, 'b'))},
                 "demo-1.0.0/b", "limit of 1500 bytes in total", limits);
}

TEST_F(Unpack, RefusesDuplicateFile) {
  expect_refused({dir("demo-1.0.0/"), file("demo-1.0.0/a", "1"), file("demo-1.0.0/a", "2")}, "demo-1.0.0/a",
                 "duplicate entry");
}

TEST_F(Unpack, RefusesTruncatedGzip) {
  std::vector<Spec> specs = {dir("demo-1.0.0/")};
  for (int i = 0; i < 20; ++i) {
    std::string noise;
    for (int j = 0; j < 4000; ++j) {
      noise += static_cast<char>('a' + (i * 7919 + j * 104729) % 26);
    }
    specs.push_back(file("demo-1.0.0/f" + std::to_string(i), noise));
  }
  write_crate(crate_, specs);
  fs::resize_file(crate_, fs::file_size(crate_) / 2);
  try {
    forge::unpack_crate(crate_, dest_, {});
    ADD_FAILURE() << "a truncated crate was unpacked";
  } catch (const forge::Error &e) {
    EXPECT_EQ(e.code(), forge::ExitCode::archive) << e.what();
    EXPECT_NE(std::string(e.what()).find("corrupt or truncated"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dest_));
}

TEST_F(Unpack, RefusesGarbageAndUncompressedTar) {
  std::ofstream(crate_, std::ios::binary) << "this is not a crate at all";
  try {
    forge::unpack_crate(crate_, dest_, {});
    ADD_FAILURE() << "garbage was unpacked";
  } catch (const forge::Error &e) {
    EXPECT_EQ(e.code(), forge::ExitCode::archive) << e.what();
  }
  EXPECT_FALSE(fs::exists(dest_));
  write_crate(crate_, {dir("demo-1.0.0/"), file("demo-1.0.0/a", "a")}, false);
  try {
    forge::unpack_crate(crate_, dest_, {});
    ADD_FAILURE() << "an uncompressed tar was unpacked";
  } catch (const forge::Error &e) {
    EXPECT_EQ(e.code(), forge::ExitCode::archive) << e.what();
    EXPECT_NE(std::string(e.what()).find("not a gzip"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dest_));
}

TEST_F(Unpack, RefusesNonEmptyDestinationAndKeepsIt) {
  write_crate(crate_, {dir("demo-1.0.0/"), file("demo-1.0.0/a", "a")});
  fs::create_directories(dest_);
  std::ofstream(dest_ / "keep") << "mine";
  try {
    forge::unpack_crate(crate_, dest_, {});
    ADD_FAILURE() << "unpacked into a non-empty directory";
  } catch (const forge::Error &e) {
    EXPECT_EQ(e.code(), forge::ExitCode::io) << e.what();
  }
  EXPECT_EQ(slurp(dest_ / "keep"), "mine");
  fs::remove(dest_ / "keep");
  EXPECT_EQ(forge::unpack_crate(crate_, dest_, {}), dest_ / "demo-1.0.0"); // an empty one is fine
  EXPECT_EQ(slurp(dest_ / "demo-1.0.0/a"), "a");
}

TEST_F(Unpack, MissingCrateFileIsIoError) {
  try {
    forge::unpack_crate(root_ / "missing.crate", dest_, {});
    ADD_FAILURE() << "no error";
  } catch (const forge::Error &e) {
    EXPECT_EQ(e.code(), forge::ExitCode::io) << e.what();
  }
  EXPECT_FALSE(fs::exists(dest_));
}

TEST_F(Unpack, RealCrateFromDebianRegistry) {
  const fs::path src = "/usr/share/cargo/registry/hexyl-0.8.0";
  if (!fs::is_directory(src)) {
    GTEST_SKIP() << src << " is not installed (Debian package librust-hexyl-dev)";
  }
  // Like `cargo package`, symlinked files are stored as regular files.
  std::vector<Spec> specs = {dir("hexyl-0.8.0/")};
  for (const auto &e : fs::recursive_directory_iterator(src)) {
    const std::string rel = "hexyl-0.8.0/" + fs::relative(e.path(), src).string();
    if (fs::is_directory(e.path())) {
      specs.push_back(dir(rel));
    } else if (fs::is_regular_file(e.path())) {
      const bool exec = (fs::status(e.path()).permissions() & fs::perms::owner_exec) != fs::perms::none;
      specs.push_back(file(rel, slurp(e.path()), exec ? 0755 : 0644));
    }
  }
  crate_ = root_ / "hexyl-0.8.0.crate";
  write_crate(crate_, specs);
  const fs::path top = forge::unpack_crate(crate_, dest_, {});
  EXPECT_EQ(top, dest_ / "hexyl-0.8.0");
  ASSERT_TRUE(fs::is_regular_file(top / "Cargo.toml"));
  EXPECT_EQ(slurp(top / "Cargo.toml"), slurp(src / "Cargo.toml"));
  EXPECT_TRUE(fs::is_regular_file(top / "src/main.rs") || fs::is_directory(top / "src"));
}

} // namespace
