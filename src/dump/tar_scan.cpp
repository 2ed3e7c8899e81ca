#include "forge/dump/tar_scan.hpp"

#include "forge/dump/inflate_source.hpp"
#include "forge/util/error.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace forge::dump {
namespace {

struct ReadContext {
  InflateSource *source = nullptr;
  uint64_t bytes = 0;
  std::exception_ptr error; // a failure of the inflate thread, rethrown after libarchive gives up
};

la_ssize_t read_callback(struct archive *a, void *client, const void **buffer) {
  auto *ctx = static_cast<ReadContext *>(client);
  try {
    const std::string_view block = ctx->source->next();
    *buffer = block.data();
    ctx->bytes += block.size();
    return static_cast<la_ssize_t>(block.size());
  } catch (...) {
    ctx->error = std::current_exception();
    archive_set_error(a, EIO, "inflate failed");
    return -1;
  }
}

struct ArchiveDeleter {
  void operator()(struct archive *a) const { archive_read_free(a); }
};

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) {
      ::close(fd);
    }
  }
};

std::string basename_of(std::string_view path) {
  while (!path.empty() && path.back() == '/') {
    path.remove_suffix(1);
  }
  const auto slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

} // namespace

ScanStats scan_tar_gz(const std::string &path, const std::string &label, TarConsumer &consumer) {
  Fd file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (file.fd < 0) {
    fail(ExitCode::io, "cannot open {}: {}", label, std::strerror(errno));
  }
  InflateSource source(file.fd, label);
  ReadContext ctx{&source, 0, nullptr};
  std::unique_ptr<struct archive, ArchiveDeleter> ar(archive_read_new());
  archive_read_support_format_tar(ar.get());

  ScanStats stats;
  auto rethrow_or_fail = [&](const char *what) {
    if (ctx.error) {
      std::rethrow_exception(ctx.error);
    }
    const char *msg = archive_error_string(ar.get());
    fail(ExitCode::archive, "{}: {}: {}", label, what, msg != nullptr ? msg : "unknown libarchive error");
  };

  if (archive_read_open(ar.get(), &ctx, nullptr, read_callback, nullptr) != ARCHIVE_OK) {
    rethrow_or_fail("not a tar archive");
  }
  struct archive_entry *entry = nullptr;
  for (;;) {
    const int r = archive_read_next_header(ar.get(), &entry);
    if (r == ARCHIVE_EOF) {
      break;
    }
    if (r == ARCHIVE_FATAL) {
      rethrow_or_fail("truncated or corrupt tar");
    }
    if (archive_entry_filetype(entry) != AE_IFREG) {
      continue;
    }
    const char *entry_path = archive_entry_pathname(entry);
    EntryInfo info{entry_path != nullptr ? entry_path : "", "", archive_entry_size(entry)};
    info.basename = basename_of(info.path);
    const EntryAction action = consumer.on_entry(info);
    if (action == EntryAction::stop) {
      stats.stopped_early = true;
      break;
    }
    if (action == EntryAction::skip) {
      continue; // libarchive skips the data on the next header read
    }
    const void *buf = nullptr;
    size_t size = 0;
    la_int64_t offset = 0;
    int64_t expected = 0;
    for (;;) {
      const int d = archive_read_data_block(ar.get(), &buf, &size, &offset);
      if (d == ARCHIVE_EOF) {
        break;
      }
      if (d != ARCHIVE_OK) {
        rethrow_or_fail(fmt::format("truncated or corrupt tar entry {}", info.path).c_str());
      }
      if (offset != expected) {
        // Sparse entries never occur in the dump; treat holes as corruption rather than guess.
        fail(ExitCode::archive, "{}: unexpected sparse data in tar entry {}", label, info.path);
      }
      expected += static_cast<int64_t>(size);
      consumer.on_data(std::string_view(static_cast<const char *>(buf), size));
    }
    if (!consumer.on_entry_end()) {
      stats.stopped_early = true;
      break;
    }
  }
  source.stop();
  stats.compressed_bytes = source.compressed_bytes_read();
  stats.uncompressed_bytes = ctx.bytes;
  return stats;
}

} // namespace forge::dump
