// Why: the journal is read after crashes and power loss, so a damaged line costs one job redone, never the
// run; and it is written so that a line is either wholly there or recognisably torn.
#include "forge/run/journal.hpp"

#include "forge/util/error.hpp"
#include "forge/util/fs.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <system_error>

namespace forge {
namespace {

using json = nlohmann::ordered_json;

std::string errno_text(int err) {
  return std::generic_category().message(err);
}

double round_ms(double seconds) {
  return std::round(seconds * 1000) / 1000;
}

// A century: longer is no job's duration, and the bound keeps round_ms finite (an infinity would be written
// as null, a line that no longer reads back).
constexpr double kMaxDuration = 100.0 * 365 * 24 * 3600;

} // namespace

std::string job_id(std::string_view crate, std::string_view version, std::string_view target) {
  std::string id;
  id.reserve(crate.size() + version.size() + target.size() + 2);
  id.append(crate).append("@").append(version).append(" ").append(target);
  return id;
}

std::string JournalEntry::id() const {
  return job_id(crate, version, target);
}

json journal_entry_to_json(const JournalEntry &e) {
  json j{{"crate", e.crate},
         {"version", e.version},
         {"target", e.target},
         {"host", e.host},
         {"status", to_string(e.status)},
         {"reason", e.reason ? json(to_string(*e.reason)) : json(nullptr)},
         {"details", e.details.empty() ? json(nullptr) : json(e.details)},
         {"spurious", e.spurious},
         {"attempt", e.attempt},
         {"duration_s", round_ms(e.duration_s)},
         {"started_at", e.started_at},
         {"finished_at", e.finished_at},
         {"executables", e.executables},
         {"exit_code", e.exit_code}};
  if (e.retrying) {
    j["retrying"] = true;
  }
  return j;
}

std::optional<JournalEntry> journal_entry_from_json(const nlohmann::json &j) {
  if (!j.is_object()) {
    return std::nullopt;
  }
  auto str = [&j](const char *key, std::string &out, bool nullable) {
    const auto it = j.find(key);
    if (it == j.end()) {
      return false;
    }
    if (it->is_null() && nullable) {
      out.clear();
      return true;
    }
    if (!it->is_string()) {
      return false;
    }
    out = it->get<std::string>();
    return true;
  };
  JournalEntry e;
  std::string status, reason;
  if (!str("crate", e.crate, false) || !str("version", e.version, false) || !str("target", e.target, false) ||
      !str("host", e.host, false) || !str("status", status, false) || !str("reason", reason, true) ||
      !str("details", e.details, true) || !str("started_at", e.started_at, false) ||
      !str("finished_at", e.finished_at, false)) {
    return std::nullopt;
  }
  const auto parsed_status = parse_status(status);
  if (!is_path_component(e.crate) || !is_path_component(e.version) || !is_path_component(e.target) ||
      !is_path_component(e.host) || !parsed_status) {
    return std::nullopt;
  }
  e.status = *parsed_status;
  if (!reason.empty()) {
    e.reason = parse_reason(reason);
    if (!e.reason) {
      return std::nullopt;
    }
  }
  if (e.status == Status::failed && !e.reason) {
    return std::nullopt;
  }
  const auto spurious = j.find("spurious");
  const auto attempt = j.find("attempt");
  const auto duration = j.find("duration_s");
  const auto exes = j.find("executables");
  const auto code = j.find("exit_code");
  if (spurious == j.end() || !spurious->is_boolean() || attempt == j.end() || !attempt->is_number_integer() ||
      duration == j.end() || !duration->is_number() || exes == j.end() || !exes->is_array() ||
      code == j.end() || !code->is_number_integer()) {
    return std::nullopt;
  }
  e.spurious = spurious->get<bool>();
  e.attempt = attempt->get<int>();
  e.duration_s = duration->get<double>();
  if (!(e.duration_s >= 0 && e.duration_s <= kMaxDuration)) {
    return std::nullopt;
  }
  e.exit_code = code->get<int>();
  if (const auto r = j.find("retrying"); r != j.end()) {
    if (!r->is_boolean()) {
      return std::nullopt;
    }
    e.retrying = r->get<bool>();
  }
  for (const auto &x : *exes) {
    if (!x.is_string() || !is_path_component(x.get<std::string>())) {
      return std::nullopt;
    }
    e.executables.push_back(x.get<std::string>());
  }
  return e;
}

JournalReplay parse_journal(std::string_view text) {
  JournalReplay replay;
  std::size_t line_no = 0;
  std::size_t begin = 0;
  while (begin < text.size()) {
    std::size_t end = text.find('\n', begin);
    const bool torn = end == std::string_view::npos;
    if (torn) {
      end = text.size();
      replay.ends_without_newline = true;
    }
    ++line_no;
    const std::string_view line = text.substr(begin, end - begin);
    begin = end + 1;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) {
      continue;
    }
    std::optional<JournalEntry> entry;
    if (!torn) { // a line without its '\n' was not fully written, even if it happens to parse
      const auto j = nlohmann::json::parse(line, nullptr, false);
      if (!j.is_discarded()) {
        entry = journal_entry_from_json(j);
      }
    }
    if (!entry) {
      replay.corrupt_lines.push_back(line_no);
      continue;
    }
    replay.last[entry->id()] = *entry;
    replay.entries.push_back(std::move(*entry));
  }
  return replay;
}

JournalReplay read_journal(const std::filesystem::path &path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return {};
  }
  return parse_journal(read_file(path));
}

JournalWriter::JournalWriter(const std::filesystem::path &path) : path_(path) {
  std::error_code ec;
  if (path.has_parent_path()) {
    std::filesystem::create_directories(path.parent_path(), ec);
  }
  fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    fail(ExitCode::io, "cannot open {}: {}", path.string(), errno_text(errno));
  }
  struct stat st {};
  if (::fstat(fd_, &st) == 0 && st.st_size > 0) {
    const int rd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    char last = '\n';
    if (rd >= 0) {
      if (::pread(rd, &last, 1, st.st_size - 1) != 1) {
        last = '\n';
      }
      ::close(rd);
    }
    if (last != '\n' && ::write(fd_, "\n", 1) != 1) {
      const int err = errno;
      ::close(fd_);
      fd_ = -1;
      fail(ExitCode::io, "cannot write {}: {}", path.string(), errno_text(err));
    }
  }
}

JournalWriter::~JournalWriter() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

void JournalWriter::append(const JournalEntry &entry) {
  // Invalid UTF-8 (which nothing should produce) is replaced rather than thrown in the middle of a run.
  const std::string line =
      journal_entry_to_json(entry).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      const int err = n < 0 ? errno : EIO;
      fail(ExitCode::io, "cannot write {}: {}", path_.string(), errno_text(err));
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fdatasync(fd_) != 0) {
    fail(ExitCode::io, "cannot sync {}: {}", path_.string(), errno_text(errno));
  }
}

} // namespace forge
