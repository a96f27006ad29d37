// The poller against real peers started here: a pymodbus server over TCP (unit 1 changing
// values, unit 2 answering exceptions) and one over RTU on a socat pty pair, plus a dead TCP
// device (nothing on the port) and a dead RTU device (nothing on the other pty).
#include "acquire/modbus_source.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>
#include <tuple>

#include "absl/synchronization/mutex.h"

extern char** environ;

namespace dc::acquire {
namespace {

using modbus::ByteOrder;
using modbus::Table;
using modbus::ValueType;
namespace fs = std::filesystem;

constexpr int64_t kInterval = 500'000'000;

int FreePort() {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t n = sizeof a;
  getsockname(s, reinterpret_cast<sockaddr*>(&a), &n);
  close(s);
  return ntohs(a.sin_port);
}

// A child process, killed (by its pid) and reaped when destroyed.
class Child {
 public:
  Child(std::vector<std::string> argv, const std::string& log) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    if (posix_spawn(&pid_, args[0], &fa, nullptr, args.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
  }
  ~Child() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }
  bool ok() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
};

bool WaitFor(const std::function<bool()>& f, double seconds) {
  auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

bool FileHas(const std::string& path, std::string_view text) {
  std::ifstream in(path);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return all.find(text) != std::string::npos;
}

struct Point {
  int64_t t;
  double v;
  Quality q;
};

class CollectingSink : public Sink {
 public:
  absl::Status Write(const PointBatch& b) override {
    absl::MutexLock l(&mu_);
    for (const auto& r : b.rows()) points_[b.keys()[r.series]].push_back({r.t, r.v, r.q});
    return absl::OkStatus();
  }
  std::map<std::string, std::vector<Point>> Points() const {
    absl::MutexLock l(&mu_);
    return points_;
  }

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, std::vector<Point>> points_;
};

std::vector<RegisterSpec> ChangingMap() {
  return {
      {"f32", {Table::kHolding, 0, ValueType::kFloat32}, ByteOrder::kABCD},
      {"u32", {Table::kHolding, 2, ValueType::kUInt32}, ByteOrder::kCDAB},
      {"i64", {Table::kHolding, 4, ValueType::kInt64}, ByteOrder::kDCBA},
      {"u16", {Table::kInput, 0, ValueType::kUInt16}},
      {"bit", {Table::kCoil, 0, ValueType::kBool}},
  };
}

ModbusOptions Device(const std::string& meter) {
  ModbusOptions o;
  o.name = "modbus:" + meter;
  o.meter = meter;
  o.site = "test";
  o.interval_ns = kInterval;
  o.timeout_ns = 200'000'000;
  o.retries = 1;
  o.backoff_initial_ns = 500'000'000;
  o.backoff_max_ns = 2'000'000'000;
  o.max_registers = 8;
  o.registers = ChangingMap();
  return o;
}

std::string Key(const std::string& meter, const std::string& field) {
  return "meter,id=" + meter + ",site=test " + field;
}

// The values of one poll agree with the simulator's formulas for one k near the poll time.
void CheckGood(const std::string& meter, const std::map<std::string, std::vector<Point>>& all,
               const ModbusDeviceStats& st) {
  SCOPED_TRACE(meter);
  const auto& i64 = all.at(Key(meter, "i64"));
  const auto& u32 = all.at(Key(meter, "u32"));
  const auto& f32 = all.at(Key(meter, "f32"));
  const auto& u16 = all.at(Key(meter, "u16"));
  const auto& bit = all.at(Key(meter, "bit"));
  ASSERT_GE(i64.size(), 6u);  // ~8 slots in 4 s at 500 ms
  ASSERT_EQ(u32.size(), i64.size());
  ASSERT_EQ(f32.size(), i64.size());
  ASSERT_EQ(u16.size(), i64.size());
  ASSERT_EQ(bit.size(), i64.size());
  for (size_t i = 0; i < i64.size(); ++i) {
    const int64_t t = i64[i].t;
    EXPECT_EQ(t % kInterval, 0) << "stamped at the aligned slot";
    if (i > 0) {
      EXPECT_EQ(t - i64[i - 1].t, kInterval) << "no slot skipped";
    }
    const auto k = static_cast<int64_t>(-i64[i].v / 1000);
    EXPECT_EQ(-k * 1000, static_cast<int64_t>(i64[i].v));
    EXPECT_LT(std::abs(static_cast<double>(k) / 10 - static_cast<double>(t) / 1e9), 1.0);
    EXPECT_EQ(u32[i].t, t);
    EXPECT_EQ(static_cast<int64_t>(u32[i].v), k % (int64_t{1} << 32));
    EXPECT_EQ(f32[i].v, static_cast<double>(k % 100000) * 0.5);
    // Input and coil are separate requests: k may have moved on by one.
    const auto in = static_cast<int64_t>(u16[i].v);
    EXPECT_TRUE(in == k % 65536 || in == (k + 1) % 65536) << in << " vs " << k;
    EXPECT_TRUE(bit[i].v == 0 || bit[i].v == 1);
  }
  EXPECT_EQ(st.skipped_slots, 0);
  EXPECT_EQ(st.timeouts + st.exceptions + st.other_errors, 0);
  // 3 requests a poll: holding 0..7 merged into one, input 0, coil 0.
  EXPECT_EQ(st.reads_ok, 3 * st.polls);
}

// The peers: two socat pty pairs (one with the RTU simulator on its far end, one with nothing)
// and the TCP simulator. Stopped (by pid) when destroyed.
struct Peers {
  fs::path dir = fs::temp_directory_path() / ("dc-modbus-" + std::to_string(getpid()));
  int tcp_port = FreePort();
  int dead_port = FreePort();
  std::string pty_a = dir / "a", pty_b = dir / "b", dead_a = dir / "da", dead_b = dir / "db";
  std::vector<std::unique_ptr<Child>> children;

  Peers() { fs::create_directories(dir); }
  ~Peers() {
    children.clear();
    fs::remove_all(dir);
  }
  void Start(std::vector<std::string> argv, const std::string& log) {
    children.push_back(std::make_unique<Child>(std::move(argv), dir / log));
    ASSERT_TRUE(children.back()->ok()) << log;
  }
  void StartAll() {
    const std::string sim = std::string(DC_SOURCE_DIR) + "/tests/modbus_sim.py";
    for (auto [a, b, log] :
         {std::tuple(pty_a, pty_b, "socat1.log"), std::tuple(dead_a, dead_b, "socat2.log")}) {
      Start({"/usr/bin/socat", "pty,raw,echo=0,link=" + a, "pty,raw,echo=0,link=" + b}, log);
    }
    ASSERT_TRUE(WaitFor([&] { return fs::exists(pty_b) && fs::exists(dead_a); }, 10));
    Start({"/usr/bin/python3", sim, "--tcp", std::to_string(tcp_port)}, "tcp.log");
    Start({"/usr/bin/python3", sim, "--rtu", pty_b, "--baud", "19200"}, "rtu.log");
    ASSERT_TRUE(WaitFor([&] { return FileHas(dir / "tcp.log", "ready"); }, 20));
    ASSERT_TRUE(WaitFor([&] { return FileHas(dir / "rtu.log", "ready"); }, 20));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // serving, not just started
  }
};

TEST(ModbusSource, GoodDevicesKeepTheirRateWhileBadOnesShowErrors) {
  Peers peers;
  ASSERT_NO_FATAL_FAILURE(peers.StartAll());
  const int tcp_port = peers.tcp_port, dead_port = peers.dead_port;
  const std::string pty_a = peers.pty_a, dead_a = peers.dead_a;

  CollectingSink sink;
  std::vector<std::unique_ptr<ModbusSource>> sources;
  auto add = [&](ModbusOptions o) {
    auto s = MakeModbusSource(o, sink);
    ASSERT_TRUE(s.ok()) << s.status();
    sources.push_back(std::move(*s));
  };
  ModbusOptions tcp = Device("tcp-good");
  tcp.host = "127.0.0.1";
  tcp.port = tcp_port;
  add(tcp);
  ModbusOptions exc = tcp;
  exc.name = "modbus:tcp-exception";
  exc.meter = "tcp-exception";
  exc.unit_id = 2;
  add(exc);
  ModbusOptions dead = tcp;
  dead.name = "modbus:tcp-dead";
  dead.meter = "tcp-dead";
  dead.port = dead_port;
  add(dead);
  ModbusOptions rtu = Device("rtu-good");
  rtu.serial = pty_a;
  rtu.baud = 19200;
  add(rtu);
  ModbusOptions rtu_dead = rtu;
  rtu_dead.name = "modbus:rtu-dead";
  rtu_dead.meter = "rtu-dead";
  rtu_dead.serial = dead_a;
  add(rtu_dead);

  for (auto& s : sources) ASSERT_TRUE(s->Start().ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(4200));
  const auto stop_start = std::chrono::steady_clock::now();
  for (auto& s : sources) s->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - stop_start, std::chrono::seconds(3));

  const auto points = sink.Points();
  CheckGood("tcp-good", points, sources[0]->DeviceStats());
  CheckGood("rtu-good", points, sources[3]->DeviceStats());
  for (size_t i : {0u, 3u}) {
    const SourceState st = sources[i]->State();
    EXPECT_EQ(st.kind, "modbus");
    EXPECT_EQ(st.errors, 0) << st.last_error;
    EXPECT_GT(st.points, 0);
    EXPECT_GT(st.last_data_ns, 0);
  }
  // A failed read stores NaN with quality bad at the slot of each poll: never a filled-in
  // value, never a silent gap.
  for (size_t i : {1u, 2u, 4u}) {
    const std::string bad = sources[i]->State().name.substr(std::string("modbus:").size());
    const ModbusDeviceStats st = sources[i]->DeviceStats();
    for (const char* f : {"f32", "u32", "i64"}) {
      SCOPED_TRACE(bad + " " + f);
      ASSERT_EQ(points.count(Key(bad, f)), 1u);
      const auto& p = points.at(Key(bad, f));
      EXPECT_EQ(static_cast<int64_t>(p.size()), st.polls);
      for (const Point& x : p) {
        EXPECT_TRUE(std::isnan(x.v));
        EXPECT_EQ(x.q, Quality::kBad);
        EXPECT_EQ(x.t % kInterval, 0);
      }
    }
  }
  for (const auto& [key, p] : points) {
    if (key.find("-good") == std::string::npos) continue;
    for (const Point& x : p) EXPECT_EQ(x.q, Quality::kGood) << key;
  }
  const ModbusDeviceStats ex = sources[1]->DeviceStats();
  // The device answers: an exception is not retried, and what it did answer is kept.
  EXPECT_GE(ex.polls, 6);
  EXPECT_EQ(ex.exceptions, ex.polls);
  EXPECT_EQ(ex.reads_ok, 2 * ex.polls);
  EXPECT_EQ(ex.skipped_slots, 0);
  EXPECT_EQ(points.at(Key("tcp-exception", "u16")).size(), static_cast<size_t>(ex.polls));
  EXPECT_NE(sources[1]->State().last_error.find("Illegal data address"), std::string::npos)
      << sources[1]->State().last_error;
  EXPECT_GE(sources[1]->State().errors, 1);

  const SourceState dead_state = sources[2]->State();
  EXPECT_FALSE(dead_state.connected);
  EXPECT_GE(dead_state.errors, 1);
  EXPECT_NE(dead_state.last_error.find("connect"), std::string::npos) << dead_state.last_error;
  for (size_t i : {2u, 4u}) {
    const ModbusDeviceStats st = sources[i]->DeviceStats();
    EXPECT_GE(st.consecutive_failed_polls, 1);
    EXPECT_GT(st.skipped_slots, 0) << "a device that does not answer is backed off";
    EXPECT_EQ(st.reads_ok, 0);
  }
  EXPECT_GE(sources[4]->DeviceStats().timeouts, 1);
  EXPECT_NE(sources[4]->State().last_error.find("timed out"), std::string::npos)
      << sources[4]->State().last_error;
}

}  // namespace
}  // namespace dc::acquire
