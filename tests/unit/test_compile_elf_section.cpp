// Why: forge rewrites the executables it ships; the rewrite must keep every loaded byte, be readable by
// binutils (the reference reader), survive `strip`, and refuse what it cannot do safely.
#include "forge/compile/elf_section.hpp"

#include "run_fixtures.hpp"

#include <gtest/gtest.h>

#include <elf.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace {

namespace fs = std::filesystem;
using forge::add_elf_section;
using forge::elf_section_data;
using forge::first_elf_difference;
using forge::read_elf_sections;
using forge::test_run::slurp;
using forge::test_run::spit;
using forge::test_run::TempDir;

// Output and exit status of a command run through the shell (test-only: fixed strings and temp paths).
std::pair<int, std::string> run(const std::string &command) {
  std::string out;
  FILE *p = ::popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) {
    return {-1, ""};
  }
  std::array<char, 4096> buf{};
  size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) {
    out.append(buf.data(), n);
  }
  const int status = ::pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

bool have(const char *program) {
  return run(std::string("command -v ") + program).first == 0;
}

// The bytes of every PT_LOAD segment (what the kernel maps), in order, with the two ELF header fields that
// locate the section header table blanked (the first segment maps the header).
std::string loaded_bytes(std::string elf) {
  std::fill(elf.begin() + offsetof(Elf64_Ehdr, e_shoff), elf.begin() + offsetof(Elf64_Ehdr, e_shoff) + 8,
            '\0');
  std::fill(elf.begin() + offsetof(Elf64_Ehdr, e_shnum), elf.begin() + offsetof(Elf64_Ehdr, e_shnum) + 2,
            '\0');
  const auto *eh = reinterpret_cast<const Elf64_Ehdr *>(elf.data());
  std::string out;
  for (int i = 0; i < eh->e_phnum; ++i) {
    const auto *ph = reinterpret_cast<const Elf64_Phdr *>(elf.data() + eh->e_phoff + i * eh->e_phentsize);
    if (ph->p_type == PT_LOAD) {
      out.append(elf.substr(ph->p_offset, ph->p_filesz));
    }
  }
  return out;
}

// A minimal relocatable ELF of any class and byte order: null section, .text (4 bytes), .shstrtab, with
// the section header table last, as linkers lay it out.
std::string synth_elf(bool is64, bool little) {
  const std::string names = std::string("\0.text\0.shstrtab\0", 17);
  const size_t eh = is64 ? 64 : 52;
  const size_t sh = is64 ? 64 : 40;
  std::string b(eh, '\0');
  const auto put = [&](size_t at, size_t width, uint64_t v) {
    if (b.size() < at + width) {
      b.resize(at + width, '\0');
    }
    for (size_t i = 0; i < width; ++i) {
      b[at + i] = static_cast<char>((v >> (8 * (little ? i : width - 1 - i))) & 0xff);
    }
  };
  b[0] = 0x7f;
  b[1] = 'E';
  b[2] = 'L';
  b[3] = 'F';
  b[4] = static_cast<char>(is64 ? ELFCLASS64 : ELFCLASS32);
  b[5] = static_cast<char>(little ? ELFDATA2LSB : ELFDATA2MSB);
  b[6] = EV_CURRENT;
  put(16, 2, ET_REL);
  put(18, 2, is64 ? EM_PPC64 : EM_PPC);
  put(20, 4, EV_CURRENT);
  const size_t text_at = eh;
  b += std::string("\x01\x02\x03\x04", 4);
  const size_t names_at = b.size();
  b += names;
  while (b.size() % 8 != 0) {
    b.push_back('\0');
  }
  const size_t shoff = b.size();
  b.resize(shoff + 3 * sh, '\0');
  const auto section = [&](size_t i, uint32_t name, uint32_t type, uint64_t flags, uint64_t off,
                           uint64_t size) {
    const size_t at = shoff + i * sh;
    put(at, 4, name);
    put(at + 4, 4, type);
    put(at + 8, is64 ? 8 : 4, flags);
    put(at + (is64 ? 24 : 16), is64 ? 8 : 4, off);
    put(at + (is64 ? 32 : 20), is64 ? 8 : 4, size);
    put(at + (is64 ? 48 : 32), is64 ? 8 : 4, 1);
  };
  section(1, 1, SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, text_at, 4);
  section(2, 7, SHT_STRTAB, 0, names_at, names.size());
  if (is64) {
    put(40, 8, shoff);
    put(52, 2, eh);
    put(58, 2, sh);
    put(60, 2, 3);
    put(62, 2, 2);
  } else {
    put(32, 4, shoff);
    put(40, 2, eh);
    put(46, 2, sh);
    put(48, 2, 3);
    put(50, 2, 2);
  }
  return b;
}

TEST(ElfSection, ReadsTheSectionsOfARealExecutable) {
  const auto sections = read_elf_sections(slurp("/bin/ls"));
  ASSERT_TRUE(sections.has_value());
  bool text = false;
  for (const auto &s : *sections) {
    text = text || (s.name == ".text" && s.type == SHT_PROGBITS && s.size > 0);
  }
  EXPECT_TRUE(text);
  EXPECT_FALSE(read_elf_sections("not an elf file at all, not at all").has_value());
}

TEST(ElfSection, AddedSectionLeavesEveryLoadedByteAndStillRuns) {
  TempDir dir("elf-section");
  const std::string original = slurp("/bin/ls");
  const std::string payload = "forge test payload \x01\x02\x03";
  const auto edit = add_elf_section(original, ".dep-v0", payload);
  ASSERT_TRUE(edit.error.empty()) << edit.error;
  EXPECT_EQ(loaded_bytes(edit.bytes), loaded_bytes(original));
  const auto data = elf_section_data(edit.bytes, ".dep-v0");
  ASSERT_TRUE(data.has_value());
  EXPECT_EQ(*data, payload);
  const auto sections = read_elf_sections(edit.bytes);
  ASSERT_TRUE(sections.has_value());
  EXPECT_EQ(sections->size(), read_elf_sections(original)->size() + 1);
  EXPECT_EQ(sections->back().name, ".dep-v0");
  EXPECT_EQ(sections->back().flags, 0U); // not SHF_ALLOC: in no segment

  const fs::path exe = dir / "ls";
  spit(exe, edit.bytes);
  fs::permissions(exe, fs::perms(0755));
  const auto [code, out] = run(exe.string() + " /");
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("usr"), std::string::npos);

  // A second section of the same name is refused, leaving the caller to keep the first.
  EXPECT_FALSE(add_elf_section(edit.bytes, ".dep-v0", "x").error.empty());
}

TEST(ElfSection, BinutilsReadTheSectionAndStripKeepsIt) {
  if (!have("readelf") || !have("objcopy") || !have("strip")) {
    GTEST_SKIP() << "binutils not installed";
  }
  TempDir dir("elf-section");
  const std::string payload(5000, 'z');
  const auto edit = add_elf_section(slurp("/bin/ls"), ".dep-v0", payload);
  ASSERT_TRUE(edit.error.empty()) << edit.error;
  const fs::path exe = dir / "ls";
  spit(exe, edit.bytes);
  const auto [rc, listing] = run("readelf --wide --sections " + exe.string());
  ASSERT_EQ(rc, 0) << listing;
  EXPECT_NE(listing.find(".dep-v0"), std::string::npos) << listing;
  EXPECT_EQ(listing.find("Warning"), std::string::npos) << listing;
  const fs::path dumped = dir / "dumped";
  ASSERT_EQ(run("objcopy --dump-section .dep-v0=" + dumped.string() + " " + exe.string()).first, 0);
  EXPECT_EQ(slurp(dumped), payload);
  const fs::path stripped = dir / "ls.stripped";
  ASSERT_EQ(run("strip -o " + stripped.string() + " " + exe.string()).first, 0);
  const std::string stripped_bytes = slurp(stripped);
  const auto kept = elf_section_data(stripped_bytes, ".dep-v0");
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ(*kept, payload);
}

TEST(ElfSection, EveryClassAndByteOrder) {
  for (const bool is64 : {true, false}) {
    for (const bool little : {true, false}) {
      const std::string elf = synth_elf(is64, little);
      ASSERT_TRUE(read_elf_sections(elf).has_value()) << is64 << little;
      const auto edit = add_elf_section(elf, ".dep-v0", "abc");
      ASSERT_TRUE(edit.error.empty()) << edit.error;
      const auto sections = read_elf_sections(edit.bytes);
      ASSERT_TRUE(sections.has_value());
      ASSERT_EQ(sections->size(), 4U);
      EXPECT_EQ((*sections)[1].name, ".text");
      EXPECT_EQ(edit.bytes.substr((*sections)[1].offset, 4), "\x01\x02\x03\x04");
      EXPECT_EQ(*elf_section_data(edit.bytes, ".dep-v0"), "abc");
      EXPECT_EQ(edit.bytes.size() % (is64 ? 8 : 4), 0U);
      if (have("readelf")) {
        TempDir dir("elf-section");
        spit(dir / "o", edit.bytes);
        const auto [rc, out] = run("readelf --wide --sections " + (dir / "o").string());
        EXPECT_EQ(rc, 0) << out;
        EXPECT_NE(out.find(".dep-v0"), std::string::npos) << out;
        EXPECT_EQ(out.find("Warning"), std::string::npos) << out;
      }
    }
  }
}

TEST(ElfSection, RefusesWhatItCannotRewriteSafely) {
  const std::string elf = synth_elf(true, true);
  EXPECT_EQ(add_elf_section("nope", ".dep-v0", "x").error, "not an ELF file");
  // Bytes after the last section: an appended payload the program may read from its own end.
  const auto trailing = add_elf_section(elf + "PAYLOAD", ".dep-v0", "x");
  EXPECT_NE(trailing.error.find("after its last section"), std::string::npos) << trailing.error;
  // No section header table.
  std::string bare = elf;
  std::fill(bare.begin() + 40, bare.begin() + 48, '\0');
  EXPECT_NE(add_elf_section(bare, ".dep-v0", "x").error.find("no section header table"), std::string::npos);
  // A section header table that claims to be past the end.
  std::string past = elf;
  past[40] = '\x7f';
  past[41] = '\x7f';
  EXPECT_FALSE(add_elf_section(past, ".dep-v0", "x").error.empty());
  EXPECT_FALSE(read_elf_sections(past).has_value());
}

TEST(ElfSection, TruncationsNeverCrashOrPass) {
  const std::string elf = synth_elf(true, true);
  for (size_t n = 0; n < elf.size(); ++n) {
    const std::string cut = elf.substr(0, n);
    EXPECT_FALSE(add_elf_section(cut, ".dep-v0", "x").error.empty()) << n;
  }
}

TEST(ElfSection, FirstDifferenceNamesTheSection) {
  const std::string a = synth_elf(true, true);
  EXPECT_EQ(first_elf_difference(a, a), "");
  std::string b = a;
  b[64 + 2] = 'X'; // inside .text
  EXPECT_EQ(first_elf_difference(a, b), "section .text differs (1 byte from offset 0x2 of 0x4)");
  const auto with = add_elf_section(a, ".comment", "built at noon");
  const auto with_other = add_elf_section(a, ".comment", "built at 1pm!");
  EXPECT_EQ(first_elf_difference(with.bytes, with_other.bytes).rfind("section .comment differs", 0), 0U);
  EXPECT_EQ(first_elf_difference(with.bytes, a).rfind("section .comment", 0), 0U);
  EXPECT_EQ(first_elf_difference("abc", "abd").rfind("byte 0x2 differs", 0), 0U);
}

} // namespace
