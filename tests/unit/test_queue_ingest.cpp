// Why: the default --since date and the funnel table are user-visible contracts of `forge ingest`.
#include "forge/dump/pg_types.hpp"
#include "forge/queue/ingest.hpp"
#include "forge/queue/queue.hpp"
#include "forge/util/fs.hpp"
#include "forge/util/utf8.hpp"

#include <gtest/gtest.h>

#include <filesystem>

namespace forge {
namespace {

TEST(Ingest, DefaultSinceIsJanuaryFirstOfPreviousYear) {
  EXPECT_EQ(default_since(*pg::parse_timestamp("2026-11-25 10:00:00")), "2025-01-01");
  EXPECT_EQ(default_since(*pg::parse_timestamp("2026-01-01 00:00:00")), "2025-01-01");
  EXPECT_EQ(default_since(*pg::parse_timestamp("2025-12-31 23:59:59")), "2024-01-01");
}

TEST(Ingest, FunnelTableShowsEveryStageAndNoColourWhenAsked) {
  Funnel f{1000, 250, 80, 300, 120, 5, 7, 108};
  const std::string plain = render_funnel(f, "2025-01-01", false);
  EXPECT_NE(plain.find("1,000"), std::string::npos);
  EXPECT_NE(plain.find("updated since 2025-01-01"), std::string::npos);
  EXPECT_NE(plain.find("Selected to build"), std::string::npos);
  EXPECT_NE(plain.find("108"), std::string::npos);
  EXPECT_EQ(plain.find('\x1b'), std::string::npos);
  EXPECT_NE(render_funnel(f, "2025-01-01", true).find("\x1b[32m"), std::string::npos);
}

TEST(Queue, TheDirectWriterMatchesTheJsonLibraryByteForByte) {
  Selection s;
  QueuedCrate c;
  c.rank = 7;
  c.name = "odd";
  c.version = "1.0.0-rc.1+build";
  c.checksum = std::string(64, 'c');
  c.bin_names = {"a", "b\\c", "quote\"d"};
  c.description = std::string("tab\there, bell\x07, nul") + std::string(1, '\0') +
                  ", del\x7f, caf\xC3\xA9 \xF0\x9F\xA6\x80\r\n\b\f/";
  c.homepage = "";
  c.repository = "https://example.org/\u00fc";
  c.downloads = -1;
  c.categories = {"command-line-utilities"};
  c.keywords = {"x", "y", "z"};
  c.published_at = "2026-01-01T00:00:00Z";
  c.edition = "2021";
  c.has_lib = true;
  s.crates.push_back(c);
  c.bin_names.clear();
  c.categories.clear();
  c.description = "broken \xFF utf-8";
  c.has_lib.reset();
  s.crates.push_back(c);
  const auto dir =
      std::filesystem::temp_directory_path() / ("forge-queue-bytes-" + std::to_string(::getpid()));
  QueueHeader h{"2026-11-25T00:00:00Z", "2025-01-01", "dump \"x\".tar.gz", ""};
  write_queue_files(dir, h, s);
  // nlohmann refuses invalid UTF-8; the writer replaces it, as valid_utf8 does before a tree dump.
  s.crates[1].description = valid_utf8(*s.crates[1].description);
  EXPECT_EQ(read_file(dir / "queue.json"), queue_to_json(h, s).dump(2) + "\n");
  std::filesystem::remove_all(dir);
}

TEST(Queue, RoundTripsThroughJson) {
  Selection s;
  s.funnel.total = 3;
  QueuedCrate c;
  c.rank = 1;
  c.name = "hexyl";
  c.version = "0.8.0";
  c.checksum = std::string(64, 'b');
  c.bin_names = {"hexyl"};
  c.license = "MIT OR Apache-2.0";
  c.has_lib = false;
  s.crates.push_back(c);
  c.name = "second";
  c.description = "multi\nline \"quoted\"";
  s.crates.push_back(c);
  const auto dir =
      std::filesystem::temp_directory_path() / ("forge-queue-test-" + std::to_string(::getpid()));
  QueueHeader h{"2026-11-25T00:00:00Z", "2025-01-01", "sample.tar.gz", "2026-11-20T02:00:46Z"};
  write_queue_files(dir, h, s);
  EXPECT_EQ(read_file(dir / "queue.json"), queue_to_json(h, s).dump(2) + "\n"); // streamed == tree dump
  const Queue q = read_queue(dir / "queue.json");
  ASSERT_EQ(q.crates.size(), 2U);
  EXPECT_EQ(q.crates[0].name, "hexyl");
  EXPECT_EQ(q.crates[0].license, "MIT OR Apache-2.0");
  EXPECT_FALSE(q.crates[0].description.has_value());
  EXPECT_EQ(q.crates[0].has_lib, false);
  ASSERT_TRUE(q.funnel.has_value());
  EXPECT_EQ(q.funnel->total, 3);
  EXPECT_NE(find_crate(q, "hexyl"), nullptr);
  EXPECT_EQ(find_crate(q, "ripgrep"), nullptr);
  std::filesystem::remove_all(dir);
}

} // namespace
} // namespace forge
