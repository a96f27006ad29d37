#include "storage/segment.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/crc32c.h"
#include "common/strings.h"
#include "common/varint.h"
#include "storage/segment_format.h"

namespace dc {
namespace {

namespace fmt = segment_format;

void PutFixed32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
void PutFixed64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
uint32_t Fixed32At(std::string_view s, size_t pos) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(s[pos + i]);
  return v;
}
uint64_t Fixed64At(std::string_view s, size_t pos) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(s[pos + i]);
  return v;
}
// Reads a varint from *in and advances it; false if truncated or longer than 10 bytes.
bool GetVarint64(std::string_view* in, uint64_t* v) {
  const auto* p = reinterpret_cast<const uint8_t*>(in->data());
  const uint8_t* next = dc::GetVarint64(p, p + in->size(), v);
  if (next == nullptr) return false;
  in->remove_prefix(static_cast<size_t>(next - p));
  return true;
}

uint32_t MaskedCrc(std::string_view s) { return crc32c::Mask(crc32c::Value(s)); }

std::string Quote(std::string_view key) {
  return absl::StrCat("\"", absl::CHexEscape(AV(key)), "\"");
}

std::string DirOf(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Checks a block's stats against the partition and the previous block of the same series
// (nullptr for a series' first block). Returns "" if valid, else what is wrong.
std::string CheckBlock(const BlockStats& s, const SegmentMeta& meta, const BlockStats* prev) {
  if (s.count < 1) return absl::StrCat("point count ", s.count, " < 1");
  if (s.t_first > s.t_last) {
    return absl::StrCat("t_first ", s.t_first, " > t_last ", s.t_last);
  }
  // Timestamps are strictly increasing, so count points need a span of at least count - 1 ns.
  uint64_t span = static_cast<uint64_t>(s.t_last) - static_cast<uint64_t>(s.t_first);
  if (static_cast<uint64_t>(s.count - 1) > span) {
    return absl::StrCat(s.count, " points cannot lie in [", s.t_first, ", ", s.t_last, "]");
  }
  // partition_end is exclusive, except that INT64_MAX stands for "to the end of time".
  bool after_end = meta.partition_end == std::numeric_limits<int64_t>::max()
                       ? false
                       : s.t_last >= meta.partition_end;
  if (s.t_first < meta.partition_start || after_end) {
    return absl::StrCat("time range [", s.t_first, ", ", s.t_last, "] is outside the partition [",
                        meta.partition_start, ", ", meta.partition_end, ")");
  }
  if (prev != nullptr && s.t_first <= prev->t_last) {
    return absl::StrCat("block starting at ", s.t_first,
                        " overlaps or precedes the previous block ending at ", prev->t_last);
  }
  return "";
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// SegmentWriter

SegmentWriter::SegmentWriter(Env* env, std::string path, const SegmentMeta& meta,
                             std::unique_ptr<WritableFile> file)
    : env_(env),
      path_(std::move(path)),
      tmp_path_(path_ + ".tmp"),
      meta_(meta),
      file_(std::move(file)) {}

SegmentWriter::~SegmentWriter() { Abandon(); }

absl::StatusOr<std::unique_ptr<SegmentWriter>> SegmentWriter::Create(Env* env,
                                                                     const std::string& path,
                                                                     const SegmentMeta& meta) {
  if (meta.partition_start >= meta.partition_end) {
    return absl::InvalidArgumentError(absl::StrCat("segment ", path, ": empty partition [",
                                                   meta.partition_start, ", ", meta.partition_end,
                                                   ")"));
  }
  auto file = env->NewWritableFile(path + ".tmp");
  if (!file.ok()) return file.status();
  std::unique_ptr<SegmentWriter> w(new SegmentWriter(env, path, meta, std::move(*file)));
  std::string header(fmt::kMagic, sizeof(fmt::kMagic));
  PutFixed32(&header, fmt::kVersion);
  PutFixed32(&header, 0);  // flags
  absl::Status s = w->Append(header);
  if (!s.ok()) return s;  // the destructor removes the temp file
  return w;
}

absl::Status SegmentWriter::Append(std::string_view data) {
  absl::Status s = file_->Append(data);
  if (!s.ok()) return Fail(std::move(s));
  offset_ += data.size();
  return absl::OkStatus();
}

absl::Status SegmentWriter::Fail(absl::Status s) {
  error_ = AnnotateStatus(s, absl::StrCat("writing segment ", tmp_path_));
  Abandon();
  return error_;
}

void SegmentWriter::Abandon() {
  if (done_) return;
  done_ = true;
  file_.reset();
  (void)env_->RemoveFile(tmp_path_);  // best effort: it may never have been created
  index_.clear();
  index_.shrink_to_fit();
}

uint64_t SegmentWriter::bytes_written() const { return offset_; }

absl::Status SegmentWriter::AddBlock(std::string_view series, const BlockStats& stats,
                                     std::string_view encoded) {
  if (!error_.ok()) return error_;
  if (done_) {
    return absl::FailedPreconditionError(
        absl::StrCat("segment ", path_, ": AddBlock after Finish or Abandon"));
  }
  auto invalid = [&](std::string_view what) {
    return absl::InvalidArgumentError(
        absl::StrCat("segment ", path_, ": series ", Quote(series), ": ", AV(what)));
  };
  if (series.empty()) return invalid("empty series key");
  if (encoded.empty()) return invalid("empty block");
  if (encoded.size() > fmt::kMaxBlockLength) {
    return invalid(absl::StrCat("block of ", encoded.size(), " bytes exceeds 4 GiB"));
  }
  bool same = have_series_ && series == last_key_;
  if (have_series_ && !same && series < std::string_view(last_key_)) {
    return invalid(
        absl::StrCat("out of order: series keys must be strictly ascending, but it "
                     "follows ",
                     Quote(last_key_)));
  }
  std::string bad = CheckBlock(stats, meta_, same ? &cur_blocks_.back().stats : nullptr);
  if (!bad.empty()) return invalid(bad);

  uint64_t offset = offset_;
  absl::Status s = Append(encoded);
  if (!s.ok()) return s;
  if (!same) {
    if (have_series_) EndSeries();
    last_key_.assign(series);
    have_series_ = true;
  }
  BlockRef ref;
  ref.stats = stats;
  ref.offset = offset;
  ref.length = static_cast<uint32_t>(encoded.size());
  ref.crc = MaskedCrc(encoded);
  cur_blocks_.push_back(ref);
  return absl::OkStatus();
}

void SegmentWriter::EndSeries() {
  // The key is stored as the previous key's first `prefix` bytes + `middle` + its last
  // `suffix` bytes: keys with sorted tags mostly differ in one tag value in the middle.
  const std::string& prev = prev_index_key_;
  const std::string& key = last_key_;
  size_t limit = std::min(prev.size(), key.size());
  size_t prefix = 0;
  while (prefix < limit && prev[prefix] == key[prefix]) ++prefix;
  size_t suffix = 0;
  while (prefix + suffix < limit &&
         prev[prev.size() - 1 - suffix] == key[key.size() - 1 - suffix]) {
    ++suffix;
  }
  PutVarint64(&index_, prefix);
  PutVarint64(&index_, suffix);
  PutVarint64(&index_, key.size() - prefix - suffix);
  index_.append(key, prefix, key.size() - prefix - suffix);
  PutVarint64(&index_, cur_blocks_.size());
  for (const BlockRef& b : cur_blocks_) {
    PutVarint64(&index_, b.length);
    PutFixed32(&index_, b.crc);
    EncodeStats(b.stats, &index_);
  }
  ++series_count_;
  prev_index_key_.swap(last_key_);
  last_key_.clear();
  cur_blocks_.clear();
}

absl::Status SegmentWriter::Finish() {
  if (!error_.ok()) return error_;
  if (done_) {
    return absl::FailedPreconditionError(
        absl::StrCat("segment ", path_, ": Finish after Finish or Abandon"));
  }
  if (have_series_) EndSeries();
  have_series_ = false;

  std::string head;
  PutVarint64(&head, series_count_);
  uint64_t index_offset = offset_;
  uint64_t index_length = head.size() + index_.size();
  if (index_length > fmt::kMaxIndexLength) {
    return Fail(absl::ResourceExhaustedError(absl::StrCat(
        "index of ", index_length, " bytes exceeds the limit of ", fmt::kMaxIndexLength)));
  }
  uint32_t index_crc =
      crc32c::Mask(crc32c::Extend(crc32c::Value(head), index_.data(), index_.size()));
  std::string footer;
  PutFixed64(&footer, meta_.seq);
  PutFixed64(&footer, static_cast<uint64_t>(meta_.partition_start));
  PutFixed64(&footer, static_cast<uint64_t>(meta_.partition_end));
  PutFixed64(&footer, index_offset);
  PutFixed64(&footer, index_length);
  PutFixed32(&footer, index_crc);
  PutFixed32(&footer, MaskedCrc(footer));
  footer.append(fmt::kMagic, sizeof(fmt::kMagic));

  absl::Status s = Append(head);
  if (s.ok()) s = Append(index_);
  if (s.ok()) s = Append(footer);
  if (!s.ok()) return s;
  s = file_->Sync();
  if (s.ok()) s = file_->Close();
  if (s.ok()) s = env_->RenameFile(tmp_path_, path_);
  if (!s.ok()) return Fail(std::move(s));
  done_ = true;
  file_.reset();
  index_.clear();
  index_.shrink_to_fit();
  s = env_->SyncDir(DirOf(path_));
  if (!s.ok()) {
    // The rename may not survive a crash; report failure and leave no file at `path`.
    (void)env_->RemoveFile(path_);
    error_ = absl::Status(s.code(),
                          absl::StrCat("syncing directory of segment ", path_, ": ", s.message()));
    return error_;
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// SegmentReader

absl::StatusOr<std::unique_ptr<SegmentReader>> SegmentReader::Open(Env* env,
                                                                   const std::string& path) {
  auto file = env->NewRandomAccessFile(path);
  if (!file.ok()) return file.status();
  std::unique_ptr<SegmentReader> r(new SegmentReader());
  r->path_ = path;
  r->file_ = std::move(*file);
  r->data_ = r->file_->Contents();
  absl::Status s = r->Parse();
  if (!s.ok()) return s;
  return r;
}

absl::Status SegmentReader::Corrupt(std::string_view what) const {
  return absl::DataLossError(absl::StrCat("segment ", path_, ": ", AV(what)));
}

absl::Status SegmentReader::Parse() {
  const uint64_t size = data_.size();
  if (size < fmt::kMinFileSize) {
    return Corrupt(absl::StrCat("file is ", size, " bytes, less than the minimum of ",
                                fmt::kMinFileSize, " (truncated?)"));
  }
  if (std::memcmp(data_.data(), fmt::kMagic, sizeof(fmt::kMagic)) != 0) {
    return Corrupt("bad magic in header (not a segment file)");
  }
  uint32_t version = Fixed32At(data_, fmt::kHeaderVersionOffset);
  if (version != fmt::kVersion) {
    return Corrupt(absl::StrCat("unsupported format version ", version, " (this build reads ",
                                fmt::kVersion, ")"));
  }
  uint32_t flags = Fixed32At(data_, fmt::kHeaderFlagsOffset);
  if (flags != 0) return Corrupt(absl::StrCat("unknown header flags 0x", absl::Hex(flags)));

  const uint64_t footer_pos = size - fmt::kFooterSize;
  std::string_view footer = data_.substr(footer_pos);
  if (std::memcmp(footer.data() + fmt::kFooterMagicOffset, fmt::kMagic, sizeof(fmt::kMagic)) != 0) {
    return Corrupt("bad magic in footer (truncated or incompletely written file)");
  }
  uint32_t footer_crc = MaskedCrc(footer.substr(0, fmt::kFooterCrcOffset));
  if (footer_crc != Fixed32At(footer, fmt::kFooterCrcOffset)) {
    return Corrupt("footer checksum mismatch");
  }
  meta_.seq = Fixed64At(footer, fmt::kFooterSeqOffset);
  meta_.partition_start = static_cast<int64_t>(Fixed64At(footer, fmt::kFooterPartitionStartOffset));
  meta_.partition_end = static_cast<int64_t>(Fixed64At(footer, fmt::kFooterPartitionEndOffset));
  if (meta_.partition_start >= meta_.partition_end) {
    return Corrupt(
        absl::StrCat("empty partition [", meta_.partition_start, ", ", meta_.partition_end, ")"));
  }
  uint64_t index_offset = Fixed64At(footer, fmt::kFooterIndexOffsetOffset);
  uint64_t index_length = Fixed64At(footer, fmt::kFooterIndexLengthOffset);
  if (index_offset < fmt::kHeaderSize || index_offset >= footer_pos ||
      index_length != footer_pos - index_offset) {
    return Corrupt(absl::StrCat("index at offset ", index_offset, " length ", index_length,
                                " does not end at the footer (offset ", footer_pos, ")"));
  }
  if (index_length > fmt::kMaxIndexLength) {
    return Corrupt(absl::StrCat("index of ", index_length, " bytes exceeds the limit of ",
                                fmt::kMaxIndexLength));
  }
  std::string_view index = data_.substr(index_offset, index_length);
  if (MaskedCrc(index) != Fixed32At(footer, fmt::kFooterIndexCrcOffset)) {
    return Corrupt("index checksum mismatch");
  }
  block_area_end_ = index_offset;
  index_ = index;
  return ParseIndex(index);
}

absl::Status SegmentReader::ParseIndex(std::string_view in) {
  uint64_t n = 0;
  if (!GetVarint64(&in, &n)) return Corrupt("index: bad series count");
  if (n > in.size()) {
    return Corrupt(absl::StrCat("index: ", n, " series cannot fit in ", in.size(), " bytes"));
  }
  entry_pos_.reserve(n);
  std::vector<uint64_t> first_block;  // per series; kept compactly once all are known
  first_block.reserve(n);
  uint64_t block_pos = fmt::kHeaderSize;
  std::string prev_key, key;
  for (uint64_t i = 0; i < n; ++i) {
    auto bad = [&](std::string_view what) {
      return Corrupt(absl::StrCat("index: series #", i,
                                  i > 0 ? absl::StrCat(" (after ", Quote(prev_key), ")") : "", ": ",
                                  AV(what)));
    };
    entry_pos_.push_back(static_cast<uint32_t>(index_.size() - in.size()));
    first_block.push_back(block_pos);
    uint64_t prefix = 0, suffix = 0, middle = 0;
    if (!GetVarint64(&in, &prefix) || !GetVarint64(&in, &suffix) || !GetVarint64(&in, &middle)) {
      return bad("truncated key lengths");
    }
    if (prefix > prev_key.size() || suffix > prev_key.size() - prefix || middle > in.size()) {
      return bad(absl::StrCat("key lengths ", prefix, "+", middle, "+", suffix, " out of range"));
    }
    key.assign(prev_key, 0, prefix);
    key.append(in.substr(0, middle));
    key.append(prev_key, prev_key.size() - suffix, suffix);
    in.remove_prefix(middle);
    if (key.empty()) return bad("empty key");
    if (i > 0 && key <= prev_key) return bad(absl::StrCat("key ", Quote(key), " out of order"));
    uint64_t count = 0;
    if (!GetVarint64(&in, &count)) return bad("truncated block count");
    // Each block takes at least 5 bytes (length varint, CRC).
    if (count == 0 || count > in.size() / 5) {
      return bad(absl::StrCat("block count ", count, " out of range"));
    }
    BlockStats prev;
    for (uint64_t j = 0; j < count; ++j) {
      auto bad_block = [&](std::string_view what) {
        return bad(absl::StrCat("key ", Quote(key), " block #", j, ": ", AV(what)));
      };
      BlockStats st;
      uint64_t length = 0;
      if (!GetVarint64(&in, &length) || in.size() < 4) return bad_block("truncated");
      in.remove_prefix(4);  // crc
      absl::Status s = DecodeStats(&in, &st);
      if (!s.ok()) return bad_block(SV(s.message()));
      if (length == 0 || length > block_area_end_ - block_pos) {
        return bad_block(absl::StrCat("length ", length, " at offset ", block_pos,
                                      " exceeds the block area ending at ", block_area_end_));
      }
      block_pos += length;
      std::string why = CheckBlock(st, meta_, j > 0 ? &prev : nullptr);
      if (!why.empty()) return bad_block(why);
      if (st.count > std::numeric_limits<int64_t>::max() - point_count_) {
        return bad_block("total point count overflows");
      }
      point_count_ += st.count;
      prev = st;
    }
    prev_key.swap(key);
  }
  if (!in.empty()) return Corrupt(absl::StrCat("index: ", in.size(), " trailing bytes"));
  if (block_pos != block_area_end_) {
    return Corrupt(absl::StrCat("blocks end at offset ", block_pos, " but the index starts at ",
                                block_area_end_));
  }
  KeepBlockPositions(first_block);
  return absl::OkStatus();
}

void SegmentReader::KeepBlockPositions(const std::vector<uint64_t>& pos) {
  block_base_.reserve((pos.size() + kBlockGroup - 1) / kBlockGroup);
  block_delta_.reserve(pos.size());
  for (size_t i = 0; i < pos.size(); ++i) {
    if (i % kBlockGroup == 0) block_base_.push_back(pos[i]);
    const uint64_t d = pos[i] - block_base_.back();  // ascending: never negative
    if (d > UINT32_MAX) {  // a group of series spans over 4 GiB of blocks: keep them whole
      block_base_ = {};
      block_delta_ = {};
      block_wide_ = pos;
      return;
    }
    block_delta_.push_back(static_cast<uint32_t>(d));
  }
}

void SegmentReader::KeyCursor::Load() {
  if (!Valid()) return;
  // Validated at Open: the lengths are in range.
  std::string_view in = r_.index_.substr(r_.entry_pos_[n_]);
  uint64_t prefix = 0, suffix = 0, middle = 0;
  if (!GetVarint64(&in, &prefix) || !GetVarint64(&in, &suffix) || !GetVarint64(&in, &middle) ||
      prefix + suffix > key_.size() || middle > in.size()) {
    key_.clear();
    return;
  }
  std::string next;
  next.reserve(prefix + middle + suffix);
  next.append(key_, 0, prefix);
  next.append(in.substr(0, middle));
  next.append(key_, key_.size() - suffix, suffix);
  key_.swap(next);
}

absl::Status SegmentReader::ReadBlocks(uint32_t n, std::vector<BlockRef>* out,
                                       unsigned fields) const {
  auto changed = [&] {
    return Corrupt(absl::StrCat("index of series #", n, " changed since open"));
  };
  if (n >= series_count()) return changed();
  std::string_view in = index_.substr(entry_pos_[n]);
  uint64_t prefix = 0, suffix = 0, middle = 0, count = 0;
  if (!GetVarint64(&in, &prefix) || !GetVarint64(&in, &suffix) || !GetVarint64(&in, &middle) ||
      middle > in.size()) {
    return changed();
  }
  in.remove_prefix(middle);
  if (!GetVarint64(&in, &count) || count > in.size() / 5) return changed();
  uint64_t offset = BlockPos(n);
  out->reserve(out->size() + count);
  for (uint64_t j = 0; j < count; ++j) {
    BlockRef ref;
    uint64_t length = 0;
    if (!GetVarint64(&in, &length) || in.size() < 4 || length > UINT32_MAX) return changed();
    ref.crc = Fixed32At(in, 0);
    in.remove_prefix(4);
    if (!DecodeStats(&in, &ref.stats, fields).ok()) return changed();
    ref.offset = offset;
    ref.length = static_cast<uint32_t>(length);
    offset += length;
    out->push_back(ref);
  }
  return absl::OkStatus();
}

std::vector<SeriesBlocks> SegmentReader::ReadAll() const {
  std::vector<SeriesBlocks> out;
  out.reserve(series_count());
  for (KeyCursor c(*this); c.Valid(); c.Next()) {
    SeriesBlocks sb;
    sb.key = c.key();
    (void)ReadBlocks(c.number(), &sb.blocks);  // validated at Open
    out.push_back(std::move(sb));
  }
  return out;
}

std::optional<SeriesBlocks> SegmentReader::Find(std::string_view key) const {
  for (KeyCursor c(*this); c.Valid(); c.Next()) {
    if (c.key() < key) continue;
    if (c.key() != key) break;
    SeriesBlocks sb;
    sb.key = c.key();
    (void)ReadBlocks(c.number(), &sb.blocks);  // validated at Open
    return sb;
  }
  return std::nullopt;
}

absl::StatusOr<std::string_view> SegmentReader::BlockData(const BlockRef& ref) const {
  if (ref.offset < fmt::kHeaderSize || ref.offset > block_area_end_ ||
      ref.length > block_area_end_ - ref.offset) {
    return absl::InvalidArgumentError(
        absl::StrCat("segment ", path_, ": block at offset ", ref.offset, " length ", ref.length,
                     " is outside the block area [", fmt::kHeaderSize, ", ", block_area_end_, ")"));
  }
  std::string_view bytes = data_.substr(ref.offset, ref.length);
  if (MaskedCrc(bytes) != ref.crc) {
    return Corrupt(absl::StrCat("block at offset ", ref.offset, " length ", ref.length,
                                ": checksum mismatch"));
  }
  return bytes;
}

}  // namespace dc
