// Why: CRATES_BUILT.json is merged from many shards over many days; its merge rules (newer version wins,
// same version: the most recent result per target wins) make every merge order give the same file.
#include "forge/run/crates_built.hpp"

#include "forge/select/semver.hpp"
#include "forge/util/error.hpp"
#include "forge/util/fs.hpp"
#include "forge/util/json_read.hpp"

#include <cmath>
#include <stdexcept>

namespace forge {
namespace {

using json = nlohmann::ordered_json;

double round_ms(double seconds) {
  return std::round(seconds * 1000) / 1000;
}

BuiltTarget target_from_entry(const JournalEntry &e) {
  BuiltTarget t;
  t.host = e.host;
  t.status = e.status;
  t.reason = e.reason;
  t.details = e.details;
  t.spurious = e.spurious;
  t.executables = e.executables;
  t.duration_s = round_ms(e.duration_s);
  t.attempts = e.attempt;
  t.finished_at = e.finished_at;
  return t;
}

json target_to_json(const BuiltTarget &t);

// A total order on results of one target: the later finish wins; ties (second precision) are broken by the
// attempt, then built over failed, then the text, so that merging is order-independent and idempotent.
int compare_results(const BuiltTarget &a, const BuiltTarget &b) {
  if (a.finished_at != b.finished_at) {
    return a.finished_at < b.finished_at ? -1 : 1;
  }
  if (a.attempts != b.attempts) {
    return a.attempts < b.attempts ? -1 : 1;
  }
  if (a.status != b.status) {
    return a.status == Status::built ? 1 : -1;
  }
  const std::string ta = target_to_json(a).dump();
  const std::string tb = target_to_json(b).dump();
  return ta == tb ? 0 : (ta < tb ? -1 : 1);
}

void refresh_date(BuiltCrate &c) {
  c.date.clear();
  for (const auto &[triple, t] : c.targets) {
    if (t.finished_at > c.date) {
      c.date = t.finished_at;
    }
  }
}

// Puts `t` as `triple` of `c` when it is at least as recent as what is there. Returns whether it changed.
bool put_target(BuiltCrate &c, const std::string &triple, const BuiltTarget &t) {
  auto it = c.targets.find(triple);
  if (it != c.targets.end()) {
    if (compare_results(t, it->second) <= 0) {
      return false;
    }
    it->second = t;
  } else {
    c.targets.emplace(triple, t);
  }
  refresh_date(c);
  return true;
}

json target_to_json(const BuiltTarget &t) {
  json j{{"host", t.host}, {"status", to_string(t.status)}};
  if (t.status == Status::built) {
    j["executables"] = t.executables;
  } else {
    j["reason"] = t.reason ? to_string(*t.reason) : "";
    j["details"] = t.details;
    j["spurious"] = t.spurious;
  }
  j["duration_s"] = t.duration_s;
  j["attempts"] = t.attempts;
  j["finished_at"] = t.finished_at;
  return j;
}

BuiltTarget target_from_json(const nlohmann::json &j) {
  BuiltTarget t;
  t.host = j.at("host").get<std::string>();
  const auto status = j.at("status").get<std::string>();
  const auto parsed = parse_status(status);
  if (!parsed) {
    throw std::invalid_argument("status must be built or failed, not " + status);
  }
  t.status = *parsed;
  t.executables = j.value("executables", std::vector<std::string>{});
  if (t.status == Status::failed) {
    const auto reason = j.value("reason", "");
    t.reason = parse_reason(reason);
    if (!t.reason) {
      throw std::invalid_argument("unknown failure reason '" + reason + "'");
    }
  }
  t.details = j.value("details", "");
  t.spurious = j.value("spurious", false);
  t.duration_s = j.value("duration_s", 0.0);
  if (!(t.duration_s >= 0 && t.duration_s <= 100.0 * 365 * 24 * 3600)) {
    // round_ms would make a huge one infinite, written as null: a file that no longer reads back
    throw std::invalid_argument("duration_s must be between 0 and a century");
  }
  t.attempts = j.value("attempts", 1);
  t.finished_at = j.at("finished_at").get<std::string>();
  return t;
}

} // namespace

std::string CratesBuilt::updated_at() const {
  std::string latest;
  for (const auto &[name, c] : crates) {
    if (c.date > latest) {
      latest = c.date;
    }
  }
  return latest;
}

int compare_versions(std::string_view a, std::string_view b) {
  if (a == b) {
    return 0;
  }
  const auto va = parse_semver(a);
  const auto vb = parse_semver(b);
  if (va && vb) {
    const int c = compare_semver(*va, *vb);
    if (c != 0) {
      return c;
    }
  } else if (va || vb) {
    // A version beats a non-version. Comparing a semver with an unparsable one as text instead made the order
    // cyclic (2.0.0 < 10.0.0 < "15" < 2.0.0), so merges depended on the order shards came in (found by
    // fuzz_metadata).
    return va ? 1 : -1;
  }
  return a < b ? -1 : 1; // build metadata, or neither parses: any fixed order will do
}

bool merge_entry(CratesBuilt &built, const JournalEntry &entry) {
  auto it = built.crates.find(entry.crate);
  if (it == built.crates.end()) {
    BuiltCrate c;
    c.version = entry.version;
    c.targets.emplace(entry.target, target_from_entry(entry));
    refresh_date(c);
    built.crates.emplace(entry.crate, std::move(c));
    return true;
  }
  BuiltCrate &c = it->second;
  const int cmp = compare_versions(entry.version, c.version);
  if (cmp < 0) {
    return false;
  }
  if (cmp > 0) {
    c = BuiltCrate{};
    c.version = entry.version;
  }
  return put_target(c, entry.target, target_from_entry(entry)) || cmp > 0;
}

bool merge_index(CratesBuilt &into, const CratesBuilt &from) {
  bool changed = false;
  for (const auto &[name, src] : from.crates) {
    auto it = into.crates.find(name);
    if (it == into.crates.end()) {
      into.crates.emplace(name, src);
      changed = true;
      continue;
    }
    const int cmp = compare_versions(src.version, it->second.version);
    if (cmp < 0) {
      continue;
    }
    if (cmp > 0) {
      it->second = src;
      changed = true;
      continue;
    }
    for (const auto &[triple, t] : src.targets) {
      changed = put_target(it->second, triple, t) || changed;
    }
  }
  return changed;
}

json crates_built_to_json(const CratesBuilt &built) {
  json crates = json::object();
  for (const auto &[name, c] : built.crates) {
    json targets = json::object();
    for (const auto &[triple, t] : c.targets) {
      targets[triple] = target_to_json(t);
    }
    crates[name] = json{{"version", c.version}, {"date", c.date}, {"targets", std::move(targets)}};
  }
  return json{
      {"format", kCratesBuiltFormat}, {"updated_at", built.updated_at()}, {"crates", std::move(crates)}};
}

CratesBuilt crates_built_from_json(const nlohmann::json &j, const std::string &source) {
  if (!j.is_object() || string_or(j, "format") != kCratesBuiltFormat) {
    fail(ExitCode::data, "{}: not a forge CRATES_BUILT file (format is not {})", source, kCratesBuiltFormat);
  }
  CratesBuilt built;
  const auto crates = j.find("crates");
  if (crates == j.end() || !crates->is_object()) {
    fail(ExitCode::data, "{}: no \"crates\" object", source);
  }
  for (const auto &[name, c] : crates->items()) {
    try {
      BuiltCrate bc;
      bc.version = c.at("version").get<std::string>();
      for (const auto &[triple, t] : c.at("targets").items()) {
        bc.targets.emplace(triple, target_from_json(t));
      }
      refresh_date(bc);
      built.crates.emplace(name, std::move(bc));
    } catch (const std::exception &e) {
      fail(ExitCode::data, "{}: crate {}: {}", source, name, e.what());
    }
  }
  return built;
}

CratesBuilt parse_crates_built(std::string_view text, const std::string &source) {
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) {
    fail(ExitCode::data, "{}: invalid JSON", source);
  }
  return crates_built_from_json(j, source);
}

CratesBuilt read_crates_built(const std::filesystem::path &path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return {};
  }
  return parse_crates_built(read_file(path), path.string());
}

void write_crates_built(const std::filesystem::path &path, const CratesBuilt &built) {
  write_file_atomic(path, crates_built_to_json(built).dump(1) + "\n");
}

} // namespace forge
