// Why: a .crate is untrusted input; unpacking must never create, follow or overwrite anything outside dest.
//
// Every file is created with openat() relative to a directory fd reached one component at a time with
// O_NOFOLLOW, so no entry is ever written through a symlink, whatever the archive created before.
// Hard links are allowed only to a regular file already unpacked inside the top directory (linkat, no
// following); symlinks must stay inside the top directory lexically when created, and once everything is
// unpacked each one is resolved again through the real tree so chains of links cannot escape either.
#include "forge/compile/crate_source.hpp"

#include "forge/util/error.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <deque>
#include <memory>
#include <system_error>
#include <utility>

namespace forge {

namespace {

namespace fs = std::filesystem;

constexpr int kMaxSymlinkHops = 40;

class UniqueFd {
public:
  explicit UniqueFd(int fd = -1) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd &&other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd &operator=(UniqueFd &&other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  UniqueFd(const UniqueFd &) = delete;
  UniqueFd &operator=(const UniqueFd &) = delete;
  [[nodiscard]] int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }
  void reset() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = -1;
  }

private:
  int fd_;
};

struct ArchiveReadDeleter {
  void operator()(struct archive *a) const { archive_read_free(a); }
};

// Splits an archive path into components, dropping empty and "." parts. Returns the reason it is unsafe,
// or an empty string.
std::string split_entry_path(std::string_view path, std::vector<std::string> &out) {
  out.clear();
  if (path.empty()) {
    return "empty path";
  }
  if (path.front() == '/') {
    return "absolute path";
  }
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) {
      slash = path.size();
    }
    const std::string_view comp = path.substr(start, slash - start);
    if (comp == "..") {
      return "path has a '..' component";
    }
    if (!comp.empty() && comp != ".") {
      out.emplace_back(comp);
    }
    start = slash + 1;
  }
  if (out.empty()) {
    return "empty path";
  }
  return {};
}

std::string join(const std::vector<std::string> &comps, size_t end) {
  std::string out;
  for (size_t i = 0; i < end; ++i) {
    if (i > 0) {
      out += '/';
    }
    out += comps[i];
  }
  return out;
}

class Unpacker {
public:
  Unpacker(const fs::path &crate_file, const fs::path &dest, const UnpackLimits &limits)
      : crate_(crate_file), dest_(dest), limits_(limits) {}

  fs::path run();

private:
  [[noreturn]] void refuse(std::string_view why) const {
    fail(ExitCode::archive, "{}: refusing entry '{}': {}", crate_.string(), entry_, why);
  }
  [[noreturn]] void corrupt(struct archive *a) const {
    const char *msg = archive_error_string(a);
    const std::string where = entry_.empty() ? std::string() : " near entry '" + entry_ + "'";
    fail(ExitCode::archive, "{}: corrupt or truncated archive{}: {}", crate_.string(), where,
         msg ? msg : "unknown libarchive error");
  }
  [[noreturn]] void io_error(std::string_view what) const {
    fail(ExitCode::io, "{}: cannot {} for entry '{}' under {}: {}", crate_.string(), what, entry_,
         dest_.string(), std::strerror(errno));
  }

  void handle_entry(struct archive *a, struct archive_entry *e);
  UniqueFd open_dirs(const std::vector<std::string> &comps, size_t end, bool create);
  void make_directory(int parent, const std::string &name);
  void write_file(struct archive *a, struct archive_entry *e, int parent, const std::string &name);
  void make_symlink(const std::vector<std::string> &comps, int parent, const char *target);
  void make_hardlink(int parent, const std::string &name, const char *target);
  [[nodiscard]] std::string resolves_outside(const std::vector<std::string> &link) const;

  const fs::path &crate_;
  const fs::path &dest_;
  UnpackLimits limits_;
  UniqueFd dest_fd_;
  UniqueFd top_fd_;
  std::string top_;
  std::string entry_; // the current entry's path as written in the archive, for messages
  uint64_t entries_ = 0;
  uint64_t bytes_ = 0;
  std::vector<std::pair<std::string, std::vector<std::string>>> symlinks_; // entry path, components
};

// Opens comps[1..end) below the top directory, one component at a time, never following a symlink.
UniqueFd Unpacker::open_dirs(const std::vector<std::string> &comps, size_t end, bool create) {
  UniqueFd cur(::fcntl(top_fd_.get(), F_DUPFD_CLOEXEC, 0));
  if (cur.get() < 0) {
    io_error("duplicate a directory descriptor");
  }
  for (size_t i = 1; i < end; ++i) {
    const std::string &name = comps[i];
    constexpr int kDirFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    int fd = ::openat(cur.get(), name.c_str(), kDirFlags);
    if (fd < 0 && errno == ENOENT && create) {
      if (::mkdirat(cur.get(), name.c_str(), 0755) != 0 && errno != EEXIST) {
        io_error("create directory '" + join(comps, i + 1) + "'");
      }
      fd = ::openat(cur.get(), name.c_str(), kDirFlags);
      if (fd >= 0 && ::fchmod(fd, 0755) != 0) {
        ::close(fd);
        io_error("set mode of '" + join(comps, i + 1) + "'");
      }
    }
    if (fd < 0) {
      const int saved = errno;
      struct stat st {};
      if (::fstatat(cur.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
        if (S_ISLNK(st.st_mode)) {
          refuse("path goes through the symlink '" + join(comps, i + 1) + "'");
        }
        if (!S_ISDIR(st.st_mode)) {
          refuse("'" + join(comps, i + 1) + "' is not a directory");
        }
      } else if (errno == ENOENT) {
        refuse("'" + join(comps, i + 1) + "' does not exist");
      }
      errno = saved;
      io_error("open directory '" + join(comps, i + 1) + "'");
    }
    cur = UniqueFd(fd);
  }
  return cur;
}

void Unpacker::make_directory(int parent, const std::string &name) {
  if (::mkdirat(parent, name.c_str(), 0755) != 0) {
    if (errno != EEXIST) {
      io_error("create directory");
    }
    struct stat st {};
    if (::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      io_error("inspect directory");
    }
    if (!S_ISDIR(st.st_mode)) {
      refuse("directory collides with an earlier non-directory entry");
    }
    return; // a repeated directory entry is harmless
  }
  UniqueFd fd(::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (fd.get() < 0 || ::fchmod(fd.get(), 0755) != 0) {
    io_error("set directory mode");
  }
}

void Unpacker::write_file(struct archive *a, struct archive_entry *e, int parent, const std::string &name) {
  if (archive_entry_size_is_set(e)) {
    const la_int64_t declared = archive_entry_size(e);
    if (declared < 0) {
      refuse("negative size");
    }
    const auto size = static_cast<uint64_t>(declared);
    if (size > limits_.max_file_bytes) {
      refuse(fmt::format("file of {} bytes exceeds the limit of {} bytes per file", size,
                         limits_.max_file_bytes));
    }
    if (size > limits_.max_bytes - bytes_) {
      refuse(fmt::format("archive exceeds the limit of {} bytes in total", limits_.max_bytes));
    }
  }
  UniqueFd fd(::openat(parent, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (fd.get() < 0) {
    if (errno == EEXIST) {
      refuse("duplicate entry");
    }
    io_error("create file");
  }
  std::array<char, 1 << 16> buf{};
  uint64_t written = 0;
  for (;;) {
    const la_ssize_t n = archive_read_data(a, buf.data(), buf.size());
    if (n == 0) {
      break;
    }
    if (n < 0) {
      corrupt(a);
    }
    written += static_cast<uint64_t>(n);
    if (written > limits_.max_file_bytes) {
      refuse(fmt::format("file exceeds the limit of {} bytes per file", limits_.max_file_bytes));
    }
    if (written > limits_.max_bytes - bytes_) {
      refuse(fmt::format("archive exceeds the limit of {} bytes in total", limits_.max_bytes));
    }
    const char *p = buf.data();
    auto left = static_cast<size_t>(n);
    while (left > 0) {
      const ssize_t w = ::write(fd.get(), p, left);
      if (w < 0) {
        if (errno == EINTR) {
          continue;
        }
        io_error("write file");
      }
      p += w;
      left -= static_cast<size_t>(w);
    }
  }
  bytes_ += written;
  const mode_t mode = (archive_entry_perm(e) & 0111) != 0 ? 0755 : 0644;
  if (::fchmod(fd.get(), mode) != 0) {
    io_error("set file mode");
  }
  if (::close(fd.release()) != 0) {
    io_error("close file");
  }
}

void Unpacker::make_symlink(const std::vector<std::string> &comps, int parent, const char *target) {
  if (target == nullptr || *target == '\0') {
    refuse("symlink without a target");
  }
  const std::string_view t(target);
  if (t.front() == '/') {
    refuse(fmt::format("symlink target '{}' is absolute", t));
  }
  // Lexical resolution relative to the link's directory.
  std::vector<std::string> at(comps.begin(), comps.end() - 1);
  size_t start = 0;
  while (start <= t.size()) {
    size_t slash = t.find('/', start);
    if (slash == std::string_view::npos) {
      slash = t.size();
    }
    const std::string_view comp = t.substr(start, slash - start);
    if (comp == "..") {
      if (at.empty()) {
        refuse(fmt::format("symlink target '{}' leaves the crate directory", t));
      }
      at.pop_back();
    } else if (!comp.empty() && comp != ".") {
      at.emplace_back(comp);
    }
    start = slash + 1;
  }
  if (at.empty() || at.front() != top_) {
    refuse(fmt::format("symlink target '{}' leaves the crate directory", t));
  }
  if (::symlinkat(target, parent, comps.back().c_str()) != 0) {
    if (errno == EEXIST) {
      refuse("duplicate entry");
    }
    io_error("create symlink");
  }
  symlinks_.emplace_back(entry_, comps);
}

void Unpacker::make_hardlink(int parent, const std::string &name, const char *target) {
  std::vector<std::string> tcomps;
  const std::string why = split_entry_path(target ? target : "", tcomps);
  if (!why.empty()) {
    refuse(fmt::format("hard link target '{}': {}", target ? target : "", why));
  }
  if (tcomps.size() < 2 || tcomps.front() != top_) {
    refuse(fmt::format("hard link target '{}' is outside the crate directory", target));
  }
  const UniqueFd tparent = open_dirs(tcomps, tcomps.size() - 1, false);
  struct stat st {};
  if (::fstatat(tparent.get(), tcomps.back().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
      !S_ISREG(st.st_mode)) {
    refuse(fmt::format("hard link target '{}' is not a regular file unpacked earlier", target));
  }
  if (::linkat(tparent.get(), tcomps.back().c_str(), parent, name.c_str(), 0) != 0) {
    if (errno == EEXIST) {
      refuse("duplicate entry");
    }
    io_error("create hard link");
  }
}

void Unpacker::handle_entry(struct archive *a, struct archive_entry *e) {
  const char *raw = archive_entry_pathname_utf8(e);
  if (raw == nullptr) {
    raw = archive_entry_pathname(e);
  }
  entry_ = raw ? raw : "";
  if (++entries_ > limits_.max_entries) {
    refuse(fmt::format("archive has more than {} entries", limits_.max_entries));
  }
  std::vector<std::string> comps;
  if (const std::string why = split_entry_path(entry_, comps); !why.empty()) {
    refuse(why);
  }
  const char *hardlink = archive_entry_hardlink_utf8(e);
  if (hardlink == nullptr) {
    hardlink = archive_entry_hardlink(e);
  }
  const mode_t type = archive_entry_filetype(e);
  if (hardlink == nullptr) {
    switch (type) {
    case AE_IFREG:
    case AE_IFDIR:
    case AE_IFLNK:
      break;
    case AE_IFCHR:
      refuse("character device");
    case AE_IFBLK:
      refuse("block device");
    case AE_IFIFO:
      refuse("fifo");
    case AE_IFSOCK:
      refuse("socket");
    default:
      refuse(fmt::format("unsupported entry type {:o}", type));
    }
  }
  if (top_.empty()) {
    top_ = comps.front();
    if (::mkdirat(dest_fd_.get(), top_.c_str(), 0755) != 0) {
      io_error("create the top directory");
    }
    top_fd_ =
        UniqueFd(::openat(dest_fd_.get(), top_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (top_fd_.get() < 0 || ::fchmod(top_fd_.get(), 0755) != 0) {
      io_error("open the top directory");
    }
  } else if (comps.front() != top_) {
    refuse(fmt::format("outside the crate's single top directory '{}'", top_));
  }
  if (comps.size() == 1) {
    if (hardlink != nullptr || type != AE_IFDIR) {
      refuse("the top-level entry is not a directory");
    }
    return;
  }
  const UniqueFd parent = open_dirs(comps, comps.size() - 1, true);
  if (hardlink != nullptr) {
    make_hardlink(parent.get(), comps.back(), hardlink);
  } else if (type == AE_IFDIR) {
    make_directory(parent.get(), comps.back());
  } else if (type == AE_IFREG) {
    write_file(a, e, parent.get(), comps.back());
  } else {
    const char *target = archive_entry_symlink_utf8(e);
    make_symlink(comps, parent.get(), target ? target : archive_entry_symlink(e));
  }
}

// Resolves `link` through the unpacked tree, following symlinks as the kernel would (missing components
// are taken lexically). Returns why it ends outside the top directory, or an empty string.
std::string Unpacker::resolves_outside(const std::vector<std::string> &link) const {
  std::deque<std::string> todo(link.begin(), link.end());
  std::vector<std::string> cur;
  int hops = 0;
  while (!todo.empty()) {
    std::string comp = std::move(todo.front());
    todo.pop_front();
    if (comp.empty() || comp == ".") {
      continue;
    }
    if (comp == "..") {
      if (cur.empty()) {
        return "symlink resolves outside the crate directory through other symlinks";
      }
      cur.pop_back();
      continue;
    }
    cur.push_back(std::move(comp));
    const std::string path = join(cur, cur.size());
    struct stat st {};
    if (::fstatat(dest_fd_.get(), path.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISLNK(st.st_mode)) {
      continue;
    }
    if (++hops > kMaxSymlinkHops) {
      return "symlink loop";
    }
    std::array<char, 4096> buf{};
    const ssize_t n = ::readlinkat(dest_fd_.get(), path.c_str(), buf.data(), buf.size() - 1);
    if (n <= 0) {
      return "unreadable symlink in its chain";
    }
    const std::string_view target(buf.data(), static_cast<size_t>(n));
    if (target.front() == '/') {
      return "symlink chain reaches an absolute target";
    }
    cur.pop_back();
    std::vector<std::string> parts;
    size_t start = 0;
    while (start <= target.size()) {
      size_t slash = target.find('/', start);
      if (slash == std::string_view::npos) {
        slash = target.size();
      }
      parts.emplace_back(target.substr(start, slash - start));
      start = slash + 1;
    }
    todo.insert(todo.begin(), parts.begin(), parts.end());
  }
  if (cur.empty() || cur.front() != top_) {
    return "symlink resolves outside the crate directory through other symlinks";
  }
  return {};
}

fs::path Unpacker::run() {
  dest_fd_ = UniqueFd(::open(dest_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (dest_fd_.get() < 0) {
    fail(ExitCode::io, "cannot open {}: {}", dest_.string(), std::strerror(errno));
  }
  std::unique_ptr<struct archive, ArchiveReadDeleter> reader(archive_read_new());
  struct archive *a = reader.get();
  if (a == nullptr) {
    fail(ExitCode::internal, "archive_read_new failed");
  }
  archive_read_support_filter_gzip(a);
  archive_read_support_format_tar(a);
  if (archive_read_open_filename(a, crate_.c_str(), 1 << 16) != ARCHIVE_OK) {
    const int err = archive_errno(a);
    if (err == ENOENT || err == EACCES || err == EISDIR) {
      fail(ExitCode::io, "cannot read {}: {}", crate_.string(), std::strerror(err));
    }
    corrupt(a);
  }
  for (;;) {
    struct archive_entry *e = nullptr;
    const int r = archive_read_next_header(a, &e);
    if (r == ARCHIVE_EOF) {
      break;
    }
    if (r < ARCHIVE_WARN) {
      corrupt(a);
    }
    if (entries_ == 0 && archive_filter_code(a, 0) != ARCHIVE_FILTER_GZIP) {
      fail(ExitCode::archive, "{}: not a gzip-compressed tar archive", crate_.string());
    }
    handle_entry(a, e);
  }
  if (top_.empty()) {
    fail(ExitCode::archive, "{}: archive has no entries", crate_.string());
  }
  for (const auto &[path, comps] : symlinks_) {
    entry_ = path;
    if (const std::string why = resolves_outside(comps); !why.empty()) {
      refuse(why);
    }
  }
  return dest_ / top_;
}

} // namespace

fs::path unpack_crate(const fs::path &crate_file, const fs::path &dest, const UnpackLimits &limits) {
  std::error_code ec;
  const auto status = fs::symlink_status(dest, ec);
  if (fs::exists(status)) {
    if (!fs::is_directory(status)) {
      fail(ExitCode::io, "cannot unpack {}: {} exists and is not a directory", crate_file.string(),
           dest.string());
    }
    if (!fs::is_empty(dest, ec) || ec) {
      fail(ExitCode::io, "cannot unpack {}: {} is not empty", crate_file.string(), dest.string());
    }
  } else {
    fs::create_directories(dest, ec);
    if (ec) {
      fail(ExitCode::io, "cannot create {}: {}", dest.string(), ec.message());
    }
  }
  try {
    Unpacker unpacker(crate_file, dest, limits);
    return unpacker.run();
  } catch (...) {
    fs::remove_all(dest, ec);
    throw;
  }
}

} // namespace forge
