// Why: a minimal, bounds-checked ELF reader that tells static executables from dynamic ones and libraries.
#include "forge/compile/elf.hpp"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <limits>

namespace forge {
namespace {

constexpr uint64_t kMaxTable = uint64_t{16} << 20; // program header table or dynamic section
constexpr uint64_t kMaxString = 4096;              // an interpreter path or a library name

// Reads byte ranges of an open regular file; every range is checked against the file size first.
class FileReader {
public:
  explicit FileReader(const std::filesystem::path &path) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    struct stat st {};
    if (fd_ >= 0 && ::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 0) {
      size_ = static_cast<uint64_t>(st.st_size);
      ok_ = true;
    }
  }
  ~FileReader() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  FileReader(const FileReader &) = delete;
  FileReader &operator=(const FileReader &) = delete;

  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] uint64_t size() const { return size_; }

  // Exactly `len` bytes at `offset`, or false if any of them lies outside the file or cannot be read.
  bool read(uint64_t offset, uint64_t len, std::vector<uint8_t> &out) const {
    if (offset > size_ || len > size_ - offset || len > kMaxTable) {
      return false;
    }
    out.resize(static_cast<size_t>(len));
    size_t done = 0;
    while (done < out.size()) {
      const ssize_t n = ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        return false;
      }
      done += static_cast<size_t>(n);
    }
    return true;
  }

private:
  int fd_ = -1;
  uint64_t size_ = 0;
  bool ok_ = false;
};

// Decodes unsigned fields of the file's byte order, independent of the host's.
struct Decoder {
  bool little_endian = true;

  [[nodiscard]] uint64_t get(const uint8_t *p, size_t width) const {
    uint64_t v = 0;
    for (size_t i = 0; i < width; ++i) {
      const size_t shift = little_endian ? i : width - 1 - i;
      v |= static_cast<uint64_t>(p[i]) << (8 * shift);
    }
    return v;
  }
};

// A field of a <elf.h> struct, read from raw bytes laid out as that struct in the file.
#define FORGE_ELF_FIELD(dec, bytes, Type, member)                                                            \
  (dec).get((bytes) + offsetof(Type, member), sizeof(Type::member))

struct Segment {
  uint32_t type = 0;
  uint64_t offset = 0;
  uint64_t vaddr = 0;
  uint64_t filesz = 0;
};

bool checked_add(uint64_t a, uint64_t b, uint64_t &sum) {
  if (a > std::numeric_limits<uint64_t>::max() - b) {
    return false;
  }
  sum = a + b;
  return true;
}

// Maps a virtual address to a file offset through the PT_LOAD segments; `avail` is how many bytes of
// that segment's file image follow the address.
bool vaddr_to_offset(const std::vector<Segment> &loads, uint64_t addr, uint64_t &offset, uint64_t &avail) {
  for (const auto &s : loads) {
    if (addr >= s.vaddr && addr - s.vaddr < s.filesz) {
      const uint64_t delta = addr - s.vaddr;
      if (!checked_add(s.offset, delta, offset)) {
        return false;
      }
      avail = s.filesz - delta;
      return true;
    }
  }
  return false;
}

// A NUL-terminated string of at most kMaxString bytes within [offset, offset + limit) and the file.
std::optional<std::string> read_c_string(const FileReader &file, uint64_t offset, uint64_t limit) {
  if (offset >= file.size()) {
    return std::nullopt;
  }
  std::vector<uint8_t> bytes;
  if (!file.read(offset, std::min({limit, kMaxString, file.size() - offset}), bytes)) {
    return std::nullopt;
  }
  const auto nul = std::find(bytes.begin(), bytes.end(), uint8_t{0});
  if (nul == bytes.end()) {
    return std::nullopt;
  }
  return std::string(bytes.begin(), nul);
}

std::optional<ElfInfo> parse(const FileReader &file) {
  std::vector<uint8_t> ident;
  if (!file.read(0, EI_NIDENT, ident) || std::memcmp(ident.data(), ELFMAG, SELFMAG) != 0) {
    return std::nullopt;
  }
  ElfInfo info;
  info.is_elf = true;
  if (ident[EI_CLASS] == ELFCLASS32 || ident[EI_CLASS] == ELFCLASS64) {
    info.is_64 = ident[EI_CLASS] == ELFCLASS64;
  } else {
    return std::nullopt;
  }
  if (ident[EI_DATA] == ELFDATA2LSB || ident[EI_DATA] == ELFDATA2MSB) {
    info.little_endian = ident[EI_DATA] == ELFDATA2LSB;
  } else {
    return std::nullopt;
  }
  const Decoder dec{info.little_endian};
  const bool is_64 = info.is_64;

  std::vector<uint8_t> eh;
  if (!file.read(0, is_64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr), eh)) {
    return std::nullopt;
  }
  const uint8_t *e = eh.data();
  uint64_t phoff = 0;
  uint64_t phentsize = 0;
  uint64_t phnum = 0;
  uint64_t shoff = 0;
  uint64_t shentsize = 0;
  if (is_64) {
    info.type = static_cast<uint16_t>(FORGE_ELF_FIELD(dec, e, Elf64_Ehdr, e_type));
    info.machine = static_cast<uint16_t>(FORGE_ELF_FIELD(dec, e, Elf64_Ehdr, e_machine));
    phoff = FORGE_ELF_FIELD(dec, e, Elf64_Ehdr, e_phoff);
    phentsize = FORGE_ELF_FIELD(dec, e, Elf64_Ehdr, e_phentsize);
    phnum = FORGE_ELF_FIELD(dec, e, Elf64_Ehdr, e_phnum);
    shoff = FORGE_ELF_FIELD(dec, e, Elf64_Ehdr, e_shoff);
    shentsize = FORGE_ELF_FIELD(dec, e, Elf64_Ehdr, e_shentsize);
  } else {
    info.type = static_cast<uint16_t>(FORGE_ELF_FIELD(dec, e, Elf32_Ehdr, e_type));
    info.machine = static_cast<uint16_t>(FORGE_ELF_FIELD(dec, e, Elf32_Ehdr, e_machine));
    phoff = FORGE_ELF_FIELD(dec, e, Elf32_Ehdr, e_phoff);
    phentsize = FORGE_ELF_FIELD(dec, e, Elf32_Ehdr, e_phentsize);
    phnum = FORGE_ELF_FIELD(dec, e, Elf32_Ehdr, e_phnum);
    shoff = FORGE_ELF_FIELD(dec, e, Elf32_Ehdr, e_shoff);
    shentsize = FORGE_ELF_FIELD(dec, e, Elf32_Ehdr, e_shentsize);
  }

  // With more than 0xfffe program headers the real count is in section header 0's sh_info.
  if (phnum == PN_XNUM) {
    std::vector<uint8_t> sh;
    const uint64_t sh_size = is_64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
    if (shoff == 0 || shentsize < sh_size || !file.read(shoff, sh_size, sh)) {
      return std::nullopt;
    }
    phnum = is_64 ? FORGE_ELF_FIELD(dec, sh.data(), Elf64_Shdr, sh_info)
                  : FORGE_ELF_FIELD(dec, sh.data(), Elf32_Shdr, sh_info);
  }

  // Program headers: PT_LOAD (address mapping), PT_INTERP, PT_DYNAMIC.
  std::vector<Segment> loads;
  std::optional<Segment> interp;
  std::optional<Segment> dynamic;
  if (phnum > 0) {
    const uint64_t ph_size = is_64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
    std::vector<uint8_t> table;
    if (phentsize < ph_size || phnum > kMaxTable / phentsize || !file.read(phoff, phnum * phentsize, table)) {
      return std::nullopt;
    }
    for (uint64_t i = 0; i < phnum; ++i) {
      const uint8_t *p = table.data() + i * phentsize;
      Segment s;
      if (is_64) {
        s.type = static_cast<uint32_t>(FORGE_ELF_FIELD(dec, p, Elf64_Phdr, p_type));
        s.offset = FORGE_ELF_FIELD(dec, p, Elf64_Phdr, p_offset);
        s.vaddr = FORGE_ELF_FIELD(dec, p, Elf64_Phdr, p_vaddr);
        s.filesz = FORGE_ELF_FIELD(dec, p, Elf64_Phdr, p_filesz);
      } else {
        s.type = static_cast<uint32_t>(FORGE_ELF_FIELD(dec, p, Elf32_Phdr, p_type));
        s.offset = FORGE_ELF_FIELD(dec, p, Elf32_Phdr, p_offset);
        s.vaddr = FORGE_ELF_FIELD(dec, p, Elf32_Phdr, p_vaddr);
        s.filesz = FORGE_ELF_FIELD(dec, p, Elf32_Phdr, p_filesz);
      }
      if (s.type == PT_LOAD) {
        loads.push_back(s);
      } else if (s.type == PT_INTERP && !interp) {
        interp = s;
      } else if (s.type == PT_DYNAMIC && !dynamic) {
        dynamic = s;
      }
    }
  }

  if (interp) {
    info.has_interp = true;
    std::vector<uint8_t> bytes;
    if (interp->filesz > kMaxString || !file.read(interp->offset, interp->filesz, bytes)) {
      return std::nullopt;
    }
    const auto nul = std::find(bytes.begin(), bytes.end(), uint8_t{0});
    info.interp.assign(bytes.begin(), nul);
  }

  bool pie_flag = false;
  bool has_soname = false;
  if (dynamic) {
    std::vector<uint8_t> bytes;
    if (!file.read(dynamic->offset, dynamic->filesz, bytes)) {
      return std::nullopt;
    }
    const size_t entsize = is_64 ? sizeof(Elf64_Dyn) : sizeof(Elf32_Dyn);
    std::vector<uint64_t> needed_offsets;
    std::optional<uint64_t> strtab;
    std::optional<uint64_t> strsz;
    for (size_t pos = 0; pos + entsize <= bytes.size(); pos += entsize) {
      const uint8_t *d = bytes.data() + pos;
      // d_tag is signed; every tag used here is small and positive in both classes.
      const uint64_t tag =
          is_64 ? FORGE_ELF_FIELD(dec, d, Elf64_Dyn, d_tag) : FORGE_ELF_FIELD(dec, d, Elf32_Dyn, d_tag);
      const uint64_t val =
          is_64 ? FORGE_ELF_FIELD(dec, d, Elf64_Dyn, d_un) : FORGE_ELF_FIELD(dec, d, Elf32_Dyn, d_un);
      if (tag == DT_NULL) {
        break;
      }
      switch (tag) {
      case DT_NEEDED:
        needed_offsets.push_back(val);
        break;
      case DT_STRTAB:
        strtab = val;
        break;
      case DT_STRSZ:
        strsz = val;
        break;
      case DT_SONAME:
        has_soname = true;
        break;
      case DT_FLAGS_1:
        pie_flag = (val & DF_1_PIE) != 0;
        break;
      default:
        break;
      }
    }
    if (!needed_offsets.empty()) {
      uint64_t table_offset = 0;
      uint64_t avail = 0;
      if (!strtab || !vaddr_to_offset(loads, *strtab, table_offset, avail)) {
        return std::nullopt; // libraries are named but their names cannot be found
      }
      const uint64_t limit = strsz ? std::min(*strsz, avail) : avail;
      for (const uint64_t off : needed_offsets) {
        uint64_t name_offset = 0;
        if (off >= limit || !checked_add(table_offset, off, name_offset)) {
          return std::nullopt;
        }
        auto name = read_c_string(file, name_offset, limit - off);
        if (!name) {
          return std::nullopt;
        }
        info.needed.push_back(std::move(*name));
      }
    }
  }

  // A PIE is ET_DYN like a shared library. DF_1_PIE marks it (and is the only mark of a static-pie);
  // older linkers do not set it, so an interpreter without a DT_SONAME counts too. glibc's libc.so.6
  // has an interpreter (it can be run) but also a soname and no DF_1_PIE: a library.
  info.is_executable =
      info.type == ET_EXEC || (info.type == ET_DYN && (pie_flag || (info.has_interp && !has_soname)));
  return info;
}

#undef FORGE_ELF_FIELD

} // namespace

std::optional<ElfInfo> read_elf(const std::filesystem::path &path) {
  const FileReader file(path);
  if (!file.ok()) {
    return std::nullopt;
  }
  return parse(file);
}

uint16_t elf_machine_for_triple(std::string_view rust_triple) {
  const std::string_view arch = rust_triple.substr(0, rust_triple.find('-'));
  const auto starts = [&](std::string_view prefix) { return arch.substr(0, prefix.size()) == prefix; };
  if (arch == "x86_64" || arch == "x86_64h") {
    return EM_X86_64;
  }
  if (arch == "i386" || arch == "i486" || arch == "i586" || arch == "i686") {
    return EM_386;
  }
  if (arch == "aarch64" || arch == "aarch64_be" || arch == "arm64") {
    return EM_AARCH64;
  }
  if (starts("arm") || starts("thumb")) {
    return EM_ARM;
  }
  if (starts("riscv")) {
    return EM_RISCV;
  }
  if (arch == "loongarch64") {
    return EM_LOONGARCH;
  }
  if (arch == "powerpc64" || arch == "powerpc64le") {
    return EM_PPC64;
  }
  if (arch == "powerpc") {
    return EM_PPC;
  }
  if (arch == "s390x") {
    return EM_S390;
  }
  if (starts("mips")) {
    return EM_MIPS;
  }
  if (arch == "sparc64" || arch == "sparcv9") {
    return EM_SPARCV9;
  }
  return 0;
}

std::string elf_machine_name(uint16_t machine) {
  switch (machine) {
  case EM_X86_64:
    return "x86_64";
  case EM_386:
    return "i686";
  case EM_AARCH64:
    return "aarch64";
  case EM_ARM:
    return "arm";
  case EM_RISCV:
    return "riscv64"; // forge builds riscv64 targets only; ELFCLASS would tell riscv32 apart
  case EM_LOONGARCH:
    return "loongarch64";
  case EM_PPC64:
    return "powerpc64";
  case EM_PPC:
    return "powerpc";
  case EM_S390:
    return "s390x";
  case EM_MIPS:
    return "mips";
  case EM_SPARCV9:
    return "sparc64";
  default:
    return "machine " + std::to_string(machine);
  }
}

} // namespace forge
