#include "acquire/hj212_forwarder.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <random>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "ingest/hj212.h"
#include "spdlog/spdlog.h"

namespace dc::acquire {

// One TCP connection to the upstream (an owned fd).
struct Hj212Forwarder::Link {
  int fd = -1;
  hj212::FrameSplitter splitter;  // the upstream's replies
  Link() = default;
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;
  ~Link() { Close(); }
  void Close() {
    if (fd >= 0) ::close(fd);
    fd = -1;
    splitter = hj212::FrameSplitter();
  }

  absl::Status Connect(const std::string& upstream, absl::Duration timeout) {
    size_t colon = upstream.rfind(':');
    if (colon == std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("upstream \"", upstream, "\": expected host:port"));
    }
    std::string host = upstream.substr(0, colon), port = upstream.substr(colon + 1);
    if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0) {
      return absl::UnavailableError(absl::StrCat("resolve ", upstream, ": ", gai_strerror(rc)));
    }
    absl::Status last = absl::UnavailableError(absl::StrCat("connect ", upstream, ": no address"));
    for (addrinfo* a = res; a && fd < 0; a = a->ai_next) last = ConnectOne(a, upstream, timeout);
    ::freeaddrinfo(res);
    return fd >= 0 ? absl::OkStatus() : last;
  }

  absl::Status ConnectOne(const addrinfo* a, const std::string& upstream, absl::Duration timeout) {
    int s = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
    if (s < 0) return absl::UnavailableError(absl::StrCat("socket: ", std::strerror(errno)));
    int rc = ::connect(s, a->ai_addr, a->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{s, POLLOUT, 0};
      rc = ::poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(timeout)));
      int err = ETIMEDOUT;
      socklen_t len = sizeof(err);
      if (rc == 1) ::getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len);
      errno = err;
      rc = err == 0 ? 0 : -1;
    }
    if (rc != 0) {
      std::string why = std::strerror(errno);
      ::close(s);
      return absl::UnavailableError(absl::StrCat("connect ", upstream, ": ", why));
    }
    fd = s;
    return absl::OkStatus();
  }

  absl::Status WriteAll(std::string_view bytes, absl::Duration timeout) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n > 0) {
        bytes.remove_prefix(static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && errno != EAGAIN && errno != EINTR) {
        return absl::UnavailableError(absl::StrCat("send: ", std::strerror(errno)));
      }
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(timeout))) != 1) {
        return absl::DeadlineExceededError("send: the upstream accepts no data");
      }
    }
    return absl::OkStatus();
  }

  // Reads what arrives within `timeout` into the splitter; false on EOF or error.
  bool Read(absl::Duration timeout) {
    pollfd p{fd, POLLIN, 0};
    int rc = ::poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(timeout)));
    if (rc <= 0) return rc == 0;
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) return n < 0 && (errno == EAGAIN || errno == EINTR);
    splitter.Append(std::string_view(buf, static_cast<size_t>(n)));
    return true;
  }
};

Hj212Forwarder::Hj212Forwarder(const Hj212ForwarderOptions& options,
                               std::unique_ptr<DurableQueue> queue)
    : options_(options), queue_(std::move(queue)), stats_(options.name, "hj212-forward") {}

absl::StatusOr<std::unique_ptr<Hj212Forwarder>> Hj212Forwarder::Open(
    const Hj212ForwarderOptions& options) {
  if (options.upstream.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(options.name, ": upstream is not set"));
  }
  DurableQueueOptions qo;
  qo.dir = options.queue_dir;
  qo.env = options.env;
  auto queue = DurableQueue::Open(qo);
  if (!queue.ok()) return queue.status();
  for (const std::string& note : (*queue)->recovery_notes()) {
    spdlog::warn("{}: {}", options.name, note);
  }
  return std::unique_ptr<Hj212Forwarder>(new Hj212Forwarder(options, std::move(*queue)));
}

Hj212Forwarder::~Hj212Forwarder() { Stop(); }

absl::Status Hj212Forwarder::Start() {
  if (thread_.joinable() || stop_.HasBeenNotified()) return absl::OkStatus();
  stats_.SetRunning(true);
  thread_ = std::thread([this] { Run(); });
  return absl::OkStatus();
}

void Hj212Forwarder::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  queue_->Wake();
  if (thread_.joinable()) thread_.join();
  stats_.SetRunning(false);
}

absl::Status Hj212Forwarder::Enqueue(const std::vector<std::string>& data_segments) {
  return queue_->Append(data_segments);
}

void Hj212Forwarder::Backoff(absl::Duration* delay) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  double jitter = std::uniform_real_distribution<double>(0.75, 1.25)(rng);
  stop_.WaitForNotificationWithTimeout(*delay * jitter);
  *delay = std::min(*delay * 2, options_.backoff_max);
}

void Hj212Forwarder::Run() {
  Link link;
  absl::Duration delay = options_.backoff_min;
  while (!stop_.HasBeenNotified()) {
    if (link.fd < 0) {
      absl::Status s = link.Connect(options_.upstream, options_.connect_timeout);
      if (!s.ok()) {
        stats_.AddError(absl::StrCat(options_.name, ": ", s.message()), Env::Default()->NowNanos());
        Backoff(&delay);
        continue;
      }
      spdlog::info("{}: connected to {}", options_.name, options_.upstream);
      stats_.SetConnected(true);
      delay = options_.backoff_min;
    }
    auto records =
        queue_->Peek(static_cast<size_t>(std::max(1, options_.window)), absl::Milliseconds(200));
    if (!records.ok()) {
      stats_.AddError(absl::StrCat(options_.name, ": queue: ", records.status().message()),
                      Env::Default()->NowNanos());
      Backoff(&delay);
      continue;
    }
    if (records->empty()) {
      if (!link.Read(absl::ZeroDuration())) {  // notice an upstream that closed the link
        link.Close();
        stats_.SetConnected(false);
      }
      continue;
    }
    if (!SendWindow(link, *records)) {
      link.Close();
      stats_.SetConnected(false);
      Backoff(&delay);
    }
  }
}

bool Hj212Forwarder::SendWindow(Link& link, const std::vector<QueueRecord>& records) {
  std::string bytes;
  std::vector<std::string> awaited(records.size());  // "MN;QN" of a wanted 9014, "" = none
  std::map<std::string, int> outstanding;
  for (size_t i = 0; i < records.size(); ++i) {
    bytes += hj212::Frame(records[i].data);
    auto p = hj212::ParseData(records[i].data);
    if (options_.wait_reply && p.ok() && p->wants_reply()) {
      awaited[i] = absl::StrCat(p->mn, ";", p->qn);
      ++outstanding[awaited[i]];
    }
  }
  auto fail = [&](absl::string_view why) {
    stats_.AddError(absl::StrCat(options_.name, ": ", why), Env::Default()->NowNanos());
    spdlog::warn("{}: {}", options_.name, SV(why));
    return false;
  };
  if (absl::Status s = link.WriteAll(bytes, options_.reply_timeout); !s.ok()) {
    return fail(s.message());
  }
  absl::Time deadline = absl::Now() + options_.reply_timeout;
  std::map<std::string, int> acked;
  size_t done = 0;  // records[0, done) may be committed
  auto advance = [&] {
    while (done < records.size() && (awaited[done].empty() || acked[awaited[done]] > 0)) {
      if (!awaited[done].empty()) --acked[awaited[done]];
      ++done;
    }
  };
  advance();
  bool link_ok = true;
  while (done < records.size() && link_ok && absl::Now() < deadline && !stop_.HasBeenNotified()) {
    link_ok = link.Read(std::min(absl::Milliseconds(200), deadline - absl::Now()));
    std::string data, error;
    hj212::FrameSplitter::Result r;
    while ((r = link.splitter.Next(&data, &error)) != hj212::FrameSplitter::Result::kNeedMore) {
      if (r != hj212::FrameSplitter::Result::kFrame) continue;
      auto reply = hj212::ParseData(data);
      if (reply.ok() && reply->cn == 9014) ++acked[absl::StrCat(reply->mn, ";", reply->qn)];
    }
    advance();
  }
  if (done > 0) {
    absl::Status s = queue_->Commit(records[done - 1].end, static_cast<int64_t>(done));
    if (!s.ok()) return fail(absl::StrCat("commit: ", s.message()));
    stats_.AddMessages(static_cast<int64_t>(done));
    stats_.AddPoints(0, Env::Default()->NowNanos());
  }
  if (done == records.size()) return true;
  if (stop_.HasBeenNotified()) return false;
  return fail(link_ok ? absl::StrCat("no 9014 from the upstream within ",
                                     absl::FormatDuration(options_.reply_timeout), " for ",
                                     records.size() - done, " packets: sending them again")
                      : absl::StrCat("the upstream closed the link with ", records.size() - done,
                                     " packets unacknowledged: sending them again"));
}

}  // namespace dc::acquire
