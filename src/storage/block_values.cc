// Block value codecs, encode and decode: decimal (values m / 10^e as FOR-packed integer
// streams, NaN/±inf/-0.0 stored raw) and Gorilla XOR; EncodeBlock (block.cc) picks one per
// block. Also the plain Gorilla coder EncodeGorillaValues. block_codec.h has the format
// constants, byte I/O and the integer streams' interface. Layout: docs/formats/block.md.
#include "storage/block.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "absl/status/status.h"
#include "storage/block_codec.h"

namespace dc {
namespace block_codec {
namespace {

// ---- Gorilla XOR (MSB-first bit stream) ------------------------------------------------
class BitWriter {
 public:
  explicit BitWriter(Sink* out) : out_(out) {}
  void Put(uint64_t v, int n) {  // 1 <= n <= 64, v < 2^n
    int room = 64 - fill_;
    if (n < room) {
      acc_ |= v << (room - n);
      fill_ += n;
    } else {
      int rest = n - room;
      acc_ |= rest == 0 ? v : v >> rest;
      Store64(out_->Raw(8), __builtin_bswap64(acc_));
      acc_ = rest == 0 ? 0 : v << (64 - rest);
      fill_ = rest;
    }
    bits_ += n;
  }
  void Finish() {
    for (int b = 0; b < fill_; b += 8) out_->Byte(static_cast<uint8_t>(acc_ >> (56 - b)));
    acc_ = 0;
    fill_ = 0;
  }
  size_t bits() const { return bits_; }

 private:
  Sink* out_;
  uint64_t acc_ = 0;
  int fill_ = 0;
  size_t bits_ = 0;
};

// Counts bits only (to compare codecs without writing).
class BitCounter {
 public:
  void Put(uint64_t, int n) { bits_ += n; }
  size_t bits() const { return bits_; }

 private:
  size_t bits_ = 0;
};

class BitReader {
 public:
  BitReader(const uint8_t* p, size_t nbytes) : p_(p), nbits_(nbytes * 8) {}
  bool Get(int n, uint64_t* v) {  // 1 <= n <= 64
    if (n > static_cast<int64_t>(nbits_ - pos_)) return false;
    size_t byte = pos_ >> 3;
    int s = static_cast<int>(pos_ & 7);
    uint8_t buf[9];
    const uint8_t* q = p_ + byte;
    if ((nbits_ >> 3) - byte < 9) {
      std::memset(buf, 0, sizeof buf);
      std::memcpy(buf, q, (nbits_ >> 3) - byte);
      q = buf;
    }
    unsigned __int128 w = (static_cast<unsigned __int128>(__builtin_bswap64(Load64(q))) << 64) |
                          (static_cast<unsigned __int128>(q[8]) << 56);
    *v = static_cast<uint64_t>((w << s) >> (128 - n));
    pos_ += n;
    return true;
  }
  bool Bit(uint64_t* v) { return Get(1, v); }
  size_t bytes_used() const { return (pos_ + 7) / 8; }

 private:
  const uint8_t* p_;
  size_t nbits_;
  size_t pos_ = 0;
};

template <typename Writer, typename Get>
void GorillaEncode(size_t n, Get get, Writer* w) {
  uint64_t prev = Bits(get(0));
  w->Put(prev, 64);
  int lead = -1, trail = 0;  // lead < 0: no window yet
  for (size_t i = 1; i < n; ++i) {
    uint64_t cur = Bits(get(i));
    uint64_t x = cur ^ prev;
    prev = cur;
    if (x == 0) {
      w->Put(0, 1);
      continue;
    }
    int l = std::min(std::countl_zero(x), 31), t = std::countr_zero(x);
    if (lead >= 0 && l >= lead && t >= trail) {
      w->Put(0b10, 2);
      w->Put(x >> trail, 64 - lead - trail);
    } else {
      int len = 64 - l - t;
      w->Put(0b11, 2);
      w->Put(static_cast<uint64_t>(l), 5);
      w->Put(static_cast<uint64_t>(len & 63), 6);  // 64 is written as 0
      w->Put(x >> t, len);
      lead = l;
      trail = t;
    }
  }
}

}  // namespace

// Gorilla for a block's values: counted (to compare with decimal) or written.
size_t GorillaBits(std::span<const Sample> pts) {
  BitCounter counter;
  GorillaEncode(
      pts.size(), [&](size_t i) { return pts[i].v; }, &counter);
  return counter.bits();
}

void PutGorilla(std::span<const Sample> pts, Sink* out) {
  BitWriter w(out);
  GorillaEncode(
      pts.size(), [&](size_t i) { return pts[i].v; }, &w);
  w.Finish();
}

bool GorillaDecode(const uint8_t* p, size_t nbytes, size_t n, Sample* out, size_t* used) {
  BitReader r(p, nbytes);
  uint64_t prev, b;
  if (!r.Get(64, &prev)) return false;
  out[0].v = FromBits(prev);
  int lead = -1, trail = 0;
  for (size_t i = 1; i < n; ++i) {
    if (!r.Bit(&b)) return false;
    if (b) {
      if (!r.Bit(&b)) return false;
      if (b) {
        uint64_t l, len;
        if (!r.Get(5, &l) || !r.Get(6, &len)) return false;
        if (len == 0) len = 64;
        if (l + len > 64) return false;
        lead = static_cast<int>(l);
        trail = static_cast<int>(64 - l - len);
      } else if (lead < 0) {
        return false;
      }
      uint64_t x;
      if (!r.Get(64 - lead - trail, &x)) return false;
      prev ^= x << trail;
    }
    out[i].v = FromBits(prev);
  }
  *used = r.bytes_used();
  return true;
}

// ---- Decimal values --------------------------------------------------------------------
namespace {
// NaN, ±inf and -0.0 are not m / 10^e: a decimal block stores them raw ("exceptions").
inline bool IsException(double v) {
  uint64_t b = Bits(v);
  return (b & 0x7FF0000000000000ull) == 0x7FF0000000000000ull || b == 0x8000000000000000ull;
}

// Reads the exceptions (layout: ExceptionBytes) into their points' values.
absl::Status GetExceptions(Source* src, size_t n, Sample* out) {
  uint64_t ne, gap, bits;
  if (!src->Varint(&ne) || ne == 0 || ne >= n) return Corrupt("exception count", *src);
  size_t next = 0;  // smallest index the next exception may have
  for (uint64_t j = 0; j < ne; ++j) {
    if (!src->Varint(&gap) || gap >= n - next) return Corrupt("exception index", *src);
    if (!src->Fixed64(&bits)) return Corrupt("exception value", *src);
    next += gap;
    out[next].v = FromBits(bits);
    ++next;
  }
  return absl::OkStatus();
}
}  // namespace

// Finds the smallest e such that every value but the exceptions is m / 10^e; fills m (an
// exception gets its predecessor's m, leading ones the first regular m) and exc[] with the
// exceptions' indexes. False if there is no such e or no regular value.
bool FindDecimal(std::span<const Sample> pts, int64_t* m, int* exp, size_t* exc, size_t* nexc) {
  int e = 0;
  size_t last_raise = 0, ne = 0;
  for (size_t i = 0; i < pts.size(); ++i) {
    if (IsException(pts[i].v)) {
      exc[ne++] = i;
      continue;
    }
    while (!DecimalExact(pts[i].v, e, &m[i])) {
      if (++e > kMaxExp) return false;
      last_raise = i;
    }
  }
  if (ne == pts.size()) return false;
  for (size_t i = 0; i < last_raise; ++i) {
    if (!IsException(pts[i].v) && !DecimalExact(pts[i].v, e, &m[i])) return false;
  }
  for (size_t j = 0; j < ne; ++j) {
    size_t i = exc[j];
    m[i] = i > 0 ? m[i - 1] : 0;
  }
  if (ne > 0 && exc[0] == 0) {  // leading exceptions: take the first regular value
    size_t first = 0;
    while (IsException(pts[first].v)) ++first;
    for (size_t i = 0; i < first; ++i) m[i] = m[first];
  }
  *exp = e;
  *nexc = ne;
  return true;
}

// Exceptions: varint(count), then per exception varint(index gap) and the raw 8 bytes.
size_t ExceptionBytes(const size_t* exc, size_t ne) {
  if (ne == 0) return 0;
  size_t bytes = VarintLen(ne), next = 0;
  for (size_t j = 0; j < ne; ++j) {
    bytes += VarintLen(exc[j] - next) + 8;
    next = exc[j] + 1;
  }
  return bytes;
}

void PutExceptions(std::span<const Sample> pts, const size_t* exc, size_t ne, Sink* out) {
  out->Varint(ne);
  size_t next = 0;
  for (size_t j = 0; j < ne; ++j) {
    out->Varint(exc[j] - next);
    out->Fixed64(Bits(pts[exc[j]].v));
    next = exc[j] + 1;
  }
}

// The sequence the stream of `order` holds, and its length.
const int64_t* OrderSeq(const Scratch& sc, int order, size_t n, size_t* len) {
  *len = n - static_cast<size_t>(order);
  return order == 0 ? sc.m.data() : order == 1 ? sc.d1.data() : sc.d2.data();
}

// Picks the difference order (0, 1, 2) with the fewest bytes at this group size.
// ch[o]: chunk minima/maxima of the stream of order o.
DecimalPlan PlanDecimal(const Scratch& sc, const Chunks* ch, size_t n, size_t group) {
  DecimalPlan best;
  for (int order = 0; order <= kMaxOrder && static_cast<size_t>(order) < n; ++order) {
    size_t bytes = 1 + PlanStream(ch[order], group, nullptr);
    if (order >= 1) bytes += VarintLen(ZigZag(sc.m[0]));
    if (order == 2) bytes += VarintLen(ZigZag(sc.d1[0]));
    if (order == 0 || bytes < best.bytes) best = {order, bytes};
  }
  return best;
}

void PutDecimal(Scratch& sc, const Chunks* ch, size_t n, int e, const DecimalPlan& dp, size_t group,
                bool exceptions, Sink* out) {
  out->Byte(
      static_cast<uint8_t>(e | (dp.order << kOrderShift) | (exceptions ? kDecimalExceptions : 0)));
  if (dp.order >= 1) out->Varint(ZigZag(sc.m[0]));
  if (dp.order == 2) out->Varint(ZigZag(sc.d1[0]));
  size_t len;
  const int64_t* seq = OrderSeq(sc, dp.order, n, &len);
  PlanStream(ch[dp.order], group, sc.plans.data());
  WriteStream(seq, len, group, sc.plans.data(), out);
}

absl::Status GetDecimal(Source* src, size_t n, size_t group, Sample* out) {
  uint8_t pb;
  if (!src->Byte(&pb)) return Corrupt("decimal parameters", *src);
  int e = pb & kExpMask, order = (pb & kOrderMask) >> kOrderShift;
  if (e > kMaxExp || order > kMaxOrder || (order >= 1 && n < 2) || (order == 2 && n < 3))
    return Corrupt("decimal parameters", *src);
  const double p10 = kPow10d[e];
  uint64_t acc = 0, d = 0, zz;
  size_t start = 0;
  if (order >= 1) {
    if (!src->Varint(&zz)) return Corrupt("first value", *src);
    acc = static_cast<uint64_t>(UnZigZag(zz));
    out[0].v = static_cast<double>(static_cast<int64_t>(acc)) / p10;
    start = 1;
  }
  if (order == 2) {
    if (!src->Varint(&zz)) return Corrupt("first value delta", *src);
    d = static_cast<uint64_t>(UnZigZag(zz));
    acc += d;
    out[1].v = static_cast<double>(static_cast<int64_t>(acc)) / p10;
    start = 2;
  }
  int64_t base = 0, buf[kMaxGroup];
  for (size_t g = start; g < n; g += group) {
    size_t cnt = std::min(group, n - g);
    if (!GetGroup(src, cnt, &base, buf)) return Corrupt("value group", *src);
    Sample* o = out + g;
    if (order == 0) {
      for (size_t j = 0; j < cnt; ++j) o[j].v = static_cast<double>(buf[j]) / p10;
    } else if (order == 1) {
      for (size_t j = 0; j < cnt; ++j) {
        acc += static_cast<uint64_t>(buf[j]);
        o[j].v = static_cast<double>(static_cast<int64_t>(acc)) / p10;
      }
    } else {
      for (size_t j = 0; j < cnt; ++j) {
        d += static_cast<uint64_t>(buf[j]);
        acc += d;
        o[j].v = static_cast<double>(static_cast<int64_t>(acc)) / p10;
      }
    }
  }
  if (pb & kDecimalExceptions) return GetExceptions(src, n, out);
  return absl::OkStatus();
}

}  // namespace block_codec

using namespace block_codec;  // NOLINT: the codec's own internals

// ---- Plain Gorilla ------------------------------------------------------------------------
size_t EncodeGorillaValues(std::span<const double> values, std::string* out) {
  if (values.empty()) return 0;
  Sink sink(out);
  BitWriter w(&sink);
  GorillaEncode(
      values.size(), [&](size_t i) { return values[i]; }, &w);
  w.Finish();
  return w.bits();
}

}  // namespace dc
