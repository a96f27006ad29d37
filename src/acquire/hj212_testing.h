// Test helpers for the HJ 212 listener and forwarder: a recording Sink, packet builders and a
// blocking TCP client on 127.0.0.1. Only for *_test.cc and bench/.
#ifndef DC_ACQUIRE_HJ212_TESTING_H_
#define DC_ACQUIRE_HJ212_TESTING_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "acquire/source.h"
#include "ingest/hj212.h"

namespace dc::acquire::testing {

// Remembers every point written: (key, t) → how many times, and the last value and quality.
class RecordingSink : public Sink {
 public:
  absl::Status Write(const PointBatch& batch) override {
    absl::MutexLock l(&mu_);
    if (fail_) return absl::UnavailableError("disk full (test)");
    for (const PointBatch::Row& r : batch.rows()) {
      Entry& e = points_[{batch.keys()[r.series], r.t}];
      ++e.count;
      e.v = r.v;
      e.q = r.q;
    }
    ++writes_;
    return absl::OkStatus();
  }
  struct Entry {
    int count = 0;
    double v = 0;
    Quality q = Quality::kGood;
  };
  void SetFail(bool fail) {
    absl::MutexLock l(&mu_);
    fail_ = fail;
  }
  std::map<std::pair<std::string, int64_t>, Entry> Points() const {
    absl::MutexLock l(&mu_);
    return points_;
  }
  size_t size() const {
    absl::MutexLock l(&mu_);
    return points_.size();
  }

 private:
  mutable absl::Mutex mu_;
  bool fail_ ABSL_GUARDED_BY(mu_) = false;
  int64_t writes_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::pair<std::string, int64_t>, Entry> points_ ABSL_GUARDED_BY(mu_);
};

// A real-time data packet (CN=2011) of station `mn` with one SO2 value; Flag=5 asks a reply.
inline std::string DataPacket(const std::string& mn, int seq, double value,
                              const std::string& pw = "123456", int flag = 5,
                              const std::string& extra_header = "") {
  char qn[32], dt[32];
  std::snprintf(qn, sizeof(qn), "20250301%06d%03d", seq / 1000 % 1000000, seq % 1000);
  std::snprintf(dt, sizeof(dt), "202503%02d%02d%02d%02d", 1 + seq / 86400 % 28, seq / 3600 % 24,
                seq / 60 % 60, seq % 60);
  return absl::StrCat("QN=", qn, ";ST=31;CN=2011;PW=", pw, ";MN=", mn, ";Flag=", flag, extra_header,
                      ";CP=&&DataTime=", dt, ";a21026-Rtd=", value, ",a21026-Flag=N&&");
}

// A blocking client socket.
class Client {
 public:
  explicit Client(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
    int one = 1;
    if (fd_ >= 0) ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  ~Client() {
    if (fd_ >= 0) ::close(fd_);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  bool ok() const { return fd_ >= 0; }
  int fd() const { return fd_; }

  bool Send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Reads until `n` frames arrived or `timeout_ms` passed; returns the data segments.
  // *closed is set when the peer closed the connection.
  std::vector<std::string> ReadFrames(size_t n, int timeout_ms, bool* closed = nullptr) {
    std::vector<std::string> out;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    std::string data, error;
    while (out.size() < n) {
      while (out.size() < n &&
             splitter_.Next(&data, &error) != hj212::FrameSplitter::Result::kNeedMore) {
        if (!data.empty()) out.push_back(data);
        data.clear();
      }
      if (out.size() >= n) break;
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                      deadline - std::chrono::steady_clock::now())
                      .count();
      if (left <= 0) break;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left)) != 1) break;
      char buf[4096];
      ssize_t got = ::recv(fd_, buf, sizeof(buf), 0);
      if (got <= 0) {
        if (closed) *closed = true;
        break;
      }
      splitter_.Append(std::string_view(buf, static_cast<size_t>(got)));
    }
    return out;
  }

 private:
  int fd_ = -1;
  hj212::FrameSplitter splitter_;
};

}  // namespace dc::acquire::testing

#endif  // DC_ACQUIRE_HJ212_TESTING_H_
