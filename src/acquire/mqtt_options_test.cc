#include "acquire/mqtt_source.h"
#include "gtest/gtest.h"

namespace dc::acquire {
namespace {

absl::StatusOr<MqttOptions> Parse(std::string_view text) {
  toml::table t = toml::parse(text);
  return ParseMqttOptions(*t["mqtt"].as_array()->get(0)->as_table());
}

TEST(ParseMqttOptions, AWorkedConfiguration) {
  auto o = Parse(R"(
[[mqtt]]
name = "plant-broker"
host = "broker.plant.local"
port = 8883
version = "3.1.1"
client_id = "dualcarbon-1"
username = "dc"
password = "secret"
batch_ms = 10
tls = { ca_file = "/etc/dc/ca.pem", cert_file = "/etc/dc/c.pem", key_file = "/etc/dc/c.key" }
[[mqtt.subscribe]]
topic = "$share/dc/plant/{site}/{meter}/#"
qos = 2
format = "json"
values = [{ path = "kwh", field = "value" }, { path = "kvarh", field = "reactive" }]
time = "ts"
time_format = "s"
tags = { source = "gw1" }
[[mqtt.subscribe]]
topic = "lp/#"
format = "lp"
)");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->name, "plant-broker");
  EXPECT_EQ(o->port, 8883);
  EXPECT_EQ(o->version, 4);
  EXPECT_EQ(o->batch_ms, 10);
  EXPECT_TRUE(o->tls.enabled);
  EXPECT_EQ(o->tls.key_file, "/etc/dc/c.key");
  ASSERT_EQ(o->subscriptions.size(), 2u);
  const MqttSubscription& s = o->subscriptions[0];
  EXPECT_EQ(s.qos, 2);
  EXPECT_EQ(s.mapping.topic.filter(), "$share/dc/plant/+/+/#");
  EXPECT_EQ(s.mapping.format, mqtt::PayloadFormat::kJson);
  ASSERT_EQ(s.mapping.values.size(), 2u);
  EXPECT_EQ(s.mapping.values[1].field, "reactive");
  EXPECT_EQ(s.mapping.time_format, mqtt::TimeFormat::kEpochS);
  EXPECT_EQ(s.mapping.tags.size(), 1u);
  EXPECT_EQ(o->subscriptions[1].qos, 1);  // the default
  EXPECT_EQ(o->subscriptions[1].mapping.format, mqtt::PayloadFormat::kLineProtocol);
}

TEST(ParseMqttOptions, ErrorsNameTheKey) {
  const std::string base = "[[mqtt]]\nname = \"b\"\nclient_id = \"c\"\n";
  const std::string sub = "[[mqtt.subscribe]]\ntopic = \"a/#\"\n";
  struct Case {
    std::string text, key;
  } cases[] = {
      {base + "colour = 1\n" + sub, "colour: unknown key"},
      {base + "version = \"6\"\n" + sub, "version"},
      {base + "port = 70000\n" + sub, "port"},
      {"[[mqtt]]\nname = \"b\"\n" + sub, "client_id"},
      {base, "subscribe"},
      {base + sub + "qos = 3\n", "subscribe.qos"},
      {base + sub + "format = \"xml\"\n", "subscribe.format"},
      {base + "[[mqtt.subscribe]]\ntopic = \"a/#/b\"\n", "subscribe.topic"},
      {base + sub + "zone = \"Mars/Base\"\n", "subscribe.zone"},
      {base + "tls = { ca = \"x\" }\n" + sub, "tls.ca: unknown key"},
  };
  for (const Case& c : cases) {
    auto o = Parse(c.text);
    ASSERT_FALSE(o.ok()) << c.text;
    EXPECT_NE(std::string(o.status().message()).find(c.key), std::string::npos)
        << o.status() << " for\n"
        << c.text;
  }
}

}  // namespace
}  // namespace dc::acquire
