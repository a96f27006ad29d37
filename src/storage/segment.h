// Segment files: immutable files holding the compressed blocks of many series for one time
// partition (e.g. one UTC day), written once and never modified. Several may exist for one
// partition (late data) until compaction merges them; the one with the higher seq wins.
// Byte layout and validation: docs/formats/segment.md; constants: segment_format.h.
#ifndef DC_STORAGE_SEGMENT_H_
#define DC_STORAGE_SEGMENT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/env.h"
#include "storage/block.h"

namespace dc {

struct SegmentMeta {
  uint64_t seq = 0;  // unique, increasing: a higher seq was written later (last write wins)
  int64_t partition_start = 0;  // ns, inclusive
  int64_t partition_end = 0;    // ns, exclusive
};

struct BlockRef {
  BlockStats stats;     // count, t_first, t_last, min, max, sum, first, last
  uint64_t offset = 0;  // of the block bytes in the file
  uint32_t length = 0;
  uint32_t crc = 0;  // masked CRC32C of the block bytes
};

struct SeriesBlocks {
  std::string key;               // canonical series key
  std::vector<BlockRef> blocks;  // time-ordered, non-overlapping
};

// Writes one segment file. Not thread-safe. After the first error every later call returns
// that error; the temp file is removed on error, by Abandon() and by the destructor.
class SegmentWriter {
 public:
  // Writes to `path + ".tmp"`; Finish() syncs, renames to `path` and syncs the directory.
  // REQUIRES: meta.partition_start < meta.partition_end.
  static absl::StatusOr<std::unique_ptr<SegmentWriter>> Create(Env* env, const std::string& path,
                                                               const SegmentMeta& meta);
  ~SegmentWriter();
  SegmentWriter(const SegmentWriter&) = delete;
  SegmentWriter& operator=(const SegmentWriter&) = delete;

  // REQUIRES: series in strictly ascending key order (byte-wise), non-empty keys; a series'
  // blocks in time order and non-overlapping; stats.count >= 1; all timestamps inside the
  // partition; encoded non-empty and < 4 GiB. A violation gives InvalidArgumentError and
  // writes nothing (the writer stays usable).
  [[nodiscard]] absl::Status AddBlock(std::string_view series, const BlockStats& stats,
                                      std::string_view encoded);
  // Writes index and footer, syncs, renames to `path`, syncs the directory. After an OK
  // return the file is complete and durable; on error there is no file at `path`.
  [[nodiscard]] absl::Status Finish();
  // Removes the temp file (also done by the destructor if not finished).
  void Abandon();
  uint64_t bytes_written() const;

 private:
  SegmentWriter(Env* env, std::string path, const SegmentMeta& meta,
                std::unique_ptr<WritableFile> file);
  absl::Status Append(std::string_view data);
  absl::Status Fail(absl::Status s);
  void EndSeries();

  Env* env_;
  std::string path_;
  std::string tmp_path_;
  SegmentMeta meta_;
  std::unique_ptr<WritableFile> file_;
  absl::Status error_;
  bool done_ = false;  // finished or abandoned
  uint64_t offset_ = 0;
  uint64_t series_count_ = 0;
  std::string last_key_;
  bool have_series_ = false;
  std::vector<BlockRef> cur_blocks_;  // of series last_key_, not yet in index_
  std::string prev_index_key_;
  std::string index_;  // encoded series entries (without the leading series count)
};

// A read-only view of one segment file. Thread-safe after Open.
//
// The index is validated whole at Open but not kept decoded: per series the reader keeps ~8
// bytes (where its index entry and its first block are); a series' keys and BlockRefs are
// decoded from the mapped file when asked for.
class SegmentReader {
 public:
  // Maps the file (env->NewRandomAccessFile: Contents() is an mmap), checks magic, version,
  // footer and index checksums, and validates every index entry. Any inconsistency gives a
  // DataLossError naming the file and what is wrong; never a crash, never a read outside the file.
  static absl::StatusOr<std::unique_ptr<SegmentReader>> Open(Env* env, const std::string& path);

  const std::string& path() const { return path_; }
  const SegmentMeta& meta() const { return meta_; }
  uint32_t series_count() const { return static_cast<uint32_t>(entry_pos_.size()); }
  // The blocks of series number `n` (< series_count(), in key order), appended to *out.
  // DataLossError only if the mapped bytes changed since Open. Only the stats' value fields
  // in `fields` (block.h, StatFields) are converted; the others are 0.
  absl::Status ReadBlocks(uint32_t n, std::vector<BlockRef>* out,
                          unsigned fields = kAllStatFields) const;

  // Walks the series keys in ascending order. Borrows the reader.
  class KeyCursor {
   public:
    explicit KeyCursor(const SegmentReader& r) : r_(r) { Load(); }
    bool Valid() const { return n_ < r_.series_count(); }
    void Next() {
      ++n_;
      Load();
    }
    uint32_t number() const { return n_; }
    const std::string& key() const { return key_; }

   private:
    void Load();
    const SegmentReader& r_;
    uint32_t n_ = 0;
    std::string key_;
  };

  // Every series with its blocks, decoded (tools and tests; as large as the index).
  std::vector<SeriesBlocks> ReadAll() const;
  // Scans the keys; nullopt if absent.
  std::optional<SeriesBlocks> Find(std::string_view key) const;
  // The block's bytes after verifying its CRC (DataLossError on mismatch, InvalidArgumentError
  // if `ref` lies outside the file's block area). Valid as long as the reader lives.
  absl::StatusOr<std::string_view> BlockData(const BlockRef& ref) const;
  uint64_t file_size() const { return data_.size(); }
  // Releases the index's pages from the process's resident set (RandomAccessFile::Release):
  // Open validates the whole index, a query reads only its series' entries. The pages stay in
  // the page cache; each later read maps back only what it touches.
  void ReleaseIndex() const { file_->Release(block_area_end_, data_.size() - block_area_end_); }
  int64_t point_count() const { return point_count_; }  // sum of block counts

 private:
  SegmentReader() = default;
  absl::Status Parse();
  absl::Status ParseIndex(std::string_view index);
  // Keeps `pos` (per series, ascending) as block_base_ + block_delta_, or whole if it must.
  void KeepBlockPositions(const std::vector<uint64_t>& pos);
  uint64_t BlockPos(uint32_t n) const {
    return block_wide_.empty() ? block_base_[n / kBlockGroup] + block_delta_[n] : block_wide_[n];
  }
  absl::Status Corrupt(std::string_view what) const;

  std::string path_;
  std::unique_ptr<RandomAccessFile> file_;
  std::string_view data_;
  std::string_view index_;
  uint64_t block_area_end_ = 0;  // == index offset
  SegmentMeta meta_;
  // Per series, in key order: where its entry starts in index_, and where its first block
  // starts: block_base_[n / kBlockGroup] + block_delta_[n] (4 bytes per series, not 8), or
  // block_wide_[n] in a file where kBlockGroup series' blocks can span more than 4 GiB.
  static constexpr size_t kBlockGroup = 64;
  std::vector<uint32_t> entry_pos_;
  std::vector<uint64_t> block_base_;
  std::vector<uint32_t> block_delta_;
  std::vector<uint64_t> block_wide_;
  int64_t point_count_ = 0;
};

}  // namespace dc

#endif  // DC_STORAGE_SEGMENT_H_
