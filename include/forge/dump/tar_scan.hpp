// Why: the dump is one tar inside one gzip stream; forge reads it in a single pass without extracting,
// handing each wanted entry's bytes to a consumer and stopping as soon as the consumer has enough.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace forge::dump {

// What to do with an entry: skip it, stream its bytes to the consumer, or stop reading the archive.
enum class EntryAction { skip, read, stop };

struct EntryInfo {
  std::string path;     // full path inside the tar, e.g. "2026-11-20-020046/data/crates.csv"
  std::string basename; // "crates.csv"
  int64_t size = 0;
};

class TarConsumer {
public:
  virtual ~TarConsumer() = default;
  virtual EntryAction on_entry(const EntryInfo &entry) = 0;
  virtual void on_data(std::string_view bytes) = 0; // called repeatedly for a `read` entry
  // End of a `read` entry; returns false to stop reading the archive.
  virtual bool on_entry_end() = 0;
};

struct ScanStats {
  uint64_t compressed_bytes = 0;   // gzip bytes consumed
  uint64_t uncompressed_bytes = 0; // tar bytes inflated
  bool stopped_early = false;      // the consumer stopped before the end of the archive
};

// Scans the gzip-compressed tar at `path` (`label` names it in errors). Regular files only; directories
// and other entry types are skipped. Throws Error(archive) for a file that is not gzip or a corrupt or
// truncated gzip/tar stream, Error(io) when the file cannot be read.
ScanStats scan_tar_gz(const std::string &path, const std::string &label, TarConsumer &consumer);

} // namespace forge::dump
