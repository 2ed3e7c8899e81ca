#include "forge/util/arena.hpp"

#include <algorithm>
#include <cstring>

namespace forge {

char *Arena::allocate(size_t n) {
  if (n > left_) {
    // A request bigger than a quarter block gets a block of its own, so the current one is not wasted.
    if (n > block_ / 4) {
      blocks_.push_back(std::make_unique_for_overwrite<char[]>(n));
      used_ += n;
      return blocks_.back().get();
    }
    blocks_.push_back(std::make_unique_for_overwrite<char[]>(block_));
    next_ = blocks_.back().get();
    left_ = block_;
  }
  char *out = next_;
  next_ += n;
  left_ -= n;
  used_ += n;
  return out;
}

std::string_view Arena::copy(std::string_view bytes) {
  if (bytes.empty()) {
    return {};
  }
  char *p = allocate(bytes.size());
  std::memcpy(p, bytes.data(), bytes.size());
  return {p, bytes.size()};
}

namespace {

size_t varint_size(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

char *put_varint(char *p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<char>(static_cast<uint8_t>(v) | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}

const char *get_varint(const char *p, uint64_t &v) {
  v = 0;
  for (int shift = 0;; shift += 7) {
    const auto b = static_cast<uint8_t>(*p++);
    v |= uint64_t{b & 0x7fU} << shift;
    if ((b & 0x80) == 0) {
      return p;
    }
  }
}

} // namespace

const char *pack_strings(Arena &arena, std::span<const std::optional<std::string_view>> fields) {
  size_t total = 0;
  for (const auto &f : fields) {
    total += f ? varint_size(f->size() + 1) + f->size() : 1;
  }
  char *const out = arena.allocate(total);
  char *p = out;
  for (const auto &f : fields) {
    if (!f) {
      *p++ = 0;
      continue;
    }
    p = put_varint(p, f->size() + 1);
    if (!f->empty()) {
      std::memcpy(p, f->data(), f->size());
      p += f->size();
    }
  }
  return out;
}

std::optional<std::string_view> packed_field(const char *packed, size_t index) {
  if (packed == nullptr) {
    return std::nullopt;
  }
  const char *p = packed;
  for (size_t i = 0;; ++i) {
    uint64_t len = 0;
    p = get_varint(p, len);
    if (i == index) {
      return len == 0 ? std::nullopt : std::optional<std::string_view>(std::string_view(p, len - 1));
    }
    if (len > 0) {
      p += len - 1;
    }
  }
}

} // namespace forge
