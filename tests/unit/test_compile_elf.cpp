// Why: the static-executable check guards every artifact forge ships, so it must be right and uncrashable.
#include "forge/compile/elf.hpp"

#include <gtest/gtest.h>

#include <elf.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

const fs::path kLs = "/bin/ls";
const fs::path kLibc = "/usr/lib/x86_64-linux-gnu/libc.so.6";

// A scratch directory that removes itself.
class TempDir {
public:
  // `base` defaults to the temp directory; the fuzz tests pass /dev/shm to avoid thousands of disk writes.
  explicit TempDir(const fs::path &base = fs::temp_directory_path()) {
    path_ = base / ("forge_elf_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;
  [[nodiscard]] const fs::path &path() const { return path_; }

private:
  static inline int counter_ = 0;
  fs::path path_;
};

std::vector<uint8_t> read_all(const fs::path &path) {
  std::vector<uint8_t> bytes(fs::file_size(path));
  std::ifstream in(path, std::ios::binary);
  in.read(reinterpret_cast<char *>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return bytes;
}

void write_all(const fs::path &path, const std::vector<uint8_t> &bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char *>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

bool contains(const std::vector<std::string> &v, const std::string &s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// Invariants that hold for any result, however hostile the input.
void expect_sane(const std::optional<forge::ElfInfo> &info) {
  if (info) {
    EXPECT_TRUE(info->is_elf);
    EXPECT_LE(info->interp.size(), 4096U);
    for (const auto &name : info->needed) {
      EXPECT_LE(name.size(), 4096U);
    }
  }
}

// --- A hand-made ELF file, for both classes and both byte orders ---------------------------------

struct SynthOptions {
  bool is_64 = true;
  bool little_endian = true;
  uint16_t type = ET_EXEC;
  uint16_t machine = EM_X86_64;
  bool interp = true;
  bool dynamic = true;
  bool pie_flag = false;
  bool soname = false;
};

class Writer {
public:
  explicit Writer(bool little_endian) : le_(little_endian) {}
  std::vector<uint8_t> bytes;
  void put(size_t offset, uint64_t value, size_t width) {
    if (bytes.size() < offset + width) {
      bytes.resize(offset + width);
    }
    for (size_t i = 0; i < width; ++i) {
      const size_t shift = le_ ? i : width - 1 - i;
      bytes[offset + i] = static_cast<uint8_t>(value >> (8 * shift));
    }
  }
  void put_string(size_t offset, const std::string &s) {
    if (bytes.size() < offset + s.size() + 1) {
      bytes.resize(offset + s.size() + 1);
    }
    std::copy(s.begin(), s.end(), bytes.begin() + static_cast<std::ptrdiff_t>(offset));
    bytes[offset + s.size()] = 0;
  }

private:
  bool le_;
};

// Layout: header, 3 program headers (LOAD of the whole file, INTERP, DYNAMIC), interpreter string,
// string table, dynamic section. The LOAD maps file offset 0 to kBase.
constexpr uint64_t kBase = 0x10000;
constexpr size_t kInterpOff = 0x100;
constexpr size_t kStrtabOff = 0x180;
constexpr size_t kDynOff = 0x200;
const std::string kStrtab = std::string("\0libfoo.so.1\0libbar.so\0libself.so\0", 34);

std::vector<uint8_t> synth_elf(const SynthOptions &o) {
  Writer w(o.little_endian);
  const size_t ehsize = o.is_64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
  const size_t phsize = o.is_64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
  const size_t dynsize = o.is_64 ? sizeof(Elf64_Dyn) : sizeof(Elf32_Dyn);
  const size_t word = o.is_64 ? 8 : 4;

  // Dynamic section first, to know the file size.
  std::vector<std::pair<uint64_t, uint64_t>> dyn = {
      {DT_NEEDED, 1}, {DT_STRTAB, kBase + kStrtabOff}, {DT_NEEDED, 13}, {DT_STRSZ, kStrtab.size()}};
  if (o.soname) {
    dyn.emplace_back(DT_SONAME, 23);
  }
  if (o.pie_flag) {
    dyn.emplace_back(DT_FLAGS_1, DF_1_PIE | DF_1_NOW);
  }
  dyn.emplace_back(DT_NULL, 0);
  for (size_t i = 0; i < dyn.size(); ++i) {
    w.put(kDynOff + i * dynsize, dyn[i].first, word);
    w.put(kDynOff + i * dynsize + word, dyn[i].second, word);
  }
  const size_t file_size = w.bytes.size();
  w.put_string(kInterpOff, "/lib/ld-test.so.1");
  for (size_t i = 0; i < kStrtab.size(); ++i) {
    w.bytes[kStrtabOff + i] = static_cast<uint8_t>(kStrtab[i]);
  }

  const uint8_t ident[] = {ELFMAG0,
                           ELFMAG1,
                           ELFMAG2,
                           ELFMAG3,
                           static_cast<uint8_t>(o.is_64 ? ELFCLASS64 : ELFCLASS32),
                           static_cast<uint8_t>(o.little_endian ? ELFDATA2LSB : ELFDATA2MSB),
                           EV_CURRENT};
  std::copy(std::begin(ident), std::end(ident), w.bytes.begin());

  struct Ph {
    uint32_t type;
    uint64_t offset;
    uint64_t filesz;
  };
  std::vector<Ph> phs = {{PT_LOAD, 0, file_size}};
  if (o.interp) {
    phs.push_back({PT_INTERP, kInterpOff, 18});
  }
  if (o.dynamic) {
    phs.push_back({PT_DYNAMIC, kDynOff, dyn.size() * dynsize});
  }
  if (o.is_64) {
    w.put(offsetof(Elf64_Ehdr, e_type), o.type, 2);
    w.put(offsetof(Elf64_Ehdr, e_machine), o.machine, 2);
    w.put(offsetof(Elf64_Ehdr, e_version), EV_CURRENT, 4);
    w.put(offsetof(Elf64_Ehdr, e_phoff), ehsize, 8);
    w.put(offsetof(Elf64_Ehdr, e_ehsize), ehsize, 2);
    w.put(offsetof(Elf64_Ehdr, e_phentsize), phsize, 2);
    w.put(offsetof(Elf64_Ehdr, e_phnum), phs.size(), 2);
    for (size_t i = 0; i < phs.size(); ++i) {
      const size_t p = ehsize + i * phsize;
      w.put(p + offsetof(Elf64_Phdr, p_type), phs[i].type, 4);
      w.put(p + offsetof(Elf64_Phdr, p_offset), phs[i].offset, 8);
      w.put(p + offsetof(Elf64_Phdr, p_vaddr), kBase + phs[i].offset, 8);
      w.put(p + offsetof(Elf64_Phdr, p_filesz), phs[i].filesz, 8);
      w.put(p + offsetof(Elf64_Phdr, p_memsz), phs[i].filesz, 8);
    }
  } else {
    w.put(offsetof(Elf32_Ehdr, e_type), o.type, 2);
    w.put(offsetof(Elf32_Ehdr, e_machine), o.machine, 2);
    w.put(offsetof(Elf32_Ehdr, e_version), EV_CURRENT, 4);
    w.put(offsetof(Elf32_Ehdr, e_phoff), ehsize, 4);
    w.put(offsetof(Elf32_Ehdr, e_ehsize), ehsize, 2);
    w.put(offsetof(Elf32_Ehdr, e_phentsize), phsize, 2);
    w.put(offsetof(Elf32_Ehdr, e_phnum), phs.size(), 2);
    for (size_t i = 0; i < phs.size(); ++i) {
      const size_t p = ehsize + i * phsize;
      w.put(p + offsetof(Elf32_Phdr, p_type), phs[i].type, 4);
      w.put(p + offsetof(Elf32_Phdr, p_offset), phs[i].offset, 4);
      w.put(p + offsetof(Elf32_Phdr, p_vaddr), kBase + phs[i].offset, 4);
      w.put(p + offsetof(Elf32_Phdr, p_filesz), phs[i].filesz, 4);
      w.put(p + offsetof(Elf32_Phdr, p_memsz), phs[i].filesz, 4);
    }
  }
  return w.bytes;
}

// Runs `cc` (or gcc) on a C source; false if no compiler or the link fails (e.g. no static libc).
bool compile_c(const fs::path &dir, const std::string &flags, const fs::path &out) {
  std::string compiler;
  for (const char *candidate : {"/usr/bin/cc", "/usr/bin/gcc"}) {
    if (fs::exists(candidate)) {
      compiler = candidate;
      break;
    }
  }
  if (compiler.empty()) {
    return false;
  }
  const fs::path src = dir / "main.c";
  std::ofstream(src) << "#include <stdio.h>\nint main(void) { puts(\"hi\"); return 0; }\n";
  const std::string command =
      compiler + " " + flags + " -o '" + out.string() + "' '" + src.string() + "' >/dev/null 2>&1";
  return std::system(command.c_str()) == 0 && fs::exists(out);
}

// --- Real files ---------------------------------------------------------------------------------

TEST(Elf, BinLsIsDynamic) {
  if (!fs::exists(kLs)) {
    GTEST_SKIP() << "no /bin/ls";
  }
  const auto info = forge::read_elf(kLs);
  ASSERT_TRUE(info);
  EXPECT_TRUE(info->is_elf);
  EXPECT_TRUE(info->is_64);
  EXPECT_TRUE(info->little_endian);
  EXPECT_EQ(info->machine, EM_X86_64);
  EXPECT_EQ(info->machine, 62);
  EXPECT_TRUE(info->has_interp);
  EXPECT_NE(info->interp.find("ld-linux"), std::string::npos) << info->interp;
  EXPECT_TRUE(contains(info->needed, "libc.so.6"));
  EXPECT_TRUE(info->is_executable);
  EXPECT_FALSE(info->is_static());
}

TEST(Elf, LibcIsNotExecutable) {
  if (!fs::exists(kLibc)) {
    GTEST_SKIP() << "no " << kLibc;
  }
  const auto info = forge::read_elf(kLibc);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->type, ET_DYN);
  EXPECT_EQ(info->machine, EM_X86_64);
  EXPECT_FALSE(info->is_executable); // although glibc's libc.so.6 has a PT_INTERP
}

TEST(Elf, NotElfIsNullopt) {
  TempDir dir;
  const fs::path text = dir.path() / "text";
  std::ofstream(text) << "#!/bin/sh\necho this is not an ELF file, not even close\n";
  EXPECT_FALSE(forge::read_elf(text));
  const fs::path empty = dir.path() / "empty";
  { std::ofstream touch(empty); }
  EXPECT_FALSE(forge::read_elf(empty));
  const fs::path magic_only = dir.path() / "magic";
  write_all(magic_only, {0x7f, 'E', 'L', 'F'});
  EXPECT_FALSE(forge::read_elf(magic_only));
  write_all(magic_only, {0x7f, 'E', 'L', 'F', ELFCLASS64, ELFDATA2LSB, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  EXPECT_FALSE(forge::read_elf(magic_only)); // ident but no header
  EXPECT_FALSE(forge::read_elf(dir.path())); // a directory
  EXPECT_FALSE(forge::read_elf(dir.path() / "missing"));
  EXPECT_FALSE(forge::read_elf("/dev/null"));
}

TEST(Elf, TruncatedBinLsDoesNotCrash) {
  if (!fs::exists(kLs)) {
    GTEST_SKIP() << "no /bin/ls";
  }
  const std::vector<uint8_t> ls = read_all(kLs);
  TempDir dir;
  for (size_t len : {16U, 52U, 64U, 100U, 500U, 2000U, 10000U}) {
    SCOPED_TRACE("truncated to " + std::to_string(len));
    const fs::path path = dir.path() / "ls";
    write_all(path, std::vector<uint8_t>(ls.begin(), ls.begin() + static_cast<std::ptrdiff_t>(len)));
    const auto info = forge::read_elf(path);
    expect_sane(info);
    if (info) {
      // Whatever survives must never pass for a static executable: its dynamic part is cut off.
      EXPECT_EQ(info->machine, EM_X86_64);
      EXPECT_FALSE(info->is_static());
    }
  }
  // The ELF header alone, with its program headers past the end, is unreadable.
  const fs::path path = dir.path() / "ls100";
  write_all(path, std::vector<uint8_t>(ls.begin(), ls.begin() + 100));
  EXPECT_FALSE(forge::read_elf(path));
}

TEST(Elf, StaticExecutable) {
  TempDir dir;
  const fs::path exe = dir.path() / "static";
  if (!compile_c(dir.path(), "-static -O1", exe)) {
    GTEST_SKIP() << "no C compiler or no static libc";
  }
  const auto info = forge::read_elf(exe);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->machine, EM_X86_64);
  EXPECT_FALSE(info->has_interp);
  EXPECT_TRUE(info->needed.empty());
  EXPECT_TRUE(info->is_static());
  EXPECT_TRUE(info->is_executable);
}

TEST(Elf, StaticPieExecutable) {
  TempDir dir;
  const fs::path exe = dir.path() / "static-pie";
  if (!compile_c(dir.path(), "-static-pie -fPIE -O1", exe)) {
    GTEST_SKIP() << "no C compiler or no static-pie support";
  }
  const auto info = forge::read_elf(exe);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->type, ET_DYN);
  EXPECT_TRUE(info->is_static());
  EXPECT_TRUE(info->is_executable); // DF_1_PIE
}

TEST(Elf, SharedLibraryIsNotExecutable) {
  TempDir dir;
  const fs::path lib = dir.path() / "libx.so";
  if (!compile_c(dir.path(), "-shared -fPIC -Wl,-soname,libx.so", lib)) {
    GTEST_SKIP() << "no C compiler";
  }
  const auto info = forge::read_elf(lib);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->type, ET_DYN);
  EXPECT_FALSE(info->has_interp);
  EXPECT_TRUE(contains(info->needed, "libc.so.6"));
  EXPECT_FALSE(info->is_executable);
}

// --- Synthetic files: both classes and byte orders ----------------------------------------------

TEST(Elf, SyntheticAllClassesAndByteOrders) {
  TempDir dir;
  for (bool is_64 : {false, true}) {
    for (bool le : {false, true}) {
      SCOPED_TRACE(std::string(is_64 ? "ELF64 " : "ELF32 ") + (le ? "LSB" : "MSB"));
      SynthOptions o;
      o.is_64 = is_64;
      o.little_endian = le;
      o.machine = is_64 ? EM_PPC64 : EM_MIPS;
      const fs::path path = dir.path() / "synth";
      write_all(path, synth_elf(o));
      const auto info = forge::read_elf(path);
      ASSERT_TRUE(info);
      EXPECT_EQ(info->is_64, is_64);
      EXPECT_EQ(info->little_endian, le);
      EXPECT_EQ(info->type, ET_EXEC);
      EXPECT_EQ(info->machine, o.machine);
      EXPECT_TRUE(info->has_interp);
      EXPECT_EQ(info->interp, "/lib/ld-test.so.1");
      EXPECT_EQ(info->needed, (std::vector<std::string>{"libfoo.so.1", "libbar.so"}));
      EXPECT_TRUE(info->is_executable);
      EXPECT_FALSE(info->is_static());
    }
  }
}

TEST(Elf, SyntheticExecutableClassification) {
  TempDir dir;
  const fs::path path = dir.path() / "synth";
  const auto classify = [&](const SynthOptions &o) {
    write_all(path, synth_elf(o));
    const auto info = forge::read_elf(path);
    EXPECT_TRUE(info);
    return info ? info->is_executable : false;
  };
  SynthOptions o;
  o.type = ET_DYN;
  o.interp = false;
  EXPECT_FALSE(classify(o)); // a plain shared library
  o.pie_flag = true;
  EXPECT_TRUE(classify(o)); // static-pie
  o.pie_flag = false;
  o.interp = true;
  EXPECT_TRUE(classify(o)); // a PIE from a linker that does not set DF_1_PIE
  o.soname = true;
  EXPECT_FALSE(classify(o)); // a runnable library, like libc.so.6
  o.type = ET_REL;
  EXPECT_FALSE(classify(o));
}

TEST(Elf, SyntheticHostileDynamicSections) {
  TempDir dir;
  const fs::path path = dir.path() / "synth";
  const SynthOptions o;
  const std::vector<uint8_t> good = synth_elf(o);
  const size_t dynsize = sizeof(Elf64_Dyn);
  const auto check = [&](const std::vector<uint8_t> &bytes) {
    write_all(path, bytes);
    return forge::read_elf(path);
  };
  ASSERT_TRUE(check(good));

  Writer w(true);
  // DT_NEEDED offset beyond DT_STRSZ.
  w.bytes = good;
  w.put(kDynOff + 8, 1000, 8);
  EXPECT_FALSE(check(w.bytes));
  // DT_STRTAB outside every PT_LOAD.
  w.bytes = good;
  w.put(kDynOff + dynsize + 8, 0xdead0000, 8);
  EXPECT_FALSE(check(w.bytes));
  // DT_STRTAB at the very end of the address space (overflow bait).
  w.bytes = good;
  w.put(kDynOff + dynsize + 8, ~uint64_t{0}, 8);
  EXPECT_FALSE(check(w.bytes));
  // The string table is not NUL-terminated within DT_STRSZ.
  w.bytes = good;
  w.put(kDynOff + 3 * dynsize + 8, 5, 8);
  EXPECT_FALSE(check(w.bytes));
  // PT_DYNAMIC claims far more bytes than the file has.
  w.bytes = good;
  w.put(sizeof(Elf64_Ehdr) + 2 * sizeof(Elf64_Phdr) + offsetof(Elf64_Phdr, p_filesz), ~uint64_t{0} >> 1, 8);
  EXPECT_FALSE(check(w.bytes));
  // PT_INTERP offset beyond the file.
  w.bytes = good;
  w.put(sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr) + offsetof(Elf64_Phdr, p_offset), ~uint64_t{0} - 4, 8);
  EXPECT_FALSE(check(w.bytes));
  // Program header entries smaller than Elf64_Phdr, or a table past the end.
  w.bytes = good;
  w.put(offsetof(Elf64_Ehdr, e_phentsize), 8, 2);
  EXPECT_FALSE(check(w.bytes));
  w.bytes = good;
  w.put(offsetof(Elf64_Ehdr, e_phnum), 0xfff0, 2);
  EXPECT_FALSE(check(w.bytes));
  // PN_XNUM with no section header to hold the real count.
  w.bytes = good;
  w.put(offsetof(Elf64_Ehdr, e_phnum), PN_XNUM, 2);
  EXPECT_FALSE(check(w.bytes));
  // Bad class or byte order.
  w.bytes = good;
  w.bytes[EI_CLASS] = 7;
  EXPECT_FALSE(check(w.bytes));
  w.bytes = good;
  w.bytes[EI_DATA] = 0;
  EXPECT_FALSE(check(w.bytes));
}

// --- Fuzz-ish robustness ------------------------------------------------------------------------

void fuzz(const std::vector<uint8_t> &original, size_t region, uint32_t seed) {
  std::error_code ec;
  const bool shm = fs::is_directory("/dev/shm", ec) && ::access("/dev/shm", W_OK) == 0;
  TempDir dir(shm ? fs::path("/dev/shm") : fs::temp_directory_path());
  size_t parsed = 0;
  const fs::path path = dir.path() / "fuzz";
  std::mt19937 rng(seed);
  for (int iteration = 0; iteration < 1000; ++iteration) {
    std::vector<uint8_t> bytes = original;
    const size_t limit = std::min(region, bytes.size());
    const int mutations = 1 + static_cast<int>(rng() % 8);
    for (int m = 0; m < mutations; ++m) {
      const size_t pos = rng() % limit;
      switch (rng() % 4) {
      case 0:
        bytes[pos] = static_cast<uint8_t>(rng());
        break;
      case 1:
        bytes[pos] ^= static_cast<uint8_t>(1U << (rng() % 8));
        break;
      case 2:
        bytes[pos] = 0xff;
        break;
      default:
        bytes[pos] = 0;
        break;
      }
    }
    if (rng() % 10 == 0) {
      bytes.resize(rng() % bytes.size());
    }
    write_all(path, bytes);
    const auto info = forge::read_elf(path);
    expect_sane(info);
    parsed += info ? 1 : 0;
    if (testing::Test::HasFailure()) {
      FAIL() << "iteration " << iteration;
    }
  }
  // Most mutations leave a parseable file, so the deep paths (dynamic section, strings) are exercised.
  EXPECT_GT(parsed, 100U);
}

TEST(Elf, FuzzBinLsHeader) {
  if (!fs::exists(kLs)) {
    GTEST_SKIP() << "no /bin/ls";
  }
  fuzz(read_all(kLs), 1024, 12345); // ELF header and program headers
}

TEST(Elf, FuzzSynthetic) {
  SynthOptions o;
  o.is_64 = false;
  o.little_endian = false;
  fuzz(synth_elf(o), 4096, 777);
  fuzz(synth_elf(SynthOptions{}), 4096, 778); // the whole file: headers, strings, dynamic section
}

// --- Machine mapping ----------------------------------------------------------------------------

TEST(Elf, MachineForTriple) {
  const std::vector<std::pair<std::string, uint16_t>> table = {
      {"x86_64-unknown-linux-musl", 62},       {"x86_64-unknown-linux-gnu", 62},
      {"aarch64-unknown-linux-musl", 183},     {"i686-unknown-linux-musl", 3},
      {"i586-unknown-linux-gnu", 3},           {"armv7-unknown-linux-musleabihf", 40},
      {"arm-unknown-linux-musleabi", 40},      {"thumbv7neon-unknown-linux-gnueabihf", 40},
      {"riscv64gc-unknown-linux-musl", 243},   {"riscv64-linux-android", 243},
      {"loongarch64-unknown-linux-musl", 258}, {"powerpc64le-unknown-linux-musl", 21},
      {"s390x-unknown-linux-musl", 22},        {"x86_64", 62},
      {"wasm32-unknown-unknown", 0},           {"", 0},
      {"x86_64foo-unknown-linux", 0},
  };
  for (const auto &[triple, machine] : table) {
    EXPECT_EQ(forge::elf_machine_for_triple(triple), machine) << triple;
  }
}

TEST(Elf, MachineName) {
  EXPECT_EQ(forge::elf_machine_name(62), "x86_64");
  EXPECT_EQ(forge::elf_machine_name(183), "aarch64");
  EXPECT_EQ(forge::elf_machine_name(243), "riscv64");
  EXPECT_EQ(forge::elf_machine_name(258), "loongarch64");
  EXPECT_EQ(forge::elf_machine_name(3), "i686");
  EXPECT_EQ(forge::elf_machine_name(40), "arm");
  EXPECT_EQ(forge::elf_machine_name(21), "powerpc64");
  EXPECT_EQ(forge::elf_machine_name(22), "s390x");
  EXPECT_EQ(forge::elf_machine_name(9999), "machine 9999");
  // Round trip for the triples forge builds.
  for (const char *triple : {"x86_64-unknown-linux-musl", "aarch64-unknown-linux-musl",
                             "riscv64gc-unknown-linux-musl", "loongarch64-unknown-linux-musl"}) {
    const std::string arch = std::string(triple).substr(0, std::string(triple).find('-'));
    EXPECT_EQ(forge::elf_machine_name(forge::elf_machine_for_triple(triple)),
              arch == "riscv64gc" ? "riscv64" : arch);
  }
}

} // namespace
