// Why: CRATES_BUILT.json is the memory of the whole catalogue build across runs, shards and days: which
// version of each crate was built for which target, what failed and why, and how long it took. The matrix
// planner reads it to build only what is new, and its merge rule keeps it monotonic.
#pragma once
#include "forge/run/journal.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace forge {

inline constexpr const char *kCratesBuiltFile = "CRATES_BUILT.json";
inline constexpr const char *kCratesBuiltFormat = "forge-crates-built/1";

struct BuiltTarget {
  std::string host;
  Status status = Status::failed;
  std::optional<Reason> reason; // set exactly when failed
  std::string details;
  bool spurious = false;
  std::vector<std::string> executables;
  double duration_s = 0;
  int attempts = 1;
  std::string finished_at;
};

struct BuiltCrate {
  std::string version;
  std::string date;                           // the latest finished_at of its targets
  std::map<std::string, BuiltTarget> targets; // by rustc triple
};

struct CratesBuilt {
  std::map<std::string, BuiltCrate> crates;     // by crate name
  [[nodiscard]] std::string updated_at() const; // the latest date, "" when empty
};

// Version order, a total order: semver precedence when both parse (ties by text), any version above text
// that does not parse, text order among those.
int compare_versions(std::string_view a, std::string_view b);

// Folds one finished job in: a newer version of the crate replaces the entry, an older one is ignored, the
// same version updates that target when the entry is at least as recent. Returns whether anything changed.
bool merge_entry(CratesBuilt &built, const JournalEntry &entry);
// Folds another index in with the same rules (target by target). Returns whether anything changed.
bool merge_index(CratesBuilt &into, const CratesBuilt &from);

nlohmann::ordered_json crates_built_to_json(const CratesBuilt &built);
// Throws Error(data) naming `source` for a wrong format or malformed entries.
CratesBuilt crates_built_from_json(const nlohmann::json &j, const std::string &source);
// The text of a CRATES_BUILT.json; Error(data) naming `source` when it is not one.
CratesBuilt parse_crates_built(std::string_view text, const std::string &source);
// A missing file is an empty index.
CratesBuilt read_crates_built(const std::filesystem::path &path);
void write_crates_built(const std::filesystem::path &path, const CratesBuilt &built);

} // namespace forge
