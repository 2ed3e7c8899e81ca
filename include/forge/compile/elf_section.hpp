// Why: forge adds its dependency list to finished executables as a section outside every segment, so what
// the program loads stays byte for byte what the linker wrote; and when two builds differ, the first
// differing section says where to look.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace forge {

struct ElfSection {
  std::string name;
  uint32_t type = 0;   // SHT_*
  uint64_t flags = 0;  // SHF_*
  uint64_t offset = 0; // in the file
  uint64_t size = 0;   // bytes (in the file unless SHT_NOBITS)
};

// The section table of an ELF image (32/64-bit, either byte order), names from .shstrtab; nullopt when the
// bytes are not ELF or a header, name or section lies outside them.
std::optional<std::vector<ElfSection>> read_elf_sections(std::string_view elf);

// The bytes of the first section called `name`, nullopt when there is none or it lies outside the image.
std::optional<std::string_view> elf_section_data(std::string_view elf, std::string_view name);

struct ElfEdit {
  std::string bytes; // the new image when error is empty
  std::string error;
};

// `elf` with one more section: `name`, SHT_PROGBITS, no flags (not allocated, so in no segment), holding
// `data`. Every byte a segment maps stays as it was, except e_shoff and e_shnum in the ELF header (which
// the first segment usually maps too, and no program reads); only the section name table and the section
// header table move (rewritten at the end of the file, where linkers put them). Refused, with the reason,
// for an image that already has such a section, has no section header table, uses extended section
// numbering, or carries data after its last section (an appended payload the program may read back).
ElfEdit add_elf_section(std::string_view elf, std::string_view name, std::string_view data);

// Where two images first differ, in file order: "section .rodata differs (12 bytes from offset 0x1f0 of
// 0x5400)", "section .foo is only in the first", "the ELF header differs", or "" when they are equal.
std::string first_elf_difference(std::string_view a, std::string_view b);

} // namespace forge
