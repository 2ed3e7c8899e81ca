#include "forge/dump/inflate_source.hpp"

#include "forge/util/error.hpp"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#ifdef FORGE_HAVE_ISAL
#include <isa-l/igzip_lib.h>
#else
#include <zlib.h>
#endif

namespace forge::dump {
namespace {

constexpr size_t kInChunk = size_t{1} << 20;  // compressed bytes per read()
constexpr size_t kOutBlock = size_t{4} << 20; // decompressed bytes per handed-over block
constexpr size_t kBlocks = 4;                 // ring depth: bounds memory, lets both threads run

#ifdef FORGE_HAVE_ISAL
const char *isal_error_text(int ret) {
  switch (ret) {
  case ISAL_INVALID_WRAPPER:
    return "invalid gzip header";
  case ISAL_INCORRECT_CHECKSUM:
    return "gzip checksum mismatch";
  case ISAL_UNSUPPORTED_METHOD:
    return "unsupported compression method";
  case ISAL_NEED_DICT:
    return "preset dictionary required";
  default:
    return "invalid deflate data";
  }
}
#endif

struct Failure {
  ExitCode code;
  std::string message;
};

} // namespace

bool looks_like_gzip(std::string_view head) {
  return head.size() >= 2 && static_cast<unsigned char>(head[0]) == 0x1f &&
         static_cast<unsigned char>(head[1]) == 0x8b;
}

struct InflateSource::Impl {
  int fd;
  std::string label;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::unique_ptr<char[]>> storage; // uninitialised: pages are touched only when filled
  std::deque<std::pair<size_t, size_t>> full;   // (buffer index, bytes)
  std::deque<size_t> free_list;
  std::optional<size_t> held; // buffer the consumer is reading
  bool done = false;
  bool stopping = false;
  std::optional<Failure> failure;
  std::atomic<uint64_t> compressed{0};
  std::thread thread;

  Impl(int f, std::string l) : fd(f), label(std::move(l)), storage(kBlocks) {
    for (size_t i = 0; i < kBlocks; ++i) {
      storage[i] = std::make_unique_for_overwrite<char[]>(kOutBlock);
      free_list.push_back(i);
    }
    thread = std::thread([this] { run(); });
  }

  // Waits for a free output buffer; nullopt when asked to stop.
  std::optional<size_t> acquire() {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return stopping || !free_list.empty(); });
    if (stopping) {
      return std::nullopt;
    }
    const size_t idx = free_list.front();
    free_list.pop_front();
    return idx;
  }

  void publish(size_t idx, size_t bytes) {
    {
      std::lock_guard lock(mu);
      full.emplace_back(idx, bytes);
    }
    cv.notify_all();
  }

  void finish(std::optional<Failure> f) {
    {
      std::lock_guard lock(mu);
      done = true;
      failure = std::move(f);
    }
    cv.notify_all();
  }

  // Reads up to `cap` compressed bytes; 0 at end of file.
  size_t read_input(unsigned char *buf, size_t cap) {
    for (;;) {
      const ssize_t n = ::read(fd, buf, cap);
      if (n >= 0) {
        compressed += static_cast<uint64_t>(n);
        return static_cast<size_t>(n);
      }
      if (errno != EINTR) {
        throw Error(ExitCode::io, fmt::format("cannot read {}: {}", label, std::strerror(errno)));
      }
    }
  }

  void run() {
    try {
      finish(inflate_all());
    } catch (const Error &e) {
      finish(Failure{e.code(), e.what()});
    } catch (const std::exception &e) {
      finish(Failure{ExitCode::internal, e.what()});
    }
  }

#ifdef FORGE_HAVE_ISAL
  std::optional<Failure> inflate_all() {
    std::vector<unsigned char> in(kInChunk);
    auto state = std::make_unique<inflate_state>();
    isal_inflate_init(state.get());
    state->crc_flag = ISAL_GZIP;
    size_t in_len = read_input(in.data(), in.size());
    if (!looks_like_gzip(std::string_view(reinterpret_cast<const char *>(in.data()), in_len))) {
      return Failure{ExitCode::archive, fmt::format("{}: not a gzip file", label)};
    }
    state->next_in = in.data();
    state->avail_in = static_cast<uint32_t>(in_len);
    bool eof = in_len == 0;
    bool member_done = false;
    for (;;) {
      auto idx = acquire();
      if (!idx) {
        return std::nullopt;
      }
      char *out = storage[*idx].get();
      state->next_out = reinterpret_cast<unsigned char *>(out);
      state->avail_out = static_cast<uint32_t>(kOutBlock);
      while (state->avail_out > 0) {
        if (state->avail_in == 0 && !eof) {
          in_len = read_input(in.data(), in.size());
          eof = in_len == 0;
          state->next_in = in.data();
          state->avail_in = static_cast<uint32_t>(in_len);
        }
        if (member_done) {
          if (state->avail_in == 0 && eof) {
            break;
          }
          // Another gzip member follows (concatenated gzip files are one stream).
          isal_inflate_reset(state.get());
          state->crc_flag = ISAL_GZIP;
          member_done = false;
        }
        const int ret = isal_inflate(state.get());
        if (ret < 0 || ret == ISAL_NEED_DICT) {
          return Failure{ExitCode::archive,
                         fmt::format("{}: corrupt gzip data ({})", label, isal_error_text(ret))};
        }
        if (state->block_state == ISAL_BLOCK_FINISH) {
          member_done = true;
          continue;
        }
        if (state->avail_in == 0 && eof && state->avail_out > 0) {
          const size_t produced = kOutBlock - state->avail_out;
          if (produced > 0) {
            publish(*idx, produced);
          }
          return Failure{ExitCode::archive,
                         fmt::format("{}: truncated gzip stream (ends after {} compressed bytes)", label,
                                     compressed.load())};
        }
      }
      const size_t produced = kOutBlock - state->avail_out;
      if (produced > 0) {
        publish(*idx, produced);
      } else {
        std::lock_guard lock(mu);
        free_list.push_back(*idx);
      }
      if (member_done && state->avail_in == 0 && eof) {
        return std::nullopt;
      }
    }
  }
#else
  std::optional<Failure> inflate_all() {
    std::vector<unsigned char> in(kInChunk);
    z_stream zs{};
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
      return Failure{ExitCode::internal, "zlib initialisation failed"};
    }
    struct Guard {
      z_stream *z;
      ~Guard() { inflateEnd(z); }
    } guard{&zs};
    size_t in_len = read_input(in.data(), in.size());
    if (!looks_like_gzip(std::string_view(reinterpret_cast<const char *>(in.data()), in_len))) {
      return Failure{ExitCode::archive, fmt::format("{}: not a gzip file", label)};
    }
    zs.next_in = in.data();
    zs.avail_in = static_cast<uInt>(in_len);
    bool eof = in_len == 0;
    for (;;) {
      auto idx = acquire();
      if (!idx) {
        return std::nullopt;
      }
      char *out = storage[*idx].get();
      zs.next_out = reinterpret_cast<unsigned char *>(out);
      zs.avail_out = static_cast<uInt>(kOutBlock);
      bool finished = false;
      while (zs.avail_out > 0) {
        if (zs.avail_in == 0 && !eof) {
          in_len = read_input(in.data(), in.size());
          eof = in_len == 0;
          zs.next_in = in.data();
          zs.avail_in = static_cast<uInt>(in_len);
        }
        const int ret = inflate(&zs, Z_NO_FLUSH);
        if (ret == Z_STREAM_END) {
          if (zs.avail_in == 0 && eof) {
            finished = true;
            break;
          }
          inflateReset(&zs);
          continue;
        }
        if (ret != Z_OK && ret != Z_BUF_ERROR) {
          return Failure{ExitCode::archive,
                         fmt::format("{}: corrupt gzip data ({})", label, zs.msg ? zs.msg : "")};
        }
        if (zs.avail_in == 0 && eof) {
          const size_t produced = kOutBlock - zs.avail_out;
          if (produced > 0) {
            publish(*idx, produced);
          }
          return Failure{ExitCode::archive, fmt::format("{}: truncated gzip stream", label)};
        }
      }
      publish(*idx, kOutBlock - zs.avail_out);
      if (finished) {
        return std::nullopt;
      }
    }
  }
#endif
};

InflateSource::InflateSource(int fd, std::string label)
    : impl_(std::make_unique<Impl>(fd, std::move(label))) {}

InflateSource::~InflateSource() {
  stop();
  if (impl_->thread.joinable()) {
    impl_->thread.join();
  }
}

std::string_view InflateSource::next() {
  std::unique_lock lock(impl_->mu);
  if (impl_->held) {
    impl_->free_list.push_back(*impl_->held);
    impl_->held.reset();
    impl_->cv.notify_all();
  }
  impl_->cv.wait(lock, [&] { return !impl_->full.empty() || impl_->done || impl_->stopping; });
  if (!impl_->full.empty()) {
    auto [idx, bytes] = impl_->full.front();
    impl_->full.pop_front();
    impl_->held = idx;
    return {impl_->storage[idx].get(), bytes};
  }
  if (impl_->failure && !impl_->stopping) {
    throw Error(impl_->failure->code, impl_->failure->message);
  }
  return {};
}

void InflateSource::stop() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
}

uint64_t InflateSource::compressed_bytes_read() const {
  return impl_->compressed.load();
}

} // namespace forge::dump
