// The MQTT subscriber: one Source per broker. It keeps a persistent session (fixed client id,
// clean session off), subscribes the configured topic templates, maps each message with
// mqtt::MapMessage and writes batches to the Sink. A QoS 1/2 message is acknowledged to the
// broker (PUBACK / PUBREC) only after the Sink::Write holding its points returned OK, so a
// crash at any moment loses nothing: the broker redelivers what was not acknowledged.
// Configuration and guarantees: docs/protocols/mqtt.md.
#ifndef DC_ACQUIRE_MQTT_SOURCE_H_
#define DC_ACQUIRE_MQTT_SOURCE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "acquire/source.h"
#include "common/env.h"
#include "ingest/mqtt_mapping.h"
#include "toml++/toml.h"

namespace dc::acquire {

struct MqttTlsOptions {
  bool enabled = false;
  std::string ca_file;    // PEM; "" = the system's trusted CAs
  std::string cert_file;  // client certificate (PEM), "" = none
  std::string key_file;   // its private key (PEM)
  bool verify_hostname = true;
};

struct MqttSubscription {
  mqtt::Mapping mapping;  // topic template + payload mapping
  int qos = 1;            // 0, 1 or 2
};

struct MqttOptions {
  std::string name;  // source name, unique ("plant-broker")
  std::string host = "127.0.0.1";
  int port = 1883;  // 8883 is usual with TLS
  int version = 5;  // 4 = MQTT 3.1.1, 5 = MQTT 5.0
  // Fixed client id: the broker keeps the session (subscriptions, queued QoS 1/2 messages)
  // under it while dualcarbon is down. REQUIRES: unique per subscriber process.
  std::string client_id;
  bool clean_session = false;  // true drops the session (and what was queued) at connect
  uint32_t session_expiry_s = 7 * 24 * 3600;  // MQTT 5: session kept this long after we go
  std::string username;                       // "" = none
  std::string password;
  MqttTlsOptions tls;
  int keepalive_s = 30;
  std::vector<MqttSubscription> subscriptions;
  // Batching: messages are collected while more are waiting on the socket, for at most
  // batch_ms and batch_max messages, written in one Sink::Write, and only then acknowledged.
  int batch_ms = 5;
  int batch_max = 20000;         // also the MQTT 5 receive maximum (most unacknowledged messages)
  int reconnect_min_ms = 200;    // backoff doubles from here, with jitter, ...
  int reconnect_max_ms = 30000;  // ... up to this
  int connect_timeout_ms = 10000;
  size_t max_packet_bytes = 16 << 20;  // a larger packet is refused (MQTT 5 tells the broker)
  int log_interval_s = 10;  // malformed-payload log lines: at most one per interval (+ counts)
  Env* env = nullptr;       // clock; nullptr = Env::Default()
};

// One [[mqtt]] table of dualcarbon.toml. Errors name the key and why.
absl::StatusOr<MqttOptions> ParseMqttOptions(const toml::table& table);

// REQUIRES: `sink` outlives the source. Errors: options that cannot work (no client id, no
// subscription, bad QoS or version).
absl::StatusOr<std::unique_ptr<Source>> MakeMqttSource(const MqttOptions& options, Sink& sink);

}  // namespace dc::acquire

#endif  // DC_ACQUIRE_MQTT_SOURCE_H_
