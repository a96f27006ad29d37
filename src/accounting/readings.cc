#include "accounting/readings.h"

#include <algorithm>
#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "accounting/inventory.h"
#include "common/series_key.h"
#include "common/strings.h"
#include "common/time.h"
#include "ingest/csv.h"
#include "storage/store.h"

namespace dc::accounting {
namespace {

constexpr size_t kMaxListedBadRows = 20;

}  // namespace

CounterOptions DataSource::CounterOptionsFor(const model::Meter& meter) const {
  CounterOptions opt;
  opt.rollover = meter.rollover;
  if (auto it = swaps_.find(meter.id); it != swaps_.end()) opt.swaps = it->second;
  return opt;
}

std::string MeterSeriesKey(const model::Meter& meter) {
  if (!meter.series.empty()) return meter.series;
  SeriesKeyParts parts;
  parts.measurement = "meter";
  parts.tags = {{"id", meter.id}};
  if (!meter.site.empty()) parts.tags.emplace_back("site", meter.site);  // each site its own
  parts.field = "value";
  return FormatSeriesKey(parts);
}

absl::StatusOr<CsvReadings> CsvReadings::Parse(std::string_view text, std::string_view name,
                                               const model::Site& site,
                                               const absl::TimeZone& zone) {
  auto table = CsvTable::Parse(text, name);
  if (!table.ok()) return table.status();
  CsvReadings r;
  r.name_ = std::string(name);
  for (std::string_view col : {"time", "meter", "value"}) {
    if (table->Column(col) < 0) {
      return absl::InvalidArgumentError(absl::StrCat(AV(name), ":1: header has no \"", AV(col),
                                                     "\" column (expected time,meter,value)"));
    }
  }
  struct Row {
    Sample s;
    int line;
  };
  std::map<std::string, std::vector<Row>, std::less<>> rows;
  size_t bad = 0;
  auto report = [&](int line, const std::string& why) {
    if (++bad <= kMaxListedBadRows) {
      r.warnings_.push_back(absl::StrCat(AV(name), ":", line, ": ", why, "; row ignored"));
    }
  };
  for (const CsvRow& row : table->rows()) {
    std::string meter(absl::StripAsciiWhitespace(AV(table->Get(row, "meter"))));
    std::string_view time_text = table->Get(row, "time");
    std::string value_text(absl::StripAsciiWhitespace(AV(table->Get(row, "value"))));
    const model::Meter* m = site.FindMeter(meter);
    if (!m) {
      report(row.line,
             site.FindVirtual(meter)
                 ? absl::StrCat("meter \"", meter, "\" is virtual (computed from its formula)")
                 : absl::StrCat("unknown meter \"", meter, "\""));
      continue;
    }
    auto t = ParseTime(time_text, zone);
    if (!t.ok()) {
      report(row.line, std::string(t.status().message()));
      continue;
    }
    double v;
    if (value_text.empty() || !absl::SimpleAtod(value_text, &v) || !std::isfinite(v)) {
      report(row.line, absl::StrCat("value \"", value_text, "\" is not a number"));
      continue;
    }
    if (m->kind == model::MeterKind::kInterval && v < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          AV(name), ":", row.line, ": meter \"", meter, "\": negative amount ", value_text,
          " (an interval meter's value is the amount in the "
          "interval and cannot be negative)"));
    }
    rows[meter].push_back(Row{Sample{*t, v, Quality::kGood}, row.line});
    ++r.rows_;
  }
  if (bad > kMaxListedBadRows) {
    r.warnings_.push_back(
        absl::StrCat(AV(name), ": ", bad - kMaxListedBadRows, " more bad rows ignored"));
  }
  for (auto& [meter, list] : rows) {
    std::sort(list.begin(), list.end(), [](const Row& a, const Row& b) {
      return a.s.t != b.s.t ? a.s.t < b.s.t : a.line < b.line;
    });
    std::vector<Sample>& out = r.by_meter_[meter];
    for (size_t i = 0; i < list.size(); ++i) {
      if (i > 0 && list[i].s.t == list[i - 1].s.t) {
        if (list[i].s.v != list[i - 1].s.v) {
          return absl::InvalidArgumentError(absl::StrCat(
              AV(name), ":", list[i].line, ": meter \"", meter, "\" has two different values at ",
              FormatTime(list[i].s.t, zone), " (", FormatNumber(list[i - 1].s.v), " at line ",
              list[i - 1].line, ", ", FormatNumber(list[i].s.v), " here)"));
        }
        r.warnings_.push_back(absl::StrCat(AV(name), ":", list[i].line, ": duplicate of line ",
                                           list[i - 1].line, "; row ignored"));
        continue;
      }
      out.push_back(list[i].s);
    }
  }
  return r;
}

absl::StatusOr<CsvReadings> CsvReadings::ReadFile(const std::string& path, const model::Site& site,
                                                  const absl::TimeZone& zone) {
  auto text = ReadTextFile(path);
  if (!text.ok()) return text.status();
  return Parse(*text, path, site, zone);
}

absl::StatusOr<std::vector<Sample>> CsvReadings::Read(const model::Meter& meter, int64_t, int64_t) {
  auto it = by_meter_.find(meter.id);
  if (it == by_meter_.end()) return std::vector<Sample>{};
  return it->second;
}

StoreReadings::StoreReadings(Store& store, std::string describe, int64_t margin_ns)
    : store_(store), describe_(std::move(describe)), margin_ns_(margin_ns) {}

absl::StatusOr<std::vector<Sample>> StoreReadings::Read(const model::Meter& meter, int64_t start,
                                                        int64_t end) {
  std::string key = MeterSeriesKey(meter);
  // QueryRaw is [a, b): intervals need (start, end] = [start + 1, end + 1).
  int64_t a = start + 1, b = end + 1;
  if (meter.kind == model::MeterKind::kCounter || meter.integrate != model::Integration::kNone) {
    a = start - margin_ns_;
    b = end + margin_ns_;
  }
  auto samples = store_.QueryRaw(key, a, b);
  if (!samples.ok()) {
    return absl::Status(
        samples.status().code(),
        absl::StrCat("meter \"", meter.id, "\" (series ", key, "): ", samples.status().message()));
  }
  return samples;
}

absl::StatusOr<bool> StoreReadings::IntervalSums(const model::Meter& meter,
                                                 const std::vector<int64_t>& bounds,
                                                 IntervalStats* out) {
  std::string key = MeterSeriesKey(meter);
  size_t n = bounds.size() - 1;
  out->sum.assign(n, 0);
  out->min.assign(n, 0);
  out->count.assign(n, 0);
  for (size_t k = 0; k < n; ++k) {
    AggregateRequest req;
    req.series = key;
    req.start = bounds[k];
    req.end = bounds[k + 1];
    // One bucket spanning the whole sub-interval: a fixed step longer than any period, aligned to
    // the epoch, clipped to (start, end].
    req.step = Step{Step::Unit::kFixed, int64_t{1} << 62};
    req.closed_right = true;
    for (Agg agg : {Agg::kSum, Agg::kCount, Agg::kMin}) {
      req.agg = agg;
      auto b = store_.Aggregate(req);
      if (!b.ok()) {
        return absl::Status(b.status().code(), absl::StrCat("meter \"", meter.id, "\" (series ",
                                                            key, "): ", b.status().message()));
      }
      double v = 0;
      for (const Bucket& x : *b) v += x.v;
      if (agg == Agg::kSum) out->sum[k] = v;
      if (agg == Agg::kCount) out->count[k] = static_cast<int64_t>(v);
      if (agg == Agg::kMin) out->min[k] = b->empty() ? 0 : b->front().v;
    }
  }
  return true;
}

absl::StatusOr<bool> StoreReadings::CounterIncrease(const model::Meter& meter,
                                                    const std::vector<int64_t>& bounds,
                                                    CounterResult* out) {
  // Read() takes [start - margin, end + margin); with no margin the store would look for
  // neighbours at any distance, which Read() does not.
  if (margin_ns_ <= 0 || bounds.empty()) return false;
  std::string key = MeterSeriesKey(meter);
  auto r = store_.CounterIncrease(key, bounds, CounterOptionsFor(meter), margin_ns_);
  if (!r.ok()) {
    return absl::Status(r.status().code(), absl::StrCat("meter \"", meter.id, "\" (series ", key,
                                                        "): ", r.status().message()));
  }
  *out = std::move(*r);
  return true;
}

}  // namespace dc::accounting
