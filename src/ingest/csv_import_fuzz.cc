// libFuzzer target: the CSV importer. The first byte picks the options (layout, encoding,
// delimiter, decimal comma, day-first, time format), the second where to split the input.
// Any bytes give points or an error naming the file; every key passes ValidateSeriesKey; the
// points and errors do not depend on how the input is cut into chunks.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "absl/strings/match.h"
#include "common/series_key.h"
#include "ingest/csv_import.h"

namespace {

dc::CsvImportOptions Options(uint8_t b) {
  dc::CsvImportOptions o;
  o.layout = b & 1 ? dc::CsvLayout::kWide : dc::CsvLayout::kLong;
  o.encoding = (b >> 1) % 3 == 0   ? dc::CsvEncoding::kAuto
               : (b >> 1) % 3 == 1 ? dc::CsvEncoding::kUtf8
                                   : dc::CsvEncoding::kGbk;
  o.delimiter = b & 8 ? ';' : ',';
  o.decimal_comma = (b & 8) && (b & 16);
  o.dayfirst = b & 32;
  o.midnight_ends_day = b & 64;
  o.time_format = b & 128 ? "%d/%m/%Y %H:%M" : "auto";
  o.key_template = "meter,id={column},site={site} value";
  o.site = "f";
  o.map = {{"a", "m,id=a value"}};
  o.max_field_bytes = 4096;
  return o;
}

struct Run {
  bool ok;
  std::string keys;
  std::vector<dc::PointBatch::Row> rows;
  size_t bad_rows;
};

Run Import(std::string_view text, size_t cut, const dc::CsvImportOptions& o) {
  dc::CsvImporter imp(o, "f.csv");
  dc::PointBatch b;
  absl::Status s = imp.Feed(text.substr(0, cut), &b);
  if (s.ok()) s = imp.Feed(text.substr(cut), &b);
  if (s.ok()) s = imp.Finish(&b);
  if (!s.ok() && !absl::StartsWith(s.message(), "f.csv")) std::abort();
  if (b.size() != imp.result().points) std::abort();
  Run r{s.ok(), "", b.rows(), imp.result().bad_rows};
  for (const auto& k : b.keys()) {
    if (!dc::ValidateSeriesKey(k).ok()) std::abort();
    r.keys += k + '\n';
  }
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  dc::CsvImportOptions o = Options(data[0]);
  std::string_view text(reinterpret_cast<const char*>(data + 2), size - 2);
  size_t cut = text.empty() ? 0 : data[1] % (text.size() + 1);
  Run whole = Import(text, text.size(), o);
  Run split = Import(text, cut, o);
  // An error ends the file where it happens, so only complete runs must agree.
  if (whole.ok != split.ok) std::abort();
  if (whole.ok) {
    if (whole.keys != split.keys || whole.bad_rows != split.bad_rows) std::abort();
    if (whole.rows.size() != split.rows.size()) std::abort();
    for (size_t i = 0; i < whole.rows.size(); ++i) {
      const auto &a = whole.rows[i], &b = split.rows[i];
      if (a.series != b.series || a.t != b.t || a.q != b.q) std::abort();
      if (!(a.v == b.v)) std::abort();
    }
  }
  return 0;
}
