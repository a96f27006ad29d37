#include "storage/wal_format.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/crc32c.h"
#include "common/strings.h"
#include "common/varint.h"

namespace dc {
namespace wal {
namespace {

uint32_t MaskedCrc(const char* p, size_t n) { return crc32c::Mask(crc32c::Extend(0, p, n)); }

// Bounds-checked reader over a payload; every failure names the offset.
class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}
  size_t pos() const { return pos_; }
  size_t left() const { return s_.size() - pos_; }
  bool Varint(uint64_t* v) {
    const auto* p = reinterpret_cast<const uint8_t*>(s_.data());
    const uint8_t* next = GetVarint64(p + pos_, p + s_.size(), v);
    if (next == nullptr) return false;
    pos_ = static_cast<size_t>(next - p);
    return true;
  }
  std::string_view Bytes(size_t n) {
    std::string_view out = s_.substr(pos_, n);
    pos_ += n;
    return out;
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

absl::Status Malformed(const Reader& r, std::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("wal payload: ", AV(what), " at payload offset ", r.pos()));
}

}  // namespace

std::string EncodeFileHeader(uint64_t file_no) {
  std::string h(kFileHeaderSize, '\0');
  std::memcpy(h.data(), kMagic, sizeof(kMagic));
  PutFixed32(h.data() + 8, kVersion);
  PutFixed64(h.data() + 12, file_no);
  PutFixed32(h.data() + kFileHeaderCrcOffset, MaskedCrc(h.data(), kFileHeaderCrcOffset));
  return h;
}

absl::Status DecodeFileHeader(std::string_view header, uint64_t* file_no) {
  if (std::memcmp(header.data(), kMagic, sizeof(kMagic)) != 0) {
    return absl::DataLossError("not a WAL file (bad magic)");
  }
  if (GetFixed32(header.data() + kFileHeaderCrcOffset) !=
      MaskedCrc(header.data(), kFileHeaderCrcOffset)) {
    return absl::DataLossError("file header checksum mismatch");
  }
  uint32_t version = GetFixed32(header.data() + 8);
  if (version != kVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "WAL format version ", version, " is not supported (this build reads ", kVersion, ")"));
  }
  *file_no = GetFixed64(header.data() + 12);
  return absl::OkStatus();
}

size_t MaxPayloadSize(const PointBatch& batch) {
  size_t n = 1 + 10 + 10;  // type, key count, row count
  for (const std::string& k : batch.keys()) n += 10 + k.size();
  return n + batch.size() * (10 + 10 + 8);  // tag, time delta, value
}

size_t EncodePayload(const PointBatch& batch, char* out) {
  char* p = out;
  *p++ = static_cast<char>(kTypePointBatch);
  p = PutVarint64(p, batch.keys().size());
  for (const std::string& k : batch.keys()) {
    p = PutVarint64(p, k.size());
    std::memcpy(p, k.data(), k.size());
    p += k.size();
  }
  p = PutVarint64(p, batch.size());
  uint64_t prev = 0;
  for (const PointBatch::Row& r : batch.rows()) {
    p = PutVarint64(p, (static_cast<uint64_t>(r.series) << 2) | static_cast<uint8_t>(r.q));
    uint64_t t = static_cast<uint64_t>(r.t);
    p = PutVarint64(p, ZigZag(static_cast<int64_t>(t - prev)));  // wraps, never overflows
    prev = t;
    PutFixed64(p, std::bit_cast<uint64_t>(r.v));
    p += 8;
  }
  return static_cast<size_t>(p - out);
}

absl::Status DecodePayload(std::string_view payload, PointBatch* batch) {
  batch->Clear();
  Reader r(payload);
  if (r.left() == 0) return Malformed(r, "empty payload");
  uint8_t type = static_cast<uint8_t>(r.Bytes(1)[0]);
  if (type != kTypePointBatch) return Malformed(r, absl::StrCat("unknown record type ", type));
  uint64_t nkeys = 0;
  if (!r.Varint(&nkeys) || nkeys > r.left()) return Malformed(r, "bad series key count");
  std::vector<uint32_t> ids;  // payload key index -> batch key index (duplicates collapse)
  ids.reserve(nkeys);
  batch->ReserveKeys(std::min<uint64_t>(nkeys, 1 << 16));  // a corrupt count cannot claim more
  for (uint64_t i = 0; i < nkeys; ++i) {
    uint64_t len = 0;
    if (!r.Varint(&len) || len > r.left()) {
      batch->Clear();
      return Malformed(r, absl::StrCat("bad length of series key ", i));
    }
    ids.push_back(batch->Series(r.Bytes(len)));
  }
  uint64_t nrows = 0;
  if (!r.Varint(&nrows) || nrows > r.left() / 10) {  // a row takes at least 10 bytes
    batch->Clear();
    return Malformed(r, "bad row count");
  }
  batch->Reserve(nrows);
  uint64_t t = 0;
  for (uint64_t i = 0; i < nrows; ++i) {
    uint64_t tag = 0, delta = 0;
    if (!r.Varint(&tag) || !r.Varint(&delta) || r.left() < 8) {
      batch->Clear();
      return Malformed(r, absl::StrCat("truncated row ", i));
    }
    uint64_t series = tag >> 2, q = tag & 3;
    if (series >= ids.size() || q > static_cast<uint8_t>(Quality::kBad)) {
      batch->Clear();
      return Malformed(r, absl::StrCat("row ", i, " has series ", series, " of ", ids.size(),
                                       " or quality ", q));
    }
    t += static_cast<uint64_t>(UnZigZag(delta));
    double v = std::bit_cast<double>(GetFixed64(r.Bytes(8).data()));
    batch->Add(ids[series], static_cast<int64_t>(t), v, static_cast<Quality>(q));
  }
  if (r.left() != 0) {
    batch->Clear();
    return Malformed(r, absl::StrCat(r.left(), " trailing bytes"));
  }
  return absl::OkStatus();
}

void FillRecordHeader(char* rec, uint32_t payload_len) {
  PutFixed32(rec, payload_len);
  PutFixed32(rec + 4, MaskedCrc(rec + kRecordHeaderSize, payload_len));
  PutFixed32(rec + kRecordHeaderCrcOffset, MaskedCrc(rec, kRecordHeaderCrcOffset));
}

bool RecordHeaderValid(const char* p, uint32_t* payload_len) {
  if (GetFixed32(p + kRecordHeaderCrcOffset) != MaskedCrc(p, kRecordHeaderCrcOffset)) return false;
  *payload_len = GetFixed32(p);
  return *payload_len >= 1 && *payload_len <= kMaxPayloadBytes;
}

bool PayloadCrcValid(const char* header, std::string_view payload) {
  return GetFixed32(header + 4) == MaskedCrc(payload.data(), payload.size());
}

}  // namespace wal

}  // namespace dc
