#include "acquire/mqtt_wire.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/strings.h"

namespace dc::mqtt::wire {
namespace {

void PutU16(uint16_t v, std::string* out) {
  out->push_back(static_cast<char>(v >> 8));
  out->push_back(static_cast<char>(v & 0xff));
}

void PutU32(uint32_t v, std::string* out) {
  PutU16(static_cast<uint16_t>(v >> 16), out);
  PutU16(static_cast<uint16_t>(v & 0xffff), out);
}

void PutString(std::string_view s, std::string* out) {
  PutU16(static_cast<uint16_t>(s.size()), out);
  out->append(s);
}

void PutVarint(size_t v, std::string* out) {
  do {
    uint8_t b = v & 0x7f;
    v >>= 7;
    if (v > 0) b |= 0x80;
    out->push_back(static_cast<char>(b));
  } while (v > 0);
}

// Fixed header (type, flags, remaining length) followed by `body`.
void PutPacket(uint8_t first_byte, std::string_view body, std::string* out) {
  out->push_back(static_cast<char>(first_byte));
  PutVarint(body.size(), out);
  out->append(body);
}

// Reads big-endian integers, strings and varints from a packet body, remembering failure.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool ok() const { return ok_; }
  size_t left() const { return data_.size() - pos_; }
  uint8_t U8() {
    if (!Need(1)) return 0;
    return static_cast<uint8_t>(data_[pos_++]);
  }
  uint16_t U16() {
    if (!Need(2)) return 0;
    uint16_t v = static_cast<uint16_t>((static_cast<uint8_t>(data_[pos_]) << 8) |
                                       static_cast<uint8_t>(data_[pos_ + 1]));
    pos_ += 2;
    return v;
  }
  std::string_view Bytes(size_t n) {
    if (!Need(n)) return {};
    std::string_view v = data_.substr(pos_, n);
    pos_ += n;
    return v;
  }
  std::string_view String() { return Bytes(U16()); }
  size_t Varint() {
    size_t v = 0;
    for (int shift = 0; shift < 28; shift += 7) {
      uint8_t b = U8();
      v |= static_cast<size_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    ok_ = false;
    return 0;
  }
  // MQTT 5 property block: skipped (the subscriber needs none of the broker's properties).
  void SkipProperties() { Bytes(Varint()); }
  std::string_view Rest() { return Bytes(left()); }

 private:
  bool Need(size_t n) {
    if (ok_ && left() >= n) return true;
    ok_ = false;
    return false;
  }
  std::string_view data_;
  size_t pos_ = 0;
  bool ok_ = true;
};

absl::Status Truncated(std::string_view what) {
  return absl::DataLossError(absl::StrCat("malformed MQTT ", AV(what), " packet from the broker"));
}

}  // namespace

void AppendConnect(const ConnectOptions& o, std::string* out) {
  std::string body;
  PutString("MQTT", &body);
  body.push_back(static_cast<char>(o.version));
  uint8_t flags = o.clean ? 0x02 : 0;
  if (!o.username.empty()) flags |= 0x80 | (o.password.empty() ? 0 : 0x40);
  body.push_back(static_cast<char>(flags));
  PutU16(static_cast<uint16_t>(o.keepalive_s), &body);
  if (o.version == kV5) {
    std::string props;
    props.push_back(0x11);  // session expiry interval
    PutU32(o.session_expiry_s, &props);
    props.push_back(0x21);  // receive maximum
    PutU16(o.receive_maximum, &props);
    if (o.maximum_packet_size > 0) {
      props.push_back(0x27);
      PutU32(o.maximum_packet_size, &props);
    }
    PutVarint(props.size(), &body);
    body += props;
  }
  PutString(o.client_id, &body);
  if (!o.username.empty()) {
    PutString(o.username, &body);
    if (!o.password.empty()) PutString(o.password, &body);
  }
  PutPacket(kConnect << 4, body, out);
}

void AppendSubscribe(int version, uint16_t packet_id, const std::vector<Subscription>& subs,
                     std::string* out) {
  std::string body;
  PutU16(packet_id, &body);
  if (version == kV5) body.push_back(0);  // no properties
  for (const Subscription& s : subs) {
    PutString(s.filter, &body);
    body.push_back(static_cast<char>(s.qos & 3));
  }
  PutPacket((kSubscribe << 4) | 0x2, body, out);
}

void AppendAck(Type type, uint16_t packet_id, std::string* out) {
  out->push_back(static_cast<char>((type << 4) | (type == kPubrel ? 0x2 : 0)));
  out->push_back(2);
  PutU16(packet_id, out);
}

void AppendPublish(int version, std::string_view topic, std::string_view payload, int qos,
                   uint16_t packet_id, std::string* out) {
  out->push_back(static_cast<char>((kPublish << 4) | ((qos & 3) << 1)));
  size_t length = 2 + topic.size() + (qos > 0 ? 2 : 0) + (version == kV5 ? 1 : 0) + payload.size();
  PutVarint(length, out);
  PutString(topic, out);
  if (qos > 0) PutU16(packet_id, out);
  if (version == kV5) out->push_back(0);  // no properties
  out->append(payload);
}

void AppendPingreq(std::string* out) { PutPacket(kPingreq << 4, "", out); }
void AppendDisconnect(std::string* out) { PutPacket(kDisconnect << 4, "", out); }

absl::StatusOr<Head> PeekHead(std::string_view data) {
  Head h{};
  size_t length = 0;
  size_t i = 1;
  for (int shift = 0;; shift += 7, ++i) {
    if (i >= data.size()) return h;  // size 0: incomplete
    if (shift > 21) return absl::DataLossError("malformed MQTT remaining length from the broker");
    uint8_t b = static_cast<uint8_t>(data[i]);
    length |= static_cast<size_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) break;
  }
  uint8_t first = static_cast<uint8_t>(data[0]);
  h.type = static_cast<Type>(first >> 4);
  h.flags = first & 0x0f;
  h.header = i + 1;
  h.size = h.header + length;
  return h;
}

absl::StatusOr<Packet> NextPacket(std::string_view data, size_t max_bytes) {
  Packet p{};
  auto h = PeekHead(data);
  if (!h.ok()) return h.status();
  if (h->size == 0) return p;
  if (h->size > max_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("MQTT packet of ", h->size, " bytes exceeds max_packet_bytes = ", max_bytes));
  }
  if (data.size() < h->size) return p;
  p.type = h->type;
  p.flags = h->flags;
  p.body = data.substr(h->header, h->size - h->header);
  p.size = h->size;
  return p;
}

absl::StatusOr<Publish> DecodePublish(int version, const Packet& p) {
  Publish m;
  m.qos = (p.flags >> 1) & 3;
  m.dup = (p.flags & 0x8) != 0;
  m.retain = (p.flags & 0x1) != 0;
  if (m.qos == 3) return Truncated("PUBLISH (QoS 3)");
  Reader r(p.body);
  m.topic = r.String();
  if (m.qos > 0) m.packet_id = r.U16();
  if (version == kV5) r.SkipProperties();
  m.payload = r.Rest();
  if (!r.ok() || (m.qos > 0 && m.packet_id == 0)) return Truncated("PUBLISH");
  return m;
}

absl::StatusOr<Connack> DecodeConnack(int version, const Packet& p) {
  Reader r(p.body);
  Connack c;
  c.session_present = (r.U8() & 1) != 0;
  c.reason = r.U8();
  if (version == kV5 && r.left() > 0) r.SkipProperties();
  if (!r.ok()) return Truncated("CONNACK");
  return c;
}

absl::StatusOr<Suback> DecodeSuback(int version, const Packet& p) {
  Reader r(p.body);
  Suback s;
  s.packet_id = r.U16();
  if (version == kV5) r.SkipProperties();
  std::string_view codes = r.Rest();
  if (!r.ok() || codes.empty()) return Truncated("SUBACK");
  for (char c : codes) s.codes.push_back(static_cast<uint8_t>(c));
  return s;
}

absl::StatusOr<uint16_t> DecodeAckId(const Packet& p, int* reason) {
  Reader r(p.body);
  uint16_t id = r.U16();
  *reason = r.left() > 0 ? r.U8() : 0;
  if (!r.ok() || id == 0) return Truncated("acknowledgement");
  return id;
}

int DecodeDisconnectReason(const Packet& p) {
  return p.body.empty() ? 0 : static_cast<uint8_t>(p.body[0]);
}

std::string ConnackReasonText(int version, int reason) {
  std::string_view text = "refused";
  if (version == kV311) {
    static constexpr std::string_view kText[] = {
        "accepted",           "unacceptable protocol version", "client identifier rejected",
        "server unavailable", "bad user name or password",     "not authorized"};
    if (reason >= 0 && reason < 6) text = kText[reason];
  } else {
    switch (reason) {
      case 0x84:
        text = "unsupported protocol version";
        break;
      case 0x85:
        text = "client identifier not valid";
        break;
      case 0x86:
        text = "bad user name or password";
        break;
      case 0x87:
        text = "not authorized";
        break;
      case 0x88:
        text = "server unavailable";
        break;
      case 0x89:
        text = "server busy";
        break;
      case 0x8A:
        text = "banned";
        break;
      case 0x9F:
        text = "connection rate exceeded";
        break;
      default:
        break;
    }
  }
  return absl::StrCat(AV(text), " (", reason, ")");
}

}  // namespace dc::mqtt::wire
