#include "acquire/mqtt_wire.h"

#include "gtest/gtest.h"

namespace dc::mqtt::wire {
namespace {

std::string Hex(std::string_view s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(d[c >> 4]);
    out.push_back(d[c & 15]);
  }
  return out;
}

TEST(MqttWire, Connect311PersistentWithCredentials) {
  ConnectOptions o;
  o.version = kV311;
  o.client_id = "dc";
  o.keepalive_s = 30;
  o.username = "u";
  o.password = "p";
  std::string out;
  AppendConnect(o, &out);
  // 10 0x13 | 00 04 MQTT | 04 | flags C0 (user, password, clean off) | 00 1e | id | user | pw
  EXPECT_EQ(Hex(out),
            "1014"
            "00044d515454"
            "04"
            "c0"
            "001e"
            "00026463"
            "000175"
            "000170");
}

TEST(MqttWire, Connect5CarriesSessionExpiryAndReceiveMaximum) {
  ConnectOptions o;
  o.client_id = "a";
  o.clean = true;
  o.session_expiry_s = 3600;
  o.receive_maximum = 1000;
  std::string out;
  AppendConnect(o, &out);
  EXPECT_EQ(Hex(out),
            "1016"
            "00044d515454"
            "05"
            "02"
            "001e"
            "08"
            "1100000e10"
            "2103e8"
            "000161");
}

TEST(MqttWire, SubscribeAndAcks) {
  std::string out;
  AppendSubscribe(kV5, 7, {{"$share/g/a/+", 1}, {"b/#", 2}}, &out);
  EXPECT_EQ(Hex(out),
            "8218"
            "0007"
            "00"
            "000c" +
                Hex("$share/g/a/+") +
                "01"
                "0003" +
                Hex("b/#") + "02");
  out.clear();
  AppendAck(kPuback, 0x1234, &out);
  AppendAck(kPubrec, 1, &out);
  AppendAck(kPubrel, 1, &out);
  AppendAck(kPubcomp, 1, &out);
  EXPECT_EQ(Hex(out),
            "40021234"
            "50020001"
            "62020001"
            "70020001");
}

TEST(MqttWire, NextPacketWaitsForWholePacketAndLimitsSize) {
  std::string p(
      "\x30\x05\x00\x01t"
      "ab"
      "\xd0",
      8);
  for (size_t n = 0; n < 7; ++n) {
    auto r = NextPacket(std::string_view(p).substr(0, n), 1024);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->size, 0u) << n;
  }
  auto r = NextPacket(p, 1024);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->type, kPublish);
  EXPECT_EQ(r->size, 7u);
  EXPECT_EQ(r->body, std::string_view("\x00\x01t"
                                      "ab",
                                      5));
  // Remaining length 200 (0xc8 0x01) with a 100-byte limit: refused before it is buffered.
  EXPECT_EQ(NextPacket("\x30\xc8\x01", 100).status().code(), absl::StatusCode::kResourceExhausted);
  // Five continuation bytes: malformed.
  EXPECT_EQ(NextPacket("\x30\xff\xff\xff\xff\x01", 1 << 30).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST(MqttWire, DecodePublishBothVersions) {
  // MQTT 5, QoS 1, dup, id 9, a 3-byte property block (content type "x" skipped is 0x03 ...).
  std::string body = std::string(
                         "\x00\x03"
                         "a/b"
                         "\x00\x09"
                         "\x04"
                         "\x03\x00\x01x",
                         12) +
                     "42";
  Packet p{kPublish, 0x0a, body, 0};
  auto m = DecodePublish(kV5, p);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->topic, "a/b");
  EXPECT_EQ(m->packet_id, 9);
  EXPECT_EQ(m->qos, 1);
  EXPECT_TRUE(m->dup);
  EXPECT_EQ(m->payload, "42");
  // 3.1.1, QoS 0: no packet id, no properties.
  std::string body0 = std::string("\x00\x01t", 3) + "1.5";
  m = DecodePublish(kV311, Packet{kPublish, 0, body0, 0});
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->payload, "1.5");
  EXPECT_EQ(m->packet_id, 0);
  // Topic length past the end; QoS 1 without id; QoS 3.
  EXPECT_FALSE(DecodePublish(kV311, Packet{kPublish, 0, std::string("\x00\x09t", 3), 0}).ok());
  EXPECT_FALSE(DecodePublish(kV311, Packet{kPublish, 2, std::string("\x00\x01t", 3), 0}).ok());
  EXPECT_FALSE(DecodePublish(kV311, Packet{kPublish, 6, body0, 0}).ok());
}

TEST(MqttWire, PublishRoundTrip) {
  for (int version : {kV311, kV5}) {
    for (int qos : {0, 1, 2}) {
      std::string out;
      AppendPublish(version, "plant/a", "10.5", qos, qos > 0 ? 77 : 0, &out);
      auto p = NextPacket(out, 1024);
      ASSERT_TRUE(p.ok());
      ASSERT_EQ(p->size, out.size());
      auto m = DecodePublish(version, *p);
      ASSERT_TRUE(m.ok()) << m.status();
      EXPECT_EQ(m->topic, "plant/a");
      EXPECT_EQ(m->payload, "10.5");
      EXPECT_EQ(m->qos, qos);
      EXPECT_EQ(m->packet_id, qos > 0 ? 77 : 0);
    }
  }
}

TEST(MqttWire, ConnackSubackAndReasons) {
  auto c = DecodeConnack(kV5, Packet{kConnack, 0, std::string("\x01\x00\x00", 3), 0});
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->session_present);
  EXPECT_EQ(c->reason, 0);
  c = DecodeConnack(kV311, Packet{kConnack, 0, std::string("\x00\x05", 2), 0});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(ConnackReasonText(kV311, c->reason), "not authorized (5)");
  EXPECT_EQ(ConnackReasonText(kV5, 0x86), "bad user name or password (134)");
  auto s = DecodeSuback(kV311, Packet{kSuback, 0, std::string("\x00\x01\x01\x80", 4), 0});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->codes, (std::vector<int>{1, 0x80}));
  int reason = -1;
  auto id = DecodeAckId(Packet{kPubrel, 2, std::string("\x01\x02", 2), 0}, &reason);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, 0x0102);
  EXPECT_EQ(reason, 0);
  EXPECT_FALSE(DecodeAckId(Packet{kPubrel, 2, std::string("\x01", 1), 0}, &reason).ok());
}

}  // namespace
}  // namespace dc::mqtt::wire
