// Why: the log is what a user reads when a build fails; its redaction and bounds must hold byte by byte.
#include "forge/compile/log_writer.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

// Each line of `text` without its "[mm:ss.mmm] " prefix.
std::vector<std::string> bodies(const std::string &text) {
  std::vector<std::string> lines;
  std::size_t begin = 0;
  while (begin < text.size()) {
    auto end = text.find('\n', begin);
    std::string line = text.substr(begin, end - begin);
    if (line.size() >= 12 && line[0] == '[' && line[10] == ']') {
      line.erase(0, 12);
    }
    lines.push_back(line);
    begin = end == std::string::npos ? text.size() : end + 1;
  }
  return lines;
}

TEST(LogWriterFormat, ElapsedRollsHoursIntoMinutes) {
  EXPECT_EQ(forge::format_elapsed(milliseconds(0)), "[00:00.000] ");
  EXPECT_EQ(forge::format_elapsed(milliseconds(61'005)), "[01:01.005] ");
  EXPECT_EQ(forge::format_elapsed(milliseconds(75 * 60'000 + 2'120)), "[75:02.120] ");
}

TEST(LogWriterAnsi, StripsCsiOscAndLoneEscapes) {
  EXPECT_EQ(forge::strip_ansi("\x1b[1;31merror\x1b[0m: x"), "error: x");
  EXPECT_EQ(forge::strip_ansi("\x1b]0;title\x07text"), "text");
  EXPECT_EQ(forge::strip_ansi("\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\"), "link");
  EXPECT_EQ(forge::strip_ansi("a\x1b(Bb\x1b"
                              "7c\x1bMd"),
            "abcd");
  EXPECT_EQ(forge::strip_ansi("\x1b[2K\x1b[1G   Compiling foo"), "   Compiling foo");
  EXPECT_EQ(forge::strip_ansi("tail\x1b[12"), "tail");
  EXPECT_EQ(forge::strip_ansi("tail\x1b"), "tail");
  EXPECT_EQ(forge::strip_ansi("plain \t text"), "plain \t text");
}

TEST(LogWriterSecrets, PicksSecretLookingNamesOnly) {
  auto values = forge::secret_values({"GITHUB_TOKEN=ghp_abcdef", "my_api_key=k1k2k3", "HOME=/root",
                                      "AWS_REGION=eu-west-1", "GH_HOST=github.example", "DB_PASSWORD=abc",
                                      "Auth_Header=Bearer xyz", "CARGO_REGISTRY_TOKEN=ghp_abcdef", "NOEQUALS",
                                      "SECRET_EMPTY="});
  EXPECT_EQ(values,
            (std::vector<std::string>{"github.example", "Bearer xyz", "ghp_abcdef", "eu-west-1", "k1k2k3"}));
}

TEST(LogWriter, PrefixesEachLineWithTheTimeItsFirstByteArrived) {
  forge::LogWriter log({}, 1 << 20);
  log.feed("a\nb", milliseconds(5));
  log.feed("c\n", milliseconds(1500));
  log.feed("d", milliseconds(62'001));
  log.finish();
  EXPECT_EQ(log.text(), "[00:00.005] a\n[00:00.005] bc\n[01:02.001] d\n");
  EXPECT_EQ(log.raw_bytes(), 6u);
  EXPECT_FALSE(log.truncated());
}

TEST(LogWriter, CarriageReturnsAndAnsiAcrossChunks) {
  forge::LogWriter log({}, 1 << 20);
  log.feed("x\r\ny\rz\n\x1b[1", milliseconds(0));
  log.feed(";32mgreen\x1b[0m\r", milliseconds(0));
  log.feed("\n", milliseconds(0));
  EXPECT_EQ(bodies(log.text()), (std::vector<std::string>{"x", "yz", "green"}));
}

TEST(LogWriter, RedactsSecretsStraddlingChunks) {
  forge::LogWriter log(forge::secret_values({"GITHUB_TOKEN=supersecret123"}), 1 << 20);
  log.feed("token=super", milliseconds(0));
  log.feed("secret123 and \x1b[1msupersecret123\x1b[0m again supersec", milliseconds(0));
  log.feed("ret123\n", milliseconds(0));
  EXPECT_EQ(bodies(log.text()), (std::vector<std::string>{"token=*** and *** again ***"}));
  // escape codes inside the value do not hide it
  forge::LogWriter coloured(forge::secret_values({"API_KEY=abcd1234"}), 1 << 20);
  coloured.feed("key abcd\x1b[0m1234\n", milliseconds(0));
  EXPECT_EQ(bodies(coloured.text()), (std::vector<std::string>{"key ***"}));
}

TEST(LogWriter, LongLinesAreBrokenWithoutSplittingASecret) {
  const std::string secret = "S3CRETVALUE-0123456789";
  forge::LogWriter log(forge::secret_values({"MY_SECRET=" + secret}), 64 << 20, 1024);
  std::mt19937 rng(7);
  std::string raw;
  for (int i = 0; i < 5000; ++i) {
    raw += std::string(rng() % 40, 'x');
    raw += secret;
  }
  for (std::size_t at = 0; at < raw.size();) { // odd chunk sizes
    std::size_t n = 1 + rng() % 3000;
    log.feed(std::string_view(raw).substr(at, n), milliseconds(0));
    at += n;
  }
  log.finish();
  std::string text = log.text();
  EXPECT_EQ(text.find("S3CRET"), std::string::npos);
  EXPECT_EQ(text.find("0123456789"), std::string::npos);
  std::size_t stars = 0;
  std::size_t xs = 0;
  for (const auto &line : bodies(text)) {
    EXPECT_LE(line.size(), 1024u);
    for (std::size_t p = line.find("***"); p != std::string::npos; p = line.find("***", p + 3)) {
      ++stars;
    }
    xs += static_cast<std::size_t>(std::count(line.begin(), line.end(), 'x'));
  }
  EXPECT_EQ(stars, 5000u);
  EXPECT_EQ(xs, static_cast<std::size_t>(std::count(raw.begin(), raw.end(), 'x')));
}

TEST(LogWriter, CapKeepsHeadAndTailWithAMarker) {
  forge::LogWriter log({}, 1000);
  for (int i = 0; i < 10000; ++i) {
    log.feed("line " + std::to_string(i) + "\n", milliseconds(0));
  }
  log.finish();
  std::string text = log.text();
  EXPECT_TRUE(log.truncated());
  EXPECT_TRUE(text.starts_with("[00:00.000] line 0\n[00:00.000] line 1\n"));
  EXPECT_TRUE(text.ends_with("[00:00.000] line 9999\n"));
  std::string marker = "\n[forge: " + std::to_string(log.omitted_bytes()) + " bytes of output omitted]\n";
  auto at = text.find(marker);
  ASSERT_NE(at, std::string::npos);
  EXPECT_LE(at, 500u);
  EXPECT_GE(text.size(), 1000u + marker.size() - 1); // marker's leading '\n' may end the head instead
  EXPECT_LE(text.size(), 1000u + marker.size());
  EXPECT_EQ(log.processed_bytes() - log.omitted_bytes(), 1000u);
}

TEST(LogWriter, UnderTheCapNothingIsOmitted) {
  forge::LogWriter log({}, 1000);
  log.feed("hello\n", milliseconds(0));
  EXPECT_FALSE(log.truncated());
  EXPECT_EQ(log.text().find("omitted"), std::string::npos);
}

TEST(LogWriter, MemoryStaysBoundedForHugeOutput) {
  const uint64_t cap = 64 * 1024;
  forge::LogWriter log(forge::secret_values({"TOKEN=abcdefgh"}), cap);
  std::string chunk;
  for (int i = 0; i < 1000; ++i) {
    chunk += "compiling crate number " + std::to_string(i) + " abcdefgh\n";
  }
  chunk += std::string(200'000, 'y'); // and an overlong line now and then
  uint64_t fed = 0;
  while (fed < 50'000'000) {
    log.feed(chunk, milliseconds(0));
    fed += chunk.size();
    ASSERT_LT(log.retained_bytes(), 2 * (cap + forge::LogWriter::kDefaultMaxLine) + 4096);
  }
  log.finish();
  EXPECT_EQ(log.raw_bytes(), fed);
  EXPECT_LE(log.text().size(), cap + 100);
  EXPECT_EQ(log.text().find("abcdefgh"), std::string::npos);
}

TEST(LogWriter, WritesAnEmptyFileAndCreatesItsDirectory) {
  fs::path dir = fs::temp_directory_path() / ("forge-logwriter-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  forge::LogWriter log({}, 100);
  std::string error;
  ASSERT_TRUE(log.write_file(dir / "a" / "b.log", error)) << error;
  EXPECT_TRUE(fs::exists(dir / "a" / "b.log"));
  EXPECT_EQ(fs::file_size(dir / "a" / "b.log"), 0u);
  EXPECT_FALSE(log.write_file(dir / "a" / "b.log" / "c.log", error));
  EXPECT_FALSE(error.empty());
  fs::remove_all(dir);
}

} // namespace
