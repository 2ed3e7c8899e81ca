#include "forge/compile/supply_chain.hpp"

#include "forge/compile/elf_section.hpp"
#include "forge/dump/pg_types.hpp"
#include "forge/hash/blake3.hpp"
#include "forge/util/error.hpp"
#include "forge/util/fs.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>

namespace forge {
namespace fs = std::filesystem;

namespace {

constexpr uint64_t kMaxTreeBytes = 64 << 20;  // a cargo tree of tens of thousands of crates
constexpr size_t kMaxDepListBytes = 64 << 20; // inflated JSON read back from an executable

std::optional<std::string> read_small_file(const fs::path &path, uint64_t max) {
  std::error_code ec;
  if (!fs::is_regular_file(fs::symlink_status(path, ec)) || fs::file_size(path, ec) > max || ec) {
    return std::nullopt;
  }
  try {
    return read_file(path);
  } catch (const Error &) {
    return std::nullopt;
  }
}

struct ArchiveFree {
  void operator()(struct archive *a) const { archive_read_free(a); }
};

std::optional<int64_t> newest_entry_mtime(const fs::path &crate_file) {
  std::unique_ptr<struct archive, ArchiveFree> reader(archive_read_new());
  if (!reader) {
    return std::nullopt;
  }
  struct archive *a = reader.get();
  archive_read_support_filter_gzip(a);
  archive_read_support_format_tar(a);
  if (archive_read_open_filename(a, crate_file.c_str(), 1 << 16) != ARCHIVE_OK) {
    return std::nullopt;
  }
  std::optional<int64_t> newest;
  struct archive_entry *e = nullptr;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    if (archive_entry_mtime_is_set(e) != 0) {
      const int64_t t = archive_entry_mtime(e);
      newest = newest ? std::max(*newest, t) : t;
    }
    archive_read_data_skip(a);
  }
  return newest;
}

} // namespace

DepGraphResult read_dep_graph(const fs::path &tree_stdout, const fs::path &cargo_lock,
                              const std::string &root_source, const std::string &root_checksum) {
  DepGraphResult r;
  const auto tree = read_small_file(tree_stdout, kMaxTreeBytes);
  if (!tree) {
    r.error = "cargo tree left no readable output";
    return r;
  }
  const auto lock = read_small_file(cargo_lock, kMaxTreeBytes);
  if (!lock) {
    r.error = "the crate has no readable Cargo.lock after the fetch";
    return r;
  }
  std::string error;
  const auto packages = parse_cargo_lock(*lock, error);
  if (!error.empty()) {
    r.error = error;
    return r;
  }
  return dep_graph_from_tree(*tree, packages, root_source, root_checksum);
}

std::string crate_source_id(const std::string &index_url, bool default_index) {
  if (default_index) {
    return std::string(kCratesIoSource);
  }
  return "sparse+" + index_url;
}

std::vector<std::string> rustc_version_argv(const BuilderSettings &settings) {
  std::string rustc = "rustc";
  if (const char *env = std::getenv("RUSTC"); env != nullptr && *env != '\0') {
    rustc = env;
  } else if (settings.cargo_program.find('/') != std::string::npos) {
    const fs::path beside = fs::path(settings.cargo_program).parent_path() / "rustc";
    std::error_code ec;
    if (fs::exists(beside, ec)) {
      rustc = beside.string();
    }
  }
  std::vector<std::string> argv{rustc};
  if (!settings.toolchain.empty()) {
    argv.push_back("+" + settings.toolchain);
  }
  argv.emplace_back("-vV");
  return argv;
}

std::optional<int64_t> crate_source_date_epoch(const std::optional<std::string> &published_at,
                                               const fs::path &crate_file) {
  if (published_at && !published_at->empty()) {
    std::string text = *published_at;
    if (text.back() == 'Z' || text.back() == 'z') {
      text.pop_back(); // parse_timestamp reads UTC when no offset is given
    }
    if (const auto micros = pg::parse_timestamp(text); micros && *micros >= 0) {
      return *micros / 1000000;
    }
  }
  return newest_entry_mtime(crate_file);
}

std::vector<std::pair<std::string, std::string>> reproducible_remaps(const fs::path &build_dir,
                                                                     const fs::path &cargo_home) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!cargo_home.empty()) {
    out.emplace_back(cargo_home.lexically_normal().string(), "/cargo");
  }
  // After the cargo home: when the build directory lies inside it, the longer (later) mapping wins.
  out.emplace_back(build_dir.lexically_normal().string(), "/build");
  for (auto &[from, to] : out) {
    while (from.size() > 1 && from.back() == '/') {
      from.pop_back();
    }
  }
  return out;
}

EmbedResult embed_dep_list(const fs::path &exe, const DepGraph &graph) {
  EmbedResult r;
  const std::string json = auditable_json(graph);
  const std::string compressed = zlib_compress(json);
  if (compressed.empty()) {
    r.error = "zlib could not compress the dependency list";
    return r;
  }
  std::error_code ec;
  const auto perms = fs::status(exe, ec).permissions();
  const std::string original = read_file(exe);
  const ElfEdit edit = add_elf_section(original, kAuditableSection, compressed);
  if (!edit.error.empty()) {
    r.error = fmt::format("{} left as it is: {}", exe.filename().string(), edit.error);
    return r;
  }
  const auto back = elf_section_data(edit.bytes, kAuditableSection);
  if (!back || zlib_decompress(*back, kMaxDepListBytes) != json) {
    r.error = fmt::format("{}: the section forge wrote does not read back", exe.filename().string());
    return r;
  }
  write_file_atomic(exe, edit.bytes);
  fs::permissions(exe, ec ? fs::perms(0755) : perms, ec);
  r.embedded = true;
  return r;
}

std::optional<std::string> read_embedded_dep_list(const fs::path &exe) {
  const auto bytes = read_small_file(exe, uint64_t{4} << 30);
  if (!bytes) {
    return std::nullopt;
  }
  const auto data = elf_section_data(*bytes, kAuditableSection);
  if (!data) {
    return std::nullopt;
  }
  return zlib_decompress(*data, kMaxDepListBytes);
}

RebuildComparison compare_rebuild(const std::vector<fs::path> &first, const std::vector<fs::path> &second) {
  std::map<std::string, fs::path> a;
  std::map<std::string, fs::path> b;
  for (const auto &p : first) {
    a[p.filename().string()] = p;
  }
  for (const auto &p : second) {
    b[p.filename().string()] = p;
  }
  std::vector<std::string> notes;
  for (const auto &[name, path] : a) {
    const auto other = b.find(name);
    if (other == b.end()) {
      notes.push_back(fmt::format("{}: not produced by the second build", name));
      continue;
    }
    if (blake3_file_hex(path) == blake3_file_hex(other->second)) {
      continue;
    }
    notes.push_back(
        fmt::format("{}: {}", name, first_elf_difference(read_file(path), read_file(other->second))));
  }
  for (const auto &[name, path] : b) {
    if (a.count(name) == 0) {
      notes.push_back(fmt::format("{}: produced only by the second build", name));
    }
  }
  RebuildComparison c;
  c.reproducible = notes.empty() && !a.empty();
  c.details =
      notes.empty() && a.empty() ? "no executables to compare" : fmt::format("{}", fmt::join(notes, "; "));
  return c;
}

} // namespace forge
