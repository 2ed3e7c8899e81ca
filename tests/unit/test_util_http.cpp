// Why: the downloader's resume, conditional-GET and retry rules only show against a real server, so these
// tests run tests/e2e/httpserver.py on loopback with scripted faults and check what forge asked for.
#include "forge/util/error.hpp"
#include "forge/util/http.hpp"
#include "forge/util/progress.hpp"
#include "forge/util/term.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

fs::path server_script() {
  return fs::path(FORGE_TEST_DATA_DIR).parent_path() / "e2e" / "httpserver.py";
}

std::string slurp(const fs::path &path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void spit(const fs::path &path, const std::string &content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
}

// Deterministic, non-repeating-looking content so an offset error shows up as a mismatch.
std::string make_blob(std::size_t size) {
  std::string out(size, '\0');
  uint32_t x = 2463534242U;
  for (auto &c : out) {
    x ^= x << 13U;
    x ^= x >> 17U;
    x ^= x << 5U;
    c = static_cast<char>(x & 0xffU);
  }
  return out;
}

forge::DownloadOptions fast_options() {
  forge::DownloadOptions options;
  options.max_attempts = 5;
  options.initial_backoff_s = 0.01;
  options.connect_timeout_s = 5;
  options.low_speed_time_s = 10;
  options.progress = false;
  return options;
}

std::string header(const json &request, const std::string &name) {
  for (const auto &[key, value] : request.at("headers").items()) {
    if (key.size() == name.size() && std::equal(key.begin(), key.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
        })) {
      return value.get<std::string>();
    }
  }
  return {};
}

class HttpTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "forge-http-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    root_ = dir_ / "root";
    work_ = dir_ / "work";
    fs::create_directories(root_);
    fs::create_directories(work_);
    if (!fs::exists(server_script())) {
      GTEST_SKIP() << "no test server at " << server_script();
    }
  }

  void TearDown() override {
    stop_server();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // Starts httpserver.py over root_ with `scenario` (a JSON list of faults); returns its base URL.
  std::string start_server(const json &scenario = json::array()) {
    const fs::path script_file = dir_ / "scenario.json";
    log_file_ = dir_ / "requests.jsonl";
    spit(script_file, scenario.dump());
    int fds[2];
    if (::pipe(fds) != 0) {
      ADD_FAILURE() << "pipe failed";
      return {};
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    posix_spawn_file_actions_addclose(&actions, fds[1]);
    std::vector<std::string> args = {"python3",         server_script().string(), root_.string(),
                                     "--script",        script_file.string(),     "--log",
                                     log_file_.string()};
    std::vector<char *> argv;
    for (auto &arg : args) {
      argv.push_back(arg.data());
    }
    argv.push_back(nullptr);
    const int rc = ::posix_spawnp(&pid_, "python3", &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    if (rc != 0) {
      ::close(fds[0]);
      pid_ = -1;
      ADD_FAILURE() << "cannot start python3";
      return {};
    }
    std::string line;
    pollfd pfd{fds[0], POLLIN, 0};
    while (line.find('\n') == std::string::npos) {
      if (::poll(&pfd, 1, 15000) <= 0) {
        break;
      }
      char buf[64];
      const ssize_t n = ::read(fds[0], buf, sizeof buf);
      if (n <= 0) {
        break;
      }
      line.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fds[0]);
    port_ = std::atoi(line.c_str());
    if (port_ <= 0) {
      ADD_FAILURE() << "the test server did not report its port: '" << line << "'";
      return {};
    }
    return "http://127.0.0.1:" + std::to_string(port_);
  }

  void stop_server() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
    }
  }

  std::vector<json> requests(const std::string &path = {}) const {
    std::vector<json> out;
    std::ifstream in(log_file_);
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty()) {
        continue;
      }
      json entry = json::parse(line);
      if (path.empty() || entry.at("path") == path) {
        out.push_back(std::move(entry));
      }
    }
    return out;
  }

  fs::path dir_;
  fs::path root_;
  fs::path work_;
  fs::path log_file_;
  pid_t pid_ = -1;
  int port_ = 0;
};

TEST_F(HttpTest, DownloadsAFileAndRecordsValidators) {
  const std::string blob = make_blob(100000);
  spit(root_ / "a.bin", blob);
  const std::string base = start_server();
  const fs::path dest = work_ / "sub" / "a.bin";
  const auto result = forge::download_file(base + "/a.bin", dest, fast_options());
  EXPECT_EQ(result.path, dest);
  EXPECT_FALSE(result.not_modified);
  EXPECT_EQ(result.http_status, 200);
  EXPECT_EQ(result.bytes, blob.size());
  EXPECT_EQ(slurp(dest), blob);
  EXPECT_FALSE(fs::exists(dest.string() + ".part"));
  const json meta = json::parse(slurp(dest.string() + ".meta.json"));
  EXPECT_EQ(meta.at("url"), base + "/a.bin");
  EXPECT_FALSE(meta.at("etag").get<std::string>().empty());
  EXPECT_FALSE(meta.at("last_modified").get<std::string>().empty());
  EXPECT_EQ(meta.at("size"), blob.size());
  const auto log = requests();
  ASSERT_EQ(log.size(), 1U);
  EXPECT_EQ(header(log[0], "User-Agent").rfind("forge/", 0), 0U);
}

TEST_F(HttpTest, FollowsRedirects) {
  const std::string blob = make_blob(5000);
  spit(root_ / "real.bin", blob);
  const std::string base =
      start_server(json::array({{{"op", "redirect"}, {"path", "/old"}, {"to", "/mid"}},
                                {{"op", "redirect"}, {"path", "/mid"}, {"to", "/real.bin"}}}));
  const fs::path dest = work_ / "out.bin";
  const auto result = forge::download_file(base + "/old", dest, fast_options());
  EXPECT_EQ(result.http_status, 200);
  EXPECT_EQ(slurp(dest), blob);
  const auto log = requests();
  ASSERT_EQ(log.size(), 3U);
  EXPECT_EQ(log[2].at("path"), "/real.bin");
}

TEST_F(HttpTest, ResumesAfterACutConnection) {
  const std::string blob = make_blob(200000);
  spit(root_ / "big.bin", blob);
  const std::string base = start_server(
      json::array({{{"op", "cut"}, {"path", "/big.bin"}, {"after_bytes", 70000}, {"times", 1}}}));
  const fs::path dest = work_ / "big.bin";
  const auto result = forge::download_file(base + "/big.bin", dest, fast_options());
  EXPECT_EQ(result.http_status, 206);
  EXPECT_EQ(result.bytes, blob.size());
  EXPECT_TRUE(slurp(dest) == blob);
  const auto log = requests("/big.bin");
  ASSERT_EQ(log.size(), 2U);
  EXPECT_EQ(header(log[0], "Range"), "");
  EXPECT_EQ(header(log[1], "Range"), "bytes=70000-");
  EXPECT_FALSE(header(log[1], "If-Range").empty());
}

TEST_F(HttpTest, ResumesALeftoverPartFromAnEarlierRun) {
  const std::string blob = make_blob(50000);
  spit(root_ / "f.bin", blob);
  const fs::path dest = work_ / "f.bin";
  spit(dest.string() + ".part", blob.substr(0, 12345));
  const std::string base = start_server();
  const auto result = forge::download_file(base + "/f.bin", dest, fast_options());
  EXPECT_EQ(result.http_status, 206);
  EXPECT_TRUE(slurp(dest) == blob);
  const auto log = requests();
  ASSERT_EQ(log.size(), 1U);
  EXPECT_EQ(header(log[0], "Range"), "bytes=12345-");
}

TEST_F(HttpTest, RestartsWhenTheServerIgnoresRange) {
  const std::string blob = make_blob(30000);
  spit(root_ / "f.bin", blob);
  const fs::path dest = work_ / "f.bin";
  spit(dest.string() + ".part", std::string(777, 'x')); // garbage that must not survive
  const std::string base = start_server(json::array({{{"op", "ignore_range"}, {"path", "/f.bin"}}}));
  const auto result = forge::download_file(base + "/f.bin", dest, fast_options());
  EXPECT_EQ(result.http_status, 200);
  EXPECT_EQ(result.bytes, blob.size());
  EXPECT_TRUE(slurp(dest) == blob);
  const auto log = requests();
  ASSERT_EQ(log.size(), 1U);
  EXPECT_EQ(header(log[0], "Range"), "bytes=777-");
}

TEST_F(HttpTest, CompletePartAnswered416IsKept) {
  const std::string blob = make_blob(4096);
  spit(root_ / "f.bin", blob);
  const fs::path dest = work_ / "f.bin";
  spit(dest.string() + ".part", blob);
  const std::string base = start_server();
  const auto result = forge::download_file(base + "/f.bin", dest, fast_options());
  EXPECT_TRUE(slurp(dest) == blob);
  EXPECT_FALSE(fs::exists(dest.string() + ".part"));
  EXPECT_EQ(requests().size(), 1U);
}

TEST_F(HttpTest, OversizedPartIsRestarted) {
  const std::string blob = make_blob(4096);
  spit(root_ / "f.bin", blob);
  const fs::path dest = work_ / "f.bin";
  spit(dest.string() + ".part", make_blob(9000));
  const std::string base = start_server();
  const auto result = forge::download_file(base + "/f.bin", dest, fast_options());
  EXPECT_EQ(result.http_status, 200);
  EXPECT_TRUE(slurp(dest) == blob);
  const auto log = requests();
  ASSERT_EQ(log.size(), 2U);
  EXPECT_EQ(header(log[0], "Range"), "bytes=9000-");
  EXPECT_EQ(header(log[1], "Range"), "");
}

TEST_F(HttpTest, SecondRunIsNotModified) {
  const std::string blob = make_blob(10000);
  spit(root_ / "f.bin", blob);
  const std::string base = start_server();
  const fs::path dest = work_ / "f.bin";
  forge::download_file(base + "/f.bin", dest, fast_options());
  const auto mtime = fs::last_write_time(dest);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const auto second = forge::download_file(base + "/f.bin", dest, fast_options());
  EXPECT_TRUE(second.not_modified);
  EXPECT_EQ(second.http_status, 304);
  EXPECT_EQ(second.bytes, blob.size());
  EXPECT_EQ(fs::last_write_time(dest), mtime);
  EXPECT_TRUE(slurp(dest) == blob);
  EXPECT_FALSE(fs::exists(dest.string() + ".part"));
  const auto log = requests();
  ASSERT_EQ(log.size(), 2U);
  EXPECT_EQ(header(log[0], "If-None-Match"), "");
  const json meta = json::parse(slurp(dest.string() + ".meta.json"));
  EXPECT_EQ(header(log[1], "If-None-Match"), meta.at("etag").get<std::string>());
  EXPECT_FALSE(header(log[1], "If-Modified-Since").empty());
}

TEST_F(HttpTest, ChangedFileIsDownloadedAgain) {
  spit(root_ / "f.bin", "old content");
  const std::string base = start_server();
  const fs::path dest = work_ / "f.bin";
  forge::download_file(base + "/f.bin", dest, fast_options());
  spit(root_ / "f.bin", "new content, longer");
  const auto second = forge::download_file(base + "/f.bin", dest, fast_options());
  EXPECT_FALSE(second.not_modified);
  EXPECT_EQ(slurp(dest), "new content, longer");
}

TEST_F(HttpTest, LocallyChangedFileIsNotTrusted) {
  spit(root_ / "f.bin", "server content");
  const std::string base = start_server();
  const fs::path dest = work_ / "f.bin";
  forge::download_file(base + "/f.bin", dest, fast_options());
  spit(dest, "truncated");
  const auto second = forge::download_file(base + "/f.bin", dest, fast_options());
  EXPECT_FALSE(second.not_modified);
  EXPECT_EQ(slurp(dest), "server content");
  EXPECT_EQ(header(requests().back(), "If-None-Match"), "");
}

TEST_F(HttpTest, RetriesServerErrors) {
  const std::string blob = make_blob(3000);
  spit(root_ / "f.bin", blob);
  const std::string base = start_server(
      json::array({{{"op", "fail"}, {"path", "/f.bin"}, {"status", 500}, {"times", 2}},
                   {{"op", "fail"}, {"path", "/f.bin"}, {"status", 429}, {"times", 1}, {"retry_after", 0}}}));
  const fs::path dest = work_ / "f.bin";
  const auto result = forge::download_file(base + "/f.bin", dest, fast_options());
  EXPECT_EQ(result.http_status, 200);
  EXPECT_EQ(slurp(dest), blob);
  EXPECT_EQ(requests().size(), 4U); // 500, 500, 429, then served
}

TEST_F(HttpTest, HonoursRetryAfter) {
  spit(root_ / "f.bin", "x");
  const std::string base = start_server(
      json::array({{{"op", "fail"}, {"path", "/f.bin"}, {"status", 429}, {"times", 1}, {"retry_after", 1}}}));
  auto options = fast_options();
  const auto start = std::chrono::steady_clock::now();
  forge::download_file(base + "/f.bin", work_ / "f.bin", options);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(900));
  EXPECT_EQ(requests().size(), 2U);
}

TEST_F(HttpTest, GivesUpAfterMaxAttempts) {
  spit(root_ / "f.bin", "x");
  const std::string base =
      start_server(json::array({{{"op", "fail"}, {"path", "/f.bin"}, {"status", 503}, {"times", 100}}}));
  auto options = fast_options();
  options.max_attempts = 3;
  const fs::path dest = work_ / "f.bin";
  try {
    forge::download_file(base + "/f.bin", dest, options);
    FAIL() << "expected an error";
  } catch (const forge::Error &e) {
    EXPECT_EQ(e.code(), forge::ExitCode::network);
    EXPECT_EQ(std::string(e.what()),
              "cannot download " + base + "/f.bin: HTTP 503 Service Unavailable (after 3 attempts)");
  }
  EXPECT_EQ(requests().size(), 3U);
  EXPECT_FALSE(fs::exists(dest));
  EXPECT_FALSE(fs::exists(dest.string() + ".part"));
}

TEST_F(HttpTest, NotFoundFailsAtOnce) {
  const std::string base = start_server();
  const fs::path dest = work_ / "missing.bin";
  const std::string url = base + "/missing.bin";
  try {
    forge::download_file(url, dest, fast_options());
    FAIL() << "expected an error";
  } catch (const forge::Error &e) {
    EXPECT_EQ(e.code(), forge::ExitCode::network);
    EXPECT_EQ(std::string(e.what()), "cannot download " + url + ": HTTP 404 Not Found");
  }
  EXPECT_EQ(requests().size(), 1U);
  EXPECT_FALSE(fs::exists(dest));
  EXPECT_FALSE(fs::exists(dest.string() + ".part"));
  EXPECT_FALSE(fs::exists(dest.string() + ".meta.json"));
}

TEST_F(HttpTest, UnreachablePortIsANetworkError) {
  const int sock = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(sock, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ASSERT_EQ(::bind(sock, reinterpret_cast<sockaddr *>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(sock, reinterpret_cast<sockaddr *>(&addr), &len), 0);
  const int port = ntohs(addr.sin_port);
  ::close(sock); // nothing listens there now

  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/x.bin";
  auto options = fast_options();
  options.max_attempts = 2;
  const fs::path dest = work_ / "x.bin";
  try {
    forge::download_file(url, dest, options);
    FAIL() << "expected an error";
  } catch (const forge::Error &e) {
    const std::string message = e.what();
    EXPECT_EQ(e.code(), forge::ExitCode::network);
    EXPECT_EQ(message.rfind("cannot download " + url + ": ", 0), 0U) << message;
    EXPECT_NE(message.find("(after 2 attempts)"), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    EXPECT_NE(message.back(), '.');
  }
  EXPECT_FALSE(fs::exists(dest));
  EXPECT_FALSE(fs::exists(dest.string() + ".part"));
}

TEST_F(HttpTest, FileUrlsWork) {
  const std::string blob = make_blob(8000);
  spit(root_ / "f.bin", blob);
  const fs::path dest = work_ / "copy.bin";
  const auto result = forge::download_file("file://" + (root_ / "f.bin").string(), dest, fast_options());
  EXPECT_EQ(result.http_status, 0);
  EXPECT_EQ(result.bytes, blob.size());
  EXPECT_TRUE(slurp(dest) == blob);
  EXPECT_EQ(forge::http_get("file://" + (root_ / "f.bin").string(), fast_options()), blob);
}

TEST_F(HttpTest, MissingFileUrlIsANetworkError) {
  const std::string url = "file://" + (root_ / "nope.bin").string();
  try {
    forge::download_file(url, work_ / "nope.bin", fast_options());
    FAIL() << "expected an error";
  } catch (const forge::Error &e) {
    EXPECT_EQ(e.code(), forge::ExitCode::network);
    EXPECT_NE(std::string(e.what()).find(url), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(work_ / "nope.bin.part"));
}

TEST_F(HttpTest, HttpGetReturnsTheBodyAndRetries) {
  spit(root_ / "config.json", R"({"dl":"x"})");
  const std::string base =
      start_server(json::array({{{"op", "fail"}, {"path", "/config.json"}, {"status", 502}, {"times", 1}},
                                {{"op", "redirect"}, {"path", "/moved.json"}, {"to", "/config.json"}}}));
  EXPECT_EQ(forge::http_get(base + "/config.json", fast_options()), R"({"dl":"x"})");
  EXPECT_EQ(forge::http_get(base + "/moved.json", fast_options()), R"({"dl":"x"})");
  EXPECT_EQ(requests("/config.json").size(), 3U);
}

TEST_F(HttpTest, HttpGetNotFoundThrows) {
  const std::string base = start_server();
  try {
    forge::http_get(base + "/nope", fast_options());
    FAIL() << "expected an error";
  } catch (const forge::Error &e) {
    EXPECT_EQ(e.code(), forge::ExitCode::network);
    EXPECT_EQ(std::string(e.what()), "cannot download " + base + "/nope: HTTP 404 Not Found");
  }
}

TEST_F(HttpTest, ProgressOnALogPrintsOneFinalLine) {
  spit(root_ / "f.bin", make_blob(2048));
  const std::string base = start_server();
  forge::Ui ui;
  ui.stderr_tty = false;
  const forge::Ui saved = forge::ui();
  forge::set_ui(ui);
  auto options = fast_options();
  options.progress = true;
  options.label = "f.bin";
  testing::internal::CaptureStderr();
  forge::download_file(base + "/f.bin", work_ / "f.bin", options);
  const std::string err = testing::internal::GetCapturedStderr();
  forge::set_ui(saved);
  EXPECT_EQ(err.rfind("forge: f.bin: 2.0 KiB in ", 0), 0U) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
}

TEST(HttpUrl, IsUrl) {
  EXPECT_TRUE(forge::is_url("http://example.com/x"));
  EXPECT_TRUE(forge::is_url("HTTPS://static.crates.io/db-dump.tar.gz"));
  EXPECT_TRUE(forge::is_url("file:///tmp/db-dump.tar.gz"));
  EXPECT_FALSE(forge::is_url("/tmp/db-dump.tar.gz"));
  EXPECT_FALSE(forge::is_url("ftp://example.com/x"));
  EXPECT_FALSE(forge::is_url("http:/x"));
  EXPECT_FALSE(forge::is_url(""));
}

TEST(ProgressFormat, HumanBytes) {
  EXPECT_EQ(forge::human_bytes(0), "0 B");
  EXPECT_EQ(forge::human_bytes(230), "230 B");
  EXPECT_EQ(forge::human_bytes(1023), "1023 B");
  EXPECT_EQ(forge::human_bytes(1024), "1.0 KiB");
  EXPECT_EQ(forge::human_bytes(1536 * 1024), "1.5 MiB");
  EXPECT_EQ(forge::human_bytes(266.0 * 1024 * 1024), "266.0 MiB");
  EXPECT_EQ(forge::human_bytes(3.3 * 1024 * 1024 * 1024), "3.3 GiB");
}

TEST(ProgressFormat, HumanDuration) {
  EXPECT_EQ(forge::human_duration(0), "0s");
  EXPECT_EQ(forge::human_duration(-3), "0s");
  EXPECT_EQ(forge::human_duration(12), "12s");
  EXPECT_EQ(forge::human_duration(65), "1m05s");
  EXPECT_EQ(forge::human_duration(3600 * 3 + 125), "3h02m");
}

TEST(ProgressOutput, QuietPrintsNothing) {
  forge::Ui ui;
  ui.verbosity = forge::Verbosity::quiet;
  const forge::Ui saved = forge::ui();
  forge::set_ui(ui);
  testing::internal::CaptureStderr();
  {
    forge::Progress progress("x", 100);
    progress.update(50);
    progress.update(100);
  }
  const std::string err = testing::internal::GetCapturedStderr();
  forge::set_ui(saved);
  EXPECT_EQ(err, "");
}

TEST(ProgressOutput, TerminalBarEndsWithANewline) {
  forge::Ui ui;
  ui.stderr_tty = true;
  const forge::Ui saved = forge::ui();
  forge::set_ui(ui);
  testing::internal::CaptureStderr();
  {
    forge::Progress progress("db-dump.tar.gz", 1000);
    progress.update(500);
    progress.update(600); // normally within 100 ms of the first draw: not redrawn
    progress.finish();
    progress.update(700); // after finish: ignored
  }
  const std::string err = testing::internal::GetCapturedStderr();
  forge::set_ui(saved);
  EXPECT_GE(std::count(err.begin(), err.end(), '\r'), 2) << err; // 3 if the machine stalled 100 ms
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  EXPECT_NE(err.find("db-dump.tar.gz"), std::string::npos);
  EXPECT_NE(err.find(" 50%"), std::string::npos) << err;
  EXPECT_EQ(err.back(), '\n');
}

TEST(ProgressOutput, LogLinesHaveThePrefix) {
  forge::Ui ui;
  const forge::Ui saved = forge::ui();
  forge::set_ui(ui);
  testing::internal::CaptureStderr();
  {
    forge::Progress progress("dump", 2048);
    progress.update(1024); // less than 5 s in: no periodic line
  }
  const std::string err = testing::internal::GetCapturedStderr();
  forge::set_ui(saved);
  EXPECT_EQ(err, "forge: dump: stopped at 50% 1.0 KiB/2.0 KiB\n");
}

} // namespace
