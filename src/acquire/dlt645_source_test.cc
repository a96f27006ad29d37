// The [[dlt645]] options, and the bus poller against an in-process fake bus: live meters, a
// dead address, an unknown data identifier, a value that is not BCD, foreign frames and the
// echo of the request on the line; and discovery of a lone meter.
#include "acquire/dlt645_source.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "common/series_key.h"
#include "ingest/dlt645.h"

namespace dc::acquire {
namespace {

using dlt645::Address;

absl::StatusOr<Dlt645Options> ParseBus(const std::string& text) {
  toml::table root = toml::parse("[[dlt645]]\n" + text);
  auto buses = ParseDlt645Buses(root);
  if (!buses.ok()) return buses.status();
  return (*buses)[0];
}

TEST(Dlt645Options, SerialBusWithDefaults) {
  auto o = ParseBus(R"(serial = "/dev/ttyUSB0"
site = "plant-a"
[[dlt645.meter]]
meter = "m1"
address = "000000000001"
[[dlt645.meter]]
meter = "m2"
site = "plant-b"
address = "123456789012"
read = ["00010000", "00050000:reactive_q1_kvarh"]
)");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->name, "dlt645:/dev/ttyUSB0");
  EXPECT_EQ(o->baud, 2400);
  EXPECT_EQ(o->parity, 'E');
  EXPECT_EQ(o->data_bits, 8);
  EXPECT_EQ(o->stop_bits, 1);
  EXPECT_EQ(o->wakeup, 4);
  EXPECT_EQ(o->interval_ns, 60'000'000'000);
  ASSERT_EQ(o->meters.size(), 2u);
  EXPECT_EQ(o->meters[0].site, "plant-a");
  EXPECT_EQ(o->meters[0].items.size(), DefaultDlt645Items().size());
  EXPECT_EQ(o->meters[0].items[0].field, "import_kwh");
  EXPECT_EQ(o->meters[1].site, "plant-b");
  ASSERT_EQ(o->meters[1].items.size(), 2u);
  EXPECT_EQ(o->meters[1].items[1].di, 0x00050000u);
  EXPECT_EQ(o->meters[1].items[1].field, "reactive_q1_kvarh");
  // Every default item is a data identifier the codec knows.
  for (const Dlt645Item& i : DefaultDlt645Items()) {
    EXPECT_TRUE(dlt645::FindDataItem(i.di).ok()) << i.field;
    EXPECT_EQ(DefaultDlt645Field(i.di), i.field);
  }
}

TEST(Dlt645Options, TcpBusTiming) {
  auto o = ParseBus(R"(host = "10.0.0.5"
port = 8899
name = "usr-1"
interval = "15s"
timeout = "800ms"
retries = 2
backoff = "5s"
backoff_max = "1m"
wakeup = 0
parity = "N"
baud = 9600
[[dlt645.meter]]
meter = "m"
site = "s"
address = "discover"
)");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->name, "usr-1");
  EXPECT_EQ(o->port, 8899);
  EXPECT_EQ(o->interval_ns, 15'000'000'000);
  EXPECT_EQ(o->timeout_ns, 800'000'000);
  EXPECT_EQ(o->retries, 2);
  EXPECT_EQ(o->backoff_initial_ns, 5'000'000'000);
  EXPECT_EQ(o->backoff_max_ns, 60'000'000'000);
  EXPECT_EQ(o->wakeup, 0);
  EXPECT_EQ(o->parity, 'N');
  EXPECT_EQ(o->baud, 9600);
  EXPECT_EQ(o->meters[0].address, "discover");
}

TEST(Dlt645Options, ErrorsNameTheBusMeterAndKey) {
  const std::string m = "\n[[dlt645.meter]]\nmeter='m'\nsite='s'\naddress='000000000001'\n";
  struct Case {
    std::string text;
    const char* expect;
  } cases[] = {
      {"site='s'" + m, "set exactly one"},
      {"serial='/dev/x'\nhost='h'" + m, "set exactly one"},
      {"host='h'" + m, "port is required"},
      {"serial='/dev/x'", "[[dlt645.meter]] tables"},
      {"serial='/dev/x'\nbaud=2500" + m, "baud"},
      {"serial='/dev/x'\nbaud=2400.0" + m, "baud must be an integer"},
      {"serial='/dev/x'\nparity='X'" + m, "parity"},
      {"serial='/dev/x'\ninterval='1'" + m, "interval"},
      {"serial='/dev/x'\nbackoff='5s'\nbackoff_max='1s'" + m, "backoff_max"},
      {"serial='/dev/x'\nbogus=1" + m, "bogus is not a [[dlt645]] key"},
      {"serial='/dev/x'\n[[dlt645.meter]]\nsite='s'\naddress='000000000001'", "meter is required"},
      {"serial='/dev/x'\n[[dlt645.meter]]\nmeter='m'\naddress='000000000001'", "site is required"},
      {"serial='/dev/x'\n[[dlt645.meter]]\nmeter='m'\nsite='s'", "address is required"},
      {"serial='/dev/x'\n[[dlt645.meter]]\nmeter='m'\nsite='s'\naddress='12'", "address"},
      {"serial='/dev/x'" + m + "read=['0001']", "8 hex digits"},
      {"serial='/dev/x'" + m + "read=['04000401']", "not supported"},
      {"serial='/dev/x'" + m + "read=['00050000']", "needs a field name"},
      {"serial='/dev/x'" + m + "read=['00010000', '00010000']", "read twice"},
      {"serial='/dev/x'" + m + "read=[]", "must be a list"},
      {"serial='/dev/x'" + m + "colour='red'", "colour is not a [[dlt645.meter]] key"},
      {"serial='/dev/x'" + m + m, "appears twice"},
      {"serial='/dev/x'" + m + "[[dlt645.meter]]\nmeter='n'\nsite='s'\naddress='discover'\n",
       "lone meter"},
  };
  for (const Case& c : cases) {
    auto o = ParseBus(c.text);
    ASSERT_FALSE(o.ok()) << c.text;
    EXPECT_NE(o.status().message().find(c.expect), std::string::npos)
        << c.text << " -> " << o.status();
    EXPECT_NE(o.status().message().find("[[dlt645]]"), std::string::npos) << o.status();
  }
}

TEST(Dlt645Options, DuplicateBusNamesAreRefused) {
  const std::string bus =
      "[[dlt645]]\nserial='/dev/x'\n[[dlt645.meter]]\nmeter='m'\nsite='s'\naddress='discover'\n";
  auto d = ParseDlt645Buses(toml::parse(bus + bus));
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("used by another bus"), std::string::npos);
  EXPECT_TRUE(ParseDlt645Buses(toml::table{})->empty());
}

// The commented [[dlt645]] section of dualcarbon.example.toml, uncommented, is a valid bus.
TEST(Dlt645Options, ExampleConfigSectionParses) {
  std::ifstream in(DC_SOURCE_DIR "/dualcarbon.example.toml");
  ASSERT_TRUE(in.good());
  std::string line, section;
  bool inside = false;
  while (std::getline(in, line)) {
    if (line == "# [[dlt645]]") inside = true;
    if (!inside) continue;
    if (line.rfind("# ---", 0) == 0 || line.rfind("#", 0) != 0) break;
    section += (line.size() > 2 ? line.substr(2) : "") + "\n";
  }
  ASSERT_FALSE(section.empty());
  auto buses = ParseDlt645Buses(toml::parse(section));
  ASSERT_TRUE(buses.ok()) << buses.status() << "\n" << section;
  ASSERT_EQ(buses->size(), 1u);
  EXPECT_EQ((*buses)[0].serial, "/dev/ttyUSB0");
  EXPECT_EQ((*buses)[0].meters.size(), 1u);
}

// A bus of fake meters. Each request is answered (or not) at once; reads wait for the timeout
// when nothing is pending, as a silent line does.
struct FakeBus {
  absl::Mutex mu;
  std::map<Address, std::map<uint32_t, double>> meters;  // address → DI → value
  std::map<Address, std::string> raw_override;           // address → raw value bytes (bad BCD)
  std::string pending;
  int requests = 0;
  bool fail_open = false;  // the port cannot be opened (unplugged adapter, server down)
  int opens = 0;
};

class FakeTransport final : public Dlt645Transport {
 public:
  explicit FakeTransport(FakeBus* bus) : bus_(bus) {}
  absl::Status Open(int64_t) override {
    absl::MutexLock l(&bus_->mu);
    ++bus_->opens;
    if (bus_->fail_open) return absl::UnavailableError("cannot open fake: No such device");
    open_ = true;
    return absl::OkStatus();
  }
  void Close() override { open_ = false; }
  bool IsOpen() const override { return open_; }
  void Discard() override {
    absl::MutexLock l(&bus_->mu);
    bus_->pending.clear();
  }
  absl::Status Write(std::string_view bytes) override {
    splitter_.Append(bytes);
    dlt645::Frame f;
    std::string error;
    absl::MutexLock l(&bus_->mu);
    ++bus_->requests;
    bus_->pending.append(bytes.data(), bytes.size());  // RS-485 adapters echo what they send
    while (splitter_.Next(&f, &error) == dlt645::FrameSplitter::Result::kFrame) Answer(f);
    return absl::OkStatus();
  }
  absl::StatusOr<std::string> Read(int64_t timeout_ns) override {
    {
      absl::MutexLock l(&bus_->mu);
      if (!bus_->pending.empty()) return std::exchange(bus_->pending, "");
    }
    std::this_thread::sleep_for(std::chrono::nanoseconds(timeout_ns));
    return std::string();
  }
  std::string Describe() const override { return "fake"; }

 private:
  void Answer(const dlt645::Frame& f) ABSL_EXCLUSIVE_LOCKS_REQUIRED(bus_->mu) {
    if (f.control == dlt645::kReadAddress && f.address == dlt645::kBroadcast) {
      dlt645::Frame r{bus_->meters.begin()->first, 0x93, ""};
      r.data.assign(r.address.begin(), r.address.end());
      bus_->pending += dlt645::Encode(r, 2);
      return;
    }
    auto m = bus_->meters.find(f.address);
    if (m == bus_->meters.end() || f.control != dlt645::kReadData) return;  // not addressed
    // A foreign frame first (another meter answering), then the answer.
    Address other = f.address;
    other[0] ^= 0x01;
    bus_->pending += dlt645::EncodeReadReply(other, 0x00010000, std::string(4, '\x11'));
    uint32_t di = 0;
    for (int i = 3; i >= 0; --i) di = (di << 8) | static_cast<uint8_t>(f.data[i]);
    auto v = m->second.find(di);
    if (v == m->second.end()) {
      bus_->pending += dlt645::Encode(dlt645::Frame{f.address, 0xD1, "\x02"}, 0);
      return;
    }
    auto item = dlt645::FindDataItem(di);
    std::string raw = *dlt645::EncodeValue(*item, v->second);
    if (auto o = bus_->raw_override.find(f.address); o != bus_->raw_override.end()) raw = o->second;
    bus_->pending += dlt645::EncodeReadReply(f.address, di, raw);
  }

  FakeBus* bus_;
  bool open_ = false;
  dlt645::FrameSplitter splitter_;
};

class CollectingSink : public Sink {
 public:
  absl::Status Write(const PointBatch& b) override {
    absl::MutexLock l(&mu_);
    for (const auto& r : b.rows()) points_[b.keys()[r.series]].push_back({r.t, r.v, r.q});
    return absl::OkStatus();
  }
  std::map<std::string, std::vector<Sample>> Points() {
    absl::MutexLock l(&mu_);
    return points_;
  }

 private:
  absl::Mutex mu_;
  std::map<std::string, std::vector<Sample>> points_;
};

std::string Key(const std::string& meter, const std::string& field) {
  return FormatSeriesKey(SeriesKeyParts{"meter", {{"id", meter}, {"site", "s"}}, field});
}

constexpr int64_t kInterval = 200'000'000;

Dlt645Options BusOptions() {
  Dlt645Options o;
  o.name = "bus";
  o.serial = "fake";
  o.interval_ns = kInterval;
  o.timeout_ns = 30'000'000;
  o.retries = 1;
  o.backoff_initial_ns = 1'000'000;  // retry the dead meter at every slot
  o.backoff_max_ns = 1'000'000;
  const std::vector<Dlt645Item> items = {
      {0x00010000, "import_kwh"}, {0x02030000, "power_kw"}, {0x00010100, "import_kwh_t1"}};
  o.meters = {{"live", "s", "000000000001", items},
              {"dead", "s", "000000000002", items},
              {"bcd", "s", "000000000003", {{0x00010000, "import_kwh"}}}};
  return o;
}

TEST(Dlt645Source, PollsInTurnAndMarksFailuresBad) {
  FakeBus bus;
  const Address live = *dlt645::ParseAddress("000000000001");
  const Address bcd = *dlt645::ParseAddress("000000000003");
  bus.meters[live] = {{0x00010000, 1234.56}, {0x02030000, -1.5}};  // no tariff 1: error reply
  bus.meters[bcd] = {{0x00010000, 1}};
  bus.raw_override[bcd] = std::string("\x1A\x00\x00\x00", 4);  // 'A' is not a decimal digit
  CollectingSink sink;
  auto src = MakeDlt645Source(BusOptions(), std::make_unique<FakeTransport>(&bus), sink);
  ASSERT_TRUE(src.ok()) << src.status();
  ASSERT_TRUE((*src)->Start().ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  (*src)->Stop();

  auto points = sink.Points();
  const auto& energy = points[Key("live", "import_kwh")];
  ASSERT_GE(energy.size(), 3u);
  for (const Sample& s : energy) {
    EXPECT_EQ(s.t % kInterval, 0) << s.t;  // stamped at the aligned slot
    EXPECT_EQ(s.q, Quality::kGood);
    EXPECT_DOUBLE_EQ(s.v, 1234.56);
  }
  const auto& power = points[Key("live", "power_kw")];
  ASSERT_EQ(power.size(), energy.size());
  EXPECT_DOUBLE_EQ(power[0].v, -1.5);
  EXPECT_EQ(power[0].t, energy[0].t);
  // Stop may land between two meters of a slot: the later meters then have one poll less.
  const auto stats = (*src)->MeterStats();
  ASSERT_EQ(stats.size(), 3u);
  const int64_t p0 = stats[0].polls, p1 = stats[1].polls, p2 = stats[2].polls;
  EXPECT_EQ(p0, static_cast<int64_t>(energy.size()));
  EXPECT_GE(p1, p0 - 1);
  EXPECT_GE(p2, p1 - 1);
  struct Bad {
    std::string series;
    int64_t polls;
  } bad_series[] = {{Key("live", "import_kwh_t1"), p0},
                    {Key("dead", "import_kwh"), p1},
                    {Key("dead", "power_kw"), p1},
                    {Key("dead", "import_kwh_t1"), p1},
                    {Key("bcd", "import_kwh"), p2}};
  for (const Bad& b : bad_series) {
    const auto& bad = points[b.series];
    ASSERT_EQ(static_cast<int64_t>(bad.size()), b.polls) << b.series;  // a point per poll
    for (size_t i = 0; i < bad.size(); ++i) {
      EXPECT_TRUE(std::isnan(bad[i].v)) << b.series;
      EXPECT_EQ(bad[i].q, Quality::kBad) << b.series;
      EXPECT_EQ(bad[i].t, energy[i].t) << b.series;
    }
  }
  EXPECT_EQ(stats[0].reads_ok, 2 * p0);
  EXPECT_EQ(stats[0].error_replies, p0);
  EXPECT_EQ(stats[0].timeouts, 0);
  EXPECT_EQ(stats[0].consecutive_failed_polls, 0);
  EXPECT_EQ(stats[1].reads_ok, 0);
  EXPECT_EQ(stats[1].timeouts, 3 * p1);  // one asked (with a retry), two not asked
  EXPECT_EQ(stats[1].consecutive_failed_polls, p1);
  EXPECT_EQ(stats[2].bad_values, p2);
  const SourceState st = (*src)->State();
  EXPECT_EQ(st.kind, "dlt645");
  EXPECT_EQ(st.points, 2 * p0);  // good points only
  EXPECT_EQ(st.errors, p0 + 3 * p1 + p2);
  EXPECT_FALSE(st.running);
  ASSERT_EQ(st.devices.size(), 3u);  // per meter, for /api/v1/sources and /metrics
  EXPECT_EQ(st.devices[0].name, "live");
  EXPECT_TRUE(st.devices[0].answering);
  EXPECT_EQ(st.devices[0].errors, p0);
  EXPECT_EQ(st.devices[1].address, "000000000002");
  EXPECT_FALSE(st.devices[1].answering);
  EXPECT_EQ(st.devices[1].errors, 3 * p1);
  EXPECT_EQ(st.devices[1].reads_ok, 0);
  EXPECT_NE(st.devices[1].last_error.find("no answer within"), std::string::npos)
      << st.devices[1].last_error;
  EXPECT_NE(st.devices[2].last_error.find("is not BCD"), std::string::npos)
      << st.devices[2].last_error;
  // The dead meter is asked twice per poll (retries = 1), not once per item.
  EXPECT_EQ(bus.requests, 3 * p0 + 2 * p1 + p2);
}

TEST(Dlt645Source, ErrorsAreDescribed) {
  FakeBus bus;
  const Address live = *dlt645::ParseAddress("000000000001");
  bus.meters[live] = {{0x00010000, 1}};
  Dlt645Options o = BusOptions();
  o.meters.resize(1);
  o.meters[0].items = {{0x00010100, "import_kwh_t1"}};
  CollectingSink sink;
  auto src = MakeDlt645Source(o, std::make_unique<FakeTransport>(&bus), sink);
  ASSERT_TRUE(src.ok());
  ASSERT_TRUE((*src)->Start().ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(450));
  (*src)->Stop();
  const SourceState st = (*src)->State();
  EXPECT_NE(st.last_error.find("meter live (000000000001): read 00010100 (import_kwh_t1): error "
                               "reply 0x02: no data requested"),
            std::string::npos)
      << st.last_error;
}

TEST(Dlt645Source, DiscoversALoneMeter) {
  FakeBus bus;
  const Address a = *dlt645::ParseAddress("202401020304");
  bus.meters[a] = {{0x00010000, 42.5}};
  Dlt645Options o = BusOptions();
  o.meters = {{"solo", "s", "discover", {{0x00010000, "import_kwh"}}}};
  CollectingSink sink;
  auto src = MakeDlt645Source(o, std::make_unique<FakeTransport>(&bus), sink);
  ASSERT_TRUE(src.ok()) << src.status();
  ASSERT_TRUE((*src)->Start().ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(650));
  (*src)->Stop();
  auto points = sink.Points()[Key("solo", "import_kwh")];
  ASSERT_GE(points.size(), 2u);
  EXPECT_DOUBLE_EQ(points.back().v, 42.5);
  EXPECT_EQ((*src)->MeterStats()[0].address, "202401020304");
}

TEST(Dlt645Source, APortThatCannotBeOpenedMarksEveryMeterBad) {
  FakeBus bus;
  bus.fail_open = true;
  CollectingSink sink;
  auto src = MakeDlt645Source(BusOptions(), std::make_unique<FakeTransport>(&bus), sink);
  ASSERT_TRUE(src.ok());
  ASSERT_TRUE((*src)->Start().ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(650));
  (*src)->Stop();
  auto points = sink.Points();
  const auto& first = points[Key("live", "import_kwh")];
  ASSERT_GE(first.size(), 2u);
  for (const std::string& series :
       {Key("live", "power_kw"), Key("dead", "import_kwh"), Key("bcd", "import_kwh")}) {
    const auto& p = points[series];
    ASSERT_GE(p.size() + 1, first.size()) << series;  // Stop may cut the last slot short
    for (size_t i = 0; i < p.size(); ++i) {
      EXPECT_EQ(p[i].t, first[i].t) << series;
      EXPECT_EQ(p[i].q, Quality::kBad) << series;
    }
  }
  // One attempt to open per slot, not one per meter or value.
  EXPECT_EQ(bus.opens, static_cast<int>(first.size()));
  EXPECT_EQ(bus.requests, 0);
  const SourceState st = (*src)->State();
  EXPECT_FALSE(st.connected);
  EXPECT_NE(st.last_error.find("cannot open fake"), std::string::npos) << st.last_error;
}

TEST(Dlt645Source, RefusesBadOptions) {
  FakeBus bus;
  CollectingSink sink;
  Dlt645Options o = BusOptions();
  o.meters[0].address = "discover";
  EXPECT_FALSE(MakeDlt645Source(o, std::make_unique<FakeTransport>(&bus), sink).ok());
  o = BusOptions();
  o.meters[1].items = {{0x04000401, "x"}};
  EXPECT_FALSE(MakeDlt645Source(o, std::make_unique<FakeTransport>(&bus), sink).ok());
  o = BusOptions();
  o.host = "h";  // and serial: both
  EXPECT_FALSE(MakeDlt645Source(o, sink).ok());
}

}  // namespace
}  // namespace dc::acquire
