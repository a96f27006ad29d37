// The HJ 212 listener: Boost.Asio acceptor, one Session per connection (on its own strand),
// an idle timer per session, and a rate-limited warning log shared by all sessions.
#include "acquire/hj212_listener.h"

#include <array>
#include <atomic>
#include <chrono>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "boost/asio.hpp"
#include "common/env.h"
#include "common/strings.h"
#include "common/time.h"
#include "spdlog/spdlog.h"

namespace dc::acquire {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// At most `per_minute` warnings a minute; the number suppressed is logged with the next one.
class RateLimitedLog final : public Hj212PacketHandler::Log {
 public:
  explicit RateLimitedLog(int per_minute) : per_minute_(per_minute) {}
  void Warn(std::string_view what) override {
    int64_t now = Env::Default()->MonotonicNanos();
    int64_t suppressed = 0;
    {
      absl::MutexLock l(&mu_);
      if (now - window_start_ >= int64_t{60'000'000'000}) {
        suppressed = suppressed_;
        suppressed_ = 0;
        window_start_ = now;
        logged_ = 0;
      }
      if (logged_ >= per_minute_) {
        ++suppressed_;
        return;
      }
      ++logged_;
    }
    if (suppressed > 0) spdlog::warn("hj212: {} similar messages suppressed", suppressed);
    spdlog::warn("{}", what);
  }

 private:
  const int per_minute_;
  absl::Mutex mu_;
  int64_t window_start_ ABSL_GUARDED_BY(mu_) = INT64_MIN / 2;
  int logged_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t suppressed_ ABSL_GUARDED_BY(mu_) = 0;
};

class ListenerImpl;

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, ListenerImpl& listener);
  ~Session();
  void Start();

 private:
  void Read();
  void OnRead(const boost::system::error_code& ec, size_t n);
  void ArmTimer(std::chrono::steady_clock::duration after);
  void OnTimer(const boost::system::error_code& ec);
  void Close();

  ListenerImpl& listener_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  std::chrono::steady_clock::time_point last_read_;
  hj212::FrameSplitter splitter_;
  Hj212PacketHandler handler_;
  std::string out_;
  std::array<char, 1024> buf_;
};

class ListenerImpl final : public Hj212Listener {
 public:
  ListenerImpl(const Hj212ListenerOptions& options, Sink& sink)
      : options_(options),
        sink_(sink),
        stats_(options.name, "hj212"),
        log_(options.log_per_minute) {}
  ~ListenerImpl() override { Stop(); }

  absl::Status Start() override;
  void Stop() override;
  SourceState State() const override { return stats_.Snapshot(); }
  int port() const override { return port_.load(); }
  int64_t connections() const override { return connections_.load(); }

 private:
  friend class Session;
  void Accept();
  void Opened() { stats_.SetConnected(connections_.fetch_add(1) + 1 > 0); }
  void Closed() { stats_.SetConnected(connections_.fetch_sub(1) - 1 > 0); }

  const Hj212ListenerOptions options_;
  Sink& sink_;
  SourceStats stats_;
  RateLimitedLog log_;
  absl::TimeZone zone_;
  std::atomic<int> port_{0};
  std::atomic<int64_t> connections_{0};
  std::vector<std::thread> threads_;
  // Destroyed before the members above: destroying the context destroys the sessions.
  std::unique_ptr<asio::io_context> io_;
  std::unique_ptr<tcp::acceptor> acceptor_;
  std::unique_ptr<asio::steady_timer> accept_timer_;  // pause after an accept error (EMFILE)
};

Session::Session(tcp::socket socket, ListenerImpl& listener)
    : listener_(listener),
      socket_(std::move(socket)),
      timer_(socket_.get_executor()),
      splitter_(hj212::Options{.strict = listener.options_.strict}),
      handler_(listener.options_, listener.zone_, listener.stats_, listener.sink_, listener.log_) {
  listener_.Opened();
}

Session::~Session() { listener_.Closed(); }

void Session::Start() {
  last_read_ = std::chrono::steady_clock::now();
  ArmTimer(absl::ToChronoNanoseconds(listener_.options_.idle_timeout));
  Read();
}

void Session::Read() {
  socket_.async_read_some(asio::buffer(buf_),
                          [self = shared_from_this()](const boost::system::error_code& ec,
                                                      size_t n) { self->OnRead(ec, n); });
}

void Session::OnRead(const boost::system::error_code& ec, size_t n) {
  if (ec) {
    Close();
    return;
  }
  last_read_ = std::chrono::steady_clock::now();
  splitter_.Append(std::string_view(buf_.data(), n));
  std::string data, error;
  for (;;) {
    hj212::FrameSplitter::Result r = splitter_.Next(&data, &error);
    if (r == hj212::FrameSplitter::Result::kNeedMore) break;
    if (r == hj212::FrameSplitter::Result::kFrame) {
      handler_.HandleData(data);
    } else {
      handler_.HandleRejected(error);
    }
  }
  out_ = handler_.Flush();
  if (out_.empty()) {
    Read();
    return;
  }
  asio::async_write(socket_, asio::buffer(out_),
                    [self = shared_from_this()](const boost::system::error_code& wec, size_t) {
                      if (wec) {
                        self->Close();
                      } else {
                        self->Read();
                      }
                    });
}

// One timer per session, re-armed for the remaining time instead of on every read.
void Session::ArmTimer(std::chrono::steady_clock::duration after) {
  timer_.expires_after(after);
  timer_.async_wait([self = weak_from_this()](const boost::system::error_code& ec) {
    if (auto s = self.lock()) s->OnTimer(ec);
  });
}

void Session::OnTimer(const boost::system::error_code& ec) {
  if (ec || !socket_.is_open()) return;
  auto idle = absl::ToChronoNanoseconds(listener_.options_.idle_timeout);
  auto silent = std::chrono::steady_clock::now() - last_read_;
  if (silent < idle) {
    ArmTimer(idle - silent);
    return;
  }
  boost::system::error_code ignored;
  auto peer = socket_.remote_endpoint(ignored);
  spdlog::debug("{}: closing connection from {}: idle for {}", listener_.options_.name,
                peer.address().to_string(ignored),
                absl::FormatDuration(listener_.options_.idle_timeout));
  Close();
}

void Session::Close() {
  boost::system::error_code ignored;
  timer_.cancel();
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

absl::Status ListenerImpl::Start() {
  if (io_) return absl::OkStatus();
  auto zone = LoadZone(options_.zone);
  if (!zone.ok()) return zone.status();
  zone_ = *zone;
  io_ = std::make_unique<asio::io_context>(options_.threads);
  boost::system::error_code ec;
  auto address = asio::ip::make_address(options_.address, ec);
  if (ec) {
    io_.reset();
    return absl::InvalidArgumentError(
        absl::StrCat(options_.name, ": address \"", options_.address, "\": ", ec.message()));
  }
  acceptor_ = std::make_unique<tcp::acceptor>(*io_);
  accept_timer_ = std::make_unique<asio::steady_timer>(acceptor_->get_executor());
  tcp::endpoint ep(address, static_cast<uint16_t>(options_.port));
  if (!acceptor_->open(ep.protocol(), ec) &&
      !acceptor_->set_option(asio::socket_base::reuse_address(true), ec) &&
      !acceptor_->bind(ep, ec)) {
    acceptor_->listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    accept_timer_.reset();
    acceptor_.reset();
    io_.reset();
    return absl::UnavailableError(absl::StrCat(options_.name, ": cannot listen on ",
                                               options_.address, ":", options_.port, ": ",
                                               ec.message()));
  }
  port_ = acceptor_->local_endpoint().port();
  Accept();
  for (int i = 0; i < std::max(1, options_.threads); ++i) {
    threads_.emplace_back([this] { io_->run(); });
  }
  stats_.SetRunning(true);
  spdlog::info("{}: HJ 212 listening on {}:{}", options_.name, options_.address, port_.load());
  return absl::OkStatus();
}

void ListenerImpl::Accept() {
  acceptor_->async_accept(
      asio::make_strand(*io_), [this](const boost::system::error_code& ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted || !acceptor_->is_open()) return;
        if (ec) {
          // Out of descriptors (EMFILE) and the like: retry in 100 ms rather than spin.
          stats_.AddError(absl::StrCat(options_.name, ": accept: ", ec.message()),
                          Env::Default()->NowNanos());
          log_.Warn(absl::StrCat(options_.name, ": accept: ", ec.message()));
          accept_timer_->expires_after(std::chrono::milliseconds(100));
          accept_timer_->async_wait([this](const boost::system::error_code& tec) {
            if (!tec) Accept();
          });
          return;
        }
        if (connections_.load() >= options_.max_connections) {
          log_.Warn(absl::StrCat(options_.name, ": connection refused: already ",
                                 options_.max_connections, " (max_connections)"));
        } else {
          std::make_shared<Session>(std::move(socket), *this)->Start();
        }
        Accept();
      });
}

void ListenerImpl::Stop() {
  if (!io_) return;
  io_->stop();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
  accept_timer_.reset();
  acceptor_.reset();
  io_.reset();  // destroys every session and closes its socket
  stats_.SetRunning(false);
}

}  // namespace

std::unique_ptr<Hj212Listener> MakeHj212Listener(const Hj212ListenerOptions& options, Sink& sink) {
  return std::make_unique<ListenerImpl>(options, sink);
}

}  // namespace dc::acquire
