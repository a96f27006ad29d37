#include "server/server.h"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <memory>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "boost/asio.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "common/env.h"
#include "common/strings.h"
#include "server/api.h"
#include "server/errors.h"
#include "server/metrics.h"
#include "server/router.h"
#include "server/static_files.h"
#include "spdlog/spdlog.h"

namespace dc::server {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

constexpr size_t kReadChunk = 64 << 10;
constexpr char kInfluxVersion[] = "1.8.10";  // what InfluxDB clients are told they talk to

std::chrono::nanoseconds Ns(int64_t ns) { return std::chrono::nanoseconds(ns); }

std::string_view ToSV(beast::string_view s) { return std::string_view(s.data(), s.size()); }

}  // namespace

absl::StatusOr<ListenAddress> ParseListen(std::string_view text) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen address \"", AV(text), "\" must be HOST:PORT (e.g. 127.0.0.1:8086)"));
  }
  ListenAddress a;
  std::string_view host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  a.host = std::string(host);
  int port = 0;
  if (!absl::SimpleAtoi(AV(text.substr(colon + 1)), &port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen address \"", AV(text), "\": port must be 0..65535"));
  }
  a.port = static_cast<uint16_t>(port);
  return a;
}

bool IsLoopback(std::string_view host) {
  if (host == "localhost") return true;
  boost::system::error_code ec;
  auto addr = net::ip::make_address(std::string(host), ec);
  return !ec && addr.is_loopback();
}

class Session;

class Server::Impl {
 public:
  Impl(Store& store, TokenStore* tokens, const ServerOptions& options, SitesOptions sites)
      : store_(store),
        tokens_(tokens),
        options_(options),
        api_(store, tokens, metrics_, ApiOptions{options.max_body_bytes, 10}),
        sites_api_(store, std::move(sites)),
        web_(options.web_dir.empty() ? DefaultWebDir() : options.web_dir),
        ioc_(std::max(1, options.threads)),
        acceptor_(net::make_strand(ioc_)),
        signals_(ioc_) {
    api_.Register(router_);
    sites_api_.Register(router_);
    web_.Register(router_);  // last: its patterns are the least specific
  }

  absl::Status Listen();
  void Run();
  void Stop();
  absl::Status Wait();

  // Called by sessions.
  void Handle(const http::request<http::string_body>& msg, std::string* body, ConnScratch* scratch,
              HttpResponse* res, std::string* route_name);
  void Register(const std::shared_ptr<Session>& s);
  void Unregister(Session* s);
  bool stopping() const { return stopping_.load(std::memory_order_acquire); }

  const ServerOptions& options() const { return options_; }
  Metrics& metrics() { return metrics_; }
  tcp::endpoint endpoint() const { return endpoint_; }

 private:
  void WaitForSignal();
  void Accept();
  void OnAccept(beast::error_code ec, tcp::socket socket);

  // Declared before ioc_: pending handlers destroyed with ioc_ own sessions, whose destructors
  // use the registry and the metrics.
  Store& store_;
  TokenStore* tokens_;
  ServerOptions options_;
  Metrics metrics_;
  Router router_;
  Api api_;
  SitesApi sites_api_;
  StaticFiles web_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> force_{false};  // a second signal: stop waiting for busy connections
  absl::Notification stop_requested_;
  bool waited_ = false;
  absl::Mutex mu_;
  absl::flat_hash_map<Session*, std::weak_ptr<Session>> sessions_ ABSL_GUARDED_BY(mu_);

  net::io_context ioc_;
  tcp::acceptor acceptor_;
  net::signal_set signals_;
  std::optional<net::steady_timer> accept_retry_;
  tcp::endpoint endpoint_;
  std::vector<std::thread> threads_;
};

// One connection: reads requests one after the other (keep-alive), each with its own deadline,
// and answers them in order. All its handlers run on its strand.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, Server::Impl& server)
      : stream_(std::move(socket)), server_(server) {
    server_.metrics().ConnectionOpened();
  }
  ~Session() {
    server_.Unregister(this);
    server_.metrics().ConnectionClosed();
  }

  void Start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->WaitForRequest(); });
  }

  // Graceful shutdown: an idle connection is closed now; a busy one after its response.
  void Shutdown() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      if (self->idle_) self->Close();
    });
  }

 private:
  // Waits (idle timeout) for the first byte of the next request.
  void WaitForRequest() {
    if (server_.stopping()) return Close();
    if (buffer_.size() > 0) return ReadRequest();
    idle_ = true;
    stream_.expires_after(Ns(server_.options().idle_timeout_ns));
    stream_.async_read_some(buffer_.prepare(kReadChunk),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              self->idle_ = false;
                              if (ec) return self->Close();
                              self->buffer_.commit(n);
                              self->ReadRequest();
                            });
  }

  // Reads one whole request (header and body) under one deadline: a slow sender times out.
  void ReadRequest() {
    idle_ = false;
    body_.clear();
    parser_.emplace(std::piecewise_construct, std::make_tuple(std::move(body_)));
    parser_->header_limit(static_cast<uint32_t>(server_.options().max_header_bytes));
    parser_->body_limit(server_.options().max_body_bytes);
    stream_.expires_after(Ns(server_.options().request_timeout_ns));
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  // Answers "Expect: 100-continue" (curl sends it for bodies over 1 MB), then reads the body
  // under the same deadline.
  void OnHeader(beast::error_code ec) {
    if (ec) return OnReadError(ec);
    auto read_body = [self = shared_from_this()] {
      http::async_read(self->stream_, self->buffer_, *self->parser_,
                       [self](beast::error_code ec, size_t) { self->OnRead(ec); });
    };
    if (beast::iequals(parser_->get()[http::field::expect], "100-continue") &&
        !parser_->is_done()) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      net::async_write(stream_, net::buffer(kContinue.data(), kContinue.size()),
                       [self = shared_from_this(), read_body](beast::error_code ec, size_t) {
                         if (ec) return self->Close();
                         read_body();
                       });
      return;
    }
    read_body();
  }

  void OnRead(beast::error_code ec) {
    if (ec) return OnReadError(ec);
    auto& msg = parser_->get();
    HttpResponse res;
    std::string route = "unknown";
    server_.Handle(msg, &msg.body(), &scratch_, &res, &route);
    server_.metrics().CountRequest(route, res.status);
    bool keep = msg.keep_alive() && !server_.stopping();
    bool head = msg.method() == http::verb::head;
    body_ = std::move(msg.body());  // keep the capacity for the next request
    Send(std::move(res), keep, head);
  }

  void OnReadError(beast::error_code ec) {
    const bool got_some = parser_ && parser_->got_some();
    if (ec == http::error::end_of_stream && !got_some) return Close();
    if (ec == net::error::operation_aborted || ec == net::error::connection_reset ||
        ec == net::error::broken_pipe) {
      return Close();
    }
    int status = 400;
    std::string message;
    if (ec == http::error::body_limit) {
      status = 413;
      message = absl::StrCat("request body larger than the limit of ",
                             server_.options().max_body_bytes, " bytes");
    } else if (ec == http::error::header_limit) {
      status = 431;
      message = absl::StrCat("request header larger than the limit of ",
                             server_.options().max_header_bytes, " bytes");
    } else if (ec == beast::error::timeout) {
      if (!got_some) return Close();
      status = 408;
      message =
          "request not received in time (header and body must arrive within the request timeout)";
    } else if (ec == http::error::end_of_stream || ec == http::error::partial_message) {
      message = "connection closed before the request was complete (truncated body?)";
    } else {
      message = absl::StrCat("malformed HTTP request: ", ec.message());
    }
    spdlog::debug("http: {} from {}: {}", status, Peer(), message);
    server_.metrics().CountRequest("protocol_error", status);
    HttpResponse res;
    res.status = status;
    absl::Status err = status == 413   ? absl::ResourceExhaustedError(message)
                       : status == 408 ? absl::DeadlineExceededError(message)
                                       : absl::InvalidArgumentError(message);
    res.body = ErrorBody(err, ErrorStyle::kApi);
    Send(std::move(res), /*keep_alive=*/false, /*head=*/false);
  }

  void Send(HttpResponse res, bool keep_alive, bool head) {
    response_.emplace();
    response_->version(11);
    response_->result(static_cast<unsigned>(res.status));
    response_->set(http::field::server, "dualcarbon");
    response_->set("X-Influxdb-Version", kInfluxVersion);
    response_->set("X-Influxdb-Build", "OSS");
    for (auto& [name, value] : res.headers) response_->set(name, value);
    if (res.status != 204 && res.status != 304) {
      response_->set(http::field::content_type, res.content_type);
      response_->body() = std::move(res.body);
    }
    response_->keep_alive(keep_alive);
    response_->prepare_payload();
    if (head) response_->body().clear();  // Content-Length stays that of the GET answer
    keep_alive_ = keep_alive;
    stream_.expires_after(Ns(server_.options().write_timeout_ns));
    if (head) {
      serializer_.emplace(*response_);
      http::async_write_header(
          stream_, *serializer_,
          [self = shared_from_this()](beast::error_code ec, size_t) { self->OnWrite(ec); });
      return;
    }
    http::async_write(
        stream_, *response_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnWrite(ec); });
  }

  void OnWrite(beast::error_code ec) {
    serializer_.reset();
    response_.reset();
    if (ec || !keep_alive_ || server_.stopping()) return Close();
    WaitForRequest();
  }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.socket().close(ec);
  }

  std::string Peer() {
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    return ec ? std::string("?") : absl::StrCat(ep.address().to_string(), ":", ep.port());
  }

  beast::tcp_stream stream_;
  Server::Impl& server_;
  beast::flat_buffer buffer_;
  std::string body_;  // reused request body storage
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::string_body>> response_;
  std::optional<http::response_serializer<http::string_body>> serializer_;
  ConnScratch scratch_;
  bool idle_ = false;
  bool keep_alive_ = true;
};

void Server::Impl::Handle(const http::request<http::string_body>& msg, std::string* body,
                          ConnScratch* scratch, HttpResponse* res, std::string* route_name) {
  auto [path, query] = SplitTarget(ToSV(msg.target()));
  ErrorStyle style = path == "/write" || path == "/query" ? ErrorStyle::kInflux : ErrorStyle::kApi;
  auto fail = [&](const absl::Status& s) {
    res->status = HttpStatusFor(s.code());
    res->content_type = "application/json";
    res->body = ErrorBody(s, style);
  };
  auto params = Params::Parse(query);
  if (!params.ok()) return fail(params.status());
  std::string_view method = ToSV(msg.method_string());
  Router::Match m = router_.Find(method, path);
  if (m.route == nullptr) {
    if (m.path_known) {
      res->headers.emplace_back("Allow", m.allow);
      fail(absl::InvalidArgumentError(absl::StrCat("method ", AV(method), " not allowed on ",
                                                   AV(path), " (allowed: ", m.allow, ")")));
      res->status = 405;
      return;
    }
    return fail(absl::NotFoundError(absl::StrCat("no route ", AV(method), " ", AV(path))));
  }
  const Route& route = *m.route;
  *route_name = route.name;
  style = route.style;

  std::optional<TokenInfo> token;
  if (tokens_ != nullptr && route.access != Access::kPublic) {
    std::string t = ExtractToken(ToSV(msg[http::field::authorization]), params->Get("p"));
    if (t.empty()) {
      res->headers.emplace_back("WWW-Authenticate", "Bearer realm=\"dualcarbon\"");
      return fail(
          absl::UnauthenticatedError("authentication required: send \"Authorization: Bearer "
                                     "<token>\" (or Token, Basic, ?p=)"));
    }
    auto info = tokens_->Verify(t);
    if (!info.ok()) {
      res->headers.emplace_back("WWW-Authenticate", "Bearer realm=\"dualcarbon\"");
      return fail(info.status());
    }
    if (!Allows(info->role, route.access)) {
      return fail(absl::PermissionDeniedError(absl::StrCat(
          "a ", AV(RoleName(info->role)), " token may not use ", AV(method), " ", AV(path))));
    }
    token = std::move(*info);
  }

  HttpRequest req;
  req.method = method;
  req.path = path;
  req.path_params = std::move(m.params);
  req.params = std::move(*params);
  req.content_type = ToSV(msg[http::field::content_type]);
  req.content_encoding = ToSV(msg[http::field::content_encoding]);
  req.accept = ToSV(msg[http::field::accept]);
  req.body = body;
  req.token = token ? &*token : nullptr;
  req.scratch = scratch;
  req.received_ns = Env::Default()->NowNanos();
  if (method == "POST" && path == "/query" &&
      absl::StartsWithIgnoreCase(AV(req.content_type), "application/x-www-form-urlencoded")) {
    auto form = Params::Parse(*body);
    if (!form.ok()) return fail(form.status());
    req.params.Append(*form);
  }
  absl::Status s;
  try {
    s = route.handler(req, *res);
  } catch (const std::exception& e) {
    s = absl::InternalError(absl::StrCat("unexpected exception: ", e.what()));
  }
  if (!s.ok()) {
    if (HttpStatusFor(s.code()) >= 500) {
      spdlog::error("{} {}: {}", method, path, SV(s.ToString()));
    }
    fail(s);
  }
}

void Server::Impl::Register(const std::shared_ptr<Session>& s) {
  absl::MutexLock l(&mu_);
  sessions_.emplace(s.get(), s);
}

void Server::Impl::Unregister(Session* s) {
  absl::MutexLock l(&mu_);
  sessions_.erase(s);
}

absl::Status Server::Impl::Listen() {
  auto addr = ParseListen(options_.listen);
  if (!addr.ok()) return addr.status();
  beast::error_code ec;
  net::ip::address ip;
  if (addr->host.empty()) {
    ip = net::ip::address_v6::any();
  } else if (addr->host == "localhost") {
    ip = net::ip::address_v4::loopback();
  } else {
    ip = net::ip::make_address(addr->host, ec);
    if (ec) {
      return absl::InvalidArgumentError(
          absl::StrCat("listen host \"", addr->host, "\" is not an IP address: ", ec.message()));
    }
  }
  tcp::endpoint ep(ip, addr->port);
  auto check = [&](std::string_view what) -> absl::Status {
    if (!ec) return absl::OkStatus();
    return absl::UnavailableError(
        absl::StrCat("cannot ", AV(what), " ", options_.listen, ": ", ec.message()));
  };
  acceptor_.open(ep.protocol(), ec);
  if (auto s = check("open"); !s.ok()) return s;
  acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (ip.is_v6() && addr->host.empty()) acceptor_.set_option(net::ip::v6_only(false), ec);
  acceptor_.bind(ep, ec);
  if (auto s = check("bind"); !s.ok()) return s;
  acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (auto s = check("listen on"); !s.ok()) return s;
  endpoint_ = acceptor_.local_endpoint(ec);
  return absl::OkStatus();
}

void Server::Impl::Run() {
  if (options_.handle_signals) {
    signals_.add(SIGINT);
    signals_.add(SIGTERM);
    WaitForSignal();
  }
  Accept();
  // Handlers block (Store::Write waits for the WAL, fsync=always for the disk), so twice the
  // cores: a query need not queue behind two writes in progress.
  int n = options_.threads > 0
              ? options_.threads
              : static_cast<int>(std::max(2u, 2 * std::thread::hardware_concurrency()));
  for (int i = 0; i < n; ++i) threads_.emplace_back([this] { ioc_.run(); });
}

void Server::Impl::WaitForSignal() {
  signals_.async_wait([this](beast::error_code ec, int sig) {
    if (ec) return;
    if (stopping()) {
      spdlog::warn("signal {} again: not waiting for busy connections", sig);
      force_.store(true);
      return;
    }
    spdlog::info("signal {}: shutting down", sig);
    Stop();
    WaitForSignal();
  });
}

void Server::Impl::Accept() {
  acceptor_.async_accept(net::make_strand(ioc_), [this](beast::error_code ec, tcp::socket s) {
    OnAccept(ec, std::move(s));
  });
}

void Server::Impl::OnAccept(beast::error_code ec, tcp::socket socket) {
  if (stopping() || ec == net::error::operation_aborted) return;
  if (ec) {
    // Out of file descriptors and the like: log, back off briefly, keep serving the others.
    spdlog::warn("accept: {}", ec.message());
    accept_retry_.emplace(acceptor_.get_executor(), std::chrono::milliseconds(100));
    accept_retry_->async_wait([this](beast::error_code) {
      if (!stopping()) Accept();
    });
    return;
  }
  beast::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  auto session = std::make_shared<Session>(std::move(socket), *this);
  Register(session);
  session->Start();
  Accept();
}

void Server::Impl::Stop() {
  if (stopping_.exchange(true)) return;
  net::post(acceptor_.get_executor(), [this] {
    beast::error_code ec;
    acceptor_.close(ec);
    if (accept_retry_) accept_retry_->cancel();
  });
  std::vector<std::shared_ptr<Session>> live;
  {
    absl::MutexLock l(&mu_);
    for (auto& [ptr, weak] : sessions_) {
      if (auto s = weak.lock()) live.push_back(std::move(s));
    }
  }
  for (auto& s : live) s->Shutdown();
  stop_requested_.Notify();
}

absl::Status Server::Impl::Wait() {
  if (waited_) return absl::OkStatus();
  waited_ = true;
  stop_requested_.WaitForNotification();
  auto deadline = std::chrono::steady_clock::now() + Ns(options_.shutdown_grace_ns);
  for (;;) {
    size_t open;
    {
      absl::MutexLock l(&mu_);
      open = sessions_.size();
    }
    if (open == 0) break;
    if (std::chrono::steady_clock::now() >= deadline || force_.load()) {
      spdlog::warn("shutdown: closing {} connection(s) still busy after the grace period", open);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ioc_.stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
  absl::Status s = store_.Sync();
  if (!s.ok()) spdlog::error("shutdown: store sync failed: {}", SV(s.ToString()));
  return s;
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() {
  impl_->Stop();
  (void)impl_->Wait();
}

absl::StatusOr<std::unique_ptr<Server>> Server::Start(Store& store, TokenStore* tokens,
                                                      const ServerOptions& options,
                                                      SitesOptions sites) {
  auto addr = ParseListen(options.listen);
  if (!addr.ok()) return addr.status();
  if (!options.auth && !IsLoopback(addr->host)) {
    return absl::FailedPreconditionError(
        absl::StrCat("--no-auth is refused on ", options.listen,
                     ": without authentication the server may only listen on a loopback address "
                     "(127.0.0.1, ::1)"));
  }
  if (options.auth && tokens == nullptr) {
    return absl::InvalidArgumentError("authentication is on but no token store was given");
  }
  auto impl =
      std::make_unique<Impl>(store, options.auth ? tokens : nullptr, options, std::move(sites));
  absl::Status s = impl->Listen();
  if (!s.ok()) return s;
  impl->Run();
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

std::string Server::address() const {
  auto ep = impl_->endpoint();
  std::string host = ep.address().to_string();
  if (ep.address().is_v6()) host = absl::StrCat("[", host, "]");
  return absl::StrCat(host, ":", ep.port());
}

uint16_t Server::port() const { return impl_->endpoint().port(); }

void Server::Stop() { impl_->Stop(); }

absl::Status Server::Wait() { return impl_->Wait(); }

}  // namespace dc::server
