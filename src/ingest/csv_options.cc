// The text form of CsvImportOptions (csv_import.h): one table of options for the CLI, the API
// and the watched folder.
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/strings.h"
#include "common/time.h"
#include "ingest/csv_import.h"

namespace dc {
namespace {

absl::StatusOr<bool> ParseBool(std::string_view v) {
  std::string s = absl::AsciiStrToLower(AV(v));
  if (s == "true" || s == "1" || s == "yes" || s == "on" || s.empty()) return true;
  if (s == "false" || s == "0" || s == "no" || s == "off") return false;
  return absl::InvalidArgumentError(absl::StrCat("\"", AV(v), "\" is not true or false"));
}

using Setter = absl::Status (*)(std::string_view v, CsvImportOptions* o);

struct Option {
  std::string_view name;
  Setter set;
};

absl::Status SetBool(std::string_view v, bool* b) {
  auto p = ParseBool(v);
  if (!p.ok()) return p.status();
  *b = *p;
  return absl::OkStatus();
}

const Option kOptions[] = {
    {"format",
     [](std::string_view v, CsvImportOptions* o) {
       auto l = ParseCsvLayout(v);
       if (!l.ok()) return l.status();
       o->layout = *l;
       return absl::OkStatus();
     }},
    {"delimiter",
     [](std::string_view v, CsvImportOptions* o) {
       auto d = ParseCsvDelimiter(v);
       if (!d.ok()) return d.status();
       o->delimiter = *d;
       return absl::OkStatus();
     }},
    {"decimal_comma",
     [](std::string_view v, CsvImportOptions* o) { return SetBool(v, &o->decimal_comma); }},
    {"encoding",
     [](std::string_view v, CsvImportOptions* o) {
       auto e = ParseCsvEncoding(v);
       if (!e.ok()) return e.status();
       o->encoding = *e;
       return absl::OkStatus();
     }},
    {"time_column",
     [](std::string_view v, CsvImportOptions* o) {
       o->time_column = std::string(v);
       return absl::OkStatus();
     }},
    {"time_format",
     [](std::string_view v, CsvImportOptions* o) {
       o->time_format = std::string(v);
       return absl::OkStatus();
     }},
    {"dayfirst", [](std::string_view v, CsvImportOptions* o) { return SetBool(v, &o->dayfirst); }},
    {"midnight_ends_day",
     [](std::string_view v, CsvImportOptions* o) { return SetBool(v, &o->midnight_ends_day); }},
    {"tz",
     [](std::string_view v, CsvImportOptions* o) {
       auto z = LoadZone(v);
       if (!z.ok()) return z.status();
       o->zone = *z;
       return absl::OkStatus();
     }},
    {"site",
     [](std::string_view v, CsvImportOptions* o) {
       o->site = std::string(v);
       return absl::OkStatus();
     }},
    {"map",
     [](std::string_view v, CsvImportOptions* o) {
       auto m = ParseCsvMap(v);
       if (!m.ok()) return m.status();
       o->map.push_back(std::move(*m));
       return absl::OkStatus();
     }},
    {"key_template",
     [](std::string_view v, CsvImportOptions* o) {
       o->key_template = std::string(v);
       return absl::OkStatus();
     }},
    {"ignore",
     [](std::string_view v, CsvImportOptions* o) {
       for (absl::string_view c : absl::StrSplit(AV(v), ',', absl::SkipWhitespace())) {
         o->ignore.emplace_back(absl::StripAsciiWhitespace(c));
       }
       return absl::OkStatus();
     }},
};

}  // namespace

absl::Status SetCsvImportOption(std::string_view name, std::string_view value,
                                CsvImportOptions* options) {
  std::string_view n = name == "layout" ? std::string_view("format") : name;
  for (const Option& o : kOptions) {
    if (o.name != n) continue;
    absl::Status s = o.set(value, options);
    if (s.ok()) return s;
    return absl::InvalidArgumentError(absl::StrCat(AV(name), ": ", s.message()));
  }
  std::string known;
  for (const Option& o : kOptions) absl::StrAppend(&known, known.empty() ? "" : ", ", AV(o.name));
  return absl::InvalidArgumentError(
      absl::StrCat("unknown import option \"", AV(name), "\" (known: ", known, ")"));
}

const std::vector<std::string_view>& CsvImportOptionNames() {
  static const auto* names = [] {
    auto* v = new std::vector<std::string_view>;
    for (const Option& o : kOptions) v->push_back(o.name);
    return v;
  }();
  return *names;
}

}  // namespace dc
