// Blocks: EncodeBlock/DecodeBlock and the header byte, the integer streams (frame-of-reference
// bit packing, shared with the decimal values), timestamps and quality runs. The value codecs
// (decimal, Gorilla) are in block_values.cc, the stats in block_stats.cc; block_codec.h has the
// format constants, byte I/O and what these files share. Layout: docs/formats/block.md.
#include "storage/block.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "storage/block_codec.h"

namespace dc {
namespace block_codec {

// ---- Integer streams: frame-of-reference bit packing in groups of 16, 32 or 64 ---------
namespace {
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
}  // namespace

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

}  // namespace block_codec

namespace {

using namespace block_codec;  // NOLINT: the codec's own internals

Scratch& ThreadScratch() {
  thread_local Scratch s;
  return s;
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
  const size_t dec_bytes = dp.bytes + ExceptionBytes(sc.exc.data(), nexc);
  if (decimal && dec_bytes > 8 + (n - 1) / 8) {
    decimal = dec_bytes <= (GorillaBits(points) + 7) / 8;
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
    PutGorilla(points, &sink);
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

}  // namespace dc
