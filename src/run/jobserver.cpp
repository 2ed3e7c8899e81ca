// Why: the runner's side of the GNU make jobserver protocol is small (make a fifo, put the tokens in, remove
// it at the end); the clients (cargo, rustc, make in build scripts) do the acquiring and releasing.
#include "forge/run/jobserver.hpp"

#include "forge/util/errno_text.hpp"
#include "forge/util/error.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <system_error>
#include <vector>

namespace forge {
namespace fs = std::filesystem;

namespace {

fs::path temp_root() {
  std::error_code ec;
  fs::path p = fs::temp_directory_path(ec);
  return ec ? fs::path("/tmp") : p;
}

} // namespace

Jobserver::Jobserver(int tokens, const fs::path &parent) : tokens_(std::max(tokens, 0)) {
  fs::path root = parent.empty() ? temp_root() : parent;
  // MAKEFLAGS is split on blanks: a path with one would not survive the trip to the clients.
  if (root.string().find_first_of(" \t\n") != std::string::npos) {
    root = "/tmp";
  }
  std::string templ = (root / "forge-jobserver-XXXXXX").string();
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) {
    fail(ExitCode::io, "cannot create a directory for the jobserver in {}: {}", root.string(),
         errno_text(errno));
  }
  dir_ = buf.data();
  fifo_ = dir_ / "fifo";
  if (::mkfifo(fifo_.c_str(), 0600) != 0) {
    const int err = errno;
    ::rmdir(dir_.c_str());
    fail(ExitCode::io, "cannot create the jobserver fifo {}: {}", fifo_.string(), errno_text(err));
  }
  // Sandboxed builds run as another uid and see the fifo alone (bound into their /tmp): it is open to all,
  // while on the host the 0700 directory keeps other users out.
  if (::chmod(fifo_.c_str(), 0666) != 0) {
    const int err = errno;
    ::unlink(fifo_.c_str());
    ::rmdir(dir_.c_str());
    fail(ExitCode::io, "cannot open up the jobserver fifo {}: {}", fifo_.string(), errno_text(err));
  }
  fd_ = ::open(fifo_.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd_ < 0) {
    const int err = errno;
    ::unlink(fifo_.c_str());
    ::rmdir(dir_.c_str());
    fail(ExitCode::io, "cannot open the jobserver fifo {}: {}", fifo_.string(), errno_text(err));
  }
  for (int i = 0; i < tokens_; ++i) {
    release();
  }
}

Jobserver::~Jobserver() {
  ::close(fd_);
  ::unlink(fifo_.c_str());
  ::rmdir(dir_.c_str());
}

std::string Jobserver::makeflags() const {
  return fmt::format("-j{} --jobserver-auth=fifo:{}", tokens_ + 1, fifo_.string());
}

bool Jobserver::try_acquire() {
  char token = 0;
  for (;;) {
    const ssize_t n = ::read(fd_, &token, 1);
    if (n == 1) {
      return true;
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    return false;
  }
}

int Jobserver::count_free() {
  int n = 0;
  while (n <= tokens_ && try_acquire()) {
    ++n;
  }
  for (int i = 0; i < n; ++i) {
    release();
  }
  return n;
}

void Jobserver::release() {
  // make's tokens are '+'; the fifo holds far more than any token count, so this never blocks.
  while (::write(fd_, "+", 1) < 0 && errno == EINTR) {
  }
}

} // namespace forge
