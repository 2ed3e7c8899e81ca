// Why: crates.io ids are small dense integers; a flat array beats a hash map by far on the 2M+ lookups of
// an ingest. When the ids are sparse (versions kept are a quarter of all version ids) a sorted list with
// binary search takes less memory than the flat array.
#pragma once
#include <algorithm>
#include <cstdint>
#include <numeric>
#include <utility>
#include <vector>

namespace forge {

class IdIndex {
public:
  void add(int64_t id, uint32_t index) {
    sorted_ = sorted_ && (ids_.empty() || ids_.back() < id);
    ids_.push_back(id);
    idx_.push_back(index);
    frozen_ = false;
  }

  // Builds the lookup structure; call after the last add() and before find().
  void freeze() {
    dense_.clear();
    int64_t max_id = -1;
    bool non_negative = true;
    for (const int64_t id : ids_) {
      max_id = std::max(max_id, id);
      non_negative = non_negative && id >= 0;
    }
    // The flat array (4 bytes per possible id) when it is no bigger than the sorted list (12 bytes per id).
    if (non_negative && max_id >= 0 && static_cast<uint64_t>(max_id) < 3 * ids_.size() + 1024) {
      dense_.assign(static_cast<size_t>(max_id) + 1, kNone);
      for (size_t i = 0; i < ids_.size(); ++i) {
        dense_[static_cast<size_t>(ids_[i])] = static_cast<int32_t>(idx_[i]);
      }
      ids_ = {};
      idx_ = {};
    } else if (!sorted_) {
      std::vector<uint32_t> order(ids_.size());
      std::iota(order.begin(), order.end(), uint32_t{0});
      std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return ids_[a] < ids_[b]; });
      std::vector<int64_t> ids(ids_.size());
      std::vector<uint32_t> idx(idx_.size());
      for (size_t i = 0; i < order.size(); ++i) {
        ids[i] = ids_[order[i]];
        idx[i] = idx_[order[i]];
      }
      ids_ = std::move(ids);
      idx_ = std::move(idx);
      sorted_ = true;
    }
    ids_.shrink_to_fit();
    idx_.shrink_to_fit();
    frozen_ = true;
  }

  // The index stored for `id`, or -1. (Of a duplicated id, the one added last when the ids are dense, else
  // the first one added.)
  [[nodiscard]] int64_t find(int64_t id) const {
    if (!dense_.empty() || ids_.empty()) {
      return id >= 0 && static_cast<uint64_t>(id) < dense_.size() ? dense_[static_cast<size_t>(id)] : kNone;
    }
    const auto it = std::lower_bound(ids_.begin(), ids_.end(), id);
    if (it == ids_.end() || *it != id) {
      return kNone;
    }
    return idx_[static_cast<size_t>(it - ids_.begin())];
  }

  [[nodiscard]] bool frozen() const { return frozen_; }

private:
  static constexpr int32_t kNone = -1;
  std::vector<int64_t> ids_;
  std::vector<uint32_t> idx_;
  std::vector<int32_t> dense_; // 4 bytes per possible id
  bool sorted_ = true;
  bool frozen_ = false;
};

} // namespace forge
