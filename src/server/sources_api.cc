// GET /api/v1/sources, and the sources' lines of /metrics.
#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "common/time.h"
#include "nlohmann/json.hpp"
#include "server/api.h"

namespace dc::server {
namespace {

using nlohmann::json;

json Time(int64_t ns) {
  return ns == 0 ? json(nullptr) : json(FormatTime(ns, absl::UTCTimeZone()));
}

// A Prometheus label value: backslash, quote and newline escaped.
std::string Label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

// The per-device lines (meters on a DL/T 645 bus), for sources that poll several devices.
template <typename Family>
void AppendDeviceMetrics(const std::vector<acquire::SourceState>& states, Family& family,
                         std::string* out) {
  struct Metric {
    std::string_view name, type, help;
    double (*value)(const acquire::DeviceState&);
  };
  static constexpr Metric kMetrics[] = {
      {"dualcarbon_source_device_answering", "gauge", "1 while the device answers its polls",
       [](const acquire::DeviceState& d) { return d.answering ? 1.0 : 0.0; }},
      {"dualcarbon_source_device_polls_total", "counter", "polls of the device",
       [](const acquire::DeviceState& d) { return static_cast<double>(d.polls); }},
      {"dualcarbon_source_device_reads_total", "counter", "values read with good quality",
       [](const acquire::DeviceState& d) { return static_cast<double>(d.reads_ok); }},
      {"dualcarbon_source_device_errors_total", "counter",
       "values that could not be read (stored with quality bad)",
       [](const acquire::DeviceState& d) { return static_cast<double>(d.errors); }},
  };
  bool any = false;
  for (const auto& s : states) any = any || !s.devices.empty();
  if (!any) return;
  for (const Metric& m : kMetrics) {
    family(m.name, m.type, m.help);
    for (const auto& s : states) {
      for (const auto& d : s.devices) {
        absl::StrAppend(out, AV(m.name), "{source=\"", Label(s.name), "\",kind=\"", Label(s.kind),
                        "\",device=\"", Label(d.name), "\"} ", m.value(d), "\n");
      }
    }
  }
}

}  // namespace

std::string SourcesJson(const acquire::SourceRegistry& sources) {
  json list = json::array();
  for (const acquire::SourceState& s : sources.States()) {
    json devices = json::array();
    for (const acquire::DeviceState& d : s.devices) {
      devices.push_back(
          {{"name", d.name},
           {"address", d.address.empty() ? json(nullptr) : json(d.address)},
           {"answering", d.answering},
           {"polls", d.polls},
           {"reads_ok", d.reads_ok},
           {"errors", d.errors},
           {"last_poll", Time(d.last_poll_ns)},
           {"last_error", d.last_error.empty() ? json(nullptr) : json(d.last_error)}});
    }
    list.push_back({{"name", s.name},
                    {"kind", s.kind},
                    {"running", s.running},
                    {"connected", s.connected},
                    {"last_data", Time(s.last_data_ns)},
                    {"points", s.points},
                    {"messages", s.messages},
                    {"errors", s.errors},
                    {"last_error", s.last_error.empty() ? json(nullptr) : json(s.last_error)},
                    {"last_error_time", Time(s.last_error_ns)}});
    if (!devices.empty()) list.back()["devices"] = std::move(devices);
  }
  return json({{"sources", list}}).dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string SourcesMetrics(const acquire::SourceRegistry& sources, int64_t now_ns) {
  std::string out;
  auto family = [&](std::string_view name, std::string_view type, std::string_view help) {
    absl::StrAppend(&out, "# HELP ", AV(name), " ", AV(help), "\n# TYPE ", AV(name), " ", AV(type),
                    "\n");
  };
  const auto states = sources.States();
  struct Metric {
    std::string_view name, type, help;
    double (*value)(const acquire::SourceState&, int64_t now);
  };
  static constexpr Metric kMetrics[] = {
      {"dualcarbon_source_up", "gauge", "1 while the source runs",
       [](const acquire::SourceState& s, int64_t) { return s.running ? 1.0 : 0.0; }},
      {"dualcarbon_source_connected", "gauge", "1 while its broker/device/peer is connected",
       [](const acquire::SourceState& s, int64_t) { return s.connected ? 1.0 : 0.0; }},
      {"dualcarbon_source_points_total", "counter", "points stored from the source",
       [](const acquire::SourceState& s, int64_t) { return static_cast<double>(s.points); }},
      {"dualcarbon_source_messages_total", "counter", "messages, polls, packets or files handled",
       [](const acquire::SourceState& s, int64_t) { return static_cast<double>(s.messages); }},
      {"dualcarbon_source_errors_total", "counter",
       "malformed input, failed polls, rejected packets",
       [](const acquire::SourceState& s, int64_t) { return static_cast<double>(s.errors); }},
      {"dualcarbon_source_data_age_seconds", "gauge",
       "seconds since the last stored point (-1: none)",
       [](const acquire::SourceState& s, int64_t now) {
         return s.last_data_ns == 0 ? -1.0 : static_cast<double>(now - s.last_data_ns) / 1e9;
       }},
  };
  for (const Metric& m : kMetrics) {
    family(m.name, m.type, m.help);
    for (const auto& s : states) {
      absl::StrAppend(&out, AV(m.name), "{source=\"", Label(s.name), "\",kind=\"", Label(s.kind),
                      "\"} ", m.value(s, now_ns), "\n");
    }
  }
  AppendDeviceMetrics(states, family, &out);
  return out;
}

absl::Status Api::Sources(HttpRequest&, HttpResponse& res) {
  if (options_.sources == nullptr) {
    res.body = "{\"sources\":[]}\n";
    return absl::OkStatus();
  }
  res.body = SourcesJson(*options_.sources) + "\n";
  return absl::OkStatus();
}

}  // namespace dc::server
