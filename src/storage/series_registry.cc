#include "storage/series_registry.h"

#include <cstring>

namespace dc {

std::string_view SeriesRegistry::Store(std::string_view key) {
  char* dst;
  if (key.size() > kChunkBytes / 4) {  // a chunk of its own; the current one stays current
    chunks_.push_back(std::make_unique_for_overwrite<char[]>(key.size()));
    arena_bytes_ += key.size();
    dst = chunks_.back().get();
  } else {
    if (cur_ == nullptr || kChunkBytes - cur_used_ < key.size()) {
      chunks_.push_back(std::make_unique_for_overwrite<char[]>(kChunkBytes));
      arena_bytes_ += kChunkBytes;
      cur_ = chunks_.back().get();
      cur_used_ = 0;
    }
    dst = cur_ + cur_used_;
    cur_used_ += key.size();
  }
  if (!key.empty()) std::memcpy(dst, key.data(), key.size());
  return std::string_view(dst, key.size());
}

uint32_t SeriesRegistry::Intern(std::string_view key) {
  const uint32_t h = KeyHash(key);
  auto it = ids_.find(key, h);
  if (it != ids_.end()) return *it;
  const auto id = static_cast<uint32_t>(views_.size());
  views_.push_back(Store(key));
  hashes_.push_back(h);
  ids_.insert(id);
  return id;
}

std::optional<uint32_t> SeriesRegistry::Find(std::string_view key) const {
  auto it = ids_.find(key);
  if (it == ids_.end()) return std::nullopt;
  return *it;
}

void SeriesRegistry::Reserve(size_t series) {
  views_.reserve(views_.size() + series);
  hashes_.reserve(hashes_.size() + series);
  ids_.reserve(ids_.size() + series);
}

size_t SeriesRegistry::MemoryBytes() const {
  return arena_bytes_ + views_.capacity() * sizeof(std::string_view) +
         hashes_.capacity() * sizeof(uint32_t) + ids_.capacity() * (sizeof(uint32_t) + 1);
}

}  // namespace dc
