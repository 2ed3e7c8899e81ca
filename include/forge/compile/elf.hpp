// Why: forge promises static executables, so each artifact's interpreter, DT_NEEDED and machine are checked.
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace forge {

struct ElfInfo {
  bool is_elf = false;
  bool is_64 = false;
  bool little_endian = true;
  uint16_t type = 0;    // e_type: ET_EXEC=2, ET_DYN=3
  uint16_t machine = 0; // e_machine: EM_X86_64=62, EM_AARCH64=183, EM_RISCV=243, EM_LOONGARCH=258, ...
  bool has_interp = false;
  std::string interp;              // PT_INTERP, e.g. /lib64/ld-linux-x86-64.so.2
  std::vector<std::string> needed; // DT_NEEDED, in file order
  // ET_EXEC, or ET_DYN with PT_INTERP or DF_1_PIE (a static-pie): a program, not a shared library.
  bool is_executable = false;
  [[nodiscard]] bool is_static() const { return !has_interp && needed.empty(); }
};

// nullopt for anything that is not a readable, well-formed ELF file: not a regular file, not ELF, or
// truncated/corrupt headers, PT_INTERP or dynamic section. Every offset and size is bounds-checked, so a
// hostile file can never claim to be static by hiding its dynamic section past the end of the file.
std::optional<ElfInfo> read_elf(const std::filesystem::path &path);

// e_machine expected for a Rust target triple ("aarch64-unknown-linux-musl" -> 183); 0 if unknown.
uint16_t elf_machine_for_triple(std::string_view rust_triple);

// A short architecture name for messages ("x86_64", "aarch64", ...); "machine <n>" if unknown.
std::string elf_machine_name(uint16_t machine);

} // namespace forge
