// Block stats: computed from points, and their compact encoding in the segment index
// (docs/formats/block.md, "Stats").
#include "storage/block.h"
#include "storage/block_codec.h"

namespace dc {

using namespace block_codec;  // NOLINT: the codec's own internals

// ---- Stats -------------------------------------------------------------------------------
BlockStats ComputeStats(std::span<const Sample> points) {
  BlockStats s;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  s.count = static_cast<int64_t>(points.size());
  s.min = std::numeric_limits<double>::infinity();
  s.max = -s.min;
  s.sum = 0;
  s.first = s.last = nan;
  if (points.empty()) return s;
  s.t_first = points.front().t;
  s.t_last = points.back().t;
  s.first = points.front().v;
  s.last = points.back().v;
  // Finite and never below the previous value (-inf < any finite first value).
  bool up = true, finite = true;
  double prev = -std::numeric_limits<double>::infinity();
  for (const Sample& p : points) {
    double v = p.v;
    finite = finite && std::isfinite(v);
    up = up && std::isfinite(v) && v >= prev;
    prev = v;
    if (v != v) continue;
    if (v < s.min) s.min = v;
    if (v > s.max) s.max = v;
    s.sum += v;
  }
  s.nondecreasing = up;
  s.finite = finite;
  return s;
}

void EncodeStats(const BlockStats& s, std::string* out) {
  Sink sink(out);
  sink.Varint(static_cast<uint64_t>(s.count));
  sink.ScaledSigned(s.t_first);
  sink.Scaled(static_cast<uint64_t>(s.t_last) - static_cast<uint64_t>(s.t_first), false);
  const double f[kNumStatFields] = {s.first, s.last, s.min, s.max, s.sum};
  // Exponent: the smallest that makes every exactly-decimal sample field exact.
  int e = 0;
  for (int i = 0; i < kSum; ++i) {
    int64_t m;
    int k = e;
    while (k <= kMaxExp && !DecimalExact(f[i], k, &m)) ++k;
    if (k <= kMaxExp) e = k;
  }
  // Each field: m at exponent e plus a correction in units in the last place, or raw.
  int64_t m[kNumStatFields] = {}, corr[kNumStatFields] = {};
  uint8_t raw = 0, has_corr = 0;
  for (int i = 0; i < kNumStatFields; ++i) {
    double x = f[i] * kPow10d[e];
    if (!(std::fabs(x) <= 4.0e18)) {
      raw |= 1 << i;
      continue;
    }
    DecimalExact(f[i], e, &m[i]);
    corr[i] = WrapSub(static_cast<int64_t>(Bits(f[i])),
                      static_cast<int64_t>(Bits(static_cast<double>(m[i]) / kPow10d[e])));
    int64_t ref = (i == kFirst || i == kSum || (raw & 1)) ? 0 : m[kFirst];
    int cost = VarintLen(ZigZag(WrapSub(m[i], ref))) + (corr[i] ? VarintLen(ZigZag(corr[i])) : 0);
    if (cost >= 8) {
      raw |= 1 << i;
      continue;
    }
    if (corr[i]) has_corr |= 1 << i;
  }
  sink.Byte(static_cast<uint8_t>(raw | (s.nondecreasing ? kStatsNondecreasing : 0) |
                                 (s.finite ? kStatsFinite : 0)));
  if (raw == kAllFieldsRaw) {
    for (double v : f) sink.Fixed64(Bits(v));
    return;
  }
  sink.Byte(static_cast<uint8_t>(e | (has_corr ? kStatsHasCorrections : 0)));
  if (has_corr) sink.Byte(has_corr);
  for (int i = 0; i < kNumStatFields; ++i) {
    if (raw & (1 << i)) {
      sink.Fixed64(Bits(f[i]));
      continue;
    }
    int64_t ref = (i == kFirst || i == kSum || (raw & 1)) ? 0 : m[kFirst];
    sink.Varint(ZigZag(WrapSub(m[i], ref)));
    if (has_corr & (1 << i)) sink.Varint(ZigZag(corr[i]));
  }
}

absl::Status DecodeStats(std::string_view* in, BlockStats* s, unsigned fields) {
  Source src(*in);
  auto fail = [&](std::string_view what) {
    return absl::DataLossError(
        absl::StrCat("corrupt block stats: ", AV(what), " at byte ", src.offset()));
  };
  uint64_t count, span;
  bool neg;
  BlockStats r;
  if (!src.Varint(&count) || count > static_cast<uint64_t>(INT64_MAX)) return fail("count");
  if (!src.ScaledSigned(&r.t_first)) return fail("first timestamp");
  if (!src.Scaled(&span, &neg) || neg) return fail("time span");
  r.count = static_cast<int64_t>(count);
  r.t_last = static_cast<int64_t>(static_cast<uint64_t>(r.t_first) + span);
  uint8_t raw, eb, has_corr = 0;
  if (!src.Byte(&raw)) return fail("field modes");
  r.nondecreasing = (raw & kStatsNondecreasing) != 0;
  r.finite = (raw & kStatsFinite) != 0;
  raw &= static_cast<uint8_t>(~(kStatsNondecreasing | kStatsFinite));
  if (raw > kAllFieldsRaw) return fail("field modes");
  int e = 0;
  if (raw != kAllFieldsRaw) {
    if (!src.Byte(&eb) || (eb & ~(kExpMask | kStatsHasCorrections)) || (eb & kExpMask) > kMaxExp)
      return fail("exponent");
    e = eb & kExpMask;
    if (eb & kStatsHasCorrections) {
      if (!src.Byte(&has_corr) || has_corr == 0 || has_corr > kAllFieldsRaw || (has_corr & raw))
        return fail("correction mask");
    }
  }
  double f[kNumStatFields] = {};
  int64_t m_first = 0;
  for (int i = 0; i < kNumStatFields; ++i) {
    const bool want = (fields >> i) & 1;
    uint64_t u;
    if (raw & (1 << i)) {
      if (!src.Fixed64(&u)) return fail("raw field");
      if (want) f[i] = FromBits(u);
      continue;
    }
    if (!src.Varint(&u)) return fail("decimal field");
    int64_t ref = (i == kFirst || i == kSum || (raw & 1)) ? 0 : m_first;
    int64_t m = WrapAdd(ref, UnZigZag(u));
    if (i == kFirst) m_first = m;
    uint64_t bits = want ? Bits(static_cast<double>(m) / kPow10d[e]) : 0;
    if (has_corr & (1 << i)) {
      if (!src.Varint(&u)) return fail("field correction");
      bits += static_cast<uint64_t>(UnZigZag(u));
    }
    if (want) f[i] = FromBits(bits);
  }
  r.first = f[kFirst];
  r.last = f[kLast];
  r.min = f[kMin];
  r.max = f[kMax];
  r.sum = f[kSum];
  *s = r;
  in->remove_prefix(src.offset());
  return absl::OkStatus();
}

}  // namespace dc
