// Block codec: integer streams, timestamps, decimal and Gorilla values, quality runs
// (block_codec.h has the format constants and byte I/O; block_stats.cc the stats). Layout:
// docs/formats/block.md.
#include "storage/block.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "storage/block_codec.h"

namespace dc {
namespace {

using namespace block_codec;  // NOLINT: the codec's own internals

// ---- Integer streams: frame-of-reference bit packing in groups of 16, 32 or 64 ---------
// Min and max of each chunk of kMinGroup values of a stream: groups of 16, 32 and 64 are
// planned from these without another pass over the values.
struct Chunks {
  const int64_t* lo;
  const int64_t* hi;
  size_t m;  // stream length
};

Chunks ChunkMinMax(const int64_t* x, size_t m, int64_t* lo, int64_t* hi) {
  for (size_t g = 0, c = 0; g < m; g += kMinGroup, ++c) {
    size_t cnt = std::min<size_t>(kMinGroup, m - g);
    int64_t l = x[g], h = x[g];
    for (size_t j = 1; j < cnt; ++j) {
      l = std::min(l, x[g + j]);
      h = std::max(h, x[g + j]);
    }
    lo[c] = l;
    hi[c] = h;
  }
  return {lo, hi, m};
}

// Keeps the previous frame when every value is >= it and that costs no more bytes.
inline GroupPlan PlanGroup(int64_t lo, int64_t hi, size_t cnt, int64_t prev_base) {
  int w_new = BitWidth(static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo));
  size_t bytes_new = VarintLen(ZigZag(WrapSub(lo, prev_base))) + PackedBytes(cnt, w_new);
  if (prev_base <= lo) {
    int w_keep = BitWidth(static_cast<uint64_t>(hi) - static_cast<uint64_t>(prev_base));
    if (PackedBytes(cnt, w_keep) <= bytes_new) return {w_keep, false, prev_base};
  }
  return {w_new, true, lo};
}

// Plans every group (of `group` values) of a stream into plans (nullable); returns the
// stream's size in bytes.
size_t PlanStream(const Chunks& ch, size_t group, GroupPlan* plans) {
  size_t total = 0;
  int64_t base = 0;
  const size_t per = group / kMinGroup;
  for (size_t g = 0, c = 0; g < ch.m; g += group, c += per) {
    size_t cnt = std::min(group, ch.m - g);
    size_t end = c + (cnt + kMinGroup - 1) / kMinGroup;
    int64_t lo = ch.lo[c], hi = ch.hi[c];
    for (size_t k = c + 1; k < end; ++k) {
      lo = std::min(lo, ch.lo[k]);
      hi = std::max(hi, ch.hi[k]);
    }
    GroupPlan p = PlanGroup(lo, hi, cnt, base);
    total += 1 + PackedBytes(cnt, p.width);
    if (p.new_base) total += VarintLen(ZigZag(WrapSub(p.base, base)));
    base = p.base;
    if (plans) *plans++ = p;
  }
  return total;
}

// Per-thread scratch, reused across calls (no per-point allocation).
struct Scratch {
  std::vector<int64_t> dod, m, d1, d2;  // integer sequences
  std::vector<int64_t> lo[4], hi[4];    // their chunk minima and maxima (ChunkMinMax)
  std::vector<GroupPlan> plans;
  std::vector<size_t> exc;  // exception indexes
  void Reserve(size_t n) {
    if (m.size() < n) {
      exc.resize(n);
      dod.resize(n);
      m.resize(n);
      d1.resize(n);
      d2.resize(n);
      for (int i = 0; i < 4; ++i) {
        lo[i].resize(n / kMinGroup + 1);
        hi[i].resize(n / kMinGroup + 1);
      }
      plans.resize(n / kMinGroup + 1);
    }
  }
  Chunks MinMax(int i, const int64_t* x, size_t len) {
    return ChunkMinMax(x, len, lo[i].data(), hi[i].data());
  }
};
Scratch& ThreadScratch() {
  thread_local Scratch s;
  return s;
}

void Pack(const int64_t* y, size_t cnt, int64_t base, int w, uint8_t* dst) {
  if (w == 0) return;
  uint64_t acc = 0;
  int used = 0;
  for (size_t j = 0; j < cnt; ++j) {
    uint64_t u = static_cast<uint64_t>(y[j]) - static_cast<uint64_t>(base);
    acc |= u << used;
    int total = used + w;
    if (total >= 64) {
      Store64(dst, acc);
      dst += 8;
      acc = used == 0 ? 0 : u >> (64 - used);
      used = total - 64;
    } else {
      used = total;
    }
  }
  for (int b = 0; b < used; b += 8) *dst++ = static_cast<uint8_t>(acc >> b);
}

void WriteStream(const int64_t* x, size_t m, size_t group, const GroupPlan* plans, Sink* out) {
  int64_t base = 0;
  for (size_t g = 0; g < m; g += group, ++plans) {
    size_t cnt = std::min(group, m - g);
    const GroupPlan& p = *plans;
    out->Byte(static_cast<uint8_t>(p.width | (p.new_base ? kGroupNewBase : 0)));
    if (p.new_base) out->Varint(ZigZag(WrapSub(p.base, base)));
    base = p.base;
    Pack(x + g, cnt, base, p.width, out->Raw(PackedBytes(cnt, p.width)));
  }
}

// Unpacks `cnt` values of width w (<= 56) from p; 8 bytes must be readable at every
// byte offset the loop touches.
inline void UnpackNarrow(const uint8_t* p, size_t cnt, int w, int64_t base, int64_t* dst) {
  const uint64_t mask = (uint64_t{1} << w) - 1;
  size_t bit = 0;
  for (size_t j = 0; j < cnt; ++j, bit += w) {
    uint64_t u = (Load64(p + (bit >> 3)) >> (bit & 7)) & mask;
    dst[j] = WrapAdd(base, static_cast<int64_t>(u));
  }
}
// Any width 1..64; 9 bytes must be readable at every byte offset touched.
inline void UnpackWide(const uint8_t* p, size_t cnt, int w, int64_t base, int64_t* dst) {
  const uint64_t mask = w == 64 ? ~uint64_t{0} : (uint64_t{1} << w) - 1;
  size_t bit = 0;
  for (size_t j = 0; j < cnt; ++j, bit += w) {
    const uint8_t* q = p + (bit >> 3);
    int s = static_cast<int>(bit & 7);
    uint64_t u = Load64(q) >> s;
    if (s + w > 64) u |= static_cast<uint64_t>(q[8]) << (64 - s);
    dst[j] = WrapAdd(base, static_cast<int64_t>(u & mask));
  }
}

// Reads one group of `cnt` values into dst. *base carries the frame between groups.
bool GetGroup(Source* src, size_t cnt, int64_t* base, int64_t* dst) {
  uint8_t h;
  if (!src->Byte(&h)) return false;
  int w = h & kGroupWidthMask;
  if (w > 64) return false;
  if (h & kGroupNewBase) {
    uint64_t zz;
    if (!src->Varint(&zz)) return false;
    *base = WrapAdd(*base, UnZigZag(zz));
  }
  size_t bytes = PackedBytes(cnt, w);
  if (src->left() < bytes) return false;
  if (w == 0) {
    std::fill(dst, dst + cnt, *base);
    return true;
  }
  const uint8_t* p = src->p;
  src->p += bytes;
  if (w <= 56 && src->left() >= 8) {  // at least 8 slack bytes after the group
    UnpackNarrow(p, cnt, w, *base, dst);
    return true;
  }
  uint8_t tmp[kMaxGroup * 8 + 16] = {};
  std::memcpy(tmp, p, bytes);
  UnpackWide(tmp, cnt, w, *base, dst);
  return true;
}

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

// Decodes n values into out[i].v; *used = bytes consumed.
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

// ---- Timestamps --------------------------------------------------------------------------
// What the timestamp section needs besides the dod stream.
struct TimePlan {
  int k = 0;        // deltas are multiples of 10^k
  uint64_t q1 = 0;  // first delta / 10^k
  size_t ndod = 0;  // dod stream length (0 when regular)
};

// Fills dod[] with the delta-of-deltas of the deltas divided by 10^k.
TimePlan PlanTimestamps(std::span<const Sample> pts, int64_t* dod) {
  TimePlan tp;
  const size_t n = pts.size();
  if (n < 2) return tp;
  auto delta = [&](size_t i) {
    return static_cast<uint64_t>(pts[i].t) - static_cast<uint64_t>(pts[i - 1].t);
  };
  int k = TrailingDecimalZeros(delta(1));
  for (size_t i = 2; i < n && k > 0; ++i) {
    uint64_t d = delta(i);
    if (d != delta(i - 1)) {
      while (k > 0 && !DivisibleByPow10(d, k)) --k;
    }
  }
  uint64_t prev = DivPow10(delta(1), k);
  tp.k = k;
  tp.q1 = prev;
  uint64_t any = 0;
  for (size_t i = 2; i < n; ++i) {
    uint64_t d = delta(i);
    uint64_t q = d == delta(i - 1) ? prev : DivPow10(d, k);
    dod[i - 2] = static_cast<int64_t>(q - prev);
    any |= q - prev;
    prev = q;
  }
  tp.ndod = any == 0 ? 0 : n - 2;
  return tp;
}

void PutTimestamps(std::span<const Sample> pts, const TimePlan& tp, const int64_t* dod,
                   const Chunks& ch, size_t group, GroupPlan* plans, Sink* out) {
  out->ScaledSigned(pts[0].t);
  if (pts.size() < 2) return;
  out->Byte(static_cast<uint8_t>(tp.k));
  out->Varint(tp.q1);
  if (tp.ndod == 0) return;
  PlanStream(ch, group, plans);
  WriteStream(dod, tp.ndod, group, plans, out);
}

absl::Status GetTimestamps(Source* src, bool regular, size_t n, size_t group, Sample* out) {
  int64_t t;
  if (!src->ScaledSigned(&t)) return Corrupt("first timestamp", *src);
  out[0].t = t;
  if (n < 2) return absl::OkStatus();
  uint8_t k;
  uint64_t d;
  if (!src->Byte(&k) || k > kMaxScale) return Corrupt("timestamp scale", *src);
  if (!src->Varint(&d)) return Corrupt("first timestamp delta", *src);
  const uint64_t scale = kPow10u[k];
  uint64_t bad = 0;
  uint64_t cur = static_cast<uint64_t>(t);
  if (regular) {
    uint64_t step = d * scale;
    for (size_t i = 1; i < n; ++i) {
      uint64_t next = cur + step;
      bad |= static_cast<int64_t>(next) <= static_cast<int64_t>(cur);
      out[i].t = static_cast<int64_t>(next);
      cur = next;
    }
  } else {
    out[1].t = static_cast<int64_t>(cur + d * scale);
    bad |= out[1].t <= t;
    cur = static_cast<uint64_t>(out[1].t);
    int64_t base = 0, buf[kMaxGroup];
    for (size_t g = 2; g < n; g += group) {
      size_t cnt = std::min(group, n - g);
      if (!GetGroup(src, cnt, &base, buf)) return Corrupt("timestamp group", *src);
      for (size_t j = 0; j < cnt; ++j) {
        d += static_cast<uint64_t>(buf[j]);
        uint64_t next = cur + d * scale;
        bad |= static_cast<int64_t>(next) <= static_cast<int64_t>(cur);
        out[g + j].t = static_cast<int64_t>(next);
        cur = next;
      }
    }
  }
  if (bad) return Corrupt("timestamps not strictly increasing", *src);
  return absl::OkStatus();
}

// ---- Decimal values --------------------------------------------------------------------
// NaN, ±inf and -0.0 are not m / 10^e: a decimal block stores them raw ("exceptions").
inline bool IsException(double v) {
  uint64_t b = Bits(v);
  return (b & 0x7FF0000000000000ull) == 0x7FF0000000000000ull || b == 0x8000000000000000ull;
}

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

// The decimal section's difference order and size for one group size.
struct DecimalPlan {
  int order = 0;
  size_t bytes = 0;
};

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

// ---- Quality -----------------------------------------------------------------------------
// Runs: varint(run_length << 2 | quality), covering exactly n points.
void PutQuality(std::span<const Sample> pts, Sink* out) {
  size_t i = 0, n = pts.size();
  while (i < n) {
    size_t j = i + 1;
    while (j < n && pts[j].q == pts[i].q) ++j;
    out->Varint((static_cast<uint64_t>(j - i) << 2) | (static_cast<uint8_t>(pts[i].q) & 3));
    i = j;
  }
}

absl::Status GetQuality(Source* src, size_t n, Sample* out) {
  size_t i = 0;
  while (i < n) {
    uint64_t u;
    if (!src->Varint(&u)) return Corrupt("quality run", *src);
    uint64_t q = u & 3, run = u >> 2;
    if (q > static_cast<uint64_t>(Quality::kBad)) return Corrupt("quality value", *src);
    if (run == 0 || run > n - i) return Corrupt("quality run length", *src);
    for (size_t j = 0; j < run; ++j) out[i + j].q = static_cast<Quality>(q);
    i += run;
  }
  return absl::OkStatus();
}

absl::Status DecodeInto(std::string_view data, size_t n, Sample* out) {
  Source src(data);
  uint8_t h;
  if (!src.Byte(&h)) return Corrupt("missing header", src);
  if (h & kHeaderReserved) return Corrupt("reserved header bits set", src);
  uint8_t codec = h & kCodecMask;
  if (codec != kCodecDecimal && codec != kCodecGorilla) return Corrupt("unknown codec", src);
  int code = (h & kGroupCodeMask) >> kGroupShift;
  if (code > kMaxGroupCode) return Corrupt("group size code", src);
  const size_t group = size_t{kMinGroup} << code;
  absl::Status st = GetTimestamps(&src, (h & kFlagRegular) != 0, n, group, out);
  if (!st.ok()) return st;
  if (codec == kCodecDecimal) {
    st = GetDecimal(&src, n, group, out);
    if (!st.ok()) return st;
  } else {
    size_t used = 0;
    if (!GorillaDecode(src.p, src.left(), n, out, &used)) return Corrupt("gorilla values", src);
    src.p += used;
  }
  if (h & kFlagQuality) {
    st = GetQuality(&src, n, out);
    if (!st.ok()) return st;
  }
  if (src.left() != 0) return Corrupt(absl::StrCat(src.left(), " trailing bytes"), src);
  return absl::OkStatus();
}

}  // namespace

// ---- Blocks ------------------------------------------------------------------------------
void EncodeBlock(std::span<const Sample> points, std::string* out) {
  const size_t n = points.size();
  if (n == 0) return;
  Scratch& sc = ThreadScratch();
  sc.Reserve(n);
  const TimePlan tp = PlanTimestamps(points, sc.dod.data());

  // Values: decimal if every value is m / 10^e, else Gorilla.
  int e = 0;
  size_t nexc = 0;
  bool decimal = FindDecimal(points, sc.m.data(), &e, sc.exc.data(), &nexc);
  Chunks dod_ch = sc.MinMax(3, sc.dod.data(), tp.ndod);
  Chunks val_ch[kMaxOrder + 1];  // by difference order
  if (decimal) {
    for (size_t i = 1; i < n; ++i) sc.d1[i - 1] = WrapSub(sc.m[i], sc.m[i - 1]);
    for (size_t i = 2; i < n; ++i) sc.d2[i - 2] = WrapSub(sc.d1[i - 1], sc.d1[i - 2]);
    for (int o = 0; o <= kMaxOrder && static_cast<size_t>(o) < n; ++o) {
      size_t len;
      const int64_t* seq = OrderSeq(sc, o, n, &len);
      val_ch[o] = sc.MinMax(o, seq, len);
    }
  }
  // Group size: the one that makes timestamps + decimal values smallest (ties: 32).
  int code = 1;
  size_t best = SIZE_MAX;
  DecimalPlan dp;
  for (int c : {1, 0, 2}) {
    size_t group = size_t{kMinGroup} << c;
    size_t bytes = tp.ndod ? PlanStream(dod_ch, group, nullptr) : 0;
    DecimalPlan d;
    if (decimal) {
      d = PlanDecimal(sc, val_ch, n, group);
      bytes += d.bytes;
    }
    if (bytes < best) best = bytes, code = c, dp = d;
  }
  // Gorilla when it is smaller (it needs >= 64 + n - 1 bits: skip it when it cannot win).
  auto get = [&](size_t i) { return points[i].v; };
  const size_t dec_bytes = dp.bytes + ExceptionBytes(sc.exc.data(), nexc);
  if (decimal && dec_bytes > 8 + (n - 1) / 8) {
    BitCounter counter;
    GorillaEncode(n, get, &counter);
    decimal = dec_bytes <= (counter.bits() + 7) / 8;
  }
  const size_t group = size_t{kMinGroup} << code;
  bool all_good = std::all_of(points.begin(), points.end(),
                              [](const Sample& s) { return s.q == Quality::kGood; });
  uint8_t header = static_cast<uint8_t>((decimal ? kCodecDecimal : kCodecGorilla) |
                                        (all_good ? 0 : kFlagQuality) |
                                        (tp.ndod == 0 ? kFlagRegular : 0) | (code << kGroupShift));
  Sink sink(out);
  sink.Byte(header);
  PutTimestamps(points, tp, sc.dod.data(), dod_ch, group, sc.plans.data(), &sink);
  if (decimal) {
    PutDecimal(sc, val_ch, n, e, dp, group, nexc > 0, &sink);
    if (nexc > 0) PutExceptions(points, sc.exc.data(), nexc, &sink);
  } else {
    BitWriter w(&sink);
    GorillaEncode(n, get, &w);
    w.Finish();
  }
  if (!all_good) PutQuality(points, &sink);
}

absl::Status DecodeBlock(std::string_view data, int64_t count, std::vector<Sample>* out) {
  if (count < 1) return absl::DataLossError(absl::StrCat("corrupt block: count ", count));
  // Every codec spends at least one byte per group of at most kMaxGroup points: a larger
  // count is corruption (and must not make us allocate).
  if (static_cast<uint64_t>(count) > (data.size() + 1) * kMaxGroup) {
    return absl::DataLossError(
        absl::StrCat("corrupt block: count ", count, " too large for ", data.size(), " bytes"));
  }
  const size_t old = out->size(), n = static_cast<size_t>(count);
  out->resize(old + n);
  absl::Status st = DecodeInto(data, n, out->data() + old);
  if (!st.ok()) out->resize(old);
  return st;
}

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
