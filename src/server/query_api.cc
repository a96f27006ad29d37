// GET and POST /api/v1/query: the request parsed (params.h), checked against the token's scope
// (scope.h, ScopeQuery), its series listed or selected by tags, and the answer in JSON or CSV.
#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
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

// Writes v as JSON (shortest round-trip digits; null if not finite) at w, at most 24 chars;
// returns the end.
char* WriteDouble(double v, char* w) {
  if (!std::isfinite(v)) {
    std::memcpy(w, "null", 4);
    return w + 4;
  }
  return std::to_chars(w, w + 24, v).ptr;
}

void AppendDouble(double v, std::string* out) {
  char buf[24];
  out->append(buf, WriteDouble(v, buf));
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
  std::string_view TimeText(size_t j, int64_t t) {
    if (j < times_.size() && times_[j].t == t) {
      return std::string_view(time_text_).substr(times_[j].pos, times_[j].len);
    }
    std::string* text = &scratch_;
    if (j == times_.size() && j < kMaxCachedTimes) {
      times_.push_back(CachedTime{t, time_text_.size(), 0});
      text = &time_text_;
    } else {
      scratch_.clear();
    }
    const size_t pos = text->size();
    if (spec_.epoch_ms) {
      absl::StrAppend(text, t / 1'000'000);
    } else {
      AppendRfc3339(t, spec_.zone, text);
    }
    if (text == &time_text_) times_.back().len = text->size() - pos;
    return std::string_view(*text).substr(pos);
  }
  void AddCsv(const std::string& key, const std::vector<Sample>& points) {
    std::string quoted;
    AppendCsvText(key, &quoted);
    for (size_t j = 0; j < points.size(); ++j) {
      const Sample& p = points[j];
      out_ += quoted;
      out_.push_back(',');
      out_ += TimeText(j, p.t);
      out_.push_back(',');
      AppendDouble(p.v, &out_);
      if (raw_) absl::StrAppend(&out_, ",", static_cast<int>(p.q));
      out_.push_back('\n');
    }
  }
  // The points are written through a raw pointer into room made ahead in out_ (an aggregate
  // of 2,000 meters for a year is 730,000 of them: appending piece by piece was a third of the
  // answer's cost).
  void AddJson(const std::string& key, const std::vector<Sample>& points) {
    if (results_++ > 0) out_.push_back(',');
    out_ += "{\"series\":";
    AppendJsonString(key, &out_);
    out_ += ",\"points\":[";
    const bool quoted = !spec_.epoch_ms;
    size_t used = out_.size();
    for (size_t j = 0; j < points.size(); ++j) {
      const Sample& p = points[j];
      const std::string_view time = TimeText(j, p.t);
      // ",[" time "," value ",q" "]", the time quoted: at most 2 + 2 + 1 + 24 + 2 + 1.
      const size_t most = time.size() + 32;
      if (out_.size() - used < most) out_.resize(std::max(used + most + 4096, out_.size()));
      char* w = out_.data() + used;
      if (j > 0) *w++ = ',';
      *w++ = '[';
      if (quoted) *w++ = '"';
      std::memcpy(w, time.data(), time.size());
      w += time.size();
      if (quoted) *w++ = '"';
      *w++ = ',';
      w = WriteDouble(p.v, w);
      // Raw points carry their quality when it is not good: [t, v, q] (1 uncertain, 2 bad).
      if (p.q != Quality::kGood) {
        *w++ = ',';
        *w++ = static_cast<char>('0' + static_cast<int>(p.q));
      }
      *w++ = ']';
      used = static_cast<size_t>(w - out_.data());
    }
    out_.resize(used);
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
  std::string scratch_;  // a time not cached
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
