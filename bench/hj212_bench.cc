// HJ 212 workloads: packets parsed and stored per second on one core (in process, and over
// TCP through the listener), and many idle station connections held with bounded memory.
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "acquire/hj212_listener.h"
#include "acquire/hj212_testing.h"
#include "bench.h"
#include "storage/store.h"

namespace dc::bench {
namespace {

namespace fs = std::filesystem;
using acquire::testing::Client;

class StoreSink : public acquire::Sink {
 public:
  explicit StoreSink(Store& store) : store_(store) {}
  absl::Status Write(const PointBatch& batch) override { return store_.Write(batch); }

 private:
  Store& store_;
};

class CountingSink : public acquire::Sink {
 public:
  absl::Status Write(const PointBatch& batch) override {
    points += static_cast<int64_t>(batch.size());
    return absl::OkStatus();
  }
  std::atomic<int64_t> points{0};
};

std::unique_ptr<Store> OpenStore(const std::string& dir) {
  fs::remove_all(dir);
  StoreOptions o;
  o.dir = dir;
  auto s = Store::Open(o);  // fsync interval:100, the default
  if (!s.ok()) {
    std::fprintf(stderr, "open %s: %s\n", dir.c_str(), s.status().ToString().c_str());
    std::exit(1);
  }
  return std::move(*s);
}

// A CEMS real-time packet: SO2, NOx, dust, O2 with Rtd, ZsRtd and Flag (12 points).
std::string Packet(int station, int seq) {
  char qn[32], dt[32];
  std::snprintf(qn, sizeof(qn), "20250301%09d", seq);
  std::snprintf(dt, sizeof(dt), "202503%02d%02d%02d%02d", 1 + seq / 86400 % 28, seq / 3600 % 24,
                seq / 60 % 60, seq % 60);
  std::string cp = absl::StrCat("DataTime=", dt);
  const char* codes[] = {"a21026", "a21002", "a34013", "a19001"};
  for (int i = 0; i < 4; ++i) {
    absl::StrAppend(&cp, ";", codes[i], "-Rtd=", 10 + (seq + i) % 90, ".", seq % 10, ",", codes[i],
                    "-ZsRtd=", 12 + (seq + i) % 90, ".", seq % 7, ",", codes[i], "-Flag=N");
  }
  return absl::StrCat("QN=", qn, ";ST=31;CN=2011;PW=123456;MN=BENCH", station, ";Flag=5;CP=&&", cp,
                      "&&");
}

double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double ProcessCpuSeconds() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

struct SilentLog : acquire::Hj212PacketHandler::Log {
  void Warn(std::string_view) override {}
};

// One thread: frames → splitter → parse → points → Store::Write, 64 packets per "read".
void InProcess(const Args& args, int64_t packets) {
  auto store = OpenStore(args.work_dir + "/hj212-inprocess");
  StoreSink sink(*store);
  acquire::Hj212ListenerOptions o;
  o.accept_unknown = true;
  acquire::SourceStats stats("bench", "hj212");
  SilentLog log;
  acquire::Hj212PacketHandler handler(o, absl::UTCTimeZone(), stats, sink, log);
  constexpr int kStations = 1000, kPerRead = 64;
  std::vector<std::string> reads;
  for (int64_t i = 0; i < packets; i += kPerRead) {
    std::string bytes;
    for (int64_t j = i; j < std::min(packets, i + kPerRead); ++j) {
      bytes +=
          hj212::Frame(Packet(static_cast<int>(j % kStations), static_cast<int>(j / kStations)));
    }
    reads.push_back(std::move(bytes));
  }
  hj212::FrameSplitter splitter;
  std::string data, error, replies;
  auto t0 = std::chrono::steady_clock::now();
  double cpu0 = ThreadCpuSeconds();
  for (const std::string& r : reads) {
    splitter.Append(r);
    while (splitter.Next(&data, &error) == hj212::FrameSplitter::Result::kFrame) {
      handler.HandleData(data);
    }
    replies += handler.Flush();
    replies.clear();
  }
  double wall = SecondsSince(t0), cpu = ThreadCpuSeconds() - cpu0;
  auto st = stats.Snapshot();
  if (st.errors != 0 || st.messages != packets) std::fprintf(stderr, "unexpected errors\n");
  Report("hj212_ingest", "inprocess_packets_per_s", static_cast<double>(packets) / wall,
         "packets/s");
  Report("hj212_ingest", "inprocess_packets_per_cpu_s", static_cast<double>(packets) / cpu,
         "packets/s");
  Report("hj212_ingest", "inprocess_points_per_s", static_cast<double>(st.points) / wall,
         "points/s");
}

// The listener on one I/O thread; 2 client threads on 100 connections, 50 packets in flight
// per connection; every packet answered 9014 after Store::Write.
void OverTcp(const Args& args, int64_t packets) {
  auto store = OpenStore(args.work_dir + "/hj212-tcp");
  StoreSink sink(*store);
  acquire::Hj212ListenerOptions o;
  o.address = "127.0.0.1";
  o.port = 0;
  o.accept_unknown = true;
  o.threads = 1;
  auto listener = acquire::MakeHj212Listener(o, sink);
  if (!listener->Start().ok()) std::exit(1);
  constexpr int kConns = 100, kWindow = 50;
  int64_t rounds = std::max<int64_t>(1, packets / (kConns * kWindow));
  std::vector<std::unique_ptr<Client>> clients;
  std::vector<std::vector<std::string>> windows(kConns);
  for (int c = 0; c < kConns; ++c) {
    clients.push_back(std::make_unique<Client>(listener->port()));
  }
  std::atomic<int64_t> answered{0};
  auto t0 = std::chrono::steady_clock::now();
  double cpu0 = ProcessCpuSeconds();
  auto run = [&](int first, int step) {
    for (int64_t r = 0; r < rounds; ++r) {
      for (int c = first; c < kConns; c += step) {
        std::string bytes;
        for (int k = 0; k < kWindow; ++k) {
          bytes += hj212::Frame(Packet(c * 10 + k % 10, static_cast<int>(r * kWindow + k)));
        }
        clients[c]->Send(bytes);
      }
      for (int c = first; c < kConns; c += step) {
        answered += static_cast<int64_t>(clients[c]->ReadFrames(kWindow, 30000).size());
      }
    }
  };
  std::thread a(run, 0, 2), b(run, 1, 2);
  a.join();
  b.join();
  double wall = SecondsSince(t0), cpu = ProcessCpuSeconds() - cpu0;
  int64_t sent = rounds * kConns * kWindow;
  if (answered != sent)
    std::fprintf(stderr, "only %lld of %lld answered\n", static_cast<long long>(answered.load()),
                 static_cast<long long>(sent));
  Report("hj212_ingest", "tcp_packets_per_s", static_cast<double>(answered) / wall, "packets/s");
  Report("hj212_ingest", "tcp_process_cpu_per_wall", cpu / wall, "cores (listener + clients)");
  listener->Stop();
}

DC_BENCH(hj212_ingest, "HJ 212 packets parsed and stored per second (in process; over TCP)") {
  int64_t packets = static_cast<int64_t>(500'000 * args.scale);
  InProcess(args, packets);
  OverTcp(args, packets);
  return 0;
}

int64_t RssKb() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));
  }
  return -1;
}

// The stations, in a child process (so the parent's RSS is the listener's alone, and each
// process needs only `conns` descriptors): connect, send one packet each, read its 9014, report
// the count on `report`, then hold the connections until `hold` is closed.
[[noreturn]] void Stations(int conns, int port_fd, int report, int hold) {
  int port = 0;
  if (::read(port_fd, &port, sizeof(port)) != sizeof(port)) ::_exit(1);
  std::vector<std::unique_ptr<Client>> clients;
  int64_t answered = 0;
  for (int i = 0; i < conns; ++i) {
    clients.push_back(std::make_unique<Client>(port));
    if (!clients.back()->ok()) break;
    clients.back()->Send(hj212::Frame(Packet(i, 1)));  // one packet each, then idle
  }
  for (auto& c : clients) answered += static_cast<int64_t>(c->ReadFrames(1, 30000).size());
  (void)!::write(report, &answered, sizeof(answered));
  char b;
  (void)!::read(hold, &b, 1);
  ::_exit(0);
}

DC_BENCH(hj212_connections, "HJ 212: 10,000 concurrent station connections, RSS (--conns N)") {
  int conns = std::stoi(args.Get("conns", std::to_string(static_cast<int>(10000 * args.scale))));
  rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  rlim_t need = static_cast<rlim_t>(conns) + 256;
  if (rl.rlim_cur < need) {
    rl.rlim_cur = std::min(need, rl.rlim_max);
    setrlimit(RLIMIT_NOFILE, &rl);
    std::printf("hj212_connections: raised RLIMIT_NOFILE to %llu\n",
                static_cast<unsigned long long>(rl.rlim_cur));
  }
  int port_pipe[2], report_pipe[2], hold_pipe[2];
  if (::pipe(port_pipe) || ::pipe(report_pipe) || ::pipe(hold_pipe)) return 1;
  pid_t child = ::fork();
  if (child == 0) {
    ::close(hold_pipe[1]);
    Stations(conns, port_pipe[0], report_pipe[1], hold_pipe[0]);
  }
  ::close(hold_pipe[0]);
  CountingSink sink;
  acquire::Hj212ListenerOptions o;
  o.address = "127.0.0.1";
  o.port = 0;
  o.accept_unknown = true;
  o.threads = 1;
  auto listener = acquire::MakeHj212Listener(o, sink);
  if (!listener->Start().ok()) return 1;
  int64_t rss0 = RssKb();
  auto t0 = std::chrono::steady_clock::now();
  int port = listener->port();
  (void)!::write(port_pipe[1], &port, sizeof(port));
  int64_t answered = 0;
  (void)!::read(report_pipe[0], &answered, sizeof(answered));
  double setup = SecondsSince(t0);
  std::this_thread::sleep_for(std::chrono::seconds(1));
  int64_t rss1 = RssKb();
  Report("hj212_connections", "connections", static_cast<double>(listener->connections()), "open");
  Report("hj212_connections", "answered", static_cast<double>(answered), "packets");
  Report("hj212_connections", "setup_s", setup, "s");
  Report("hj212_connections", "listener_rss_total_mb", static_cast<double>(rss1) / 1024, "MB");
  Report("hj212_connections", "listener_rss_per_connection_kb",
         static_cast<double>(rss1 - rss0) / std::max(1, conns), "kB");
  ::close(hold_pipe[1]);
  ::waitpid(child, nullptr, 0);
  listener->Stop();
  return answered == conns && listener->connections() == 0 ? 0 : 1;
}

}  // namespace
}  // namespace dc::bench
