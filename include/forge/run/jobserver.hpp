// Why: with a fixed share of cargo --jobs per job, a big crate left building alone uses one core while the
// others idle. One GNU make jobserver shared by every job's cargo (cargo becomes a jobserver client when it
// inherits one, and then ignores --jobs) lets whichever job has work use whatever cores are free. The
// named-fifo form ("--jobserver-auth=fifo:PATH", cargo >= 1.75) needs no inherited file descriptor, so it
// survives the fd-closing spawns of forge run, forge build and sandboxes that bind the path.
#pragma once
#include <filesystem>
#include <string>

namespace forge {

class Jobserver {
public:
  // A fifo in a fresh private directory (mode 0700) under `parent` (empty: the temporary directory), holding
  // `tokens` tokens. Every client also runs one job without a token (make's "implicit" token), so a lone
  // client with cores - 1 tokens uses every core. Throws Error(io).
  explicit Jobserver(int tokens, const std::filesystem::path &parent = {});
  ~Jobserver(); // removes the fifo and its directory; clients that still hold it open keep working
  Jobserver(const Jobserver &) = delete;
  Jobserver &operator=(const Jobserver &) = delete;

  // The value of CARGO_MAKEFLAGS (or MAKEFLAGS) that makes a process a client: "-jN
  // --jobserver-auth=fifo:PATH".
  [[nodiscard]] std::string makeflags() const;
  [[nodiscard]] const std::filesystem::path &fifo() const { return fifo_; }
  [[nodiscard]] int tokens() const { return tokens_; }

  // Takes a free token without waiting (false when none is free); give it back with release().
  bool try_acquire();
  void release();
  // The free tokens, counted by taking them and giving them back (at most tokens() + 1 are taken). Exact only
  // while no client runs: then anything but tokens() means a client kept or added some.
  int count_free();

private:
  int tokens_ = 0;
  std::filesystem::path dir_, fifo_;
  int fd_ = -1; // O_RDWR: keeps the fifo usable (never at EOF) while forge run lives
};

} // namespace forge
