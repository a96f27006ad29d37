// libFuzzer target: any topic and payload, in each format, are mapped without crashing;
// points reported equal points appended; every key is a parseable series key.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/series_key.h"
#include "ingest/mqtt_mapping.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  size_t nl = in.find('\n');
  std::string_view topic = in.substr(0, nl == std::string_view::npos ? 0 : nl);
  std::string_view payload = nl == std::string_view::npos ? in : in.substr(nl + 1);
  dc::mqtt::Mapping m;
  m.topic = *dc::mqtt::TopicTemplate::Parse("p/{site}/{meter}/#");
  m.format = static_cast<dc::mqtt::PayloadFormat>(data[0] % 3);
  m.values = {{"v", "value"}, {"a[1].b", "b"}, {"", "whole"}};
  m.time_path = (data[0] & 4) ? "t" : "";
  m.time_format = static_cast<dc::mqtt::TimeFormat>((data[0] >> 3) % 6);
  m.records_path = (data[0] & 0x40) ? "rows" : "";
  m.zone = absl::UTCTimeZone();
  dc::PointBatch batch;
  auto r = dc::mqtt::MapMessage(m, topic, payload, 1700000000000000000, &batch);
  if (r.points != batch.size()) std::abort();
  for (const auto& key : batch.keys()) {
    if (!dc::ParseSeriesKey(key).ok()) std::abort();
  }
  (void)dc::mqtt::TopicTemplate::Parse(topic);
  return 0;
}
