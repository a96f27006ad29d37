// Internals of the block codec shared by its files (block.cc: blocks, integer streams,
// timestamps, quality; block_values.cc: decimal and Gorilla values; block_stats.cc: stats):
// the format's constants (docs/formats/block.md), byte-level output and bounds-checked input,
// and the functions one file defines for another. Not part of storage/block.h.
#ifndef DC_STORAGE_BLOCK_CODEC_H_
#define DC_STORAGE_BLOCK_CODEC_H_

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "common/varint.h"
#include "storage/block.h"

namespace dc::block_codec {

// ---- Format constants (docs/formats/block.md) ----------------------------------------
// Block header byte.
constexpr uint8_t kCodecMask = 0x03;    // bits 0-1: value codec
constexpr uint8_t kCodecDecimal = 0;    //   integers m with v = m / 10^e, FOR-packed
constexpr uint8_t kCodecGorilla = 1;    //   Gorilla XOR bit stream
constexpr uint8_t kFlagQuality = 0x04;  // bit 2: a quality run-length section follows
constexpr uint8_t kFlagRegular = 0x08;  // bit 3: no timestamp dod stream (all dod = 0)
constexpr int kGroupShift = 4;          // bits 4-5: group size code c, groups of 16 << c
constexpr uint8_t kGroupCodeMask = 0x30;
constexpr int kMaxGroupCode = 2;  // 16, 32, 64
constexpr uint8_t kHeaderReserved = 0xC0;
// Decimal parameter byte: bits 0-4 exponent e, bits 5-6 difference order, bit 7 exceptions.
constexpr uint8_t kExpMask = 0x1F;
constexpr int kOrderShift = 5;
constexpr uint8_t kOrderMask = 0x60;
constexpr uint8_t kDecimalExceptions = 0x80;  // NaN/±inf/-0.0 stored raw after the stream
constexpr int kMaxExp = 18;
constexpr int kMaxOrder = 2;
// Integer streams: groups of 16 << c values, header byte = width | kGroupNewBase.
constexpr int kMinGroup = 16;
constexpr int kMaxGroup = kMinGroup << kMaxGroupCode;
constexpr uint8_t kGroupNewBase = 0x80;
constexpr uint8_t kGroupWidthMask = 0x7F;
// Scaled varints: byte = k (0..kMaxScale) | kScaleNegative, then varint(|x| / 10^k).
constexpr int kMaxScale = 19;
constexpr uint8_t kScaleNegative = 0x80;
constexpr uint8_t kScaleMask = 0x1F;
// Stats: field order and masks.
enum StatField { kFirst = 0, kLast, kMin, kMax, kSum, kNumStatFields };
constexpr uint8_t kAllFieldsRaw = (1 << kNumStatFields) - 1;
constexpr uint8_t kStatsNondecreasing = 0x20;   // in the raw-mask byte
constexpr uint8_t kStatsFinite = 0x40;          // in the raw-mask byte
constexpr uint8_t kStatsHasCorrections = 0x80;  // in the exponent byte

constexpr double kPow10d[kMaxExp + 1] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8, 1e9,
                                         1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18};
constexpr uint64_t kPow10u[kMaxScale + 1] = {1ull,
                                             10ull,
                                             100ull,
                                             1000ull,
                                             10000ull,
                                             100000ull,
                                             1000000ull,
                                             10000000ull,
                                             100000000ull,
                                             1000000000ull,
                                             10000000000ull,
                                             100000000000ull,
                                             1000000000000ull,
                                             10000000000000ull,
                                             100000000000000ull,
                                             1000000000000000ull,
                                             10000000000000000ull,
                                             100000000000000000ull,
                                             1000000000000000000ull,
                                             10000000000000000000ull};

// ---- Small helpers ---------------------------------------------------------------------
inline uint64_t Bits(double v) { return std::bit_cast<uint64_t>(v); }
inline double FromBits(uint64_t b) { return std::bit_cast<double>(b); }
using dc::UnZigZag;
using dc::ZigZag;
inline int64_t WrapSub(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}
inline int64_t WrapAdd(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}
inline int BitWidth(uint64_t u) { return u == 0 ? 0 : 64 - std::countl_zero(u); }
inline int VarintLen(uint64_t u) { return u == 0 ? 1 : (BitWidth(u) + 6) / 7; }
inline size_t PackedBytes(size_t cnt, int w) { return (cnt * static_cast<size_t>(w) + 7) / 8; }
inline uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;  // little-endian host (x86-64, aarch64)
}
inline void Store64(uint8_t* p, uint64_t v) { std::memcpy(p, &v, 8); }

// Calls f(std::integral_constant<uint64_t, 10^k>) so that dividing by it compiles to a
// multiply-shift instead of a 64-bit division. REQUIRES: 0 <= k <= kMaxScale.
template <int K = 0, typename F>
inline auto WithPow10(int k, F f) {
  if constexpr (K == kMaxScale) {
    return f(std::integral_constant<uint64_t, kPow10u[K]>{});
  } else {
    return k == K ? f(std::integral_constant<uint64_t, kPow10u[K]>{}) : WithPow10<K + 1>(k, f);
  }
}
inline uint64_t DivPow10(uint64_t u, int k) {
  return WithPow10(k, [u](auto p) { return u / p(); });
}
inline bool DivisibleByPow10(uint64_t u, int k) {
  return WithPow10(k, [u](auto p) { return u % p() == 0; });
}
inline int TrailingDecimalZeros(uint64_t u) {
  if (u == 0) return kMaxScale;
  int k = 0;
  while (k < kMaxScale && u % kPow10u[k + 1] == 0) ++k;
  return k;
}

// v == m / 10^e exactly (bit for bit, as DecodeBlock computes it)? Sets *m.
inline bool DecimalExact(double v, int e, int64_t* m) {
  double x = v * kPow10d[e];
  if (!(std::fabs(x) <= 4.0e18)) return false;  // also rejects NaN
  int64_t r = static_cast<int64_t>(x < 0 ? x - 0.5 : x + 0.5);
  *m = r;
  return Bits(static_cast<double>(r) / kPow10d[e]) == Bits(v);
}

// Output buffer over a std::string: grows geometrically, written through raw pointers.
class Sink {
 public:
  explicit Sink(std::string* s) : s_(s), start_(s->size()), pos_(start_) {}
  ~Sink() { s_->resize(pos_); }
  Sink(const Sink&) = delete;
  Sink& operator=(const Sink&) = delete;

  uint8_t* Raw(size_t k) {
    // Grows in proportion to what this Sink wrote (not to what *s_ held before), so that
    // appending many blocks to one large string stays linear.
    if (s_->size() < pos_ + k) s_->resize(pos_ + k + 2 * (pos_ - start_) + 64);
    uint8_t* p = reinterpret_cast<uint8_t*>(s_->data()) + pos_;
    pos_ += k;
    return p;
  }
  void Byte(uint8_t b) { *Raw(1) = b; }
  void Varint(uint64_t u) {
    uint8_t* p = Raw(10);
    int n = 0;
    while (u >= 0x80) {
      p[n++] = static_cast<uint8_t>(u | 0x80);
      u >>= 7;
    }
    p[n++] = static_cast<uint8_t>(u);
    pos_ -= 10 - n;
  }
  void Fixed64(uint64_t u) { Store64(Raw(8), u); }
  // k = number of trailing decimal zeros removed; sign kept in the scale byte.
  void Scaled(uint64_t magnitude, bool negative) {
    int k = TrailingDecimalZeros(magnitude);
    if (magnitude == 0) k = 0;
    Byte(static_cast<uint8_t>(k | (negative ? kScaleNegative : 0)));
    Varint(magnitude / kPow10u[k]);
  }
  void ScaledSigned(int64_t v) {
    uint64_t mag = v < 0 ? ~static_cast<uint64_t>(v) + 1 : static_cast<uint64_t>(v);
    Scaled(mag, v < 0);
  }
  size_t pos() const { return pos_; }
  void Truncate(size_t pos) { pos_ = pos; }
  uint8_t* At(size_t pos) { return reinterpret_cast<uint8_t*>(s_->data()) + pos; }

 private:
  std::string* s_;
  size_t start_;
  size_t pos_;
};

// Bounds-checked input. Every getter returns false instead of reading past the end.
struct Source {
  const uint8_t* begin;
  const uint8_t* p;
  const uint8_t* end;
  explicit Source(std::string_view d)
      : begin(reinterpret_cast<const uint8_t*>(d.data())), p(begin), end(begin + d.size()) {}
  size_t offset() const { return static_cast<size_t>(p - begin); }
  size_t left() const { return static_cast<size_t>(end - p); }
  bool Byte(uint8_t* b) {
    if (p == end) return false;
    *b = *p++;
    return true;
  }
  bool Varint(uint64_t* u) {
    const uint8_t* next = GetVarint64(p, end, u);
    if (next == nullptr) return false;
    p = next;
    return true;
  }
  bool Fixed64(uint64_t* u) {
    if (left() < 8) return false;
    *u = Load64(p);
    p += 8;
    return true;
  }
  bool Scaled(uint64_t* magnitude, bool* negative) {
    uint8_t b;
    uint64_t q;
    if (!Byte(&b) || (b & ~(kScaleMask | kScaleNegative)) || (b & kScaleMask) > kMaxScale ||
        !Varint(&q))
      return false;
    // Overflows iff q > (2^64 - 1) / 10^k (a multiply, not a 64-bit division per call).
    uint64_t m;
    if (__builtin_mul_overflow(q, kPow10u[b & kScaleMask], &m)) return false;
    *magnitude = m;
    *negative = (b & kScaleNegative) != 0;
    return true;
  }
  bool ScaledSigned(int64_t* v) {
    uint64_t mag;
    bool neg;
    if (!Scaled(&mag, &neg)) return false;
    if (neg ? mag > (1ull << 63) : mag >= (1ull << 63)) return false;
    *v = static_cast<int64_t>(neg ? ~mag + 1 : mag);
    return true;
  }
};

inline absl::Status Corrupt(std::string_view what, const Source& src) {
  return absl::DataLossError(absl::StrCat("corrupt block: ", AV(what), " at byte ", src.offset()));
}

// How one group of an integer stream is written.
struct GroupPlan {
  int width;
  bool new_base;
  int64_t base;
};

// ---- Integer streams (block.cc) ----------------------------------------------------------
// Min and max of each chunk of kMinGroup values of a stream: groups of 16, 32 and 64 are
// planned from these without another pass over the values.
struct Chunks {
  const int64_t* lo;
  const int64_t* hi;
  size_t m;  // stream length
};

// The min and max of each chunk of x[0, m) into lo[] and hi[]; returns them as Chunks.
Chunks ChunkMinMax(const int64_t* x, size_t m, int64_t* lo, int64_t* hi);
// Plans every group (of `group` values) of a stream into plans (nullable); returns the
// stream's size in bytes.
size_t PlanStream(const Chunks& ch, size_t group, GroupPlan* plans);
// Writes x[0, m) as groups of `group` values, as planned by PlanStream.
void WriteStream(const int64_t* x, size_t m, size_t group, const GroupPlan* plans, Sink* out);
// Reads one group of `cnt` values into dst. *base carries the frame between groups.
bool GetGroup(Source* src, size_t cnt, int64_t* base, int64_t* dst);

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

// ---- Values (block_values.cc) ------------------------------------------------------------
// The decimal section's difference order and size for one group size.
struct DecimalPlan {
  int order = 0;
  size_t bytes = 0;
};

// Decimal: FindDecimal, ExceptionBytes, PutExceptions, OrderSeq, PlanDecimal and PutDecimal
// encode (on sc.m/d1/d2, with sc.exc the exceptions' indexes); GetDecimal decodes.
bool FindDecimal(std::span<const Sample> pts, int64_t* m, int* exp, size_t* exc, size_t* nexc);
size_t ExceptionBytes(const size_t* exc, size_t ne);
void PutExceptions(std::span<const Sample> pts, const size_t* exc, size_t ne, Sink* out);
const int64_t* OrderSeq(const Scratch& sc, int order, size_t n, size_t* len);
DecimalPlan PlanDecimal(const Scratch& sc, const Chunks* ch, size_t n, size_t group);
void PutDecimal(Scratch& sc, const Chunks* ch, size_t n, int e, const DecimalPlan& dp, size_t group,
                bool exceptions, Sink* out);
absl::Status GetDecimal(Source* src, size_t n, size_t group, Sample* out);

// Gorilla XOR: the bits it takes for the points' values, writing them, reading them back.
size_t GorillaBits(std::span<const Sample> pts);
void PutGorilla(std::span<const Sample> pts, Sink* out);
// Decodes n values into out[i].v; *used = bytes consumed.
bool GorillaDecode(const uint8_t* p, size_t nbytes, size_t n, Sample* out, size_t* used);

}  // namespace dc::block_codec

#endif  // DC_STORAGE_BLOCK_CODEC_H_
