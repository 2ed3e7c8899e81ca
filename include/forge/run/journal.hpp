// Why: a run of thousands of builds must survive power loss and Ctrl-C; an append-only journal, one fsynced
// line per finished job, is the only source of truth about what is done, so a rerun never repeats work.
#pragma once
#include "forge/compile/build_result.hpp"
#include "forge/util/fs.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace forge {

inline constexpr const char *kJournalFile = "journal.ndjson";

// One finished attempt of one job (crate x version x target). Interrupted attempts are never written.
struct JournalEntry {
  std::string crate, version;
  std::string target; // rustc triple
  std::string host;   // soar host triplet
  Status status = Status::failed;
  std::optional<Reason> reason; // set exactly when failed
  std::string details;
  bool spurious = false;
  int attempt = 1; // 1, 2, ... within the run that wrote it
  double duration_s = 0;
  std::string started_at, finished_at;  // RFC 3339 UTC
  std::vector<std::string> executables; // names, when built
  int exit_code = 0;                    // of the `forge build` child; -1 when killed by a signal
  bool retrying = false;                // a spurious failure that the run was going to retry: not final

  [[nodiscard]] bool built() const { return status == Status::built; }
  // The reason's name, "" when built.
  [[nodiscard]] std::string_view reason_name() const { return reason ? to_string(*reason) : ""; }
  [[nodiscard]] std::string id() const; // "crate@version target"
};

// "crate@version target": how jobs are named in messages, retry.txt and the journal's keys.
std::string job_id(std::string_view crate, std::string_view version, std::string_view target);

nlohmann::ordered_json journal_entry_to_json(const JournalEntry &e);
// nullopt when a field is missing or has the wrong type or value (a damaged or forged line): names that are
// not path components, a negative or absurd duration.
std::optional<JournalEntry> journal_entry_from_json(const nlohmann::json &j);

struct JournalReplay {
  std::vector<JournalEntry> entries;        // every valid line, in file order
  std::map<std::string, JournalEntry> last; // job id -> its last valid line (final unless `retrying`)
  std::vector<std::size_t> corrupt_lines;   // 1-based numbers of lines that were skipped
  bool ends_without_newline = false;        // a torn last write
};

JournalReplay parse_journal(std::string_view text);
// A missing file is an empty journal. Throws Error(io) when it exists but cannot be read.
JournalReplay read_journal(const std::filesystem::path &path);

// Appends entries durably: one write(2) of the whole line on an O_APPEND descriptor, then fdatasync. A torn
// last line (no '\n') is terminated first so the next entry starts on a line of its own.
class JournalWriter {
public:
  explicit JournalWriter(const std::filesystem::path &path); // throws Error(io)
  ~JournalWriter();
  JournalWriter(const JournalWriter &) = delete;
  JournalWriter &operator=(const JournalWriter &) = delete;

  void append(const JournalEntry &entry); // throws Error(io) naming the file (e.g. disk full)

private:
  std::filesystem::path path_;
  int fd_ = -1;
};

} // namespace forge
