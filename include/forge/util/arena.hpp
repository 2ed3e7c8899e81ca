// Why: a catalog of millions of small strings costs far more in allocator headers, fragmentation and
// freeing than in bytes; an append-only arena of large blocks holds them at their own size, never moves
// them, and frees them in a few calls.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace forge {

class Arena {
public:
  explicit Arena(size_t block_bytes = size_t{1} << 20) : block_(block_bytes) {}
  Arena(Arena &&) noexcept = default;
  Arena &operator=(Arena &&) noexcept = default;
  Arena(const Arena &) = delete;
  Arena &operator=(const Arena &) = delete;

  // `n` bytes that stay where they are for the arena's life (uninitialised).
  char *allocate(size_t n);
  // A copy of `bytes` in the arena.
  std::string_view copy(std::string_view bytes);
  [[nodiscard]] size_t bytes_used() const { return used_; }

private:
  size_t block_;
  std::vector<std::unique_ptr<char[]>> blocks_;
  char *next_ = nullptr;
  size_t left_ = 0;
  size_t used_ = 0;
};

// A record of optional strings packed into one arena allocation: per field a LEB128 varint of its length + 1
// (0 = absent), then its bytes. One pointer names the whole record.
const char *pack_strings(Arena &arena, std::span<const std::optional<std::string_view>> fields);
// Field `index` of a packed record (nullopt when absent, or when `packed` is nullptr).
std::optional<std::string_view> packed_field(const char *packed, size_t index);

} // namespace forge
