// Test helpers for the MQTT subscriber: a real Mosquitto broker in a temp dir, mosquitto_pub
// as the publisher, child processes, and a Sink over dc::Store. Tests only.
#ifndef DC_ACQUIRE_MQTT_TEST_UTIL_H_
#define DC_ACQUIRE_MQTT_TEST_UTIL_H_

#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "acquire/source.h"
#include "storage/store.h"

extern char** environ;

namespace dc::acquire::testing {

inline int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

inline bool PortOpen(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

// Waits up to `seconds` for `done`; returns its last value.
inline bool WaitFor(const std::function<bool()>& done, double seconds) {
  auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

// Spawns argv with extra environment variables; returns the pid.
inline pid_t Spawn(const std::vector<std::string>& argv,
                   const std::map<std::string, std::string>& env = {},
                   const std::string& stdin_file = "") {
  std::vector<std::string> envs;
  for (char** e = environ; *e != nullptr; ++e) envs.emplace_back(*e);
  for (const auto& [k, v] : env) envs.push_back(k + "=" + v);
  std::vector<char*> av, ev;
  for (const auto& a : argv) av.push_back(const_cast<char*>(a.c_str()));
  av.push_back(nullptr);
  for (auto& e : envs) ev.push_back(e.data());
  ev.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (!stdin_file.empty())
    posix_spawn_file_actions_addopen(&fa, 0, stdin_file.c_str(), O_RDONLY, 0);
  pid_t pid = -1;
  if (posix_spawn(&pid, av[0], &fa, nullptr, av.data(), ev.data()) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&fa);
  return pid;
}

// Exit status of pid (waits), -1 if killed by a signal.
inline int Wait(pid_t pid) {
  int st = 0;
  ::waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

class TempDir {
 public:
  TempDir() {
    std::string t = (std::filesystem::temp_directory_path() / "dc-mqtt-XXXXXX").string();
    path_ = ::mkdtemp(t.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A Mosquitto broker on an ephemeral port, persistence on, in its own directory.
class Broker {
 public:
  // `head` goes before the default listener (global options), `extra` after it.
  explicit Broker(const std::string& dir, const std::string& extra = "",
                  const std::string& head = "")
      : dir_(dir), port_(FreePort()) {
    std::ofstream conf(dir_ + "/mosquitto.conf");
    conf << head << "listener " << port_ << " 127.0.0.1\nallow_anonymous true\npersistence true\n"
         << "persistence_location " << dir_ << "/\nmax_queued_messages 0\n"
         << "log_dest file " << dir_
         << "/mosquitto.log\n"
         // Started as root, mosquitto would switch to user "mosquitto" and could not write
         // its persistence file into our directory.
         << "user " << ::getpwuid(::geteuid())->pw_name << "\n"
         << extra;
  }
  ~Broker() { Stop(SIGTERM); }
  bool Start() {
    pid_ = Spawn({"/usr/sbin/mosquitto", "-c", dir_ + "/mosquitto.conf"});
    return WaitFor([&] { return PortOpen(port_); }, 10);
  }
  // SIGTERM: the broker saves its persistence file and exits; SIGKILL: it just dies.
  void Stop(int sig) {
    if (pid_ <= 0) return;
    ::kill(pid_, sig);
    Wait(pid_);
    pid_ = -1;
  }
  int port() const { return port_; }

 private:
  std::string dir_;
  int port_;
  pid_t pid_ = -1;
};

// mosquitto_pub -l: one message per line of `lines`, at `qos`. Returns its exit status.
inline int Publish(int port, const std::string& topic, const std::vector<std::string>& lines,
                   int qos, const std::string& dir, bool wait = true, pid_t* pid_out = nullptr) {
  std::string file = dir + "/pub-" + std::to_string(::getpid()) + "-" +
                     std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
  {
    std::ofstream f(file);
    for (const auto& l : lines) f << l << "\n";
  }
  pid_t pid = Spawn({"/usr/bin/mosquitto_pub", "-h", "127.0.0.1", "-p", std::to_string(port), "-q",
                     std::to_string(qos), "-t", topic, "-l"},
                    {}, file);
  if (pid_out != nullptr) *pid_out = pid;
  return wait ? Wait(pid) : 0;
}

class StoreSink : public Sink {
 public:
  explicit StoreSink(Store& store) : store_(store) {}
  absl::Status Write(const PointBatch& batch) override { return store_.Write(batch); }

 private:
  Store& store_;
};

// Timestamps of every point in the store (all series).
inline std::vector<int64_t> AllTimes(Store& store) {
  std::vector<int64_t> out;
  for (const std::string& key : store.ListSeries("")) {
    auto rows = store.QueryRaw(key, INT64_MIN, INT64_MAX);
    if (!rows.ok()) continue;
    for (const Sample& s : *rows) out.push_back(s.t);
  }
  return out;
}

}  // namespace dc::acquire::testing

#endif  // DC_ACQUIRE_MQTT_TEST_UTIL_H_
