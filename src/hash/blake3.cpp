// Why: BLAKE3 digests for soar metadata; a portable implementation of the spec, or libblake3 when present.
#include "forge/hash/blake3.hpp"

#include "forge/util/error.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <vector>

#ifdef FORGE_HAVE_SYSTEM_BLAKE3
#include <blake3.h>
#else
#include <algorithm>
#include <bit>
#endif

namespace forge {
namespace {

std::string to_hex(const uint8_t *bytes, size_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (size_t i = 0; i < size; ++i) {
    out.push_back(kHex[bytes[i] >> 4]);
    out.push_back(kHex[bytes[i] & 0xf]);
  }
  return out;
}

} // namespace

#ifdef FORGE_HAVE_SYSTEM_BLAKE3

struct Blake3::Impl {
  blake3_hasher hasher;
};

Blake3::Blake3() : impl_(std::make_unique<Impl>()) {
  blake3_hasher_init(&impl_->hasher);
}

void Blake3::update(const void *data, size_t size) {
  blake3_hasher_update(&impl_->hasher, data, size);
}

std::string Blake3::hex_digest(size_t out_len) const {
  std::vector<uint8_t> out(out_len);
  blake3_hasher_finalize(&impl_->hasher, out.data(), out_len);
  return to_hex(out.data(), out.size());
}

#else // the portable implementation

namespace {

constexpr size_t kBlockLen = 64;
constexpr size_t kChunkLen = 1024;
constexpr size_t kMaxDepth = 54; // 2^54 chunks of 1 KiB = 2^64 bytes

constexpr uint32_t kChunkStart = 1U << 0;
constexpr uint32_t kChunkEnd = 1U << 1;
constexpr uint32_t kParent = 1U << 2;
constexpr uint32_t kRoot = 1U << 3;

constexpr std::array<uint32_t, 8> kIv = {0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A,
                                         0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19};

using Words8 = std::array<uint32_t, 8>;
using Words16 = std::array<uint32_t, 16>;

// Message word order for each of the 7 rounds: round r uses the permutation applied r times, so the
// message itself is never shuffled at run time.
constexpr std::array<std::array<uint8_t, 16>, 7> make_schedule() {
  constexpr std::array<uint8_t, 16> permutation = {2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8};
  std::array<std::array<uint8_t, 16>, 7> schedule{};
  for (uint8_t i = 0; i < 16; ++i) {
    schedule[0][i] = i;
  }
  for (size_t r = 1; r < 7; ++r) {
    for (size_t i = 0; i < 16; ++i) {
      schedule[r][i] = schedule[r - 1][permutation[i]];
    }
  }
  return schedule;
}
constexpr auto kSchedule = make_schedule();

inline uint32_t load_le32(const uint8_t *p) {
  uint32_t v = 0;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::big) {
    v = (v >> 24) | ((v >> 8) & 0xff00U) | ((v << 8) & 0xff0000U) | (v << 24);
  }
  return v;
}

inline void store_le32(uint8_t *p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
  p[2] = static_cast<uint8_t>(v >> 16);
  p[3] = static_cast<uint8_t>(v >> 24);
}

inline Words16 load_block(const uint8_t *p) {
  Words16 m;
  for (size_t i = 0; i < 16; ++i) {
    m[i] = load_le32(p + 4 * i);
  }
  return m;
}

inline void g(uint32_t &a, uint32_t &b, uint32_t &c, uint32_t &d, uint32_t mx, uint32_t my) {
  a = a + b + mx;
  d = std::rotr(d ^ a, 16);
  c = c + d;
  b = std::rotr(b ^ c, 12);
  a = a + b + my;
  d = std::rotr(d ^ a, 8);
  c = c + d;
  b = std::rotr(b ^ c, 7);
}

// The compression function without the final feed-forward: the 16-word state after 7 rounds. The state
// lives in 16 locals and the rounds are unrolled so that it stays in registers (~20% faster than an array).
inline Words16 compress_rounds(const Words8 &cv, const Words16 &m, uint64_t counter, uint32_t block_len,
                               uint32_t flags) {
  uint32_t s0 = cv[0], s1 = cv[1], s2 = cv[2], s3 = cv[3], s4 = cv[4], s5 = cv[5], s6 = cv[6], s7 = cv[7];
  uint32_t s8 = kIv[0], s9 = kIv[1], s10 = kIv[2], s11 = kIv[3];
  uint32_t s12 = static_cast<uint32_t>(counter), s13 = static_cast<uint32_t>(counter >> 32);
  uint32_t s14 = block_len, s15 = flags;
#pragma GCC unroll 7
  for (const auto &k : kSchedule) {
    // Columns, then diagonals.
    g(s0, s4, s8, s12, m[k[0]], m[k[1]]);
    g(s1, s5, s9, s13, m[k[2]], m[k[3]]);
    g(s2, s6, s10, s14, m[k[4]], m[k[5]]);
    g(s3, s7, s11, s15, m[k[6]], m[k[7]]);
    g(s0, s5, s10, s15, m[k[8]], m[k[9]]);
    g(s1, s6, s11, s12, m[k[10]], m[k[11]]);
    g(s2, s7, s8, s13, m[k[12]], m[k[13]]);
    g(s3, s4, s9, s14, m[k[14]], m[k[15]]);
  }
  return {s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14, s15};
}

// Chaining-value form: only the first 8 output words, written back into cv.
inline void compress_in_place(Words8 &cv, const Words16 &m, uint64_t counter, uint32_t block_len,
                              uint32_t flags) {
  const Words16 s = compress_rounds(cv, m, counter, block_len, flags);
  for (size_t i = 0; i < 8; ++i) {
    cv[i] = s[i] ^ s[i + 8];
  }
}

// Extended form: all 16 output words (used for root output blocks).
inline Words16 compress_xof(const Words8 &cv, const Words16 &m, uint64_t counter, uint32_t block_len,
                            uint32_t flags) {
  Words16 s = compress_rounds(cv, m, counter, block_len, flags);
  for (size_t i = 0; i < 8; ++i) {
    s[i] ^= s[i + 8];
    s[i + 8] ^= cv[i];
  }
  return s;
}

// The inputs of a compression whose flags are not final yet: it becomes either a chaining value or,
// with ROOT, the source of the extendable output.
struct Output {
  Words8 input_cv;
  Words16 block;
  uint64_t counter;
  uint32_t block_len;
  uint32_t flags;

  [[nodiscard]] Words8 chaining_value() const {
    Words8 cv = input_cv;
    compress_in_place(cv, block, counter, block_len, flags);
    return cv;
  }

  void root_bytes(uint8_t *out, size_t out_len) const {
    uint64_t output_block = 0;
    std::array<uint8_t, 64> bytes{};
    while (out_len > 0) {
      const Words16 words = compress_xof(input_cv, block, output_block, block_len, flags | kRoot);
      for (size_t i = 0; i < 16; ++i) {
        store_le32(bytes.data() + 4 * i, words[i]);
      }
      const size_t take = std::min(out_len, bytes.size());
      std::memcpy(out, bytes.data(), take);
      out += take;
      out_len -= take;
      ++output_block;
    }
  }
};

Output parent_output(const Words8 &left, const Words8 &right) {
  Output o{kIv, {}, 0, static_cast<uint32_t>(kBlockLen), kParent};
  std::copy(left.begin(), left.end(), o.block.begin());
  std::copy(right.begin(), right.end(), o.block.begin() + 8);
  return o;
}

} // namespace

struct Blake3::Impl {
  // The chunk being filled.
  Words8 cv = kIv;
  uint64_t chunk_counter = 0;
  std::array<uint8_t, kBlockLen> buf{};
  size_t buf_len = 0;
  size_t blocks_compressed = 0;
  // Chaining values of completed subtrees, one per set bit of the number of completed chunks.
  std::array<Words8, kMaxDepth> cv_stack{};
  size_t cv_stack_len = 0;

  [[nodiscard]] size_t chunk_len() const { return blocks_compressed * kBlockLen + buf_len; }
  [[nodiscard]] uint32_t start_flag() const { return blocks_compressed == 0 ? kChunkStart : 0; }

  // Feeds bytes that all belong to the current chunk. A block is compressed only once more input is
  // known to follow it, so the last block of the chunk always stays in buf for CHUNK_END.
  void chunk_update(const uint8_t *in, size_t len) {
    if (buf_len > 0) {
      const size_t take = std::min(kBlockLen - buf_len, len);
      std::memcpy(buf.data() + buf_len, in, take);
      buf_len += take;
      in += take;
      len -= take;
      if (len == 0) {
        return;
      }
      compress_in_place(cv, load_block(buf.data()), chunk_counter, kBlockLen, start_flag());
      ++blocks_compressed;
      buf_len = 0;
    }
    while (len > kBlockLen) {
      compress_in_place(cv, load_block(in), chunk_counter, kBlockLen, start_flag());
      ++blocks_compressed;
      in += kBlockLen;
      len -= kBlockLen;
    }
    std::memcpy(buf.data(), in, len);
    buf_len = len;
  }

  [[nodiscard]] Output chunk_output() const {
    std::array<uint8_t, kBlockLen> padded{};
    std::memcpy(padded.data(), buf.data(), buf_len);
    return Output{cv, load_block(padded.data()), chunk_counter, static_cast<uint32_t>(buf_len),
                  start_flag() | kChunkEnd};
  }

  // Merges completed subtrees: one merge per trailing zero bit of the new total chunk count.
  void add_chunk_cv(Words8 new_cv, uint64_t total_chunks) {
    while ((total_chunks & 1) == 0) {
      new_cv = parent_output(cv_stack[--cv_stack_len], new_cv).chaining_value();
      total_chunks >>= 1;
    }
    cv_stack[cv_stack_len++] = new_cv;
  }

  void update(const uint8_t *in, size_t len) {
    while (len > 0) {
      if (chunk_len() == kChunkLen) {
        // More input follows, so this chunk is not the root: finish it and start the next.
        const Words8 chunk_cv = chunk_output().chaining_value();
        const uint64_t total_chunks = chunk_counter + 1;
        add_chunk_cv(chunk_cv, total_chunks);
        cv = kIv;
        chunk_counter = total_chunks;
        buf_len = 0;
        blocks_compressed = 0;
      }
      const size_t take = std::min(kChunkLen - chunk_len(), len);
      chunk_update(in, take);
      in += take;
      len -= take;
    }
  }

  void finalize(uint8_t *out, size_t out_len) const {
    Output o = chunk_output();
    for (size_t i = cv_stack_len; i > 0; --i) {
      o = parent_output(cv_stack[i - 1], o.chaining_value());
    }
    o.root_bytes(out, out_len);
  }
};

Blake3::Blake3() : impl_(std::make_unique<Impl>()) {}

void Blake3::update(const void *data, size_t size) {
  if (size > 0) {
    impl_->update(static_cast<const uint8_t *>(data), size);
  }
}

std::string Blake3::hex_digest(size_t out_len) const {
  std::vector<uint8_t> out(out_len);
  impl_->finalize(out.data(), out_len);
  return to_hex(out.data(), out.size());
}

#endif // FORGE_HAVE_SYSTEM_BLAKE3

Blake3::~Blake3() = default;
Blake3::Blake3(Blake3 &&) noexcept = default;
Blake3 &Blake3::operator=(Blake3 &&) noexcept = default;

std::string blake3_hex(std::string_view data) {
  Blake3 h;
  h.update(data.data(), data.size());
  return h.hex_digest();
}

std::string blake3_file_hex(const std::filesystem::path &path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    fail(ExitCode::io, "cannot read {}: {}", path.string(), std::strerror(errno));
  }
  Blake3 h;
  std::vector<uint8_t> buf(size_t{1} << 18);
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      fail(ExitCode::io, "cannot read {}: {}", path.string(), std::strerror(err));
    }
    if (n == 0) {
      break;
    }
    h.update(buf.data(), static_cast<size_t>(n));
  }
  ::close(fd);
  return h.hex_digest();
}

} // namespace forge
