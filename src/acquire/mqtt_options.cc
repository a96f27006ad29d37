// ParseMqttOptions: one [[mqtt]] table of dualcarbon.toml → MqttOptions (keys documented in
// dualcarbon.example.toml and docs/protocols/mqtt.md).
#include <functional>
#include <map>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "acquire/mqtt_source.h"
#include "common/strings.h"

namespace dc::acquire {
namespace {

using Setter = std::function<absl::Status(const toml::node&)>;

absl::Status Bad(std::string_view key, std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("[[mqtt]] ", AV(key), ": ", AV(why)));
}

Setter Str(std::string_view key, std::string* out) {
  return [key, out](const toml::node& n) {
    auto v = n.value<std::string>();
    if (!v) return Bad(key, "must be a string");
    *out = *v;
    return absl::OkStatus();
  };
}

template <typename T>
Setter Int(std::string_view key, T* out, int64_t lo, int64_t hi) {
  return [=](const toml::node& n) {
    auto v = n.value_exact<int64_t>();
    if (!v || *v < lo || *v > hi) {
      return Bad(key, absl::StrCat("must be an integer in [", lo, ", ", hi, "]"));
    }
    *out = static_cast<T>(*v);
    return absl::OkStatus();
  };
}

Setter Bool(std::string_view key, bool* out) {
  return [key, out](const toml::node& n) {
    auto v = n.value<bool>();
    if (!v) return Bad(key, "must be true or false");
    *out = *v;
    return absl::OkStatus();
  };
}

// Applies `setters` to `table`; a key without a setter is an error naming it.
absl::Status Apply(const toml::table& table, std::string_view prefix,
                   const std::map<std::string, Setter, std::less<>>& setters) {
  for (const auto& [k, node] : table) {
    auto it = setters.find(k.str());
    if (it == setters.end()) {
      return Bad(absl::StrCat(AV(prefix), AV(k.str())), "unknown key");
    }
    if (absl::Status s = it->second(node); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status ParseValues(const toml::node& n, std::vector<mqtt::JsonValue>* out) {
  const toml::array* a = n.as_array();
  if (a == nullptr) return Bad("subscribe.values", "must be an array of {path, field} tables");
  for (const toml::node& e : *a) {
    const toml::table* t = e.as_table();
    if (t == nullptr)
      return Bad("subscribe.values", "each entry must be {path = ..., field = ...}");
    mqtt::JsonValue v;
    if (absl::Status s = Apply(*t, "subscribe.values.",
                               {{"path", Str("path", &v.path)}, {"field", Str("field", &v.field)}});
        !s.ok()) {
      return s;
    }
    out->push_back(std::move(v));
  }
  return absl::OkStatus();
}

absl::Status ParseTags(const toml::node& n, std::vector<std::pair<std::string, std::string>>* out) {
  const toml::table* t = n.as_table();
  if (t == nullptr) return Bad("subscribe.tags", "must be a table of tag = \"value\"");
  for (const auto& [k, v] : *t) {
    auto s = v.value<std::string>();
    if (!s) return Bad(absl::StrCat("subscribe.tags.", AV(k.str())), "must be a string");
    out->emplace_back(std::string(k.str()), *s);
  }
  return absl::OkStatus();
}

absl::StatusOr<MqttSubscription> ParseSubscription(const toml::table& t) {
  MqttSubscription sub;
  mqtt::Mapping& m = sub.mapping;
  std::string topic, format = "number", time_format = "auto", zone;
  absl::Status s =
      Apply(t, "subscribe.",
            {{"topic", Str("subscribe.topic", &topic)},
             {"qos", Int("subscribe.qos", &sub.qos, 0, 2)},
             {"format", Str("subscribe.format", &format)},
             {"measurement", Str("subscribe.measurement", &m.measurement)},
             {"field", Str("subscribe.field", &m.field)},
             {"records", Str("subscribe.records", &m.records_path)},
             {"time", Str("subscribe.time", &m.time_path)},
             {"time_format", Str("subscribe.time_format", &time_format)},
             {"zone", Str("subscribe.zone", &zone)},
             {"values", [&](const toml::node& n) { return ParseValues(n, &m.values); }},
             {"tags", [&](const toml::node& n) { return ParseTags(n, &m.tags); }}});
  if (!s.ok()) return s;
  if (topic.empty()) return Bad("subscribe.topic", "is required");
  auto tt = mqtt::TopicTemplate::Parse(topic);
  if (!tt.ok()) return Bad("subscribe.topic", SV(tt.status().message()));
  m.topic = *std::move(tt);
  auto pf = mqtt::ParsePayloadFormat(format);
  if (!pf.ok()) return Bad("subscribe.format", SV(pf.status().message()));
  m.format = *pf;
  auto tf = mqtt::ParseTimeFormat(time_format);
  if (!tf.ok()) return Bad("subscribe.time_format", SV(tf.status().message()));
  m.time_format = *tf;
  if (!zone.empty() && !absl::LoadTimeZone(zone, &m.zone)) {
    return Bad("subscribe.zone", absl::StrCat("unknown time zone '", zone, "'"));
  }
  if (m.format == mqtt::PayloadFormat::kJson && m.values.empty()) m.values.push_back({"", "value"});
  return sub;
}

absl::Status ParseSubscriptions(const toml::node& n, std::vector<MqttSubscription>* out) {
  const toml::array* a = n.as_array();
  if (a == nullptr) return Bad("subscribe", "must be [[mqtt.subscribe]] tables");
  for (const toml::node& e : *a) {
    const toml::table* t = e.as_table();
    if (t == nullptr) return Bad("subscribe", "must be [[mqtt.subscribe]] tables");
    auto sub = ParseSubscription(*t);
    if (!sub.ok()) return sub.status();
    out->push_back(*std::move(sub));
  }
  return absl::OkStatus();
}

absl::Status ParseTls(const toml::node& n, MqttTlsOptions* tls) {
  const toml::table* t = n.as_table();
  if (t == nullptr) return Bad("tls", "must be a table");
  tls->enabled = true;
  return Apply(*t, "tls.",
               {{"enabled", Bool("tls.enabled", &tls->enabled)},
                {"ca_file", Str("tls.ca_file", &tls->ca_file)},
                {"cert_file", Str("tls.cert_file", &tls->cert_file)},
                {"key_file", Str("tls.key_file", &tls->key_file)},
                {"verify_hostname", Bool("tls.verify_hostname", &tls->verify_hostname)}});
}

}  // namespace

absl::StatusOr<MqttOptions> ParseMqttOptions(const toml::table& table) {
  MqttOptions o;
  std::string version = "5";
  constexpr int64_t kBig = int64_t{1} << 31;
  absl::Status s =
      Apply(table, "",
            {{"name", Str("name", &o.name)},
             {"host", Str("host", &o.host)},
             {"port", Int("port", &o.port, 1, 65535)},
             {"version", Str("version", &version)},
             {"client_id", Str("client_id", &o.client_id)},
             {"clean_session", Bool("clean_session", &o.clean_session)},
             {"session_expiry_s", Int("session_expiry_s", &o.session_expiry_s, 0, 0xFFFFFFFFll)},
             {"username", Str("username", &o.username)},
             {"password", Str("password", &o.password)},
             {"keepalive_s", Int("keepalive_s", &o.keepalive_s, 0, 65535)},
             {"batch_ms", Int("batch_ms", &o.batch_ms, 0, 10000)},
             {"batch_max", Int("batch_max", &o.batch_max, 1, 65535)},
             {"reconnect_min_ms", Int("reconnect_min_ms", &o.reconnect_min_ms, 1, kBig)},
             {"reconnect_max_ms", Int("reconnect_max_ms", &o.reconnect_max_ms, 1, kBig)},
             {"connect_timeout_ms", Int("connect_timeout_ms", &o.connect_timeout_ms, 1, kBig)},
             {"max_packet_bytes", Int("max_packet_bytes", &o.max_packet_bytes, 64, 256 << 20)},
             {"log_interval_s", Int("log_interval_s", &o.log_interval_s, 0, 86400)},
             {"tls", [&](const toml::node& n) { return ParseTls(n, &o.tls); }},
             {"subscribe",
              [&](const toml::node& n) { return ParseSubscriptions(n, &o.subscriptions); }}});
  if (!s.ok()) return s;
  if (version == "5" || version == "5.0") {
    o.version = 5;
  } else if (version == "3.1.1" || version == "4") {
    o.version = 4;
  } else {
    return Bad("version", absl::StrCat("'", version, "' is not \"5\" or \"3.1.1\""));
  }
  if (o.name.empty()) return Bad("name", "is required");
  if (o.client_id.empty()) return Bad("client_id", "is required (the session is kept under it)");
  if (o.subscriptions.empty())
    return Bad("subscribe", "at least one [[mqtt.subscribe]] is required");
  if (o.reconnect_max_ms < o.reconnect_min_ms) {
    return Bad("reconnect_max_ms", "must be >= reconnect_min_ms");
  }
  return o;
}

}  // namespace dc::acquire
