// Why: soar metadata identifies every executable by its BLAKE3 digest; Debian 12 ships no library.
#pragma once
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace forge {

// Unkeyed BLAKE3 (the default hash mode). Uses the system libblake3 when forge was configured with it,
// otherwise a portable implementation of the specification.
class Blake3 {
public:
  Blake3();
  ~Blake3();
  Blake3(Blake3 &&) noexcept;
  Blake3 &operator=(Blake3 &&) noexcept;
  Blake3(const Blake3 &) = delete;
  Blake3 &operator=(const Blake3 &) = delete;

  void update(const void *data, size_t size);
  // `out_len` bytes of extendable output as lowercase hex (2 * out_len digits). Does not consume the
  // state: more update() calls and further digests are allowed afterwards.
  [[nodiscard]] std::string hex_digest(size_t out_len = 32) const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::string blake3_hex(std::string_view data);
std::string blake3_file_hex(const std::filesystem::path &path); // throws Error(io) naming the file

} // namespace forge
