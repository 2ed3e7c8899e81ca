// Why: the jobserver is a fifo that clients (cargo, rustc) find by path in CARGO_MAKEFLAGS and read tokens
// from: it must hold exactly its tokens, be reachable by path from another open, and vanish afterwards.
#include "forge/run/jobserver.hpp"
#include "run_fixtures.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

namespace forge {
namespace {
using namespace test_run;

TEST(RunJobserver, HoldsItsTokensAndTakesThemBack) {
  TempDir dir("jobserver");
  Jobserver js(3, dir.path());
  EXPECT_EQ(js.tokens(), 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(js.try_acquire()) << i;
  }
  EXPECT_FALSE(js.try_acquire()) << "three tokens, no more";
  js.release();
  EXPECT_TRUE(js.try_acquire());
  EXPECT_FALSE(js.try_acquire());
}

TEST(RunJobserver, ClientsFindItByPathAsMakeflagsSay) {
  TempDir dir("jobserver");
  std::filesystem::path fifo;
  {
    Jobserver js(2, dir.path());
    fifo = js.fifo();
    EXPECT_EQ(js.makeflags(), "-j3 --jobserver-auth=fifo:" + fifo.string());
    struct stat st {};
    ASSERT_EQ(::stat(fifo.c_str(), &st), 0);
    EXPECT_TRUE(S_ISFIFO(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0666u) << "a sandboxed build's uid can use it";
    ASSERT_EQ(::stat(fifo.parent_path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u) << "no other user can steal or add tokens";
    // What a client does: open the path, take a token, give it back.
    const int fd = ::open(fifo.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    char token = 0;
    EXPECT_EQ(::read(fd, &token, 1), 1);
    EXPECT_EQ(token, '+');
    EXPECT_TRUE(js.try_acquire());
    EXPECT_FALSE(js.try_acquire()) << "the client holds the other one";
    EXPECT_EQ(::write(fd, &token, 1), 1);
    EXPECT_TRUE(js.try_acquire());
    ::close(fd);
  }
  EXPECT_FALSE(std::filesystem::exists(fifo));
  EXPECT_FALSE(std::filesystem::exists(fifo.parent_path()));
}

TEST(RunJobserver, ZeroTokensStillWorks) {
  TempDir dir("jobserver");
  Jobserver js(0, dir.path()); // one core: every client runs on its implicit token only
  EXPECT_FALSE(js.try_acquire());
  EXPECT_EQ(js.makeflags().substr(0, 4), "-j1 ");
}

} // namespace
} // namespace forge
