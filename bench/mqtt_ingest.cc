// mqtt_ingest [--qos 0|1]: messages/s from one local Mosquitto into storage (the MQTT source
// writing to a dc::Store) against mosquitto_sub writing to /dev/null, both subscribed to the same
// stream in the same run. A publisher in this process blasts `--messages` QoS 0 PUBLISH packets
// (plain numbers on bench/s1/m<k>/p, 1,000 meters); each subscriber's rate is messages received
// over the time from the first publish to its last message.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "acquire/mqtt_source.h"
#include "acquire/mqtt_transport.h"
#include "acquire/mqtt_wire.h"
#include "bench.h"
#include "peers.h"
#include "storage/store.h"

namespace dc::bench {
namespace {

namespace wire = mqtt::wire;
using Clock = std::chrono::steady_clock;

class StoreSink : public acquire::Sink {
 public:
  explicit StoreSink(Store& s) : s_(s) {}
  absl::Status Write(const PointBatch& b) override { return s_.Write(b); }

 private:
  Store& s_;
};

bool WaitPort(int port, double seconds) {
  auto until = Clock::now() + std::chrono::duration<double>(seconds);
  while (Clock::now() < until) {
    if (acquire::ConnectMqttTransport("127.0.0.1", port, {}, 1000).ok()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

// Reads PUBACKs for a QoS 1 publisher until n arrived or the connection ends.
void CountPubacks(acquire::MqttTransport& t, int64_t n, std::atomic<int64_t>* acked) {
  std::string in;
  std::vector<char> buf(64 << 10);
  while (acked->load() < n) {
    auto r = t.Read(buf.data(), buf.size(), 1000);
    if (!r.ok()) return;
    in.append(buf.data(), *r);
    size_t pos = 0;
    while (true) {
      auto p = wire::NextPacket(std::string_view(in).substr(pos), 1 << 20);
      if (!p.ok() || p->size == 0) break;
      if (p->type == wire::kPuback) acked->fetch_add(1);
      pos += p->size;
    }
    in.erase(0, pos);
  }
}

// Publishes n messages at `qos` (0 or 1) as fast as the broker takes them; at QoS 1 with at
// most 50,000 unacknowledged.
absl::Status PublishStream(int port, int64_t n, int qos) {
  auto t = acquire::ConnectMqttTransport("127.0.0.1", port, {}, 5000);
  if (!t.ok()) return t.status();
  wire::ConnectOptions c;
  c.client_id = "dc-bench-pub";
  c.clean = true;
  std::string out;
  wire::AppendConnect(c, &out);
  if (absl::Status s = (*t)->WriteAll(out); !s.ok()) return s;
  char buf[256];  // CONNACK: nothing else arrives before our first PUBLISH
  auto r = (*t)->Read(buf, sizeof buf, 5000);
  if (!r.ok()) return r.status();
  std::atomic<int64_t> acked{0};
  std::thread reader;
  if (qos > 0) reader = std::thread([&] { CountPubacks(**t, n, &acked); });
  const int64_t chunk = 2000;
  absl::Status status;
  for (int64_t i = 0; i < n && status.ok(); i += chunk) {
    while (qos > 0 && i - acked.load() > 50000)
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    out.clear();
    for (int64_t j = i; j < std::min(n, i + chunk); ++j) {
      std::string topic = "bench/s1/m" + std::to_string(j % 1000) + "/p";
      uint16_t id = static_cast<uint16_t>(j % 65535 + 1);
      wire::AppendPublish(wire::kV5, topic, std::to_string(1000 + j % 9973) + ".5", qos, id, &out);
    }
    status = (*t)->WriteAll(out);
  }
  if (reader.joinable()) reader.join();
  out.clear();
  wire::AppendDisconnect(&out);
  if (status.ok()) status = (*t)->WriteAll(out);
  return status;
}

struct PhaseResult {
  double dc_s = 0;   // seconds from the first publish to dualcarbon's last message (0 = none)
  double sub_s = 0;  // same for mosquitto_sub
  int64_t dc_points = 0;
};

// One stream of n messages to the subscribers asked for, each subscribed before it starts.
absl::StatusOr<PhaseResult> RunPhase(int port, int64_t n, int qos, const std::string& dir, bool dc,
                                     bool sub) {
  PhaseResult r;
  std::filesystem::remove_all(dir + "/store");
  StoreOptions so;
  so.dir = dir + "/store";
  auto store = Store::Open(so);
  if (!store.ok()) return store.status();
  StoreSink sink(**store);
  std::unique_ptr<acquire::Source> src;
  if (dc) {
    acquire::MqttOptions o;
    o.name = "bench";
    o.port = port;
    o.client_id = "dc-bench-sub";
    o.clean_session = true;
    acquire::MqttSubscription s;
    s.mapping.topic = *mqtt::TopicTemplate::Parse("bench/{site}/{meter}/#");
    s.qos = qos;
    o.subscriptions.push_back(s);
    auto made = acquire::MakeMqttSource(o, sink);
    if (!made.ok()) return made.status();
    src = *std::move(made);
    if (absl::Status st = src->Start(); !st.ok()) return st;
    auto ready = Clock::now() + std::chrono::seconds(10);
    while (!src->State().connected && Clock::now() < ready) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  std::unique_ptr<ChildProcess> msub;
  if (sub) {  // exits after n messages (-C n)
    auto p =
        ChildProcess::Start({"/bin/sh", "-c",
                             "exec /usr/bin/mosquitto_sub -h 127.0.0.1 -p " + std::to_string(port) +
                                 " -t 'bench/#' -q " + std::to_string(qos) + " -C " +
                                 std::to_string(n) + " > /dev/null"},
                            dir + "/mosquitto_sub.log");
    if (!p.ok()) return p.status();
    msub = *std::move(p);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // subscribed
  }
  auto t0 = Clock::now();
  std::thread pub([&] {
    if (absl::Status s = PublishStream(port, n, qos); !s.ok()) {
      std::fprintf(stderr, "mqtt_ingest: publisher: %s\n", std::string(s.message()).c_str());
    }
  });
  auto deadline = Clock::now() + std::chrono::seconds(120);
  while (Clock::now() < deadline && ((dc && r.dc_s == 0) || (sub && r.sub_s == 0))) {
    if (dc && r.dc_s == 0 && src->State().messages >= n) r.dc_s = SecondsSince(t0);
    if (sub && r.sub_s == 0 && !msub->Running()) r.sub_s = SecondsSince(t0);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  pub.join();
  if (src) {
    src->Stop();
    r.dc_points = src->State().points;
  }
  return r;
}

void ReportPhase(const char* phase, int64_t n, const PhaseResult& r) {
  std::string w = std::string("mqtt_ingest.") + phase;
  if (r.dc_s > 0) Report(w.c_str(), "dualcarbon_rate", n / r.dc_s, "msg/s");
  if (r.sub_s > 0) Report(w.c_str(), "mosquitto_sub_rate", n / r.sub_s, "msg/s");
  if (r.dc_s > 0 && r.sub_s > 0) Report(w.c_str(), "ratio", r.sub_s / r.dc_s, "x");
}

}  // namespace

// Three phases on one broker: both subscribers on the same stream at once (the broker fans
// out to two), then each alone on an identical stream.
DC_BENCH(mqtt_ingest,
         "MQTT: messages/s from one local Mosquitto into storage vs mosquitto_sub to /dev/null") {
  const int64_t n = static_cast<int64_t>(1'000'000 * args.scale);
  std::string dir = args.work_dir + "/mqtt_ingest";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto port = FreePort();
  if (!port.ok()) return 1;
  {
    std::ofstream conf(dir + "/mosquitto.conf");
    conf << "listener " << *port << " 127.0.0.1\nallow_anonymous true\n"
         << "max_queued_messages 0\nmax_inflight_messages 0\n";
  }
  auto broker = ChildProcess::Start({"/usr/sbin/mosquitto", "-c", dir + "/mosquitto.conf"},
                                    dir + "/mosquitto.log");
  if (!broker.ok() || !WaitPort(*port, 10)) {
    std::fprintf(stderr, "mqtt_ingest: mosquitto did not start\n");
    return 1;
  }
  Report("mqtt_ingest", "messages", static_cast<double>(n), "msg");
  const int qos = std::stoi(args.Get("qos", "0"));
  Report("mqtt_ingest", "qos", qos, "");
  auto both = RunPhase(*port, n, qos, dir, true, true);
  auto sub = RunPhase(*port, n, qos, dir, false, true);
  auto dc = RunPhase(*port, n, qos, dir, true, false);
  if (!both.ok() || !sub.ok() || !dc.ok()) return 1;
  ReportPhase("same_stream", n, *both);
  PhaseResult alone{dc->dc_s, sub->sub_s, dc->dc_points};
  ReportPhase("alone", n, alone);
  Report("mqtt_ingest", "dualcarbon_points_written", static_cast<double>(dc->dc_points), "points");
  return both->dc_s > 0 && both->sub_s > 0 && alone.dc_s > 0 && alone.sub_s > 0 ? 0 : 2;
}

}  // namespace dc::bench
