#include "server/time_format.h"

#include <cstdlib>

#include "common/time.h"

namespace dc::server {
namespace {

char* Digits(char* p, int64_t v, int width) {
  for (int i = width - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  return p + width;
}

}  // namespace

void AppendRfc3339(int64_t t_ns, const absl::TimeZone& zone, std::string* out) {
  if (t_ns % kNanosPerSecond != 0) {
    out->append(FormatTime(t_ns, zone));
    return;
  }
  absl::TimeZone::CivilInfo ci = zone.At(absl::FromUnixNanos(t_ns));
  const absl::CivilSecond& c = ci.cs;
  // FormatTime handles far years and offsets that are not whole minutes (local mean time).
  if (c.year() < 0 || c.year() > 9999 || ci.offset % 60 != 0) {
    out->append(FormatTime(t_ns, zone));
    return;
  }
  char buf[32];
  char* p = buf;
  p = Digits(p, c.year(), 4);
  *p++ = '-';
  p = Digits(p, c.month(), 2);
  *p++ = '-';
  p = Digits(p, c.day(), 2);
  *p++ = 'T';
  p = Digits(p, c.hour(), 2);
  *p++ = ':';
  p = Digits(p, c.minute(), 2);
  *p++ = ':';
  p = Digits(p, c.second(), 2);
  int off = ci.offset;  // seconds east of UTC
  *p++ = off < 0 ? '-' : '+';
  off = std::abs(off);
  p = Digits(p, off / 3600, 2);
  *p++ = ':';
  p = Digits(p, (off / 60) % 60, 2);
  out->append(buf, p);
}

}  // namespace dc::server
