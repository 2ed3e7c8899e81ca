// Why: inflating the dump is the floor of `forge ingest`; ISA-L inflates ~5x faster than zlib, and doing
// it on its own thread keeps tar and CSV parsing off its critical path.
#pragma once
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace forge::dump {

// Decompressed bytes of a gzip file, produced by a background thread into a small ring of buffers.
class InflateSource {
public:
  // `label` names the input in errors. Starts the inflate thread at once.
  InflateSource(int fd, std::string label);
  ~InflateSource(); // stops and joins the thread
  InflateSource(const InflateSource &) = delete;
  InflateSource &operator=(const InflateSource &) = delete;

  // The next block of decompressed bytes; empty at the end of the stream. The view stays valid until the
  // next call. Throws Error(archive) for a non-gzip, corrupt or truncated input, Error(io) for read errors.
  std::string_view next();
  // Stops inflating (the reader has what it needs); next() returns empty afterwards.
  void stop();
  [[nodiscard]] uint64_t compressed_bytes_read() const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// True when the file starts with the gzip magic bytes.
bool looks_like_gzip(std::string_view head);

} // namespace forge::dump
