// Why: crates.io ids are small dense integers; a flat array beats a hash map by far on the 2M+ lookups of
// an ingest, and falls back to binary search if a dump ever has sparse ids.
#pragma once
#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

namespace forge {

class IdIndex {
public:
  void add(int64_t id, uint32_t index) {
    pairs_.emplace_back(id, index);
    frozen_ = false;
  }

  // Builds the lookup structure; call after the last add() and before find().
  void freeze() {
    dense_.clear();
    int64_t max_id = -1;
    bool non_negative = true;
    for (const auto &[id, idx] : pairs_) {
      max_id = std::max(max_id, id);
      non_negative = non_negative && id >= 0;
    }
    if (non_negative && max_id >= 0 && static_cast<uint64_t>(max_id) <= 8 * pairs_.size() + 4096) {
      dense_.assign(static_cast<size_t>(max_id) + 1, kNone);
      for (const auto &[id, idx] : pairs_) {
        dense_[static_cast<size_t>(id)] = static_cast<int32_t>(idx);
      }
      pairs_.clear();
      pairs_.shrink_to_fit();
    } else {
      std::sort(pairs_.begin(), pairs_.end());
    }
    frozen_ = true;
  }

  // The index stored for `id`, or -1.
  [[nodiscard]] int64_t find(int64_t id) const {
    if (!dense_.empty() || pairs_.empty()) {
      return id >= 0 && static_cast<uint64_t>(id) < dense_.size() ? dense_[static_cast<size_t>(id)] : kNone;
    }
    const auto it = std::lower_bound(pairs_.begin(), pairs_.end(), std::make_pair(id, uint32_t{0}));
    return it != pairs_.end() && it->first == id ? it->second : kNone;
  }

  [[nodiscard]] bool frozen() const { return frozen_; }

private:
  static constexpr int32_t kNone = -1;
  std::vector<std::pair<int64_t, uint32_t>> pairs_;
  std::vector<int32_t> dense_; // 4 bytes per possible id
  bool frozen_ = false;
};

} // namespace forge
