#include "forge/compile/elf_section.hpp"

#include <elf.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <limits>

namespace forge {
namespace {

// Fixed-width unsigned fields of the image's byte order, every access bounds-checked.
class Image {
public:
  explicit Image(std::string_view bytes) : bytes_(bytes) {}

  bool parse_header() {
    if (bytes_.size() < EI_NIDENT || std::memcmp(bytes_.data(), ELFMAG, SELFMAG) != 0) {
      return false;
    }
    const auto cls = static_cast<unsigned char>(bytes_[EI_CLASS]);
    const auto data = static_cast<unsigned char>(bytes_[EI_DATA]);
    if ((cls != ELFCLASS32 && cls != ELFCLASS64) || (data != ELFDATA2LSB && data != ELFDATA2MSB)) {
      return false;
    }
    is64 = cls == ELFCLASS64;
    little = data == ELFDATA2LSB;
    ehsize = is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
    shentsize = is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
    if (bytes_.size() < ehsize) {
      return false;
    }
    phoff = field(is64 ? offsetof(Elf64_Ehdr, e_phoff) : offsetof(Elf32_Ehdr, e_phoff), is64 ? 8 : 4);
    shoff = field(is64 ? offsetof(Elf64_Ehdr, e_shoff) : offsetof(Elf32_Ehdr, e_shoff), is64 ? 8 : 4);
    phentsize = field(is64 ? offsetof(Elf64_Ehdr, e_phentsize) : offsetof(Elf32_Ehdr, e_phentsize), 2);
    phnum = field(is64 ? offsetof(Elf64_Ehdr, e_phnum) : offsetof(Elf32_Ehdr, e_phnum), 2);
    file_shentsize = field(is64 ? offsetof(Elf64_Ehdr, e_shentsize) : offsetof(Elf32_Ehdr, e_shentsize), 2);
    shnum = field(is64 ? offsetof(Elf64_Ehdr, e_shnum) : offsetof(Elf32_Ehdr, e_shnum), 2);
    shstrndx = field(is64 ? offsetof(Elf64_Ehdr, e_shstrndx) : offsetof(Elf32_Ehdr, e_shstrndx), 2);
    return true;
  }

  [[nodiscard]] bool in_bounds(uint64_t offset, uint64_t len) const {
    return offset <= bytes_.size() && len <= bytes_.size() - offset;
  }

  // 0 for a field outside the image: callers check ranges before reading.
  [[nodiscard]] uint64_t field(uint64_t offset, size_t width) const {
    if (!in_bounds(offset, width)) {
      return 0;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < width; ++i) {
      const size_t shift = little ? i : width - 1 - i;
      v |= static_cast<uint64_t>(static_cast<unsigned char>(bytes_[offset + i])) << (8 * shift);
    }
    return v;
  }

  [[nodiscard]] std::string_view bytes() const { return bytes_; }

  bool is64 = false;
  bool little = true;
  size_t ehsize = 0;
  size_t shentsize = 0;
  uint64_t phoff = 0, shoff = 0, phentsize = 0, phnum = 0, file_shentsize = 0, shnum = 0, shstrndx = 0;

private:
  std::string_view bytes_;
};

void put(std::string &buf, const Image &img, uint64_t offset, size_t width, uint64_t value) {
  for (size_t i = 0; i < width; ++i) {
    const size_t shift = img.little ? i : width - 1 - i;
    buf[offset + i] = static_cast<char>((value >> (8 * shift)) & 0xff);
  }
}

struct RawSection {
  uint32_t name = 0, type = 0;
  uint64_t flags = 0, offset = 0, size = 0;
};

RawSection raw_section(const Image &img, uint64_t at) {
  RawSection s;
  if (img.is64) {
    s.name = static_cast<uint32_t>(img.field(at + offsetof(Elf64_Shdr, sh_name), 4));
    s.type = static_cast<uint32_t>(img.field(at + offsetof(Elf64_Shdr, sh_type), 4));
    s.flags = img.field(at + offsetof(Elf64_Shdr, sh_flags), 8);
    s.offset = img.field(at + offsetof(Elf64_Shdr, sh_offset), 8);
    s.size = img.field(at + offsetof(Elf64_Shdr, sh_size), 8);
  } else {
    s.name = static_cast<uint32_t>(img.field(at + offsetof(Elf32_Shdr, sh_name), 4));
    s.type = static_cast<uint32_t>(img.field(at + offsetof(Elf32_Shdr, sh_type), 4));
    s.flags = img.field(at + offsetof(Elf32_Shdr, sh_flags), 4);
    s.offset = img.field(at + offsetof(Elf32_Shdr, sh_offset), 4);
    s.size = img.field(at + offsetof(Elf32_Shdr, sh_size), 4);
  }
  return s;
}

// The section table with its name table checked; error set when the image has none forge can use.
struct Table {
  std::vector<RawSection> raw;
  std::vector<ElfSection> sections;
  std::string error;
};

Table read_table(const Image &img) {
  Table t;
  if (img.shoff == 0 || img.shnum == 0) {
    t.error = "it has no section header table";
    return t;
  }
  if (img.shnum >= SHN_LORESERVE || img.shstrndx >= img.shnum || img.file_shentsize != img.shentsize) {
    t.error = "its section header table uses extended numbering or an unusual entry size";
    return t;
  }
  if (!img.in_bounds(img.shoff, img.shnum * img.shentsize)) {
    t.error = "its section header table lies outside the file";
    return t;
  }
  for (uint64_t i = 0; i < img.shnum; ++i) {
    t.raw.push_back(raw_section(img, img.shoff + i * img.shentsize));
  }
  const RawSection &names = t.raw[img.shstrndx];
  if (names.type != SHT_STRTAB || !img.in_bounds(names.offset, names.size)) {
    t.error = "its section name table is missing or outside the file";
    return t;
  }
  const std::string_view strtab = img.bytes().substr(names.offset, names.size);
  for (const auto &r : t.raw) {
    ElfSection s;
    s.type = r.type;
    s.flags = r.flags;
    s.offset = r.offset;
    s.size = r.size;
    if (r.name >= strtab.size()) {
      t.error = "a section name lies outside the name table";
      return t;
    }
    const auto nul = strtab.find('\0', r.name);
    if (nul == std::string_view::npos) {
      t.error = "a section name is not terminated";
      return t;
    }
    s.name = std::string(strtab.substr(r.name, nul - r.name));
    if (r.type != SHT_NOBITS && r.type != SHT_NULL && !img.in_bounds(r.offset, r.size)) {
      t.error = fmt::format("section {} lies outside the file", s.name);
      return t;
    }
    t.sections.push_back(std::move(s));
  }
  return t;
}

uint64_t align_up(uint64_t v, uint64_t a) {
  return (v + a - 1) / a * a;
}

std::string hex(uint64_t v) {
  return fmt::format("{:#x}", v);
}

} // namespace

std::optional<std::vector<ElfSection>> read_elf_sections(std::string_view elf) {
  Image img(elf);
  if (!img.parse_header()) {
    return std::nullopt;
  }
  Table t = read_table(img);
  if (!t.error.empty()) {
    return std::nullopt;
  }
  return std::move(t.sections);
}

std::optional<std::string_view> elf_section_data(std::string_view elf, std::string_view name) {
  const auto sections = read_elf_sections(elf);
  if (!sections) {
    return std::nullopt;
  }
  for (const auto &s : *sections) {
    if (s.name == name && s.type != SHT_NOBITS) {
      return elf.substr(s.offset, s.size);
    }
  }
  return std::nullopt;
}

ElfEdit add_elf_section(std::string_view elf, std::string_view name, std::string_view data) {
  ElfEdit out;
  Image img(elf);
  if (!img.parse_header()) {
    out.error = "not an ELF file";
    return out;
  }
  const Table t = read_table(img);
  if (!t.error.empty()) {
    out.error = t.error;
    return out;
  }
  if (img.shnum + 1 >= SHN_LORESERVE) {
    out.error = "its section header table is full";
    return out;
  }
  for (const auto &s : t.sections) {
    if (s.name == name) {
      out.error = fmt::format("it already has a {} section", name);
      return out;
    }
  }
  // Everything the program or a tool may read, other than the two tables this rewrites.
  uint64_t keep_end = img.ehsize;
  if (img.phnum > 0) {
    const uint64_t min_entry = img.is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
    if (img.phentsize < min_entry || !img.in_bounds(img.phoff, img.phnum * img.phentsize)) {
      out.error = "its program header table lies outside the file";
      return out;
    }
    keep_end = std::max(keep_end, img.phoff + img.phnum * img.phentsize);
    for (uint64_t i = 0; i < img.phnum; ++i) {
      const uint64_t at = img.phoff + i * img.phentsize;
      const uint64_t off = img.is64 ? img.field(at + offsetof(Elf64_Phdr, p_offset), 8)
                                    : img.field(at + offsetof(Elf32_Phdr, p_offset), 4);
      const uint64_t filesz = img.is64 ? img.field(at + offsetof(Elf64_Phdr, p_filesz), 8)
                                       : img.field(at + offsetof(Elf32_Phdr, p_filesz), 4);
      if (!img.in_bounds(off, filesz)) {
        out.error = "a segment lies outside the file";
        return out;
      }
      keep_end = std::max(keep_end, off + filesz);
    }
  }
  const RawSection &names = t.raw[img.shstrndx];
  for (size_t i = 0; i < t.raw.size(); ++i) {
    const RawSection &r = t.raw[i];
    if (i != img.shstrndx && r.type != SHT_NOBITS && r.type != SHT_NULL) {
      keep_end = std::max(keep_end, r.offset + r.size);
    }
  }
  const uint64_t table_size = img.shnum * img.shentsize;
  const uint64_t tail_end = std::max({keep_end, names.offset + names.size, img.shoff + table_size});
  if (elf.size() > tail_end) {
    out.error = fmt::format("it has {} bytes after its last section", elf.size() - tail_end);
    return out;
  }
  // Linkers put the name table and then the header table last; rewriting them in place keeps the file as a
  // linker would have laid it out with one more section. Otherwise they go after everything else.
  const uint64_t base =
      names.offset >= keep_end && img.shoff >= keep_end ? std::min(names.offset, img.shoff) : elf.size();
  std::string strtab(elf.substr(names.offset, names.size));
  const uint64_t name_offset = strtab.size();
  strtab.append(name);
  strtab.push_back('\0');
  const uint64_t data_offset = base + strtab.size();
  const uint64_t new_shoff = align_up(data_offset + data.size(), img.is64 ? 8 : 4);
  const uint64_t new_shnum = img.shnum + 1;
  if (!img.is64 && new_shoff + new_shnum * img.shentsize > std::numeric_limits<uint32_t>::max()) {
    out.error = "the result would exceed 4 GiB";
    return out;
  }
  std::string &b = out.bytes;
  b.assign(elf.substr(0, base));
  b += strtab;
  b.append(data);
  b.resize(new_shoff, '\0');
  b.append(elf.substr(img.shoff, table_size));
  b.append(img.shentsize, '\0');
  const uint64_t names_at = new_shoff + img.shstrndx * img.shentsize;
  const uint64_t added_at = new_shoff + img.shnum * img.shentsize;
  if (img.is64) {
    put(b, img, names_at + offsetof(Elf64_Shdr, sh_offset), 8, base);
    put(b, img, names_at + offsetof(Elf64_Shdr, sh_size), 8, strtab.size());
    put(b, img, added_at + offsetof(Elf64_Shdr, sh_name), 4, name_offset);
    put(b, img, added_at + offsetof(Elf64_Shdr, sh_type), 4, SHT_PROGBITS);
    put(b, img, added_at + offsetof(Elf64_Shdr, sh_offset), 8, data_offset);
    put(b, img, added_at + offsetof(Elf64_Shdr, sh_size), 8, data.size());
    put(b, img, added_at + offsetof(Elf64_Shdr, sh_addralign), 8, 1);
    put(b, img, offsetof(Elf64_Ehdr, e_shoff), 8, new_shoff);
    put(b, img, offsetof(Elf64_Ehdr, e_shnum), 2, new_shnum);
  } else {
    put(b, img, names_at + offsetof(Elf32_Shdr, sh_offset), 4, base);
    put(b, img, names_at + offsetof(Elf32_Shdr, sh_size), 4, strtab.size());
    put(b, img, added_at + offsetof(Elf32_Shdr, sh_name), 4, name_offset);
    put(b, img, added_at + offsetof(Elf32_Shdr, sh_type), 4, SHT_PROGBITS);
    put(b, img, added_at + offsetof(Elf32_Shdr, sh_offset), 4, data_offset);
    put(b, img, added_at + offsetof(Elf32_Shdr, sh_size), 4, data.size());
    put(b, img, added_at + offsetof(Elf32_Shdr, sh_addralign), 4, 1);
    put(b, img, offsetof(Elf32_Ehdr, e_shoff), 4, new_shoff);
    put(b, img, offsetof(Elf32_Ehdr, e_shnum), 2, new_shnum);
  }
  return out;
}

std::string first_elf_difference(std::string_view a, std::string_view b) {
  if (a == b) {
    return "";
  }
  const auto first_byte = [](std::string_view x, std::string_view y) {
    size_t i = 0;
    while (i < x.size() && i < y.size() && x[i] == y[i]) {
      ++i;
    }
    return i;
  };
  const auto sa = read_elf_sections(a);
  const auto sb = read_elf_sections(b);
  if (!sa || !sb) {
    const size_t at = first_byte(a, b);
    return fmt::format("byte {} differs ({} and {} bytes; not both readable ELF)", hex(at), a.size(),
                       b.size());
  }
  // A section only one image has explains the rest (the name table and header table then differ too).
  for (const auto &s : *sa) {
    if (s.type != SHT_NULL &&
        std::none_of(sb->begin(), sb->end(), [&s](const ElfSection &o) { return o.name == s.name; })) {
      return fmt::format("section {} is only in the first", s.name);
    }
  }
  for (const auto &o : *sb) {
    if (o.type != SHT_NULL &&
        std::none_of(sa->begin(), sa->end(), [&o](const ElfSection &s) { return s.name == o.name; })) {
      return fmt::format("section {} is only in the second", o.name);
    }
  }
  std::vector<ElfSection> order = *sa;
  std::stable_sort(order.begin(), order.end(),
                   [](const ElfSection &x, const ElfSection &y) { return x.offset < y.offset; });
  for (const auto &s : order) {
    if (s.type == SHT_NULL) {
      continue;
    }
    const auto other =
        std::find_if(sb->begin(), sb->end(), [&s](const ElfSection &o) { return o.name == s.name; });
    if (other->size != s.size) {
      return fmt::format("section {} differs in size ({} and {} bytes)", s.name, s.size, other->size);
    }
    if (s.type == SHT_NOBITS) {
      continue;
    }
    const std::string_view da = a.substr(s.offset, s.size);
    const std::string_view db = b.substr(other->offset, other->size);
    if (da != db) {
      const size_t at = first_byte(da, db);
      size_t count = 0;
      for (size_t i = 0; i < da.size(); ++i) {
        count += da[i] != db[i] ? 1 : 0;
      }
      return fmt::format("section {} differs ({} byte{} from offset {} of {})", s.name, count,
                         count == 1 ? "" : "s", hex(at), hex(s.size));
    }
  }
  Image ia(a);
  ia.parse_header();
  if (a.substr(0, ia.ehsize) != b.substr(0, std::min(b.size(), ia.ehsize))) {
    return fmt::format("the ELF header differs (byte {})", hex(first_byte(a, b)));
  }
  return fmt::format("bytes outside the sections differ (first at {}; {} and {} bytes)",
                     hex(first_byte(a, b)), a.size(), b.size());
}

} // namespace forge
