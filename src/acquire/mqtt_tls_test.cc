// TLS (CA, client certificate) and user name/password against a real Mosquitto: certificates
// made by the openssl command line in a temp dir; the publisher uses a plain listener.
#include <atomic>
#include <cstdlib>

#include "acquire/mqtt_source.h"
#include "acquire/mqtt_test_util.h"
#include "gtest/gtest.h"

namespace dc::acquire {
namespace {

using testing::Broker;
using testing::TempDir;
using testing::WaitFor;

class CountSink : public Sink {
 public:
  absl::Status Write(const PointBatch& b) override {
    n_ += static_cast<int64_t>(b.size());
    return absl::OkStatus();
  }
  std::atomic<int64_t> n_{0};
};

int Sh(const std::string& cmd) { return std::system(cmd.c_str()); }

// CA, server certificate for "localhost", client certificate; a second, unrelated CA.
bool MakeCertificates(const std::string& d) {
  std::string q = " >/dev/null 2>&1";
  auto req = [&](const std::string& name, const std::string& cn) {
    return Sh("openssl req -newkey rsa:2048 -nodes -keyout " + d + "/" + name + ".key -out " + d +
              "/" + name + ".csr -subj /CN=" + cn + q) == 0;
  };
  auto sign = [&](const std::string& name) {
    return Sh("openssl x509 -req -in " + d + "/" + name + ".csr -CA " + d + "/ca.pem -CAkey " + d +
              "/ca.key -CAcreateserial -days 2 -extfile " + d + "/ext -out " + d + "/" + name +
              ".pem" + q) == 0;
  };
  std::ofstream(d + "/ext") << "subjectAltName=DNS:localhost\n";
  return Sh("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=dc-test-ca -keyout " + d +
            "/ca.key -out " + d + "/ca.pem" + q) == 0 &&
         Sh("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=other-ca -keyout " + d +
            "/other.key -out " + d + "/other.pem" + q) == 0 &&
         req("server", "localhost") && sign("server") && req("client", "dc-client") &&
         sign("client") && Sh("mosquitto_passwd -b -c " + d + "/passwd dc s3cret" + q) == 0;
}

TEST(MqttTls, CertificatesAndPasswordAreUsedAndChecked) {
  TempDir tmp;
  const std::string& d = tmp.path();
  ASSERT_TRUE(MakeCertificates(d));
  int tls_port = testing::FreePort();
  Broker broker(d,
                "listener " + std::to_string(tls_port) + " 127.0.0.1\n" + "cafile " + d +
                    "/ca.pem\ncertfile " + d + "/server.pem\nkeyfile " + d +
                    "/server.key\nrequire_certificate true\nallow_anonymous false\n" +
                    "password_file " + d + "/passwd\n",
                "per_listener_settings true\n");
  ASSERT_TRUE(broker.Start());
  ASSERT_TRUE(WaitFor([&] { return testing::PortOpen(tls_port); }, 10));

  auto options = [&](std::string client) {
    MqttOptions o;
    o.name = "tls";
    o.host = "localhost";
    o.port = tls_port;
    o.client_id = std::move(client);
    o.username = "dc";
    o.password = "s3cret";
    o.tls.enabled = true;
    o.tls.ca_file = d + "/ca.pem";
    o.tls.cert_file = d + "/client.pem";
    o.tls.key_file = d + "/client.key";
    o.reconnect_min_ms = 50;
    o.reconnect_max_ms = 200;
    MqttSubscription s;
    s.mapping.topic = *mqtt::TopicTemplate::Parse("plant/{site}/{meter}");
    o.subscriptions.push_back(std::move(s));
    return o;
  };
  CountSink sink;
  auto good = MakeMqttSource(options("tls-good"), sink);
  ASSERT_TRUE(good.ok());
  ASSERT_TRUE((*good)->Start().ok());
  ASSERT_TRUE(WaitFor([&] { return (*good)->State().connected; }, 10))
      << (*good)->State().last_error;
  ASSERT_EQ(testing::Publish(broker.port(), "plant/s1/m1", {"1", "2", "3"}, 1, d), 0);
  EXPECT_TRUE(WaitFor([&] { return sink.n_.load() == 3; }, 10)) << sink.n_.load();

  struct Bad {
    std::string what;
    std::function<void(MqttOptions&)> change;
    std::string error;  // part of last_error
  } bad[] = {
      {"wrong password", [](MqttOptions& o) { o.password = "nope"; }, "connection refused"},
      {"unknown CA", [&](MqttOptions& o) { o.tls.ca_file = d + "/other.pem"; }, "TLS handshake"},
      {"no client certificate", [](MqttOptions& o) { o.tls.cert_file.clear(); }, "TLS"},
  };
  for (const Bad& b : bad) {
    SCOPED_TRACE(b.what);
    MqttOptions o = options("tls-" + b.what.substr(0, 5));
    b.change(o);
    CountSink s;
    auto src = MakeMqttSource(o, s);
    ASSERT_TRUE(src.ok());
    ASSERT_TRUE((*src)->Start().ok());
    EXPECT_TRUE(WaitFor([&] { return (*src)->State().errors >= 2; }, 10));  // and retrying
    SourceState st = (*src)->State();
    EXPECT_FALSE(st.connected);
    EXPECT_NE(st.last_error.find(b.error), std::string::npos) << st.last_error;
    (*src)->Stop();
  }
}

}  // namespace
}  // namespace dc::acquire
