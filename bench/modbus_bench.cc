// Modbus workload: 200 Modbus TCP devices polled every second by the poller (one thread per
// device, 5 float32 values each in one merged read), against a small libmodbus responder in a
// child process (the peer). Reports the poller process's CPU time as a share of one core.
#include <modbus/modbus.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "acquire/modbus_source.h"
#include "bench.h"

namespace dc::bench {
namespace {

using acquire::ModbusOptions;
using acquire::RegisterSpec;

// The peer: answers every request on every connection, one select() loop. Never returns.
[[noreturn]] void Responder(int port) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  modbus_t* ctx = modbus_new_tcp("127.0.0.1", port);
  modbus_mapping_t* map = modbus_mapping_new(0, 0, 64, 64);
  for (int i = 0; i < 64; ++i) map->tab_registers[i] = static_cast<uint16_t>(0x4000 + i);
  const int server = modbus_tcp_listen(ctx, 512);
  if (server < 0) _exit(2);
  std::vector<int> fds;
  uint8_t query[MODBUS_TCP_MAX_ADU_LENGTH];
  for (;;) {
    fd_set set;
    FD_ZERO(&set);
    FD_SET(server, &set);
    int top = server;
    for (int fd : fds) {
      FD_SET(fd, &set);
      top = std::max(top, fd);
    }
    if (select(top + 1, &set, nullptr, nullptr, nullptr) < 0) continue;
    if (FD_ISSET(server, &set)) {
      int s = server;
      if (int fd = modbus_tcp_accept(ctx, &s); fd >= 0) fds.push_back(fd);
    }
    for (size_t i = 0; i < fds.size();) {
      if (!FD_ISSET(fds[i], &set)) {
        ++i;
        continue;
      }
      modbus_set_socket(ctx, fds[i]);
      const int rc = modbus_receive(ctx, query);
      if (rc > 0) modbus_reply(ctx, query, rc, map);
      if (rc < 0) {
        close(fds[i]);
        fds.erase(fds.begin() + static_cast<long>(i));
      } else {
        ++i;
      }
    }
  }
}

double SelfCpu() {
  rusage u;
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

double ProcCpu(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t p = s.rfind(')');
  if (p == std::string::npos) return 0;
  unsigned long ut = 0, st = 0;
  // Fields after the command: state(3) ... utime(14) stime(15).
  std::sscanf(s.c_str() + p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st);
  return static_cast<double>(ut + st) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

class CountingSink : public acquire::Sink {
 public:
  absl::Status Write(const PointBatch& b) override {
    points += static_cast<int64_t>(b.size());
    return absl::OkStatus();
  }
  std::atomic<int64_t> points{0};
};

// `n` devices on 127.0.0.1:port, each 5 float32 holding registers (one read per poll).
absl::StatusOr<std::vector<std::unique_ptr<acquire::ModbusSource>>> MakeDevices(
    int n, int port, acquire::Sink& sink) {
  std::vector<std::unique_ptr<acquire::ModbusSource>> sources;
  for (int i = 0; i < n; ++i) {
    ModbusOptions o;
    o.name = "modbus:b" + std::to_string(i);
    o.meter = "b" + std::to_string(i);
    o.site = "bench";
    o.host = "127.0.0.1";
    o.port = port;
    o.unit_id = 1 + i % 247;
    for (int k = 0; k < 5; ++k) {
      o.registers.push_back(RegisterSpec{
          "v" + std::to_string(k), {modbus::Table::kHolding, 2 * k, modbus::ValueType::kFloat32}});
    }
    auto s = acquire::MakeModbusSource(o, sink);
    if (!s.ok()) return s.status();
    sources.push_back(std::move(*s));
  }
  return sources;
}

}  // namespace

DC_BENCH(modbus_poll,
         "200 Modbus TCP devices polled every 1 s (5 float32 each) against a libmodbus peer: "
         "poller CPU as % of one core (--devices N, --seconds S)") {
  const int devices = std::stoi(args.Get("devices", "200"));
  const double seconds =
      std::stod(args.Get("seconds", std::to_string(std::max(5.0, 30 * args.scale))));
  const int port = std::stoi(args.Get("port", "15020"));
  const pid_t peer = fork();
  if (peer == 0) Responder(port);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));

  CountingSink sink;
  auto made = MakeDevices(devices, port, sink);
  if (!made.ok()) {
    std::fprintf(stderr, "%s\n", made.status().ToString().c_str());
    return 1;
  }
  std::vector<std::unique_ptr<acquire::ModbusSource>> sources = std::move(*made);
  for (auto& s : sources) (void)s->Start();
  std::this_thread::sleep_for(std::chrono::seconds(3));  // connected, steady state
  auto polls = [&] {
    int64_t n = 0, errors = 0;
    for (auto& s : sources) {
      n += s->DeviceStats().polls;
      errors += s->State().errors;
    }
    return std::pair(n, errors);
  };
  const auto [p0, e0] = polls();
  const int64_t pts0 = sink.points;
  const double cpu0 = SelfCpu(), peer0 = ProcCpu(peer);
  const auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  const double wall = SecondsSince(t0);
  const double cpu = SelfCpu() - cpu0, peer_cpu = ProcCpu(peer) - peer0;
  const auto [p1, e1] = polls();
  const int64_t pts1 = sink.points;
  for (auto& s : sources) s->Stop();
  kill(peer, SIGKILL);
  waitpid(peer, nullptr, 0);

  Report("modbus_poll", "devices", devices, "");
  Report("modbus_poll", "seconds", wall, "s");
  Report("modbus_poll", "polls_per_s", static_cast<double>(p1 - p0) / wall, "polls/s");
  Report("modbus_poll", "points_per_s", static_cast<double>(pts1 - pts0) / wall, "points/s");
  Report("modbus_poll", "errors", static_cast<double>(e1 - e0), "");
  Report("modbus_poll", "poller_cpu", 100 * cpu / wall, "% of one core");
  Report("modbus_poll", "peer_cpu", 100 * peer_cpu / wall, "% of one core");
  return 0;
}

}  // namespace dc::bench
