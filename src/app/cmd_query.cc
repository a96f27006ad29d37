// dualcarbon query: raw points or bucketed aggregates of one or more series, from the store.
#include <algorithm>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "accounting/period.h"
#include "app/commands.h"
#include "app/store_flags.h"
#include "common/csv_writer.h"
#include "common/time.h"

namespace dc::app {
namespace {

struct QueryFlags {
  StoreFlags store;
  std::vector<std::string> series;
  std::string start, end, step = "raw", agg = "mean", tz = "UTC", closed = "left", format = "csv";
  std::string rollover;  // "" = none
};

void Print(const std::string& format, const std::string& series,
           const std::vector<std::pair<int64_t, double>>& pts, const absl::TimeZone& zone,
           bool* first_json) {
  if (format == "csv") {  // rows under the header Query() wrote (common/csv_writer.h)
    std::string key;
    AppendCsvText(series, &key);
    for (const auto& [t, v] : pts) {
      std::cout << key << "," << FormatTime(t, zone) << "," << absl::StrFormat("%.17g", v) << "\n";
    }
    return;
  }
  std::cout << (*first_json ? "" : ",") << "{\"series\":\"";
  for (char c : series) {
    if (c == '"' || c == '\\') std::cout << '\\';
    std::cout << c;
  }
  std::cout << "\",\"points\":[";
  for (size_t i = 0; i < pts.size(); ++i) {
    std::cout << (i ? "," : "") << "[\"" << FormatTime(pts[i].first, zone) << "\","
              << absl::StrFormat("%.17g", pts[i].second) << "]";
  }
  std::cout << "]}";
  *first_json = false;
}

// The value of a parsed flag, or exit 2 with "--flag: <why>".
template <typename T>
absl::StatusOr<T> Flag(const std::string& flag, absl::StatusOr<T> v) {
  if (!v.ok()) {
    std::string msg(v.status().message());
    if (msg.rfind(flag, 0) != 0) msg = flag + ": " + msg;
    Fail("query", absl::InvalidArgumentError(msg), kExitUsage);
  }
  return v;
}

void Run(const QueryFlags& f) {
  auto zone = Flag("--tz", LoadZone(f.tz));
  auto start = Flag("--start", accounting::ParseUserTime(f.start, *zone));
  auto end = Flag("--end", accounting::ParseUserTime(f.end, *zone));
  if (*start >= *end) {
    Fail("query",
         absl::InvalidArgumentError(absl::StrCat("--start ", f.start, " is not before --end ",
                                                 f.end, " (the range is [start, end))")),
         kExitUsage);
  }
  if (f.series.empty() || std::any_of(f.series.begin(), f.series.end(),
                                      [](const std::string& s) { return s.empty(); })) {
    Fail("query", absl::InvalidArgumentError("--series: empty series key"), kExitUsage);
  }
  double rollover = 0;
  if (!f.rollover.empty()) rollover = *Flag("--rollover", ParsePositive("--rollover", f.rollover));
  auto step = Flag("--step", ParseStep(f.step));
  auto agg = Flag("--agg", ParseAgg(f.agg));
  if (f.closed != "left" && f.closed != "right") {
    Fail("query", absl::InvalidArgumentError("--closed must be left or right"), kExitUsage);
  }
  if (f.format != "csv" && f.format != "json") {
    Fail("query", absl::InvalidArgumentError("--format must be csv or json"), kExitUsage);
  }
  auto store = f.store.Open(false, /*create=*/false);
  if (!store.ok()) Fail("query", store.status());
  bool first = true;
  if (f.format == "json") std::cout << "{\"results\":[";
  if (f.format == "csv") std::cout << CsvWriter({"series", "time", "value"}).str();
  for (const auto& s : f.series) {
    std::vector<std::pair<int64_t, double>> pts;
    if (step->unit == Step::Unit::kRaw) {
      auto raw = (*store)->QueryRaw(s, *start, *end);
      if (!raw.ok()) Fail("query", raw.status());
      for (const auto& p : *raw) pts.emplace_back(p.t, p.v);
    } else {
      AggregateRequest r;
      r.series = s;
      r.start = *start;
      r.end = *end;
      r.step = *step;
      r.zone = *zone;
      r.agg = *agg;
      r.closed_right = f.closed == "right";
      r.counter.rollover = rollover;
      auto b = (*store)->Aggregate(r);
      if (!b.ok()) Fail("query", b.status());
      for (const auto& x : *b) pts.emplace_back(x.t, x.v);
    }
    Print(f.format, s, pts, *zone, &first);
  }
  if (f.format == "json") std::cout << "]}\n";
}

}  // namespace

void RegisterQuery(CLI::App& app) {
  auto f = std::make_shared<QueryFlags>();
  auto* cmd = app.add_subcommand("query", "query raw points or bucketed aggregates");
  f->store.Add(cmd, false);
  cmd->add_option("--series", f->series, "series key, e.g. 'meter,id=grid-in value' (repeatable)")
      ->required();
  cmd->add_option("--start", f->start, "start (RFC 3339, or local time in --tz)")->required();
  cmd->add_option("--end", f->end, "end (exclusive with --closed left)")->required();
  cmd->add_option("--step", f->step, "raw | <n>s|m|h fixed | <n>d|w|mo|y calendar")
      ->capture_default_str();
  cmd->add_option("--agg", f->agg, "sum|mean|min|max|count|first|last|increase")
      ->capture_default_str();
  cmd->add_option("--tz", f->tz, "IANA time zone for calendar buckets and output")
      ->capture_default_str();
  cmd->add_option("--closed", f->closed, "left: [a,b) | right: (a,b] for end-stamped data")
      ->capture_default_str();
  cmd->add_option("--rollover", f->rollover,
                  "counter rollover value for increase, > 0 (default: none)");
  cmd->add_option("--format", f->format, "csv | json")->capture_default_str();
  cmd->callback([f] { Run(*f); });
}

}  // namespace dc::app
