// The engine's series registry: every series key stored once, numbered densely from 0.
//
// Keys live in an arena of large chunks that never move, so a key's bytes stay valid (and a
// string_view of them usable without any lock) for the registry's lifetime. The id lookup is
// a hash set of 4-byte ids whose hash and equality read the key from the arena (heterogeneous
// lookup by string_view). Each id's hash is kept (4 bytes), so growing the set never hashes
// a key again: per series, the key's bytes plus ~30 bytes, no heap object.
// Not thread-safe: the engine guards it with its mutex.
#ifndef DC_STORAGE_SERIES_REGISTRY_H_
#define DC_STORAGE_SERIES_REGISTRY_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "common/strings.h"

namespace dc {

class SeriesRegistry {
 public:
  SeriesRegistry() : ids_(0, Hash{&hashes_}, Eq{&views_}) {}
  SeriesRegistry(const SeriesRegistry&) = delete;  // ids_' functors point at the vectors
  SeriesRegistry& operator=(const SeriesRegistry&) = delete;

  // The id of `key`, registering it (the next id) if new.
  uint32_t Intern(std::string_view key);
  std::optional<uint32_t> Find(std::string_view key) const;
  bool contains(std::string_view key) const { return ids_.contains(key); }
  // The key of `id`; its bytes never move. REQUIRES: id < size().
  std::string_view operator[](uint32_t id) const { return views_[id]; }
  size_t size() const { return views_.size(); }
  // Makes room for `series` more keys without rehashing (e.g. before a bulk load).
  void Reserve(size_t series);
  // Bytes held: arena chunks, views and the hash set.
  size_t MemoryBytes() const;

 private:
  // A key's hash, 32 bits kept: the set's slot and control bits come from it.
  static uint32_t KeyHash(std::string_view k) { return static_cast<uint32_t>(HashString(k)); }
  struct Hash {
    using is_transparent = void;
    const std::vector<uint32_t>* hashes;
    size_t operator()(std::string_view k) const { return KeyHash(k); }
    size_t operator()(uint32_t id) const { return (*hashes)[id]; }
  };
  struct Eq {
    using is_transparent = void;
    const std::vector<std::string_view>* views;
    std::string_view Key(std::string_view k) const { return k; }
    std::string_view Key(uint32_t id) const { return (*views)[id]; }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return Key(a) == Key(b);
    }
  };

  // Copies `key` into the arena; returns the stable copy.
  std::string_view Store(std::string_view key);

  static constexpr size_t kChunkBytes = 1 << 20;
  std::vector<std::unique_ptr<char[]>> chunks_;
  char* cur_ = nullptr;  // the chunk short keys go to
  size_t cur_used_ = 0;  // bytes used in it
  size_t arena_bytes_ = 0;
  std::vector<std::string_view> views_;  // by id
  std::vector<uint32_t> hashes_;         // by id: KeyHash(views_[id])
  absl::flat_hash_set<uint32_t, Hash, Eq> ids_;
};

}  // namespace dc

#endif  // DC_STORAGE_SERIES_REGISTRY_H_
