// libFuzzer target: [[dlt645]] tables (TOML text) parsed. Any input gives buses or an error,
// never a crash; whatever the parser accepts, MakeDlt645Source accepts too (no option it lets
// through can fail or misbehave later), and every meter has items with known identifiers.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "acquire/dlt645_source.h"
#include "ingest/dlt645.h"

namespace {

class NullSink : public dc::acquire::Sink {
 public:
  absl::Status Write(const dc::PointBatch&) override { return absl::OkStatus(); }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  toml::table t;
  try {
    t = toml::parse(text, std::string_view("fuzz.toml"));
  } catch (const toml::parse_error&) {
    return 0;
  }
  auto buses = dc::acquire::ParseDlt645Buses(t);
  if (!buses.ok()) {
    if (buses.status().message().find("dlt645") == std::string_view::npos) std::abort();
    return 0;
  }
  NullSink sink;
  for (const auto& b : *buses) {
    if (b.meters.empty() || b.name.empty()) std::abort();
    for (const auto& m : b.meters) {
      if (m.items.empty() || m.meter.empty() || m.site.empty()) std::abort();
      for (const auto& i : m.items) {
        if (!dc::dlt645::FindDataItem(i.di).ok() || i.field.empty()) std::abort();
      }
    }
    if (!dc::acquire::MakeDlt645Source(b, sink).ok()) std::abort();
  }
  return 0;
}
