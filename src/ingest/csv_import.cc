#include "ingest/csv_import.h"

#include <algorithm>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "common/series_key.h"
#include "common/strings.h"
#include "ingest/csv.h"
#include "ingest/csv_cells.h"

namespace dc {
namespace {

using csv_internal::IsMissingCell;
using csv_internal::ParseNumberCell;

constexpr size_t kMaxMeterKeys = 100000;  // long layout: distinct meters whose key is cached

std::string Trimmed(std::string_view s) { return std::string(absl::StripAsciiWhitespace(AV(s))); }

// The key of an unmapped wide column: {column} and {site} escaped as tag values.
absl::StatusOr<std::string> ExpandTemplate(std::string_view tmpl, std::string_view column,
                                           std::string_view site) {
  std::string col, st;
  AppendEscapedTag(column, &col);
  AppendEscapedTag(site, &st);
  std::string key = absl::StrReplaceAll(AV(tmpl), {{"{column}", col}, {"{site}", st}});
  if (key.find('{') != std::string::npos && key.find('}') != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "key template \"", AV(tmpl), "\": unknown placeholder (only {column} and {site})"));
  }
  return CanonicalSeriesKey(key);
}

absl::StatusOr<Quality> ParseQuality(std::string_view cell) {
  std::string s = absl::AsciiStrToLower(Trimmed(cell));
  if (s.empty() || s == "good" || s == "0") return Quality::kGood;
  if (s == "uncertain" || s == "1") return Quality::kUncertain;
  if (s == "bad" || s == "2") return Quality::kBad;
  return absl::InvalidArgumentError(
      absl::StrCat("quality \"", s, "\" is not good, uncertain or bad (0, 1, 2)"));
}

}  // namespace

absl::StatusOr<CsvLayout> ParseCsvLayout(std::string_view s) {
  if (s == "long" || s == "csv") return CsvLayout::kLong;
  if (s == "wide") return CsvLayout::kWide;
  return absl::InvalidArgumentError(
      absl::StrCat("format \"", AV(s), "\": expected long (or csv) or wide"));
}

absl::StatusOr<CsvEncoding> ParseCsvEncoding(std::string_view s) {
  std::string e = absl::AsciiStrToLower(AV(s));
  if (e.empty() || e == "auto") return CsvEncoding::kAuto;
  if (e == "utf-8" || e == "utf8" || e == "utf-8-sig") return CsvEncoding::kUtf8;
  if (e == "gbk" || e == "gb18030" || e == "gb2312") return CsvEncoding::kGbk;
  return absl::InvalidArgumentError(
      absl::StrCat("encoding \"", AV(s), "\": expected auto, utf-8 or gbk"));
}

absl::StatusOr<char> ParseCsvDelimiter(std::string_view s) {
  if (s == "," || s == "comma") return ',';
  if (s == ";" || s == "semicolon") return ';';
  if (s == "\t" || s == "\\t" || s == "tab") return '\t';
  return absl::InvalidArgumentError(
      absl::StrCat("delimiter \"", AV(s), "\": expected \",\", \";\" or tab"));
}

absl::StatusOr<std::pair<std::string, std::string>> ParseCsvMap(std::string_view spec) {
  size_t eq = spec.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("map \"", AV(spec), "\": expected COLUMN=SERIES-KEY"));
  }
  auto key = CanonicalSeriesKey(spec.substr(eq + 1));
  if (!key.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("map \"", AV(spec), "\": ", key.status().message()));
  }
  return std::make_pair(Trimmed(spec.substr(0, eq)), *key);
}

struct CsvImporter::Impl {
  Impl(CsvImportOptions o, std::string n)
      : opt(std::move(o)),
        name(std::move(n)),
        reader(opt.delimiter, opt.max_field_bytes),
        decoder(opt.encoding) {}

  absl::Status Rows(PointBatch* out);
  absl::Status Header(const CsvRow& row);
  absl::Status PlanWide(const std::vector<std::string>& header);
  absl::Status PlanLong(const std::vector<std::string>& header);
  absl::StatusOr<int> FindColumn(const std::vector<std::string>& header, std::string_view col,
                                 std::string_view what) const;
  void WideRow(const CsvRow& row, int64_t t, PointBatch* out, std::string* why);
  void LongRow(const CsvRow& row, int64_t t, PointBatch* out, std::string* why);
  absl::StatusOr<std::string> NewMeterKey(const std::string& meter) const;
  const std::string* MeterKey(const std::string& meter, std::string* why);
  void Report(int64_t line, std::string reason);
  bool Ignored(std::string_view col) const;

  CsvImportOptions opt;
  std::string name;
  CsvReader reader;
  csv_internal::Utf8Decoder decoder;
  std::optional<csv_internal::TimeParser> times;
  CsvImportResult result;
  absl::Status failed;  // sticky: after an error the importer reads nothing more
  std::string text;     // decoded, not yet read
  std::vector<CsvRow> rows;
  bool have_header = false;
  size_t fields = 0;  // header width
  int time_col = -1;
  struct Column {
    int index;
    std::string key;
  };
  std::vector<Column> columns;                                               // wide
  int meter_col = -1, value_col = -1, quality_col = -1;                      // long
  absl::flat_hash_map<std::string, absl::StatusOr<std::string>> meter_keys;  // long: cache
  absl::flat_hash_map<std::string, std::string> map;                         // opt.map
};

void CsvImporter::Impl::Report(int64_t line, std::string reason) {
  ++result.bad_rows;
  if (result.errors.size() < opt.max_errors) {
    result.errors.push_back(CsvImportError{line, std::move(reason)});
  }
}

bool CsvImporter::Impl::Ignored(std::string_view col) const {
  for (const auto& i : opt.ignore) {
    if (i == col) return true;
  }
  return false;
}

absl::StatusOr<int> CsvImporter::Impl::FindColumn(const std::vector<std::string>& header,
                                                  std::string_view col,
                                                  std::string_view what) const {
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] == col) return static_cast<int>(i);
  }
  int n;
  if (absl::SimpleAtoi(AV(col), &n) && n >= 1 && static_cast<size_t>(n) <= header.size()) {
    return n - 1;
  }
  return absl::InvalidArgumentError(
      absl::StrCat(name, ":1: header has no ", AV(what), " column \"", AV(col),
                   "\" (columns: ", absl::StrJoin(header, ", "), ")"));
}

absl::Status CsvImporter::Impl::Header(const CsvRow& row) {
  have_header = true;
  std::vector<std::string> header;
  for (const auto& f : row.fields) header.push_back(Trimmed(f));
  fields = header.size();
  auto t = csv_internal::TimeParser::Create(opt);
  if (!t.ok()) return t.status();
  times = std::move(*t);
  for (const auto& [col, key] : opt.map) map[col] = key;
  std::string tc = opt.time_column;
  if (tc.empty()) {
    bool has_time = std::find(header.begin(), header.end(), "time") != header.end();
    tc = has_time || opt.layout == CsvLayout::kLong ? "time" : "1";
  }
  auto c = FindColumn(header, tc, "time");
  if (!c.ok()) return c.status();
  time_col = *c;
  return opt.layout == CsvLayout::kWide ? PlanWide(header) : PlanLong(header);
}

absl::Status CsvImporter::Impl::PlanWide(const std::vector<std::string>& header) {
  for (const auto& [col, key] : opt.map) {
    if (std::find(header.begin(), header.end(), col) == header.end()) {
      return absl::InvalidArgumentError(absl::StrCat(name, ":1: --map names column \"", col,
                                                     "\", which the header does not have"));
    }
  }
  std::vector<std::string> skipped;
  for (size_t i = 0; i < header.size(); ++i) {
    if (static_cast<int>(i) == time_col || Ignored(header[i])) continue;
    auto it = map.find(header[i]);
    if (it != map.end()) {
      columns.push_back({static_cast<int>(i), it->second});
      continue;
    }
    if (opt.key_template.empty()) {
      skipped.push_back(header[i]);
      continue;
    }
    auto key = ExpandTemplate(opt.key_template, header[i], opt.site);
    if (!key.ok()) {
      Report(1, absl::StrCat("column ", i + 1, " \"", header[i], "\": no valid series key: ",
                             key.status().message(), "; column skipped"));
      continue;
    }
    columns.push_back({static_cast<int>(i), *key});
  }
  if (!skipped.empty()) {
    result.notes.push_back(
        absl::StrCat("columns not mapped (skipped): ", absl::StrJoin(skipped, ", ")));
  }
  if (columns.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ":1: no column to import (give --map COLUMN=KEY or a key template)"));
  }
  return absl::OkStatus();
}

absl::Status CsvImporter::Impl::PlanLong(const std::vector<std::string>& header) {
  auto m = FindColumn(header, "meter", "meter");
  if (!m.ok()) return m.status();
  auto v = FindColumn(header, "value", "value");
  if (!v.ok()) return v.status();
  meter_col = *m;
  value_col = *v;
  auto q = std::find(header.begin(), header.end(), "quality");
  if (q != header.end()) quality_col = static_cast<int>(q - header.begin());
  return absl::OkStatus();
}

absl::StatusOr<std::string> CsvImporter::Impl::NewMeterKey(const std::string& meter) const {
  if (auto m = map.find(meter); m != map.end()) return m->second;
  if (opt.known_meters_only) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown meter \"", meter, "\" (not in the site file)"));
  }
  SeriesKeyParts parts{"meter", {{"id", meter}}, "value"};
  if (!opt.site.empty()) parts.tags.emplace_back("site", opt.site);
  std::string key = FormatSeriesKey(parts);
  if (absl::Status s = ValidateSeriesKey(key); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("meter \"", meter, "\": ", s.message()));
  }
  return key;
}

const std::string* CsvImporter::Impl::MeterKey(const std::string& meter, std::string* why) {
  auto it = meter_keys.find(meter);
  if (it == meter_keys.end()) {
    if (meter_keys.size() >= kMaxMeterKeys) meter_keys.clear();  // bounded; only slower
    it = meter_keys.emplace(meter, NewMeterKey(meter)).first;
  }
  if (!it->second.ok()) {
    *why = std::string(it->second.status().message());
    return nullptr;
  }
  return &*it->second;
}

void CsvImporter::Impl::WideRow(const CsvRow& row, int64_t t, PointBatch* out, std::string* why) {
  for (const Column& c : columns) {
    const std::string& cell = row.fields[c.index];
    if (IsMissingCell(cell)) {
      ++result.empty_cells;
      continue;
    }
    double v;
    if (!ParseNumberCell(cell, opt.decimal_comma, &v)) {
      absl::StrAppend(why, why->empty() ? "" : "; ", "column ", c.index + 1, ": \"", Trimmed(cell),
                      "\" is not a number");
      continue;
    }
    out->Add(c.key, t, v);
    ++result.points;
  }
}

void CsvImporter::Impl::LongRow(const CsvRow& row, int64_t t, PointBatch* out, std::string* why) {
  std::string meter = Trimmed(row.fields[meter_col]);
  if (meter.empty()) {
    *why = "empty meter";
    return;
  }
  const std::string* key = MeterKey(meter, why);
  if (key == nullptr) return;
  Quality q = Quality::kGood;
  if (quality_col >= 0) {
    auto parsed = ParseQuality(row.fields[quality_col]);
    if (!parsed.ok()) {
      *why = std::string(parsed.status().message());
      return;
    }
    q = *parsed;
  }
  const std::string& cell = row.fields[value_col];
  if (IsMissingCell(cell)) {
    ++result.empty_cells;
    return;
  }
  double v;
  if (!ParseNumberCell(cell, opt.decimal_comma, &v)) {
    *why = absl::StrCat("value \"", Trimmed(cell), "\" is not a number");
    return;
  }
  out->Add(*key, t, v, q);
  ++result.points;
}

absl::Status CsvImporter::Impl::Rows(PointBatch* out) {
  for (CsvRow& row : rows) {
    if (!have_header) {
      if (absl::Status s = Header(row); !s.ok()) return s;
      continue;
    }
    ++result.rows;
    if (row.fields.size() != fields) {
      Report(row.line, absl::StrCat("has ", row.fields.size(), " fields, the header has ", fields));
      continue;
    }
    auto t = times->Parse(row.fields[time_col]);
    if (!t.ok()) {
      Report(row.line, std::string(t.status().message()));
      continue;
    }
    std::string why;
    if (opt.layout == CsvLayout::kWide) {
      WideRow(row, *t, out, &why);
    } else {
      LongRow(row, *t, out, &why);
    }
    if (!why.empty()) Report(row.line, std::move(why));
  }
  rows.clear();
  return absl::OkStatus();
}

CsvImporter::CsvImporter(CsvImportOptions options, std::string name)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(name))) {}

CsvImporter::~CsvImporter() = default;

absl::Status CsvImporter::Feed(std::string_view bytes, PointBatch* out) {
  Impl& m = *impl_;
  if (!m.failed.ok()) return m.failed;
  m.text.clear();
  absl::Status read = m.decoder.Decode(bytes, false, &m.text);
  if (read.ok()) read = m.reader.Feed(m.text, m.name, &m.rows);
  absl::Status rows = m.Rows(out);  // the rows before a read error are good
  m.failed = read.ok() ? rows : read;
  return m.failed;
}

absl::Status CsvImporter::Finish(PointBatch* out) {
  Impl& m = *impl_;
  if (!m.failed.ok()) return m.failed;
  m.text.clear();
  absl::Status read = m.decoder.Decode({}, true, &m.text);
  if (read.ok()) read = m.reader.Feed(m.text, m.name, &m.rows);
  if (read.ok()) read = m.reader.Finish(m.name, &m.rows);
  absl::Status rows = m.Rows(out);
  m.result.encoding = std::string(m.decoder.encoding());
  if (m.decoder.replaced() > 0) {
    m.result.notes.push_back(absl::StrCat(m.decoder.replaced(), " byte(s) not valid ",
                                          m.result.encoding, " replaced by U+FFFD"));
  }
  if (read.ok() && rows.ok() && !m.have_header) {
    read = absl::InvalidArgumentError(absl::StrCat(m.name, ": empty file (a header is required)"));
  }
  m.failed = read.ok() ? rows : read;
  if (m.failed.ok()) m.failed = absl::FailedPreconditionError(m.name + ": already finished");
  return read.ok() ? rows : read;
}

const CsvImportResult& CsvImporter::result() const { return impl_->result; }

absl::Status ImportCsv(std::string_view text, const CsvImportOptions& options,
                       std::string_view name, PointBatch* out, CsvImportResult* result) {
  CsvImporter importer(options, std::string(name));
  absl::Status s = importer.Feed(text, out);
  if (s.ok()) s = importer.Finish(out);
  *result = importer.result();
  return s;
}

absl::Status ImportCsvFile(Env* env, const std::string& path, const CsvImportOptions& options,
                           const std::function<absl::Status(const PointBatch&)>& write,
                           CsvImportResult* result, size_t batch_points) {
  constexpr size_t kChunk = 1 << 20;
  *result = CsvImportResult();
  auto file = env->NewRandomAccessFile(path);
  if (!file.ok()) {
    return absl::Status(file.status().code(), absl::StrCat(path, ": ", file.status().message()));
  }
  std::string_view bytes = (*file)->Contents();
  CsvImporter importer(options, path);
  PointBatch batch;
  absl::Status s;
  for (size_t at = 0; s.ok(); at += kChunk) {
    s = at < bytes.size() ? importer.Feed(bytes.substr(at, kChunk), &batch)
                          : importer.Finish(&batch);
    // The points before an error in the file are good: they are written too.
    if (batch.size() >= batch_points || at >= bytes.size() || !s.ok()) {
      if (!batch.empty()) {
        absl::Status w = write(batch);
        if (!w.ok()) {
          *result = importer.result();
          return w;
        }
      }
      batch.Clear();
    }
    if (at >= bytes.size()) break;
  }
  *result = importer.result();
  return s;
}

}  // namespace dc
