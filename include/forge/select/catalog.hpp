// Why: selection needs a few facts per crate and per version out of gigabytes of tables; the catalog keeps
// only those (READMEs and versions that cannot matter are dropped while streaming) in compact records whose
// strings live in one arena, so memory grows by tens of bytes per crate and per kept version.
#pragma once
#include "forge/select/id_index.hpp"
#include "forge/util/arena.hpp"

#include <array>
#include <cstdint>
#include <cstring>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace forge {

enum class BinNames : uint8_t { null, empty, some };

// The fields of one version that the queue may need. Only versions that could be selected (recent, not
// yanked) carry strings at all.
struct VersionInfo {
  enum Str : uint8_t {
    num,
    checksum, // 64 lowercase hex digits
    license,
    edition,
    rust_version,
    description, // absent when equal to the crate's
    homepage,    // likewise
    repository,  // likewise
    bins,        // the names, NUL-separated
    count
  };
  int64_t id = 0;
  int64_t created_at = 0;        // microseconds since the epoch, UTC
  const char *strings = nullptr; // packed (pack_strings) in Catalog::arena, in Str order; nullptr: none kept
  uint32_t crate = 0;            // index into Catalog::crates
  int8_t has_lib = -1;           // -1 = NULL (not analysed), 0, 1
  BinNames bin_state = BinNames::null;
  bool yanked = false;

  [[nodiscard]] std::optional<std::string_view> get(Str which) const { return packed_field(strings, which); }
  [[nodiscard]] std::vector<std::string> bin_names() const;
};

// A version number of up to 20 bytes kept inline, a longer one in the arena.
class ShortString {
public:
  void assign(std::string_view s, Arena &arena) {
    len_ = static_cast<uint32_t>(s.size());
    if (s.size() <= sizeof(inline_)) {
      std::memcpy(inline_, s.data(), s.size());
      long_ = nullptr;
    } else {
      long_ = arena.copy(s).data();
    }
  }
  [[nodiscard]] std::string_view view() const { return {long_ != nullptr ? long_ : inline_, len_}; }

private:
  const char *long_ = nullptr;
  uint32_t len_ = 0;
  char inline_[20] = {};
};

struct CrateInfo {
  enum Str : uint8_t { name_s, description_s, homepage_s, repository_s, count };
  int64_t id = 0;
  int64_t downloads = 0;
  const char *strings = nullptr;   // packed name, description, homepage, repository in Catalog::arena
  int64_t default_version_id = -1; // from default_versions, -1 when there is no row
  // Best version so far by the rule used when `default_versions` is absent.
  ShortString fallback_num;
  int32_t fallback_kept = -1; // its index in Catalog::versions, -1 when it was not kept
  bool fallback_yanked = false;
  bool has_fallback = false;
  bool cli = false;

  [[nodiscard]] std::string_view name() const { return packed_field(strings, name_s).value_or(""); }
  [[nodiscard]] std::optional<std::string_view> get(Str which) const { return packed_field(strings, which); }
};

struct Catalog {
  Arena arena;                  // every string of the records below
  std::deque<CrateInfo> crates; // deques: no doubling copy of 200k+ records while loading
  IdIndex crate_index;          // crates.id -> index
  std::vector<std::string> category_slugs;
  std::unordered_map<int64_t, uint32_t> category_index;
  std::vector<std::string> keyword_names;
  std::unordered_map<int64_t, uint32_t> keyword_index;
  int64_t cli_category_id = -1;
  // (crate index, category/keyword index), sorted: joined only for the crates that get selected.
  std::vector<std::pair<uint32_t, uint32_t>> crate_categories, crate_keywords;

  // Versions that could decide a selection: those with binaries or of a crate in the CLI category.
  std::deque<VersionInfo> versions;
  bool versions_ascending = true; // by id, as the dump lists them: then found by binary search
  IdIndex version_index;          // versions.id -> index into `versions`, only when they do not ascend
  bool has_default_versions = false;
  uint64_t version_rows = 0;

  std::string dump_timestamp; // RFC 3339, from metadata.json or the top directory name

  void set_strings(CrateInfo &crate, std::string_view name, std::optional<std::string_view> description,
                   std::optional<std::string_view> homepage, std::optional<std::string_view> repository);
  void set_strings(VersionInfo &version,
                   const std::array<std::optional<std::string_view>, VersionInfo::count> &fields);

  // Call after the last version is added: indexes them by id if they do not ascend.
  void index_versions();
  // The index in `versions` of the version with that id, or -1.
  [[nodiscard]] int64_t find_version(int64_t id) const;

  // The crate's default version, or nullptr when it is not kept (then it has no binaries and the crate is
  // not a CLI crate, so it cannot be a candidate).
  [[nodiscard]] const VersionInfo *default_version(const CrateInfo &crate) const;
};

// Rank of a version under the rule used when `default_versions` is absent: non-yanked releases first,
// then other non-yanked versions, then yanked ones; semver precedence within each class.
// Returns true when `candidate` should replace `current`.
bool better_fallback(std::string_view candidate_num, bool candidate_yanked, std::string_view current_num,
                     bool current_yanked);

} // namespace forge
