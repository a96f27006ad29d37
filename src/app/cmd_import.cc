// dualcarbon import: loads InfluxDB line-protocol files and CSV readings (long or wide,
// docs/import.md) into the embedded store.
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "accounting/csv.h"
#include "accounting/readings.h"
#include "app/commands.h"
#include "app/store_flags.h"
#include "common/env.h"
#include "common/strings.h"
#include "ingest/csv_import.h"
#include "ingest/line_protocol.h"
#include "model/site.h"

namespace dc::app {
namespace {

struct ImportFlags {
  StoreFlags store;
  std::string format = "lp";
  std::string precision = "ns";
  std::vector<std::string> files;
  // CSV (csv/long, wide): flag name -> values, applied with SetCsvImportOption.
  std::map<std::string, std::vector<std::string>> csv;
  std::vector<std::string> csv_bools;  // --dayfirst, --decimal-comma, --midnight-ends-day
  std::string site_file, map_file;
  size_t show_errors = 20;
};

// OK when `path` names a readable regular file (streamed later, so not read here).
absl::Status CheckInputFile(const std::string& path) {
  Env* env = Env::Default();
  if (path.empty()) return absl::InvalidArgumentError("FILE: empty file name");
  if (!env->FileExists(path)) return absl::NotFoundError(path + ": no such file");
  if (env->GetChildren(path).ok()) {
    return absl::InvalidArgumentError(path + ": is a directory, expected a line-protocol file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::PermissionDeniedError(path + ": cannot open for reading");
  return absl::OkStatus();
}

// Parses and writes one file in chunks of whole lines; returns points written.
size_t ImportFile(Store* store, const std::string& path, const LpOptions& lp, size_t* bad_lines) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Fail("import", absl::NotFoundError(path + ": cannot open"));
  constexpr size_t kChunk = 8 << 20;
  std::string buf, carry;
  size_t points = 0, line_base = 0;
  PointBatch batch;
  while (true) {
    buf.assign(carry);
    carry.clear();
    size_t old = buf.size();
    buf.resize(old + kChunk);
    in.read(buf.data() + old, static_cast<std::streamsize>(kChunk));
    buf.resize(old + static_cast<size_t>(in.gcount()));
    if (in.bad()) Fail("import", absl::DataLossError(path + ": read error"));
    bool eof = in.gcount() == 0 || !in;
    if (!eof) {
      size_t nl = buf.rfind('\n');
      if (nl == std::string::npos) {
        carry.swap(buf);
        continue;
      }
      carry.assign(buf, nl + 1);
      buf.resize(nl + 1);
    }
    batch.Clear();
    LpResult r = ParseLineProtocol(buf, lp, &batch);
    for (const auto& e : r.errors) {
      std::cerr << path << ": line " << (line_base + e.line) << ", column " << e.column << ": "
                << e.message << "\n";
    }
    *bad_lines += r.error_count;
    line_base += static_cast<size_t>(std::count(buf.begin(), buf.end(), '\n'));
    absl::Status s = store->Write(batch);
    if (!s.ok()) Fail("import", absl::Status(s.code(), path + ": " + std::string(s.message())));
    points += batch.size();
    if (eof) break;
  }
  return points;
}

// The CSV options of the flags: the site file first (site id, zone, meter series), then the
// flags in a fixed order (a later --tz overrides the site's zone).
CsvImportOptions CsvOptions(const ImportFlags& f) {
  CsvImportOptions o;
  if (auto s = SetCsvImportOption("format", f.format, &o); !s.ok()) Fail("import", s, kExitUsage);
  if (!f.site_file.empty()) {
    auto site = model::LoadSiteFile(f.site_file);
    if (!site.ok()) Fail("import", site.status(), kExitUsage);
    o.site = site->id;
    auto zone = LoadZone(site->timezone);
    if (!zone.ok()) Fail("import", zone.status(), kExitUsage);
    o.zone = *zone;
    if (o.layout == CsvLayout::kLong) {
      for (const auto& m : site->meters) o.map.emplace_back(m.id, accounting::MeterSeriesKey(m));
      o.known_meters_only = true;
    }
  }
  if (!f.map_file.empty()) {
    auto text = accounting::ReadTextFile(f.map_file, "a mapping file (COLUMN=KEY lines)");
    if (!text.ok()) Fail("import", text.status(), kExitUsage);
    int line = 0;
    for (absl::string_view l : absl::StrSplit(*text, '\n')) {
      ++line;
      l = absl::StripAsciiWhitespace(l);
      if (l.empty() || l[0] == '#') continue;
      if (auto s = SetCsvImportOption("map", SV(l), &o); !s.ok()) {
        Fail("import",
             absl::InvalidArgumentError(absl::StrCat(f.map_file, ":", line, ": ", s.message())),
             kExitUsage);
      }
    }
  }
  for (const auto& [name, values] : f.csv) {
    for (const auto& v : values) {
      if (auto s = SetCsvImportOption(name, v, &o); !s.ok()) Fail("import", s, kExitUsage);
    }
  }
  for (const auto& name : f.csv_bools) {
    if (auto s = SetCsvImportOption(name, "true", &o); !s.ok()) Fail("import", s, kExitUsage);
  }
  return o;
}

// Imports one CSV file; prints its bad rows (the first `show`); returns points written.
size_t ImportCsvOne(Store* store, const std::string& path, const CsvImportOptions& o, size_t show,
                    size_t* bad_rows, bool* failed) {
  CsvImportResult r;
  absl::Status s = ImportCsvFile(
      Env::Default(), path, o, [&](const PointBatch& b) { return store->Write(b); }, &r);
  for (size_t i = 0; i < r.errors.size() && i < show; ++i) {
    std::cerr << path << ":" << r.errors[i].line << ": " << r.errors[i].reason << "; row skipped\n";
  }
  if (r.bad_rows > show) std::cerr << path << ": " << r.bad_rows - show << " more bad rows\n";
  for (const auto& n : r.notes) std::cerr << path << ": " << n << "\n";
  if (!s.ok()) {
    if (StorageFaultOf(s) != StorageFault::kNone) Fail("import", s);
    std::cerr << "dualcarbon import: " << s.message() << "\n";
    *failed = true;
  }
  std::cout << path << ": " << r.points << " points from " << r.rows << " rows (" << r.encoding
            << "); " << r.bad_rows << " bad rows, " << r.empty_cells << " empty cells skipped\n";
  *bad_rows += r.bad_rows;
  return r.points;
}

void RunImport(const ImportFlags& f) {
  bool lp = f.format == "lp";
  if (!lp && f.format != "csv" && f.format != "long" && f.format != "wide") {
    Fail("import",
         absl::InvalidArgumentError("--format " + f.format +
                                    ": unsupported (supported: lp, csv (= long), wide)"),
         kExitUsage);
  }
  if (lp && (!f.csv.empty() || !f.csv_bools.empty() || !f.site_file.empty())) {
    Fail("import", absl::InvalidArgumentError("the CSV options need --format csv or wide"),
         kExitUsage);
  }
  auto prec = ParsePrecision(f.precision);
  if (!prec.ok()) Fail("import", prec.status(), kExitUsage);
  CsvImportOptions csv;
  if (!lp) csv = CsvOptions(f);
  // Every file is checked before the store is opened (or created).
  for (const auto& file : f.files) {
    if (auto s = CheckInputFile(file); !s.ok()) Fail("import", s);
  }
  auto store = f.store.Open(false, /*create=*/true);
  if (!store.ok()) Fail("import", store.status());
  LpOptions lpo;
  lpo.precision = *prec;
  lpo.default_time_ns = Env::Default()->NowNanos();
  size_t total = 0, bad = 0;
  bool failed = false;
  for (const auto& file : f.files) {
    total += lp ? ImportFile(store->get(), file, lpo, &bad)
                : ImportCsvOne(store->get(), file, csv, f.show_errors, &bad, &failed);
  }
  absl::Status s = (*store)->Flush();
  if (!s.ok()) Fail("import", s);
  std::cout << "imported " << total << " points from " << f.files.size() << " file(s)";
  if (bad) std::cout << "; " << bad << (lp ? " bad line(s)" : " bad row(s)") << " skipped";
  std::cout << "\n";
  // Line protocol: any bad line fails (as before). CSV: fails when nothing was good.
  if (lp ? bad > 0 : (total == 0 || failed)) throw CLI::RuntimeError(kExitFailure);
}

}  // namespace

void RegisterImport(CLI::App& app) {
  auto flags = std::make_shared<ImportFlags>();
  auto* cmd = app.add_subcommand(
      "import", "load line-protocol or CSV files (long or wide, docs/import.md) into the store");
  flags->store.Add(cmd, false);
  cmd->add_option("--format", flags->format,
                  "input format: lp (InfluxDB line protocol), csv (= long: time,meter,value), "
                  "wide (a time column and one column per series)")
      ->capture_default_str();
  cmd->add_option("--precision", flags->precision, "lp: timestamp precision: ns, us, ms, s")
      ->capture_default_str();
  struct CsvFlag {
    const char* flag;
    const char* name;
    const char* help;
  };
  static constexpr CsvFlag kValues[] = {
      {"--delimiter", "delimiter", "csv: field delimiter: , ; or tab (default ,)"},
      {"--encoding", "encoding", "csv: auto (default: BOM or valid UTF-8, else GBK), utf-8, gbk"},
      {"--time-column", "time_column", "csv: time column name or 1-based number"},
      {"--time-format", "time_format",
       "csv: auto (RFC 3339, YYYY-MM-DD HH:MM[:SS], dd/mm/yyyy, epoch), epoch_s|ms|us|ns, or a "
       "strptime format such as '%d/%m/%Y %H:%M'"},
      {"--tz", "tz", "csv: zone of times without offset (default: the site's, else UTC)"},
      {"--site-id", "site", "csv: site id ({site} in the key template, default keys)"},
      {"--map", "map", "csv: COLUMN=SERIES-KEY (wide) or METER=SERIES-KEY (long); repeatable"},
      {"--key-template", "key_template",
       "wide: key of unmapped columns, e.g. 'meter,id={column},site={site} value' (default: "
       "unmapped columns are skipped)"},
      {"--ignore", "ignore", "csv: column not to import; repeatable"},
  };
  for (const CsvFlag& c : kValues) {
    cmd->add_option_function<std::vector<std::string>>(
        c.flag,
        [flags, name = c.name](const std::vector<std::string>& v) {
          auto& list = flags->csv[name];
          list.insert(list.end(), v.begin(), v.end());
        },
        c.help);
  }
  static constexpr CsvFlag kBools[] = {
      {"--dayfirst", "dayfirst", "csv: dd/mm/yyyy dates (auto time format)"},
      {"--decimal-comma", "decimal_comma", "csv: ',' is the decimal point (3,17)"},
      {"--midnight-ends-day", "midnight_ends_day",
       "csv: a time of 00:00 is 24:00, the midnight ending its date (UCI steel file)"},
  };
  for (const CsvFlag& c : kBools) {
    cmd->add_flag_callback(
        c.flag, [flags, name = c.name] { flags->csv_bools.push_back(name); }, c.help);
  }
  cmd->add_option("--site", flags->site_file,
                  "csv: site file: its id and zone; long layout: its meters' series (others are "
                  "bad rows)");
  cmd->add_option("--map-file", flags->map_file, "csv: file of COLUMN=SERIES-KEY lines");
  cmd->add_option("--show-errors", flags->show_errors, "csv: bad rows printed per file")
      ->capture_default_str();
  cmd->add_option("files", flags->files, "files to import")->required();
  cmd->callback([flags] { RunImport(*flags); });
}

}  // namespace dc::app
