#include "forge/hash/sha256.hpp"

#include "forge/util/error.hpp"

#include <openssl/evp.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>

namespace forge {

struct Sha256::Impl {
  EVP_MD_CTX *ctx = nullptr;
};

Sha256::Sha256() : impl_(std::make_unique<Impl>()) {
  impl_->ctx = EVP_MD_CTX_new();
  if (impl_->ctx == nullptr || EVP_DigestInit_ex(impl_->ctx, EVP_sha256(), nullptr) != 1) {
    fail(ExitCode::internal, "OpenSSL SHA-256 initialisation failed");
  }
}

Sha256::~Sha256() {
  EVP_MD_CTX_free(impl_->ctx);
}

void Sha256::update(const void *data, size_t size) {
  EVP_DigestUpdate(impl_->ctx, data, size);
}

std::string Sha256::hex_digest() {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  EVP_DigestFinal_ex(impl_->ctx, md.data(), &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(static_cast<size_t>(len) * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 0xf]);
  }
  return out;
}

std::string sha256_hex(std::string_view data) {
  Sha256 h;
  h.update(data.data(), data.size());
  return h.hex_digest();
}

std::string sha256_file_hex(const std::filesystem::path &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    fail(ExitCode::io, "cannot read {}: {}", path.string(), std::strerror(errno));
  }
  Sha256 h;
  std::array<char, 1 << 16> buf{};
  while (in) {
    in.read(buf.data(), buf.size());
    if (in.gcount() > 0) {
      h.update(buf.data(), static_cast<size_t>(in.gcount()));
    }
  }
  if (in.bad()) {
    fail(ExitCode::io, "cannot read {}", path.string());
  }
  return h.hex_digest();
}

} // namespace forge
