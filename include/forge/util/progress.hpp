// Why: long downloads and decompression need to say where they stand: a live bar with rate and ETA on a
// terminal, a plain line every few seconds in CI logs, nothing under -q.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>

namespace forge {

class Progress {
public:
  // `total` 0 = unknown. Reads forge::ui() to decide between bar, periodic lines and silence.
  Progress(std::string label, uint64_t total);
  ~Progress();
  Progress(const Progress &) = delete;
  Progress &operator=(const Progress &) = delete;

  void set_total(uint64_t total);
  void update(uint64_t done); // cheap: redraws at most ~10x/s on a terminal, every 5 s otherwise
  void finish();              // final line; also called by the destructor

private:
  std::string label_;
  uint64_t total_;
  uint64_t done_ = 0;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  bool finished_ = false;
  bool drawn_ = false;
  uint64_t base_ = 0; // the first value seen (a resumed download starts there): rate counts from it
  bool have_base_ = false;
  void draw(bool final);
};

// "1.5 MiB", "230 B"
std::string human_bytes(double bytes);
// "1m05s", "3h02m", "12s"
std::string human_duration(double seconds);

} // namespace forge
