// Why: only what is verified leaves the build: regular files (a sandboxed build could leave a symlink to a
// host file), ELF programs for the target's machine, statically linked; each hashed once here.
#include "forge/compile/elf.hpp"
#include "forge/compile/supply_chain.hpp"
#include "forge/hash/blake3.hpp"
#include "forge/hash/sha256.hpp"
#include "target_job.hpp"

#include <algorithm>

namespace forge {
namespace fs = std::filesystem;

Collected collect_executables(const fs::path &dir, const Target &target, const fs::path &staging,
                              const DepGraph *graph, std::string *embed_error) {
  std::error_code ec;
  const uint16_t machine = elf_machine_for_triple(target.triple);
  std::vector<std::pair<fs::path, ElfInfo>> found;
  for (const auto &entry : fs::directory_iterator(dir, ec)) {
    // Not entry.is_regular_file(): that follows symlinks.
    if (!fs::is_regular_file(entry.symlink_status(ec))) {
      continue;
    }
    auto elf = read_elf(entry.path());
    if (elf && elf->is_executable) {
      found.emplace_back(entry.path(), std::move(*elf));
    }
  }
  std::sort(found.begin(), found.end(), [](const auto &a, const auto &b) { return a.first < b.first; });
  Collected out;
  if (found.empty()) {
    out.failure = Failure::of(Reason::no_executables, "the build produced no executable in " + dir.string());
    return out;
  }
  std::vector<std::string> dynamic;
  for (const auto &[path, elf] : found) {
    ExecutableRecord info;
    info.name = path.filename().string();
    if (graph != nullptr && elf.is_static()) {
      // Before hashing: the hashes, CHECKSUM and SBOM describe the shipped bytes.
      const EmbedResult embedded = embed_dep_list(path, *graph);
      info.auditable = embedded.embedded;
      if (!embedded.embedded && embed_error != nullptr) {
        *embed_error = embedded.error;
      }
    }
    info.size = fs::file_size(path, ec);
    info.bsum = blake3_file_hex(path);
    info.shasum = sha256_file_hex(path);
    info.is_static = elf.is_static();
    if (machine != 0 && elf.machine != machine) {
      out.failure = Failure::of(Reason::internal, fmt::format("{} is built for {}, not {}", info.name,
                                                              elf_machine_name(elf.machine), target.triple));
      return out;
    }
    if (!info.is_static) {
      dynamic.push_back(info.name + (elf.has_interp ? " (interpreter " + elf.interp + ")" : "") +
                        (elf.needed.empty() ? "" : fmt::format(" needs {}", fmt::join(elf.needed, ", "))));
    }
    out.files.push_back(path);
    out.executables.push_back(std::move(info));
  }
  if (!dynamic.empty()) {
    // Kept for inspection under not-static/, never described as a package.
    fs::create_directories(staging / "not-static", ec);
    for (const auto &p : out.files) {
      fs::copy_file(p, staging / "not-static" / p.filename(), fs::copy_options::overwrite_existing, ec);
    }
    out.failure =
        Failure::of(Reason::not_static, fmt::format("dynamically linked: {}", fmt::join(dynamic, "; ")));
  }
  return out;
}

} // namespace forge
