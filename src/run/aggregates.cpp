// Why: the aggregates are rebuilt by folding run directories into what the output directory already holds;
// every rule is a "max" (newer version, later result), so folding is idempotent and order-independent.
#include "forge/run/aggregates.hpp"

#include "forge/hash/sha256.hpp"
#include "forge/run/report.hpp"
#include "forge/util/error.hpp"
#include "forge/util/fs.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

namespace forge {
namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

namespace {

json queue_json(const QueueInfo &q) {
  return json{{"sha256", q.sha256}, {"generated_at", q.generated_at}, {"crates", q.crates}};
}

// Fields of documents that come from other machines (report.json, run.json): absent or null is the default;
// any other type marks the document malformed (`bad`) instead of throwing nlohmann's type_error, which no
// caller expects (found by fuzz_run_info).
std::string str_field(const nlohmann::json &j, const char *key, bool &bad) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    return {};
  }
  if (!it->is_string()) {
    bad = true;
    return {};
  }
  return it->get<std::string>();
}

int64_t int_field(const nlohmann::json &j, const char *key, bool &bad) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    return 0;
  }
  if (!it->is_number_integer()) { // a float could be out of int64's range
    bad = true;
    return 0;
  }
  return it->get<int64_t>();
}

std::optional<Funnel> funnel_from(const nlohmann::json &j, bool &bad) {
  if (!j.is_object()) {
    bad = bad || !j.is_null();
    return std::nullopt;
  }
  Funnel f;
  f.total = int_field(j, "total", bad);
  f.with_bins = int_field(j, "with_bins", bad);
  f.cli_category = int_field(j, "cli_category", bad);
  f.candidates = int_field(j, "candidates", bad);
  f.recent = int_field(j, "recent", bad);
  f.yanked = int_field(j, "yanked", bad);
  f.lib_only = int_field(j, "lib_only", bad);
  f.selected = int_field(j, "selected", bad);
  return f;
}

std::optional<QueueInfo> queue_from_doc(const nlohmann::json &doc, bool &bad) {
  const auto q = doc.find("queue");
  if (q == doc.end() || !q->is_object()) {
    bad = bad || (q != doc.end() && !q->is_null());
    return std::nullopt;
  }
  QueueInfo info;
  info.sha256 = str_field(*q, "sha256", bad);
  info.generated_at = str_field(*q, "generated_at", bad);
  info.crates = int_field(*q, "crates", bad);
  if (const auto f = doc.find("funnel"); f != doc.end()) {
    info.funnel = funnel_from(*f, bad);
  }
  return info;
}

// Writes only when the bytes differ, so an idempotent merge leaves even the mtimes alone.
void write_if_changed(const fs::path &path, const std::string &content) {
  std::error_code ec;
  if (fs::exists(path, ec)) {
    try {
      if (read_file(path) == content) {
        return;
      }
    } catch (const Error &) {
      // unreadable: rewrite it
    }
  }
  write_file_atomic(path, content);
}

} // namespace

std::optional<QueueInfo> queue_info_from(const nlohmann::json &doc) {
  bool bad = false;
  auto info = queue_from_doc(doc, bad);
  return bad ? std::nullopt : info; // it only feeds the report's funnel: a malformed one is left out
}

QueueInfo queue_info(const fs::path &queue_path, const Queue &queue) {
  QueueInfo info;
  info.sha256 = sha256_file_hex(queue_path);
  info.generated_at = queue.header.generated_at;
  info.crates = static_cast<int64_t>(queue.crates.size());
  info.funnel = queue.funnel;
  return info;
}

json run_info_to_json(const RunInfo &r) {
  return json{{"format", kRunInfoFormat},
              {"queue", queue_json(r.queue)},
              {"funnel", r.queue.funnel ? funnel_to_json(*r.queue.funnel) : json(nullptr)},
              {"shard", r.shard.empty() ? json(nullptr) : json(r.shard)},
              {"targets", r.targets},
              {"planned", r.planned},
              {"plan", r.plan},
              {"started_at", r.started_at},
              {"finished_at", r.finished_at.empty() ? json(nullptr) : json(r.finished_at)},
              {"state", r.state}};
}

RunInfo parse_run_info(std::string_view text, const std::string &source) {
  const auto j = nlohmann::json::parse(text, nullptr, false);
  bool bad = false;
  if (j.is_discarded() || !j.is_object() || str_field(j, "format", bad) != kRunInfoFormat) {
    fail(ExitCode::data, "{}: not a forge run file (format is not {})", source, kRunInfoFormat);
  }
  RunInfo r;
  if (auto q = queue_from_doc(j, bad)) {
    r.queue = *q;
  }
  r.shard = str_field(j, "shard", bad);
  if (const auto t = j.find("targets"); t != j.end() && !t->is_null()) {
    if (!t->is_array()) {
      bad = true;
    } else {
      for (const auto &x : *t) {
        if (!x.is_string()) {
          bad = true;
          break;
        }
        r.targets.push_back(x.get<std::string>());
      }
    }
  }
  const int64_t planned = int_field(j, "planned", bad);
  bad = bad || planned < 0;
  r.planned = static_cast<std::size_t>(std::max<int64_t>(planned, 0));
  r.plan = str_field(j, "plan", bad);
  r.started_at = str_field(j, "started_at", bad);
  r.finished_at = str_field(j, "finished_at", bad);
  r.state = str_field(j, "state", bad);
  if (bad) {
    fail(ExitCode::data, "{}: a field has the wrong type", source);
  }
  return r;
}

std::optional<RunInfo> read_run_info(const fs::path &dir) {
  const fs::path path = dir / kRunInfoFile;
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    return std::nullopt;
  }
  return parse_run_info(read_file(path), path.string());
}

void write_run_info(const fs::path &dir, const RunInfo &info) {
  write_file_atomic(dir / kRunInfoFile, run_info_to_json(info).dump(2) + "\n");
}

Aggregates load_aggregates(const fs::path &out) {
  Aggregates agg;
  agg.built = read_crates_built(out / kCratesBuiltFile);
  std::error_code ec;
  if (fs::is_directory(out / "metadata", ec)) {
    for (const auto &entry : fs::directory_iterator(out / "metadata")) {
      if (entry.path().extension() == ".json") {
        agg.metadata[entry.path().stem().string()] = read_host_metadata(entry.path());
      }
    }
  }
  const JournalReplay journal = read_journal(out / kJournalFile);
  for (const auto &e : journal.entries) {
    std::string line = journal_entry_to_json(e).dump();
    if (agg.journal_seen.insert(line).second) {
      agg.journal_lines.push_back(std::move(line));
    }
  }
  if (fs::exists(out / kReportFile, ec)) {
    const auto report = nlohmann::json::parse(read_file(out / kReportFile), nullptr, false);
    if (!report.is_discarded() && report.is_object()) {
      agg.queue = queue_info_from(report);
    }
  }
  return agg;
}

FoldCounts fold_run_dir(Aggregates &agg, const fs::path &dir, const JournalReplay &journal,
                        bool keep_journal) {
  FoldCounts counts;
  for (const auto &e : journal.entries) {
    ++counts.entries;
    merge_entry(agg.built, e);
    if (keep_journal) {
      std::string line = journal_entry_to_json(e).dump();
      if (agg.journal_seen.insert(line).second) {
        agg.journal_lines.push_back(std::move(line));
        ++counts.new_entries;
      }
    }
  }
  for (const auto &[id, e] : journal.last) {
    if (e.retrying) {
      continue;
    }
    if (!e.built()) {
      ++counts.failed;
      continue;
    }
    ++counts.built;
    HostMetadata &host = agg.metadata[e.host];
    const fs::path job_dir = dir / e.host / e.crate / e.version;
    for (const auto &exe : e.executables) {
      const fs::path record_path = job_dir / (exe + ".json");
      std::error_code ec;
      if (!fs::exists(record_path, ec)) {
        ++counts.missing_records;
        spdlog::warn("{}: no soar record {} for a built job: not in metadata/{}.json", id,
                     record_path.string(), e.host);
        continue;
      }
      const auto record = nlohmann::ordered_json::parse(read_file(record_path), nullptr, false);
      if (record.is_discarded()) {
        fail(ExitCode::data, "{}: invalid JSON", record_path.string());
      }
      try {
        merge_record(host, record);
      } catch (const Error &err) {
        fail(ExitCode::data, "{}: {}", record_path.string(), err.what());
      }
      ++counts.records;
    }
  }
  return counts;
}

std::string render_retry_list(const CratesBuilt &built) {
  std::vector<std::string> lines;
  for (const auto &[name, c] : built.crates) {
    for (const auto &[triple, t] : c.targets) {
      if (t.status == Status::failed) {
        lines.push_back(
            fmt::format("{} {}", job_id(name, c.version, triple), t.reason ? to_string(*t.reason) : ""));
      }
    }
  }
  std::string text = fmt::format("# {} failed job(s): `forge run --retry-failed` reruns them "
                                 "(crate@version target reason)\n",
                                 lines.size());
  for (const auto &l : lines) {
    text += l + "\n";
  }
  return text;
}

void write_aggregates(const fs::path &out, const Aggregates &agg, bool write_journal) {
  for (const auto &[host, index] : agg.metadata) {
    write_if_changed(out / "metadata" / (host + ".json"), render_host_metadata(index));
  }
  write_if_changed(out / kCratesBuiltFile, crates_built_to_json(agg.built).dump(1) + "\n");
  write_if_changed(out / kReportFile, build_report(agg.built, agg.queue).dump(2) + "\n");
  write_if_changed(out / kRetryFile, render_retry_list(agg.built));
  if (write_journal) {
    std::string text;
    for (const auto &line : agg.journal_lines) {
      text += line + "\n";
    }
    write_if_changed(out / kJournalFile, text);
  }
}

} // namespace forge
