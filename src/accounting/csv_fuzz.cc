// libFuzzer target: readings CSV. Any bytes give rows or an error naming the file and line;
// rows written back (every field quoted) parse to the same fields; CsvReadings over a small
// site gives sorted samples with one value per time, or an error.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "accounting/readings.h"
#include "ingest/csv.h"
#include "model/site.h"

namespace {

std::string Quoted(const std::vector<dc::CsvRow>& rows) {
  std::string out;
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.fields.size(); ++i) {
      if (i) out += ',';
      out += '"';
      for (char c : r.fields[i]) {
        if (c == '"') out += '"';
        out += c;
      }
      out += '"';
    }
    out += '\n';
  }
  return out;
}

const dc::model::Site& FuzzSite() {
  static const auto* site = new dc::model::Site(*dc::model::ParseSite(R"toml([site]
id = "f"
[[meter]]
id = "grid-in"
carrier = "electricity"
kind = "counter"
unit = "kWh"
rollover = 1000000
[[meter]]
id = "coal"
carrier = "bituminous_coal"
kind = "interval"
unit = "t"
[[meter]]
id = "steam"
carrier = "steam"
kind = "gauge"
unit = "t"
[[virtual_meter]]
id = "net"
formula = "grid-in - 1"
)toml",
                                                                      "fuzz-site.toml"));
  return *site;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto rows = dc::ParseCsv(text, "r.csv");
  if (!rows.ok()) {
    if (rows.status().message().substr(0, 6) != "r.csv:") std::abort();
  } else {
    int line = 0;
    for (const auto& r : *rows) {
      if (r.line <= line || r.fields.empty()) std::abort();
      line = r.line;
    }
    auto again = dc::ParseCsv(Quoted(*rows), "q.csv");
    if (!again.ok() || again->size() != rows->size()) std::abort();
    for (size_t i = 0; i < rows->size(); ++i) {
      if ((*again)[i].fields != (*rows)[i].fields) std::abort();
    }
  }
  static const absl::TimeZone zone = absl::FixedTimeZone(8 * 3600);
  auto readings = dc::accounting::CsvReadings::Parse(text, "r.csv", FuzzSite(), zone);
  if (!readings.ok()) return 0;
  for (const auto& m : FuzzSite().meters) {
    auto samples = readings->Read(m, INT64_MIN, INT64_MAX);
    if (!samples.ok()) std::abort();
    for (size_t i = 1; i < samples->size(); ++i) {
      if (!((*samples)[i - 1].t < (*samples)[i].t)) std::abort();
    }
  }
  return 0;
}
