// Why: every .crate and every executable is identified by its SHA-256 (OpenSSL's EVP implementation).
#pragma once
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace forge {

class Sha256 {
public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256 &) = delete;
  Sha256 &operator=(const Sha256 &) = delete;
  void update(const void *data, size_t size);
  std::string hex_digest(); // 64 lowercase hex digits; the object is spent after this

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::string sha256_hex(std::string_view data);
std::string sha256_file_hex(const std::filesystem::path &path); // throws Error(io) naming the file

} // namespace forge
