// Sample, Quality and PointBatch: the unit every ingest adapter hands to storage.
#ifndef DC_COMMON_SAMPLE_H_
#define DC_COMMON_SAMPLE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "common/strings.h"

namespace dc {

// Quality flag carried with every point (stored, returned by raw queries).
enum class Quality : uint8_t { kGood = 0, kUncertain = 1, kBad = 2 };

// One point of one series: UTC nanoseconds since the Unix epoch and a value.
struct Sample {
  int64_t t = 0;
  double v = 0;
  Quality q = Quality::kGood;
  friend bool operator==(const Sample& a, const Sample& b) {
    return a.t == b.t && (a.v == b.v || (a.v != a.v && b.v != b.v)) && a.q == b.q;
  }
};

// A batch of points for many series. Series keys are stored once; rows refer to them by
// index, so a batch of a million points does not hold a million strings.
// Keys must be canonical (see series_key.h). Not thread-safe.
class PointBatch {
 public:
  struct Row {
    uint32_t series;
    Quality q;
    int64_t t;
    double v;
  };

  // Returns the index of `key`, adding it if new.
  uint32_t Series(std::string_view key) {
    auto it = index_.find(key);
    if (it != index_.end()) return it->second;
    uint32_t id = static_cast<uint32_t>(keys_.size());
    keys_.emplace_back(key);
    index_.emplace(keys_.back(), id);
    return id;
  }
  void Add(uint32_t series, int64_t t, double v, Quality q = Quality::kGood) {
    rows_.push_back(Row{series, q, t, v});
  }
  void Add(std::string_view key, int64_t t, double v, Quality q = Quality::kGood) {
    Add(Series(key), t, v, q);
  }
  void Reserve(size_t rows) { rows_.reserve(rows); }
  // Room for `keys` series keys without regrowing (a decoder that knows the count).
  void ReserveKeys(size_t keys) {
    keys_.reserve(keys);
    index_.reserve(keys);
  }
  void Clear() {
    keys_.clear();
    index_.clear();
    rows_.clear();
  }

  const std::vector<std::string>& keys() const { return keys_; }
  const std::vector<Row>& rows() const { return rows_; }
  size_t size() const { return rows_.size(); }
  bool empty() const { return rows_.empty(); }

 private:
  std::vector<std::string> keys_;
  absl::flat_hash_map<std::string, uint32_t, StringHash, StringEq> index_;
  std::vector<Row> rows_;
};

}  // namespace dc

#endif  // DC_COMMON_SAMPLE_H_
