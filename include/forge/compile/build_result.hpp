// Why: result.json is the contract between `forge build` and everything downstream (the runner's journal,
// publish, reports, other machines' shards). One type with one writer and one reader keeps the key names,
// the reason vocabulary and the tolerance for damaged files in a single place.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace forge {

inline constexpr const char *kResultFormat = "forge-result/1";

enum class Status { built, failed };

// The reason vocabulary of result.json, the journal and the reports; the strings are in build_result.cpp.
enum class Reason {
  missing_system_library,
  build_script,
  compile_error,
  link_error,
  target_not_installed,
  dependency_resolution,
  timeout,
  out_of_memory,
  no_space,
  network,
  download,
  checksum_mismatch,
  builder_missing,
  no_executables,
  not_static,
  internal,
};

std::string_view to_string(Status status);
std::string_view to_string(Reason reason);
std::optional<Status> parse_status(std::string_view text);
std::optional<Reason> parse_reason(std::string_view text);
std::span<const Reason> all_reasons();
std::ostream &operator<<(std::ostream &out, Reason reason); // for test failure messages
std::ostream &operator<<(std::ostream &out, Status status);

// Worth retrying as is: timeout, out-of-memory, no-space, network.
bool is_spurious(Reason reason);

struct Failure {
  Reason reason = Reason::internal;
  std::string details;                  // one human line, e.g. "could not find system library 'openssl'"
  bool spurious = false;                // is_spurious(reason) unless the context says otherwise
  std::vector<std::string> libraries;   // missing-system-library: the library names
  std::vector<std::string> error_codes; // compile-error: rustc codes such as E0425
  std::string crate;                    // build-script: the crate whose build script failed

  static Failure of(Reason reason, std::string details);
};

struct ExecutableRecord {
  std::string name; // as written; readers check it is a path component before using it as one
  uint64_t size = 0;
  std::string bsum, shasum;
  bool is_static = false;
  bool auditable = false;       // the linked crates are embedded (.dep-v0)
  std::string sbom, provenance; // file names in the result directory; empty when not written
};

// One build attempt (cargo fetch excluded): the ladder's record of what was tried and why.
struct AttemptRecord {
  int number = 1;
  std::string change, why; // empty for the first attempt
  std::string features;    // "all" | "default"
  bool locked = false;
  std::string outcome; // "built" or the failure's reason
  double duration_s = 0;
};

// One target's result.json.
struct BuildResult {
  std::string crate, version;
  std::string target; // rustc triple
  std::string host;   // soar host triplet
  std::string builder, sandbox, sandbox_reason;
  std::vector<std::string> fetch_argv; // empty: no fetch phase ran (null in JSON)
  std::vector<std::string> argv;       // the last build attempt
  std::string feature_mode;            // empty: no build attempt ran (null in JSON)
  Status status = Status::failed;
  std::optional<Failure> failure; // set exactly when failed
  std::string started_at;         // RFC 3339 UTC
  double duration_s = 0;
  std::string log = "build.log";
  std::vector<ExecutableRecord> executables;
  std::vector<std::string> missing_bins; // declared [[bin]]s the successful build did not produce
  std::vector<AttemptRecord> attempts;
  // Supply chain (docs/supply-chain.md).
  bool auditable = false;        // every executable carries the linked crates
  std::string auditable_details; // why not, when built without
  std::optional<int64_t> source_date_epoch;
  std::optional<bool> reproducible; // --verify-reproducible: the second build's executables were identical
  std::string reproducible_details; // the first difference when not

  [[nodiscard]] bool built() const { return status == Status::built; }
};

nlohmann::ordered_json to_json(const BuildResult &result);

// Reads a result.json that may come from another machine or a damaged disk. nullopt when it is not a
// forge-result/1 document naming a crate, version, target, host and status; any other field of the wrong
// type reads as absent (never a type_error). A failed result without a known reason reads as `internal`.
std::optional<BuildResult> build_result_from_json(const nlohmann::json &json);

} // namespace forge
