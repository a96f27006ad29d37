#include "ingest/gzip.h"

#include <zlib.h>

#include <algorithm>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace dc {
namespace {

// RAII for a zlib inflate stream.
struct Inflater {
  z_stream zs{};
  bool ok = false;
  Inflater() { ok = inflateInit2(&zs, 16 + MAX_WBITS) == Z_OK; }  // 16: gzip wrapper only
  ~Inflater() {
    if (ok) inflateEnd(&zs);
  }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;
};

constexpr size_t kChunk = 64 << 10;
constexpr size_t kMaxStep = size_t{1} << 30;  // bytes per inflate() call (uInt-sized)

}  // namespace

absl::StatusOr<std::string> Gunzip(std::string_view in, size_t max_output) {
  auto has_magic = [&](size_t at) {
    return in.size() - at >= 2 && static_cast<unsigned char>(in[at]) == 0x1f &&
           static_cast<unsigned char>(in[at + 1]) == 0x8b;
  };
  if (!has_magic(0)) {
    return absl::InvalidArgumentError("gzip: not gzip data (missing magic bytes 1f 8b)");
  }
  Inflater inf;
  if (!inf.ok) return absl::InternalError("gzip: inflateInit2 failed");
  z_stream& zs = inf.zs;
  size_t fed = 0;  // bytes of `in` handed to zlib so far
  std::string out;
  size_t have = 0;
  unsigned char probe;
  for (;;) {
    if (zs.avail_in == 0 && fed < in.size()) {
      size_t n = std::min<size_t>(in.size() - fed, kMaxStep);
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data() + fed));
      zs.avail_in = static_cast<uInt>(n);
      fed += n;
    }
    // When the limit is reached, inflate into a one-byte probe: any output is too much.
    const bool full = have >= max_output;
    if (!full && have == out.size()) {
      out.resize(std::min(max_output, std::max({kChunk, out.size() * 2, in.size() * 4})));
    }
    if (full) {
      zs.next_out = &probe;
      zs.avail_out = 1;
    } else {
      zs.next_out = reinterpret_cast<Bytef*>(out.data() + have);
      zs.avail_out = static_cast<uInt>(std::min(out.size() - have, kMaxStep));
    }
    const uInt before = zs.avail_out;
    const int rc = inflate(&zs, Z_NO_FLUSH);
    const size_t produced = before - zs.avail_out;
    if (full && produced > 0) {
      return absl::ResourceExhaustedError(
          absl::StrCat("gzip: decompressed body exceeds the limit of ", max_output, " bytes"));
    }
    have += produced;
    const size_t consumed = fed - zs.avail_in;
    if (rc == Z_STREAM_END) {
      if (consumed == in.size()) break;
      // Another member may follow (concatenated gzip files).
      if (!has_magic(consumed)) {
        return absl::InvalidArgumentError(
            absl::StrCat("gzip: trailing garbage at byte ", consumed, " after the gzip stream"));
      }
      if (inflateReset(&zs) != Z_OK) return absl::InternalError("gzip: inflateReset failed");
      continue;
    }
    if (rc == Z_OK || rc == Z_BUF_ERROR) {
      if (zs.avail_in == 0 && fed == in.size() && (rc == Z_BUF_ERROR || produced == 0)) {
        return absl::InvalidArgumentError(
            absl::StrCat("gzip: truncated stream (input ended after ", in.size(), " bytes)"));
      }
      continue;
    }
    return absl::InvalidArgumentError(absl::StrCat("gzip: corrupt data near byte ", consumed, ": ",
                                                   zs.msg ? zs.msg : "inflate error"));
  }
  out.resize(have);
  return out;
}

std::string Gzip(std::string_view in, int level) {
  z_stream zs{};
  if (deflateInit2(&zs, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return {};
  }
  std::string out;
  out.resize(deflateBound(&zs, in.size()) + 32);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

}  // namespace dc
