// The MQTT 3.1.1 / 5.0 packets a subscriber exchanges with a broker, encoded and decoded byte
// by byte (OASIS MQTT 3.1.1 §2–3, MQTT 5.0 §2–3). Pure functions, no I/O. dualcarbon speaks
// the protocol itself so that it decides when a PUBACK/PUBREC leaves: only after the points
// are durable (docs/protocols/mqtt.md, "Why dualcarbon has its own MQTT client").
#ifndef DC_ACQUIRE_MQTT_WIRE_H_
#define DC_ACQUIRE_MQTT_WIRE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace dc::mqtt::wire {

// Control packet types (the high nibble of the fixed header).
enum Type : uint8_t {
  kConnect = 1,
  kConnack = 2,
  kPublish = 3,
  kPuback = 4,
  kPubrec = 5,
  kPubrel = 6,
  kPubcomp = 7,
  kSubscribe = 8,
  kSuback = 9,
  kPingreq = 12,
  kPingresp = 13,
  kDisconnect = 14,
};

inline constexpr int kV311 = 4;  // protocol level byte of MQTT 3.1.1
inline constexpr int kV5 = 5;

struct ConnectOptions {
  int version = kV5;
  std::string client_id;
  bool clean = false;  // clean session (3.1.1) / clean start (5)
  int keepalive_s = 30;
  std::string username;  // "" = none
  std::string password;  // sent only with a username
  // MQTT 5 only: session kept this long after a disconnect (0xFFFFFFFF = never expires),
  // most QoS 1/2 messages in flight to us, largest packet we accept.
  uint32_t session_expiry_s = 7 * 24 * 3600;
  uint16_t receive_maximum = 65535;
  uint32_t maximum_packet_size = 0;  // 0 = not sent
};

struct Subscription {
  std::string filter;
  int qos = 1;
};

void AppendConnect(const ConnectOptions& o, std::string* out);
void AppendSubscribe(int version, uint16_t packet_id, const std::vector<Subscription>& subs,
                     std::string* out);
// PUBACK, PUBREC, PUBREL, PUBCOMP: type + packet id (reason code 0 left implicit).
void AppendAck(Type type, uint16_t packet_id, std::string* out);
// PUBLISH (for tests and the benchmark's publisher). REQUIRES: packet_id != 0 when qos > 0.
void AppendPublish(int version, std::string_view topic, std::string_view payload, int qos,
                   uint16_t packet_id, std::string* out);
void AppendPingreq(std::string* out);
void AppendDisconnect(std::string* out);

// One complete control packet inside a buffer.
struct Packet {
  Type type;
  uint8_t flags;          // low nibble of the fixed header
  std::string_view body;  // variable header + payload
  size_t size;            // bytes of the whole packet (fixed header included)
};

// The fixed header at the front of `data`: type, flags, its own length and the packet's total
// size. size 0 = `data` does not hold the whole fixed header yet.
struct Head {
  Type type;
  uint8_t flags;
  size_t header;  // bytes of the fixed header
  size_t size;    // bytes of the whole packet
};
absl::StatusOr<Head> PeekHead(std::string_view data);

// Splits the next packet off the front of `data`. Returns the packet, or size 0 when `data`
// does not yet hold a complete one. Errors: a malformed remaining length, or a packet larger
// than `max_bytes` (the connection cannot continue).
absl::StatusOr<Packet> NextPacket(std::string_view data, size_t max_bytes);

struct Publish {
  std::string_view topic;
  std::string_view payload;
  uint16_t packet_id = 0;  // 0 for QoS 0
  int qos = 0;
  bool dup = false;
  bool retain = false;
};
absl::StatusOr<Publish> DecodePublish(int version, const Packet& p);

struct Connack {
  bool session_present = false;
  int reason = 0;  // 0 = accepted; 3.1.1 return code or 5.0 reason code
};
absl::StatusOr<Connack> DecodeConnack(int version, const Packet& p);

struct Suback {
  uint16_t packet_id = 0;
  std::vector<int> codes;  // granted QoS (0..2) or a failure code (>= 0x80)
};
absl::StatusOr<Suback> DecodeSuback(int version, const Packet& p);

// Packet id of PUBACK/PUBREC/PUBREL/PUBCOMP; the 5.0 reason code, if any, in *reason.
absl::StatusOr<uint16_t> DecodeAckId(const Packet& p, int* reason);
// The reason code of a 5.0 DISCONNECT from the broker (0 when absent).
int DecodeDisconnectReason(const Packet& p);

// Text of a CONNACK refusal ("not authorized (5)", "bad user name or password (134)").
std::string ConnackReasonText(int version, int reason);

}  // namespace dc::mqtt::wire

#endif  // DC_ACQUIRE_MQTT_WIRE_H_
