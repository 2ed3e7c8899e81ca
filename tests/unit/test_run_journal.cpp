// Why: the journal decides what a rerun skips; a damaged or torn line must cost one job, never a wrong skip.
#include "forge/run/journal.hpp"
#include "run_fixtures.hpp"

#include "forge/util/error.hpp"

#include <gtest/gtest.h>

namespace forge {
namespace {
using namespace test_run;

std::string line(const JournalEntry &e) {
  return journal_entry_to_json(e).dump() + "\n";
}

TEST(RunJournal, EntryRoundTripsThroughJson) {
  JournalEntry e = entry("hexyl", "0.8.0", "built");
  e.executables = {"hexyl", "hexyl-helper"};
  e.attempt = 2;
  e.duration_s = 21.3456;
  const auto back = journal_entry_from_json(nlohmann::json::parse(journal_entry_to_json(e).dump()));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->id(), "hexyl@0.8.0 x86_64-unknown-linux-musl");
  EXPECT_EQ(back->executables, e.executables);
  EXPECT_EQ(back->attempt, 2);
  EXPECT_DOUBLE_EQ(back->duration_s, 21.346); // milliseconds
  EXPECT_FALSE(back->retrying);
  JournalEntry f = entry("fx", "0.1.0", "failed", "2025-06-01T00:00:00Z", musl(), "timeout");
  f.retrying = true;
  const auto back2 = journal_entry_from_json(nlohmann::json::parse(journal_entry_to_json(f).dump()));
  ASSERT_TRUE(back2);
  EXPECT_EQ(back2->reason, Reason::timeout);
  EXPECT_TRUE(back2->spurious);
  EXPECT_TRUE(back2->retrying);
}

TEST(RunJournal, RejectsDamagedEntries) {
  auto j = nlohmann::json::parse(journal_entry_to_json(entry("a", "1.0.0", "failed")).dump());
  EXPECT_TRUE(journal_entry_from_json(j));
  for (const char *key :
       {"crate", "version", "target", "status", "spurious", "attempt", "executables", "exit_code"}) {
    auto broken = j;
    broken.erase(key);
    EXPECT_FALSE(journal_entry_from_json(broken)) << key;
  }
  auto bad_status = j;
  bad_status["status"] = "maybe";
  EXPECT_FALSE(journal_entry_from_json(bad_status));
  auto no_reason = j;
  no_reason["reason"] = nullptr;
  EXPECT_FALSE(journal_entry_from_json(no_reason)) << "a failure needs a reason";
  auto wrong_type = j;
  wrong_type["attempt"] = "1";
  EXPECT_FALSE(journal_entry_from_json(wrong_type));
  EXPECT_FALSE(journal_entry_from_json(nlohmann::json::array()));
}

TEST(RunJournal, NamesThatWouldClimbOutOfADirectoryAreRefused) {
  // A shard's journal reaches `forge merge`, which reads <dir>/<host>/<crate>/<version>/<exe>.json and writes
  // metadata/<host>.json from these fields (found by the fuzz_journal target's invariant).
  auto j = nlohmann::json::parse(journal_entry_to_json(entry("a", "1.0.0", "built")).dump());
  ASSERT_TRUE(journal_entry_from_json(j));
  for (const char *key : {"crate", "version", "target", "host"}) {
    for (const char *value : {"..", ".", "", "../../etc", "a/b"}) {
      auto forged = j;
      forged[key] = value;
      EXPECT_FALSE(journal_entry_from_json(forged)) << key << "=" << value;
    }
  }
  auto exe = j;
  exe["executables"] = {"ok", "../../../home/user/.bashrc"};
  EXPECT_FALSE(journal_entry_from_json(exe));
  EXPECT_TRUE(is_path_component("hexyl-0.8.0+build.1"));
  EXPECT_FALSE(is_path_component(std::string("a\0b", 3)));
}

TEST(RunJournal, ADurationThatCannotBeWrittenBackIsRefused) {
  // 1e308 s reads fine, but its rounding to milliseconds overflows to infinity, which JSON writes as null:
  // forge merge would rewrite the line into one that no longer reads (found by fuzz_journal's round trip).
  auto j = nlohmann::json::parse(journal_entry_to_json(entry("a", "1.0.0", "built")).dump());
  for (double d : {1e308, -1.0, 4e9}) {
    auto forged = j;
    forged["duration_s"] = d;
    EXPECT_FALSE(journal_entry_from_json(forged)) << d;
  }
  j["duration_s"] = 86400.5;
  EXPECT_TRUE(journal_entry_from_json(j));
}

TEST(RunJournal, ReplaySkipsCorruptAndTornLinesAndKeepsTheLastPerJob) {
  const std::string text = line(entry("a", "1.0.0", "failed", "2025-06-01T00:00:01Z")) + "{not json\n" +
                           "\n" + line(entry("b", "1.0.0", "built")) +
                           line(entry("a", "1.0.0", "built", "2025-06-01T00:00:02Z")) +
                           line(entry("c", "1.0.0", "built")).substr(0, 30);
  const JournalReplay r = parse_journal(text);
  EXPECT_EQ(r.entries.size(), 3u);
  EXPECT_EQ(r.corrupt_lines, (std::vector<std::size_t>{2, 6}));
  EXPECT_TRUE(r.ends_without_newline);
  ASSERT_EQ(r.last.count("a@1.0.0 x86_64-unknown-linux-musl"), 1u);
  EXPECT_TRUE(r.last.at("a@1.0.0 x86_64-unknown-linux-musl").built()) << "the later line wins";
  EXPECT_EQ(r.last.count("c@1.0.0 x86_64-unknown-linux-musl"), 0u) << "a torn line is not a finished job";
}

TEST(RunJournal, ATornLineIsNotTrustedEvenIfItParses) {
  std::string whole = line(entry("a", "1.0.0", "built"));
  whole.pop_back(); // the '\n' never made it to disk
  const JournalReplay r = parse_journal(whole);
  EXPECT_TRUE(r.entries.empty());
  EXPECT_EQ(r.corrupt_lines, std::vector<std::size_t>{1});
}

TEST(RunJournal, WriterAppendsWholeLinesAndRepairsATornEnd) {
  TempDir dir;
  const auto path = dir.path() / "sub" / "journal.ndjson";
  {
    JournalWriter w(path);
    w.append(entry("a", "1.0.0", "built"));
  }
  spit(path, slurp(path) + "{\"crate\":\"torn"); // power loss mid-write
  {
    JournalWriter w(path);
    w.append(entry("b", "1.0.0", "failed"));
  }
  const std::string text = slurp(path);
  EXPECT_EQ(text.back(), '\n');
  const JournalReplay r = read_journal(path);
  EXPECT_EQ(r.entries.size(), 2u);
  EXPECT_EQ(r.corrupt_lines, std::vector<std::size_t>{2});
  EXPECT_EQ(r.entries[1].crate, "b");
  EXPECT_FALSE(r.ends_without_newline);
}

TEST(RunJournal, MissingFileIsEmptyAndUnwritablePathIsAnIoError) {
  TempDir dir;
  EXPECT_TRUE(read_journal(dir.path() / "none.ndjson").entries.empty());
  spit(dir.path() / "file", "x");
  try {
    JournalWriter w(dir.path() / "file" / "journal.ndjson");
    FAIL() << "expected an error";
  } catch (const Error &e) {
    EXPECT_EQ(e.code(), ExitCode::io);
    EXPECT_NE(std::string(e.what()).find("journal.ndjson"), std::string::npos);
  }
}

} // namespace
} // namespace forge
