// Why: selection needs a few facts per crate and per version out of gigabytes of tables; the catalog keeps
// only those (READMEs and versions that cannot matter are dropped while streaming) so memory stays bounded.
#pragma once
#include "forge/select/id_index.hpp"

#include <array>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace forge {

enum class BinNames : uint8_t { null, empty, some };

// The fields of one version that the queue may need. Strings live in one blob to keep the record small, and
// only versions that could be selected (recent, not yanked) carry them at all.
struct VersionInfo {
  enum Str : uint8_t {
    num,
    checksum,
    license,
    edition,
    rust_version,
    description,
    homepage,
    repository,
    bins,
    count
  };
  int64_t id = 0;
  uint32_t crate = 0;     // index into Catalog::crates
  int64_t created_at = 0; // microseconds since the epoch, UTC
  bool yanked = false;
  int8_t has_lib = -1; // -1 = NULL (not analysed), 0, 1
  BinNames bin_state = BinNames::null;
  std::string blob;
  std::array<uint32_t, count> ends{};
  uint16_t null_mask = 0;

  void set(Str which, std::optional<std::string_view> value); // must be called in Str order
  [[nodiscard]] std::optional<std::string_view> get(Str which) const;
  [[nodiscard]] std::vector<std::string> bin_names() const; // stored NUL-separated
};

struct CrateInfo {
  enum Str : uint8_t { name_s, description_s, homepage_s, repository_s, count };
  int64_t id = 0;
  int64_t downloads = 0;
  bool cli = false;
  std::string blob; // name, description, homepage, repository
  std::array<uint32_t, count> ends{};
  uint8_t null_mask = 0;

  void set_strings(std::string_view name, std::optional<std::string_view> description,
                   std::optional<std::string_view> homepage, std::optional<std::string_view> repository);
  [[nodiscard]] std::string_view name() const { return *get(name_s); }
  [[nodiscard]] std::optional<std::string_view> get(Str which) const;

  // Best version so far by the rule used when `default_versions` is absent.
  std::string fallback_num;
  bool fallback_yanked = false;
  bool has_fallback = false;
  int32_t fallback_kept = -1;      // its index in Catalog::versions, -1 when it was not kept
  int64_t default_version_id = -1; // from default_versions, -1 when there is no row
};

struct Catalog {
  std::deque<CrateInfo> crates; // a deque: no doubling copy of 200k+ records while loading
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
  IdIndex version_index; // versions.id -> index into `versions`
  bool has_default_versions = false;
  uint64_t version_rows = 0;

  std::string dump_timestamp; // RFC 3339, from metadata.json or the top directory name

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
