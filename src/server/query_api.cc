// GET and POST /api/v1/query: the request parsed (params.h), checked against the token's scope
// (scope.h, ScopeQuery), its series listed or selected by tags, and the answer in JSON or CSV.
#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/csv_writer.h"
#include "common/series_key.h"
#include "common/strings.h"
#include "nlohmann/json.hpp"
#include "server/api.h"
#include "server/events_api.h"
#include "server/scope.h"
#include "server/time_format.h"

namespace dc::server {
namespace {

void AppendDouble(double v, std::string* out) {
  if (!std::isfinite(v)) {
    out->append("null");
    return;
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, r.ptr);
}

bool ContainsIgnoreCase(std::string_view haystack, std::string_view needle) {
  auto it =
      std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                  [](char a, char b) { return absl::ascii_tolower(a) == absl::ascii_tolower(b); });
  return it != haystack.end();
}

// A substring every key the selection chooses contains, to narrow Store::ListSeries: a tag as
// the canonical key spells it (",tag=value"), else the field (" field"), else the measurement.
std::string SelectionHint(const SeriesSelection& sel) {
  std::string hint;
  if (!sel.tags.empty()) {
    hint.push_back(',');
    AppendEscapedTag(sel.tags.front().first, &hint);
    hint.push_back('=');
    AppendEscapedTag(sel.tags.front().second, &hint);
  } else if (!sel.field.empty()) {
    hint.push_back(' ');
    AppendEscapedTag(sel.field, &hint);
  } else {
    AppendEscapedMeasurement(sel.measurement, &hint);
  }
  return hint;
}

// The answer, series by series: {"results":[{"series":K,"points":[[t,v],...]},...]} or CSV
// rows "series,time,value[,quality]" under a header row, after a UTF-8 BOM (common/csv_writer.h).
// A query may be written in parts (one per worker, RunQuery): the first part opens the answer,
// the others continue it, and Finish closes the joined text.
class QueryWriter {
 public:
  QueryWriter(const QuerySpec& spec, bool csv, bool first_part, std::string* out)
      : spec_(spec),
        csv_(csv),
        raw_(spec.step.unit == Step::Unit::kRaw),
        out_(*out),
        results_(first_part ? 0 : 1) {
    if (!first_part) return;
    if (csv_) {
      out_.assign(kUtf8Bom);
      out_ += raw_ ? R"("series","time","value","quality")" : R"("series","time","value")";
      out_ += '\n';
    } else {
      out_ = "{\"results\":[";
    }
  }
  void Add(const std::string& key, const std::vector<Sample>& points) {
    csv_ ? AddCsv(key, points) : AddJson(key, points);
  }
  static void Finish(bool csv, std::string* out) {
    if (!csv) *out += "]}\n";
  }

 private:
  // The j-th time of a series. Series of one aggregate share their bucket times, so the text of
  // the times is kept from the first series and copied for the others.
  void AppendTime(size_t j, int64_t t, bool quoted) {
    if (quoted) out_.push_back('"');
    if (j < times_.size() && times_[j].t == t) {
      out_.append(time_text_, times_[j].pos, times_[j].len);
    } else {
      const size_t pos = out_.size();
      if (spec_.epoch_ms) {
        absl::StrAppend(&out_, t / 1'000'000);
      } else {
        AppendRfc3339(t, spec_.zone, &out_);
      }
      if (j == times_.size() && j < kMaxCachedTimes) {
        times_.push_back(CachedTime{t, time_text_.size(), out_.size() - pos});
        time_text_.append(out_, pos, out_.size() - pos);
      }
    }
    if (quoted) out_.push_back('"');
  }
  void AddCsv(const std::string& key, const std::vector<Sample>& points) {
    std::string quoted;
    AppendCsvText(key, &quoted);
    for (size_t j = 0; j < points.size(); ++j) {
      const Sample& p = points[j];
      out_ += quoted;
      out_.push_back(',');
      AppendTime(j, p.t, false);
      out_.push_back(',');
      AppendDouble(p.v, &out_);
      if (raw_) absl::StrAppend(&out_, ",", static_cast<int>(p.q));
      out_.push_back('\n');
    }
  }
  void AddJson(const std::string& key, const std::vector<Sample>& points) {
    if (results_++ > 0) out_.push_back(',');
    out_ += "{\"series\":";
    AppendJsonString(key, &out_);
    out_ += ",\"points\":[";
    for (size_t j = 0; j < points.size(); ++j) {
      const Sample& p = points[j];
      out_ += j == 0 ? "[" : ",[";
      AppendTime(j, p.t, !spec_.epoch_ms);
      out_.push_back(',');
      AppendDouble(p.v, &out_);
      // Raw points carry their quality when it is not good: [t, v, q] (1 uncertain, 2 bad).
      if (p.q != Quality::kGood) absl::StrAppend(&out_, ",", static_cast<int>(p.q));
      out_.push_back(']');
    }
    out_ += "]}";
  }

  struct CachedTime {
    int64_t t;
    size_t pos, len;
  };
  static constexpr size_t kMaxCachedTimes = 1 << 16;
  const QuerySpec& spec_;
  const bool csv_;
  const bool raw_;
  std::string& out_;
  size_t results_;
  std::vector<CachedTime> times_;
  std::string time_text_;
};

// Reserves room in *out for `series` more series the size of one just written (`one` bytes),
// plus a margin: the series of one aggregate query have similar answers, so a large answer
// is written without growing (copying) its text, and the first part, which the others are
// appended to, has room for them all. A wrong guess only costs the growth it would have had.
void ReserveLike(size_t one, size_t series, std::string* out) {
  const size_t want = out->size() + one * series + one * series / 16 + 64;
  if (want > out->capacity() && want < (size_t{1} << 32)) out->reserve(want);
}

// Series per worker thread: a query of fewer is answered on the handler's thread alone.
constexpr size_t kSeriesPerWorker = 64;
constexpr size_t kMaxWorkers = 4;

}  // namespace

absl::StatusOr<std::vector<Sample>> Api::QueryPoints(const QuerySpec& spec,
                                                     const std::string& key) {
  if (spec.step.unit == Step::Unit::kRaw) return store_.QueryRaw(key, spec.start, spec.end);
  AggregateRequest ar;
  ar.series = key;
  ar.start = spec.start;
  ar.end = spec.end;
  ar.step = spec.step;
  ar.zone = spec.zone;
  ar.agg = spec.agg;
  ar.closed_right = spec.closed_right;
  if (spec.agg == Agg::kIncrease) {
    // The rollover and meter swaps of the site meter that reads this series, if any.
    auto opt = CounterOptionsOfSeries(options_.sites, options_.meter_events, key);
    if (!opt.ok()) return opt.status();
    ar.counter = std::move(*opt);
  }
  auto agg = store_.Aggregate(ar);
  if (!agg.ok()) return agg.status();
  std::vector<Sample> points;
  points.reserve(agg->size());
  for (const Bucket& b : *agg) points.push_back(Sample{b.t, b.v, Quality::kGood});
  return points;
}

absl::StatusOr<std::vector<std::string>> Api::SelectSeries(const QuerySpec& spec) {
  if (!spec.selection.any()) return spec.series;
  std::vector<std::string> keys = store_.ListSeries(SelectionHint(spec.selection));
  std::erase_if(keys, [&](const std::string& k) { return !SelectionMatches(spec.selection, k); });
  if (keys.size() > kMaxQuerySeries) {
    return absl::InvalidArgumentError(
        absl::StrCat("the selection matches ", keys.size(), " series (at most ", kMaxQuerySeries,
                     " in one query): narrow it with where=TAG=VALUE, measurement= or field="));
  }
  return keys;  // ListSeries sorts them
}

// The series are answered by up to kMaxWorkers threads, each writing the answer of a run of
// consecutive series into its own text; the texts are joined in series order.
absl::Status Api::RunQuery(QuerySpec& spec, const HttpRequest& req, HttpResponse& res) {
  auto t0 = std::chrono::steady_clock::now();
  if (absl::Status s = ScopeQuery(req.token, &spec); !s.ok()) return s;
  auto keys = SelectSeries(spec);
  if (!keys.ok()) return keys.status();
  const bool csv =
      spec.format ? *spec.format == QueryFormat::kCsv : ContainsIgnoreCase(req.accept, "text/csv");
  const size_t n = keys->size();
  const size_t workers =
      std::clamp<size_t>(std::min<size_t>(std::thread::hardware_concurrency(),
                                          (n + kSeriesPerWorker - 1) / kSeriesPerWorker),
                         1, kMaxWorkers);
  const size_t limit = options_.max_body_bytes * 4;
  std::vector<std::string> parts(workers);
  std::vector<absl::Status> errors(workers);
  std::atomic<size_t> total{0};
  std::atomic<bool> failed{false};
  auto run = [&](size_t w) {
    QueryWriter writer(spec, csv, w == 0, &parts[w]);
    const size_t first = n * w / workers, last = n * (w + 1) / workers;
    for (size_t i = first; i < last && !failed; ++i) {
      if (total.load() > limit) {
        errors[w] =
            absl::ResourceExhaustedError("query result too large; narrow the range or use a step");
        failed = true;
        return;
      }
      auto points = QueryPoints(spec, (*keys)[i]);
      if (!points.ok()) {
        errors[w] = points.status();
        failed = true;
        return;
      }
      const size_t before = parts[w].size();
      writer.Add((*keys)[i], *points);
      total += parts[w].size() - before;
      if (i == first) ReserveLike(parts[w].size() - before, w == 0 ? n - i : last - i, &parts[w]);
    }
  };
  std::vector<std::thread> threads;
  for (size_t w = 1; w < workers; ++w) threads.emplace_back(run, w);
  run(0);
  for (std::thread& t : threads) t.join();
  for (const absl::Status& e : errors) {
    if (!e.ok()) return e;
  }
  res.body = std::move(parts[0]);
  res.body.reserve(total.load() + 64);
  for (size_t w = 1; w < workers; ++w) res.body += parts[w];
  QueryWriter::Finish(csv, &res.body);
  res.content_type = csv ? "text/csv; charset=utf-8" : "application/json";
  metrics_.ObserveQuery(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  return absl::OkStatus();
}

absl::Status Api::Query(HttpRequest& req, HttpResponse& res) {
  auto spec = ParseQuerySpec(req.params, req.received_ns);
  if (!spec.ok()) return spec.status();
  return RunQuery(*spec, req, res);
}

absl::Status Api::QueryPost(HttpRequest& req, HttpResponse& res) {
  if (!req.content_type.empty() &&
      !absl::StartsWithIgnoreCase(AV(req.content_type), "application/json")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "POST /api/v1/query takes a JSON object (Content-Type: application/json), not \"",
        AV(req.content_type), "\""));
  }
  for (const auto& [name, value] : req.params.items()) {
    if (name == "u" || name == "p") continue;  // InfluxDB-style credentials (server.cc)
    return absl::InvalidArgumentError(absl::StrCat(
        "POST /api/v1/query takes its parameters in the JSON body, not in the URL (got \"", name,
        "\")"));
  }
  auto spec = ParseQueryBody(*req.body, req.received_ns);
  if (!spec.ok()) return spec.status();
  return RunQuery(*spec, req, res);
}

}  // namespace dc::server
